import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialParameters } from './init.ts';
import { parameterLayout } from './layout.ts';
import { type ModelSpec } from './model.ts';
import { MODEL_PRESETS } from './model_presets.ts';
import { seededRandom } from './random.ts';
import { evaluate } from './reference/model.ts';
import { decodeSafetensors, encodeSafetensors, modelFromSafetensors, modelToSafetensors } from './safetensors.ts';

const headerLength = (bytes: Uint8Array) => Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));

/** A file built by hand from the format description, independent of the encoder. */
function handMadeFile(header: string, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length * 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  data.forEach((v, i) => view.setFloat32(8 + json.length + i * 4, v, true));
  return out;
}

test('encode then decode returns every tensor, shape and metadata value', () => {
  const tensors = [
    { name: 'a', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
    { name: 'b.bias', shape: [1], data: Float32Array.from([Math.PI]) },
    { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
  ];
  const bytes = encodeSafetensors(tensors, { step: '12', note: 'héllo' });
  const decoded = decodeSafetensors(bytes);
  assert.deepEqual(decoded.metadata, { step: '12', note: 'héllo' });
  assert.equal(decoded.tensors.size, 3);
  for (const t of tensors) {
    const d = decoded.tensors.get(t.name)!;
    assert.equal(d.dtype, 'F32');
    assert.deepEqual(d.shape, t.shape);
    assert.deepEqual(d.data, t.data);
  }
});

test('the header is space-padded so the data starts on an 8-byte boundary, for any header size', () => {
  for (let nameLength = 1; nameLength <= 9; nameLength++) {
    const bytes = encodeSafetensors([{ name: 'x'.repeat(nameLength), shape: [3], data: Float32Array.from([1, 2, 3]) }]);
    const n = headerLength(bytes);
    assert.equal((8 + n) % 8, 0);
    assert.equal(bytes.length, 8 + n + 12);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    assert.match(header, /^\{.*\} *$/);
    assert.equal(JSON.parse(header)['x'.repeat(nameLength)].data_offsets[1], 12);
  }
});

test('decodes a file written by hand from the format description (no metadata, tensors out of order)', () => {
  const header = '{"second":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"first":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const decoded = decodeSafetensors(handMadeFile(header, [1.5, -2, 7]));
  assert.deepEqual(decoded.metadata, {});
  assert.deepEqual([...decoded.tensors.get('first')!.data], [1.5, -2]);
  assert.deepEqual([...decoded.tensors.get('second')!.data], [7]);
});

test('bad files are refused with a message that says what is wrong', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(4), /shorter than the 8-byte header length/],
    ['header past the end', handMadeFile('{}', []).map((b, i) => (i === 0 ? 200 : b)), /runs past the end/],
    ['not JSON', handMadeFile('{"a":', []), /not UTF-8 JSON/],
    ['not an object', handMadeFile('[1]', []), /not a JSON object/],
    ['other dtype', handMadeFile('{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', [0]), /dtype "F16"; only F32/],
    ['shape and span disagree', handMadeFile('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', [0, 0]), /spans 8 bytes but shape \[3\] needs 12/],
    ['gap', handMadeFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', [0, 0]), /starts at byte 4, expected 0/],
    ['overlap', handMadeFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', [0, 0]), /gap or overlap/],
    ['trailing bytes', handMadeFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0]), /cover 4 data bytes but the file holds 8/],
    ['metadata not strings', handMadeFile('{"__metadata__":{"step":3}}', []), /__metadata__.step is not a string/],
    ['negative offset', handMadeFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', [0]), /bad data_offsets/],
  ];
  for (const [what, bytes, message] of cases) assert.throws(() => decodeSafetensors(bytes), message, what);
  assert.throws(() => encodeSafetensors([{ name: 'a', shape: [2], data: new Float32Array(3) }]), /shape \[2\] but 3 values/);
  assert.throws(() => encodeSafetensors([{ name: '__metadata__', shape: [1], data: new Float32Array(1) }]), /reserved/);
  assert.throws(() => encodeSafetensors([{ name: 'a', shape: [1], data: new Float32Array(1) }, { name: 'a', shape: [1], data: new Float32Array(1) }]), /used twice/);
});

test('a model exports under its layout names and loads back to the same flat vector', () => {
  const spec = MODEL_PRESETS.cnn as ModelSpec;
  const layout = parameterLayout(spec);
  const params = initialParameters(spec, 11);
  const bytes = modelToSafetensors(spec, params, { step: '40' });
  const decoded = decodeSafetensors(bytes);
  assert.deepEqual([...decoded.tensors.keys()].sort(), layout.tensors.map((t) => t.name).sort());
  assert.deepEqual(decoded.tensors.get('layers.0.weight')!.shape, [3, 3, 1, 16]);
  assert.deepEqual(JSON.parse(decoded.metadata['flock.spec']), spec);
  assert.equal(decoded.metadata.step, '40');
  assert.deepEqual(modelFromSafetensors(spec, bytes), params);
  assert.throws(() => modelFromSafetensors(MODEL_PRESETS.mlp as ModelSpec, bytes), /has shape|has no tensor/);
  assert.throws(() => modelToSafetensors(spec, params.subarray(1)), /expected \d+ parameters/);
});

test('an exported model evaluated through the CPU reference gives the same loss and accuracy as the original', () => {
  const spec = MODEL_PRESETS.mlp as ModelSpec;
  const params = initialParameters(spec, 5);
  const rnd = seededRandom(9);
  const count = 200;
  const pixels = new Uint8Array(count * 784).map(() => Math.floor(rnd() * 256));
  const labels = new Uint8Array(count).map(() => Math.floor(rnd() * 10));
  const original = evaluate(spec, params, pixels, labels, count);
  const loaded = evaluate(spec, modelFromSafetensors(spec, modelToSafetensors(spec, params)), pixels, labels, count);
  assert.equal(loaded.accuracy, original.accuracy);
  assert.equal(loaded.loss, original.loss);
  assert.ok(original.accuracy > 0 && original.accuracy < 1);
});
