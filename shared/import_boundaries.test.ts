// Browser code must not reach into the server's folder (nor shared code into either side): what both sides use
// lives in shared/. Checked on the import specifiers of every TypeScript file, so a new violation fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Top-level folders (relative to the repository) that `file` imports from. */
function importedFolders(file: string): { spec: string; folder: string }[] {
  const src = readFileSync(file, 'utf8');
  const specs = [...src.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
  return specs.filter((s) => s.startsWith('.')).map((spec) => ({ spec, folder: relative(root, resolve(dirname(file), spec)).split(/[\\/]/)[0] }));
}

function violations(fromFolder: string, forbidden: string[]): string[] {
  return tsFiles(join(root, fromFolder)).flatMap((f) =>
    importedFolders(f).filter((i) => forbidden.includes(i.folder)).map((i) => `${relative(root, f)} imports ${i.spec}`));
}

test('no file under client/ imports from server/', () => {
  assert.deepEqual(violations('client', ['server']), []);
});

test('no file under shared/ imports from client/ or server/', () => {
  assert.deepEqual(violations('shared', ['client', 'server']), []);
});

test('the check sees a violation when there is one', () => {
  assert.deepEqual(importedFolders(join(root, 'shared', 'import_boundaries.test.ts')).map((i) => i.folder), []);
  assert.ok(violations('server', ['shared']).length > 0, 'server/ imports shared/, so the scan must find it');
});
