import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COPY_ENCODINGS, decodeCopy, encodeCopy, encodedByteLength, INT8_BLOCK, type CopyEncoding } from './copy_encoding.ts';
import { seededNormal, seededRandom } from './random.ts';

const LENGTHS = [0, 1, 2, 255, 256, 257, 511, 513, 1000, 1 << 20];

/** Normal samples spread over magnitudes 1e-9..1e3, so f16 meets subnormals, normals and rounding at every exponent. */
function randomWeights(length: number, seed: number): Float32Array {
  const normal = seededNormal(seed);
  const uniform = seededRandom(seed + 1);
  return Float32Array.from({ length }, () => normal() * 10 ** (uniform() * 12 - 9));
}

const bytesOf = (...values: number[]) => Uint8Array.from(values);
/** The same bytes at an odd offset, as a received buffer may put them. */
function misaligned(bytes: Uint8Array): Uint8Array {
  const buffer = new Uint8Array(bytes.byteLength + 1);
  buffer.set(bytes, 1);
  return buffer.subarray(1);
}

/** The nearest half to x, ties to even, by arithmetic on doubles (independent of the codec's bit tricks). */
function nearestHalf(x: number): number {
  const a = Math.abs(x);
  if (a >= 65504) return Math.sign(x) * 65504;
  const ulp = a < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(a)) - 10);
  const units = a / ulp;
  const down = Math.floor(units);
  const rounded = units - down > 0.5 || (units - down === 0.5 && down % 2 === 1) ? down + 1 : down;
  return Math.sign(x) * rounded * ulp;
}

test('each encoding takes the bytes encodedByteLength says: f32 4n, f16 2n, int8 4 ceil(n/256) + n', () => {
  for (const n of LENGTHS) {
    const w = randomWeights(n, n);
    assert.equal(encodedByteLength(n, 'f32'), 4 * n);
    assert.equal(encodedByteLength(n, 'f16'), 2 * n);
    assert.equal(encodedByteLength(n, 'int8'), 4 * Math.ceil(n / INT8_BLOCK) + n);
    for (const e of COPY_ENCODINGS) assert.equal(encodeCopy(w, e).byteLength, encodedByteLength(n, e), `${e} n=${n}`);
  }
  assert.throws(() => encodedByteLength(-1, 'f16'), /copy length -1/);
  assert.throws(() => encodedByteLength(2, 'f8' as CopyEncoding), /unknown copy encoding f8: use one of f32, f16, int8/);
});

test('the format is pinned: hand-computed bytes of each encoding', () => {
  assert.deepEqual(encodeCopy(Float32Array.of(1, -2), 'f32'), bytesOf(0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0));
  assert.deepEqual(encodeCopy(Float32Array.of(1, -2, 0.5, 65504, -0), 'f16'), bytesOf(0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38, 0xff, 0x7b, 0x00, 0x80));
  // scale 254 / 127 = 2 (f32 0x40000000), then 127, -63, 1, 0
  assert.deepEqual(encodeCopy(Float32Array.of(254, -126, 2, 0), 'int8'), bytesOf(0x00, 0x00, 0x00, 0x40, 0x7f, 0xc1, 0x01, 0x00));
  assert.deepEqual(decodeCopy(bytesOf(0x00, 0x00, 0x00, 0x40, 0x7f, 0xc1, 0x01, 0x00), 'int8', 4), Float32Array.of(254, -126, 2, 0));
  // two blocks: the scales come first, an all-zero block has scale 0
  const twoBlocks = new Float32Array(INT8_BLOCK + 1);
  twoBlocks[INT8_BLOCK] = 127;
  const encoded = encodeCopy(twoBlocks, 'int8');
  assert.deepEqual(encoded.subarray(0, 8), bytesOf(0, 0, 0, 0, 0x00, 0x00, 0x80, 0x3f));
  assert.equal(encoded[8 + INT8_BLOCK], 127);
});

test('f16 rounds to the nearest half, ties to even, down to the subnormals, and clamps beyond 65504', () => {
  const halves = (...xs: number[]) => [...new Uint16Array(encodeCopy(Float32Array.from(xs), 'f16').slice().buffer)];
  assert.deepEqual(halves(1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -20), [0x3c00, 0x3c02, 0x3c01]);
  assert.deepEqual(halves(2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -26, 1023 * 2 ** -24, 2 ** -14, 2 ** -14 - 2 ** -26), [0x0001, 0x0000, 0x0002, 0x0000, 0x03ff, 0x0400, 0x0400]);
  assert.deepEqual(halves(65505, 65519, 65520, 1e6, -1e6, 3.4e38), [0x7bff, 0x7bff, 0x7bff, 0x7bff, 0xfbff, 0x7bff]);
  assert.deepEqual(decodeCopy(encodeCopy(Float32Array.of(70000, -1e30), 'f16'), 'f16', 2), Float32Array.of(65504, -65504));
});

test('f32 round-trips exactly; f16 to the nearest half (within 2^-11 relative in the normal range), exact for halves', () => {
  for (const n of LENGTHS) {
    const w = randomWeights(n, 7 * n + 3);
    assert.deepEqual(decodeCopy(encodeCopy(w, 'f32'), 'f32', n), w);
    const back = decodeCopy(encodeCopy(w, 'f16'), 'f16', n);
    for (let i = 0; i < n; i++) {
      const x = w[i];
      if (back[i] !== nearestHalf(x)) assert.fail(`f16 n=${n} [${i}]: ${x} decodes to ${back[i]}, the nearest half is ${nearestHalf(x)}`);
      const bound = Math.abs(x) >= 2 ** -14 ? 2 ** -11 * Math.abs(x) : 2 ** -25;
      if (Math.abs(back[i] - x) > bound) assert.fail(`f16 n=${n} [${i}]: ${x} decodes to ${back[i]}`);
    }
  }
  // every finite half survives a round trip bit for bit
  const all = Uint16Array.from({ length: 0x10000 }, (_, h) => h).filter((h) => (h & 0x7c00) !== 0x7c00);
  const values = decodeCopy(new Uint8Array(all.buffer), 'f16', all.length);
  assert.deepEqual(new Uint16Array(encodeCopy(values, 'f16').slice().buffer), all);
});

test('int8 errs by at most half its block scale per value', () => {
  for (const n of LENGTHS) {
    const w = randomWeights(n, 11 * n + 5);
    const bytes = encodeCopy(w, 'int8');
    const scales = new Float32Array(bytes.slice(0, 4 * Math.ceil(n / INT8_BLOCK)).buffer);
    const back = decodeCopy(bytes, 'int8', n);
    for (let i = 0; i < n; i++) {
      const scale = scales[Math.floor(i / INT8_BLOCK)];
      // the f32 rounding of q * scale adds at most half an ulp of the value
      if (Math.abs(back[i] - w[i]) > scale / 2 + Math.abs(w[i]) * 2 ** -24) assert.fail(`int8 n=${n} [${i}]: ${w[i]} decodes to ${back[i]} (scale ${scale})`);
    }
  }
});

test('bytes at an odd offset decode like aligned ones, in a Uint8Array or a Node Buffer (whose slice is a view)', () => {
  const w = randomWeights(300, 2);
  for (const e of COPY_ENCODINGS) {
    const expected = decodeCopy(encodeCopy(w, e).slice(), e, w.length);
    assert.deepEqual(decodeCopy(misaligned(encodeCopy(w, e)), e, w.length), expected, e);
    const received = misaligned(encodeCopy(w, e));
    assert.deepEqual(decodeCopy(Buffer.from(received.buffer, received.byteOffset, received.byteLength), e, w.length), expected, `${e} in a Buffer`);
  }
});

test('a non-finite weight is refused, naming its index', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const w = Float32Array.of(1, 2, bad);
    for (const e of COPY_ENCODINGS) assert.throws(() => encodeCopy(w, e), new RegExp(`copy \\(${e}\\): weight 2 is ${bad}`));
  }
});

test('a copy of the wrong byte length, or one that decodes to a non-finite value or scale, is refused', () => {
  const w = randomWeights(300, 3);
  for (const e of COPY_ENCODINGS) {
    const bytes = encodeCopy(w, e);
    assert.throws(() => decodeCopy(bytes.subarray(1), e, w.length), new RegExp(`copy \\(${e}\\): ${bytes.byteLength - 1} bytes, but the model's 300 parameters take ${bytes.byteLength}`));
    assert.throws(() => decodeCopy(bytes, e, w.length + 1), /parameters take/);
  }
  assert.throws(() => decodeCopy(bytesOf(0x00, 0x00, 0xc0, 0x7f), 'f32', 1), /copy \(f32\): value 0 decodes to NaN/);
  assert.throws(() => decodeCopy(bytesOf(0x00, 0x3c, 0x00, 0x7c), 'f16', 2), /copy \(f16\): value 1 decodes to Infinity/);
  assert.throws(() => decodeCopy(bytesOf(0x00, 0x00, 0xc0, 0x7f, 0x01), 'int8', 1), /copy \(int8\): the scale of block 0 is NaN/);
  // a finite scale of 3e38 times 127 overflows f32
  const huge = new Uint8Array(5);
  new DataView(huge.buffer).setFloat32(0, 3e38, true);
  huge[4] = 127;
  assert.throws(() => decodeCopy(huge, 'int8', 1), /copy \(int8\): value 0 decodes to Infinity/);
});
