// The IDX format of MNIST-style data sets: magic 00 00 <type> <ndims>, big-endian u32 dims, then
// big-endian elements. Plain web APIs only, so the server and a browser tab read files alike.

export interface IdxArray {
  dims: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

interface IdxType {
  name: string;
  bytes: number;
  read: (bytes: Uint8Array, offset: number, count: number) => IdxArray['data'];
}

/** Reads `count` big-endian elements with `get`, into a native-endian typed array. */
function bigEndian<T extends Int16Array | Int32Array | Float32Array | Float64Array>(
  make: new (n: number) => T,
  size: number,
  get: (view: DataView, at: number) => number,
) {
  return (bytes: Uint8Array, offset: number, count: number): T => {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * size);
    const out = new make(count);
    for (let i = 0; i < count; i++) out[i] = get(view, i * size);
    return out;
  };
}

const IDX_TYPES: Record<number, IdxType> = {
  0x08: { name: 'u8', bytes: 1, read: (b, o, n) => b.subarray(o, o + n) },
  0x09: { name: 'i8', bytes: 1, read: (b, o, n) => new Int8Array(b.buffer, b.byteOffset + o, n) },
  0x0b: { name: 'i16', bytes: 2, read: bigEndian(Int16Array, 2, (v, at) => v.getInt16(at, false)) },
  0x0c: { name: 'i32', bytes: 4, read: bigEndian(Int32Array, 4, (v, at) => v.getInt32(at, false)) },
  0x0d: { name: 'f32', bytes: 4, read: bigEndian(Float32Array, 4, (v, at) => v.getFloat32(at, false)) },
  0x0e: { name: 'f64', bytes: 8, read: bigEndian(Float64Array, 8, (v, at) => v.getFloat64(at, false)) },
};

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/**
 * Parses an uncompressed IDX file. For u8 and i8 the returned data is a view on `bytes`
 * (no copy: a 47 MB image file stays one allocation).
 */
export function parseIdx(bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) throw new Error(`IDX: truncated header: ${bytes.length} bytes, need at least 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`IDX: bad magic ${hex(bytes[0])} ${hex(bytes[1])}: an IDX file starts with 0x00 0x00 (is it still gzipped?)`);
  }
  const type = IDX_TYPES[bytes[2]];
  if (!type) throw new Error(`IDX: unknown element type ${hex(bytes[2])}: expected one of ${Object.keys(IDX_TYPES).map((k) => hex(Number(k))).join(', ')}`);
  const ndims = bytes[3];
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) throw new Error(`IDX: truncated header: ${ndims} dims need ${headerBytes} bytes, file has ${bytes.length}`);
  const header = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(header.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length < expected) {
    throw new Error(`IDX: truncated data: dims [${dims.join(', ')}] of ${type.name} need ${expected} bytes, file has ${bytes.length}`);
  }
  if (bytes.length > expected) {
    throw new Error(`IDX: dims/data length mismatch: dims [${dims.join(', ')}] of ${type.name} need ${expected} bytes, file has ${bytes.length}`);
  }
  return { dims, data: type.read(bytes, headerBytes, count) };
}

const isGzip = (bytes: Uint8Array) => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** The same bytes on a plain ArrayBuffer: web streams refuse views on shared memory. */
function unshared(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes.slice();
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const input = new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(unshared(bytes));
      controller.close();
    },
  });
  try {
    return new Uint8Array(await new Response(input.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  } catch (err) {
    throw new Error(`IDX: the file looks gzipped (starts with 1f 8b) but does not inflate: ${(err as Error).message}`);
  }
}

/** Reads an IDX file, gzipped (detected by its 1f 8b signature) or not. */
export async function readIdx(bytes: Uint8Array): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes) : bytes);
}
