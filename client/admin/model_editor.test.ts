// The spec box's live check: each error names the layer it is about, down into residual blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSpec } from './model_editor.ts';

const spec = (layers: unknown[]) => JSON.stringify({ name: 'm', input: { height: 8, width: 8, channels: 1 }, classes: 3, layers });
const errors = (text: string) => {
  const r = checkSpec(text);
  assert.ok('errors' in r, 'the spec is refused');
  return r.errors;
};

test('a valid spec comes back parsed', () => {
  const r = checkSpec(spec([{ kind: 'flatten' }, { kind: 'dense', units: 3 }]));
  assert.ok('spec' in r && r.spec.layers.length === 2);
});

test('a bad field inside a residual block names the layer path and the field', () => {
  const text = spec([{ kind: 'conv2d', filters: 4, kernel: 3 }, { kind: 'residual', layers: [{ kind: 'relu' }, { kind: 'conv2d', filters: 4 }] }, { kind: 'flatten' }, { kind: 'dense', units: 3 }]);
  assert.equal(errors(text).filter((e) => e.startsWith('layer 1.1: kernel:')).length, 1, errors(text).join(' | '));
});

test('an unknown kind says which kinds there are', () => {
  assert.match(errors(spec([{ kind: 'flaten' }, { kind: 'dense', units: 3 }]))[0], /^layer 0: kind must be one of dense, relu/);
});

test('a spec that does not fit together gives the expansion\'s message, and non-JSON says so', () => {
  assert.deepEqual(errors(spec([{ kind: 'flatten' }, { kind: 'dense', units: 4 }])), ['model m: the last layer must be dense with 3 units (the classes)']);
  assert.match(errors('{"name": ')[0], /^not JSON: /);
});
