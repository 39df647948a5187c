// NumPy's .npy format (version 1.0 and 2.0): "\x93NUMPY", major, minor, the header's length (u16 in 1.0, u32 in
// 2.0, little-endian), a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with
// spaces, then the elements in C order. Only what datasets need: uint8, int32 and int64 arrays.
// Plain web APIs only, so the server and a browser read files alike.

export type NpyDtype = 'uint8' | 'int32' | 'int64';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** The elements' bytes (little-endian), a view on the file. */
  data: Uint8Array;
}

const MAGIC = [0x93, ...new TextEncoder().encode('NUMPY')];

// '|' (not applicable) and '<' (little-endian) only; '=' is native order, little-endian on every machine Flock runs on
const DTYPES: Record<string, { dtype: NpyDtype; bytes: number }> = {
  '|u1': { dtype: 'uint8', bytes: 1 }, '<u1': { dtype: 'uint8', bytes: 1 }, '=u1': { dtype: 'uint8', bytes: 1 },
  '<i4': { dtype: 'int32', bytes: 4 }, '=i4': { dtype: 'int32', bytes: 4 },
  '<i8': { dtype: 'int64', bytes: 8 }, '=i8': { dtype: 'int64', bytes: 8 },
};

function field(header: string, key: string): string | null {
  return new RegExp(`['"]${key}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`).exec(header)?.[1] ?? null;
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error('npy: bad magic: a .npy file starts with \\x93NUMPY (save it with numpy.save)');
  }
  const major = bytes[6];
  if (major !== 1 && major !== 2) throw new Error(`npy: format version ${major}.${bytes[7]} is not supported: use version 1.0 or 2.0 (numpy.save writes them)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new Error(`npy: truncated header: ${bytes.length} bytes`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (bytes.length < dataStart) throw new Error(`npy: truncated header: it declares ${headerLength} bytes, the file ends ${dataStart - bytes.length} bytes before its end`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(8 + lengthBytes, dataStart));

  const descr = field(header, 'descr');
  const fortran = field(header, 'fortran_order');
  const shapeText = field(header, 'shape');
  if (!descr || !fortran || !shapeText || !shapeText.startsWith('(')) {
    throw new Error(`npy: the header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape (a structured dtype is not supported)`);
  }
  const type = DTYPES[descr.slice(1, -1)];
  if (!type) throw new Error(`npy: dtype ${descr} is not supported: use uint8 ('|u1'), int32 ('<i4') or int64 ('<i8'), little-endian`);
  if (fortran === 'True') throw new Error('npy: the array is in Fortran order: save a C-ordered array (numpy.ascontiguousarray)');
  const shape = shapeText.slice(1, -1).split(',').map((s) => s.trim().replace(/L$/, '')).filter((s) => s !== '').map((s) => {
    if (!/^\d+$/.test(s)) throw new Error(`npy: shape ${shapeText} has a dimension that is not a whole number: ${s}`);
    return Number(s);
  });
  const expected = shape.reduce((a, b) => a * b, 1) * type.bytes;
  const actual = bytes.length - dataStart;
  if (actual < expected) throw new Error(`npy: truncated data: shape (${shape.join(', ')}) of ${type.dtype} needs ${expected} bytes after the header, the file has ${actual}`);
  if (actual > expected) throw new Error(`npy: shape (${shape.join(', ')}) of ${type.dtype} needs ${expected} bytes after the header, the file has ${actual - expected} more`);
  return { dtype: type.dtype, shape, data: bytes.subarray(dataStart) };
}

/** The elements as numbers; an int64 beyond 2^53 comes out rounded (it is out of any label range anyway). */
export function npyNumbers(a: NpyArray): ArrayLike<number> {
  if (a.dtype === 'uint8') return a.data;
  const view = new DataView(a.data.buffer, a.data.byteOffset, a.data.length);
  const size = a.dtype === 'int32' ? 4 : 8;
  return Float64Array.from({ length: a.data.length / size }, (_, i) =>
    a.dtype === 'int32' ? view.getInt32(i * 4, true) : Number(view.getBigInt64(i * 8, true)));
}
