// How a leader copy's weights are packed for the wire: plain f32, IEEE half (half the bytes) or int8 with one f32
// scale per block of 256 values (about a quarter). Plain typed arrays only, so tabs, workers and the server share it;
// like shared/protocol.ts it assumes little-endian typed arrays (every platform Flock runs on).

export const COPY_ENCODINGS = ['f32', 'f16', 'int8'] as const;
export type CopyEncoding = (typeof COPY_ENCODINGS)[number];

/** Values per int8 block; each block has one f32 scale. */
export const INT8_BLOCK = 256;

/** The largest finite half; larger magnitudes clamp to it, so a copy never carries an infinity. */
const F16_MAX_BITS = 0x7bff;
/** 65504 as f32 bits. */
const F16_MAX_AS_F32 = 0x477fe000;
/** 2^-14, the smallest normal half, as f32 bits. */
const F16_MIN_NORMAL_AS_F32 = 0x38800000;
/** f32 exponent bias (127) minus half's (15), in place. */
const REBIAS = 112 << 23;
/** Adding then subtracting 2^52 rounds a double below 2^52 to an integer, ties to even. */
const ROUND_EVEN = 2 ** 52;

function int8Blocks(length: number): number {
  return Math.ceil(length / INT8_BLOCK);
}

/** Bytes of a copy of `length` values in `encoding`. */
export function encodedByteLength(length: number, encoding: CopyEncoding): number {
  if (!Number.isInteger(length) || length < 0) throw new Error(`copy length ${length} is not a whole number of values`);
  switch (encoding) {
    case 'f32': return 4 * length;
    case 'f16': return 2 * length;
    case 'int8': return 4 * int8Blocks(length) + length;
    default: throw new Error(`unknown copy encoding ${String(encoding)}: use one of ${COPY_ENCODINGS.join(', ')}`);
  }
}

/** Index of the first NaN or infinity, or -1. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** `bytes` as an array of `Type`, viewed in place when aligned, else copied (a received buffer may sit at any offset). */
function aligned<T>(bytes: Uint8Array, Type: { new (b: ArrayBufferLike, offset: number, length: number): T; BYTES_PER_ELEMENT: number }): T {
  const length = bytes.byteLength / Type.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(bytes.buffer, bytes.byteOffset, length);
  // a copy by construction: Node's Buffer.slice is a view, so bytes.slice() would keep the offset's misalignment
  return new Type(new Uint8Array(bytes).buffer, 0, length);
}

/** Encodes finite weights; throws (a clear Error naming the index) on a non-finite value. f32 is a view of `weights`, not a copy. */
export function encodeCopy(weights: Float32Array, encoding: CopyEncoding): Uint8Array {
  const bad = firstNonFinite(weights);
  if (bad >= 0) throw new Error(`copy (${encoding}): weight ${bad} is ${weights[bad]}; only finite weights can be sent`);
  switch (encoding) {
    case 'f32': return new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
    case 'f16': return new Uint8Array(encodeF16(weights).buffer);
    case 'int8': return encodeInt8(weights);
    default: throw new Error(`unknown copy encoding ${String(encoding)}: use one of ${COPY_ENCODINGS.join(', ')}`);
  }
}

/** Decodes `length` values; throws a clear Error when the byte length is not encodedByteLength(length, encoding) or a
 *  decoded value/scale is not finite. f32 is a view of `bytes` when they are 4-byte aligned. */
export function decodeCopy(bytes: Uint8Array, encoding: CopyEncoding, length: number): Float32Array {
  const expected = encodedByteLength(length, encoding);
  if (bytes.byteLength !== expected) {
    throw new Error(`copy (${encoding}): ${bytes.byteLength} bytes, but the model's ${length} parameters take ${expected}: the copy is truncated or in another encoding`);
  }
  const values = encoding === 'f32' ? aligned(bytes, Float32Array) : encoding === 'f16' ? decodeF16(aligned(bytes, Uint16Array)) : decodeInt8(bytes, length);
  const bad = firstNonFinite(values);
  if (bad >= 0) throw new Error(`copy (${encoding}): value ${bad} decodes to ${values[bad]}, which is not finite; a copy carries only finite weights`);
  return values;
}

function encodeF16(weights: Float32Array): Uint16Array {
  const bits = new Uint32Array(weights.buffer, weights.byteOffset, weights.length);
  const out = new Uint16Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const f = bits[i];
    const sign = (f >>> 16) & 0x8000;
    const a = f & 0x7fffffff;
    let h: number;
    if (a >= F16_MAX_AS_F32) h = F16_MAX_BITS;
    else if (a >= F16_MIN_NORMAL_AS_F32) {
      // drop 13 mantissa bits, ties to even; a carry into the exponent is the correct next half
      const r = a - REBIAS;
      h = (r + 0xfff + ((r >>> 13) & 1)) >>> 13;
    } else {
      // subnormal half: |x| in units of 2^-24; the product is exact in a double, so rounding happens once
      h = Math.abs(weights[i]) * 2 ** 24 + ROUND_EVEN - ROUND_EVEN;
    }
    out[i] = sign | h;
  }
  return out;
}

/** Every half's f32 value, built on first use: decoding is then one lookup per value. */
let halfTable: Float32Array | undefined;

function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(0x10000);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 0x10000; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = (sign ? -1 : 1) * mantissa * 2 ** -24;
    else if (exponent === 0x1f) bits[h] = sign | 0x7f800000 | (mantissa << 13);
    else bits[h] = sign | ((exponent << 23) + REBIAS) | (mantissa << 13);
  }
  halfTable = table;
  return table;
}

function decodeF16(halves: Uint16Array): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
  return out;
}

/** Layout: the blocks' f32 scales, then one int8 per value. */
function encodeInt8(weights: Float32Array): Uint8Array {
  const n = weights.length;
  const blocks = int8Blocks(n);
  const out = new Uint8Array(encodedByteLength(n, 'int8'));
  const scales = new Float32Array(out.buffer, 0, blocks);
  const q = new Int8Array(out.buffer, 4 * blocks, n);
  for (let b = 0; b < blocks; b++) {
    const start = b * INT8_BLOCK;
    const end = Math.min(start + INT8_BLOCK, n);
    let max = 0;
    for (let i = start; i < end; i++) max = Math.max(max, Math.abs(weights[i]));
    // rounded to f32 first, so the encoder divides by exactly the scale the decoder multiplies by
    const scale = Math.fround(max / 127);
    scales[b] = scale;
    if (scale === 0) continue;
    for (let i = start; i < end; i++) q[i] = Math.max(-127, Math.min(127, Math.round(weights[i] / scale)));
  }
  return out;
}

function decodeInt8(bytes: Uint8Array, n: number): Float32Array {
  const blocks = int8Blocks(n);
  const scales = aligned(bytes.subarray(0, 4 * blocks), Float32Array);
  const q = new Int8Array(bytes.buffer, bytes.byteOffset + 4 * blocks, n);
  const out = new Float32Array(n);
  for (let b = 0; b < blocks; b++) {
    const scale = scales[b];
    if (!Number.isFinite(scale)) throw new Error(`copy (int8): the scale of block ${b} is ${scale}; a copy carries only finite scales`);
    const end = Math.min((b + 1) * INT8_BLOCK, n);
    for (let i = b * INT8_BLOCK; i < end; i++) out[i] = q[i] * scale;
  }
  return out;
}
