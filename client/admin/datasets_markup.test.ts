// The datasets view and upload form find their elements by id and name in admin.html: a renamed or missing one
// would only show in a browser, so the page is checked against the code here (browser tests rely on these ids).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { UPLOAD_FORMATS, UPLOAD_PARTS } from '../../shared/dataset_upload.ts';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const html = read('../admin.html');
const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
/** The opening tag of the element with this id. */
const tag = (id: string) => new RegExp(`<[a-z]+ [^>]*id="${id}"[^>]*>`).exec(html)?.[0] ?? '';

test('every element the datasets view and the upload form look up is in admin.html', () => {
  for (const file of ['datasets_view.ts', 'upload_form.ts']) {
    const used = [...read(file).matchAll(/byId(?:<\w+>)?\('([^']+)'\)/g)].map((m) => m[1]);
    assert.ok(used.length > 0, file);
    for (const id of used) assert.ok(ids.has(id), `${file} looks up #${id}, which admin.html lacks`);
  }
  for (const id of ['open-datasets', 'datasets-view', 'datasets-table', 'upload-form', 'u-name', 'u-format', 'u-classes', 'upload-submit', 'upload-progress', 'upload-error']) {
    assert.ok(ids.has(id), `#${id}`);
  }
  assert.match(tag('upload-error'), /role="alert"/);
});

test('each file part of each format has its file input, named for the part, with a slot for its errors', () => {
  for (const format of UPLOAD_FORMATS) {
    for (const { part, multiple } of UPLOAD_PARTS[format]) {
      const input = tag(`u-${part}`);
      assert.match(input, /type="file"/, part);
      assert.match(input, new RegExp(`name="${part}"`), part);
      assert.equal(/\smultiple[\s/>]/.test(input), multiple, `${part} takes ${multiple ? 'several files' : 'one file'}`);
      assert.ok(html.includes(`data-part="${part}"`) && html.includes(`data-error-for="${part}"`), part);
    }
  }
});
