import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseIdx, readIdx, type IdxArray } from './idx.ts';

const TYPES = {
  u8: { code: 0x08, size: 1, write: (v: DataView, at: number, x: number) => v.setUint8(at, x), make: Uint8Array },
  i8: { code: 0x09, size: 1, write: (v: DataView, at: number, x: number) => v.setInt8(at, x), make: Int8Array },
  i16: { code: 0x0b, size: 2, write: (v: DataView, at: number, x: number) => v.setInt16(at, x, false), make: Int16Array },
  i32: { code: 0x0c, size: 4, write: (v: DataView, at: number, x: number) => v.setInt32(at, x, false), make: Int32Array },
  f32: { code: 0x0d, size: 4, write: (v: DataView, at: number, x: number) => v.setFloat32(at, x, false), make: Float32Array },
  f64: { code: 0x0e, size: 8, write: (v: DataView, at: number, x: number) => v.setFloat64(at, x, false), make: Float64Array },
};
type TypeName = keyof typeof TYPES;

/** Writes an IDX file by the format's definition, independently of the reader. */
function encodeIdx(type: TypeName, dims: number[], values: number[]): Uint8Array {
  const t = TYPES[type];
  const header = 4 + 4 * dims.length;
  const bytes = new Uint8Array(header + values.length * t.size);
  const view = new DataView(bytes.buffer);
  bytes[2] = t.code;
  bytes[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  values.forEach((x, i) => t.write(view, header + i * t.size, x));
  return bytes;
}

const SAMPLES: Record<TypeName, number[]> = {
  u8: [0, 1, 127, 128, 255, 7],
  i8: [-128, -1, 0, 1, 127, 42],
  i16: [-32768, -300, 0, 258, 32767, 1],
  i32: [-2147483648, -65536, 0, 16777217, 2147483647, 3],
  f32: [-1.5, 0, 0.25, 2 ** 34, -7.125, 1 / 1024], // exactly representable in f32
  f64: [Math.PI, -Math.E, 0, 1e-300, -1e300, 0.1],
};

function assertArray(got: IdxArray, type: TypeName, dims: number[], values: number[]) {
  assert.deepEqual(got.dims, dims);
  assert.ok(got.data instanceof TYPES[type].make, `${type}: got ${got.data.constructor.name}`);
  assert.deepEqual(Array.from(got.data), values);
}

test('parseIdx reads every element type big-endian', () => {
  for (const type of Object.keys(TYPES) as TypeName[]) {
    assertArray(parseIdx(encodeIdx(type, [2, 3], SAMPLES[type])), type, [2, 3], SAMPLES[type]);
  }
});

test('readIdx inflates gzipped files and passes plain ones through', async () => {
  for (const type of Object.keys(TYPES) as TypeName[]) {
    const plain = encodeIdx(type, [3, 1, 2], SAMPLES[type]);
    assertArray(await readIdx(plain), type, [3, 1, 2], SAMPLES[type]);
    assertArray(await readIdx(new Uint8Array(gzipSync(plain))), type, [3, 1, 2], SAMPLES[type]);
  }
});

test('readIdx handles an MNIST-shaped image file', async () => {
  const n = 5;
  const pixels = Array.from({ length: n * 28 * 28 }, (_, i) => (i * 31) % 256);
  const got = await readIdx(new Uint8Array(gzipSync(encodeIdx('u8', [n, 28, 28], pixels))));
  assertArray(got, 'u8', [n, 28, 28], pixels);
});

test('parseIdx reads from a view that does not start at the buffer start', () => {
  const file = encodeIdx('i16', [2], [-2, 513]);
  const padded = new Uint8Array(file.length + 3);
  padded.set(file, 3);
  assertArray(parseIdx(padded.subarray(3)), 'i16', [2], [-2, 513]);
});

test('parseIdx rejects bad magic, unknown types, truncation and extra bytes', () => {
  const good = encodeIdx('u8', [2, 2], [1, 2, 3, 4]);
  const badMagic = good.slice();
  badMagic[0] = 0x50;
  assert.throws(() => parseIdx(badMagic), /IDX: bad magic 0x50 0x00/);
  const badType = good.slice();
  badType[2] = 0x0a;
  assert.throws(() => parseIdx(badType), /IDX: unknown element type 0x0a/);
  assert.throws(() => parseIdx(good.subarray(0, 2)), /IDX: truncated header/);
  assert.throws(() => parseIdx(good.subarray(0, 8)), /IDX: truncated header: 2 dims need 12 bytes/);
  assert.throws(() => parseIdx(good.subarray(0, good.length - 1)), /IDX: truncated data: dims \[2, 2\] of u8 need 16 bytes, file has 15/);
  const extra = new Uint8Array(good.length + 1);
  extra.set(good);
  assert.throws(() => parseIdx(extra), /IDX: dims\/data length mismatch/);
});

test('readIdx reports truncated gzip and gzipped garbage clearly', async () => {
  const gz = new Uint8Array(gzipSync(encodeIdx('u8', [4], [1, 2, 3, 4])));
  await assert.rejects(readIdx(gz.subarray(0, gz.length - 6)), /IDX: the file looks gzipped/);
  const notIdx = new Uint8Array(gzipSync(new TextEncoder().encode('hello')));
  await assert.rejects(readIdx(notIdx), /IDX: bad magic/);
});

test('readIdx inflates bytes held in shared memory', async () => {
  const gz = gzipSync(encodeIdx('u8', [3], [9, 8, 7]));
  const shared = new Uint8Array(new SharedArrayBuffer(gz.length));
  shared.set(gz);
  assertArray(await readIdx(shared), 'u8', [3], [9, 8, 7]);
});
