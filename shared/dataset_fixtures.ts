// For tests: tiny dataset files in each upload format (IDX, npy, CIFAR batches), written by the tests themselves.
import { UPLOAD_PARTS, formatFileList, type UploadFile, type UploadFormat, type UploadPart } from './dataset_upload.ts';

/** An IDX file: magic 00 00 <type> <ndims>, big-endian u32 dims, then the elements (bytes for type 0x08). */
export function idxFile(dims: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const size = type === 0x0c ? 4 : 1;
  const out = new Uint8Array(4 + 4 * dims.length + data.length * size);
  const view = new DataView(out.buffer);
  out.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < data.length; i++) {
    if (size === 4) view.setInt32(4 + 4 * dims.length + 4 * i, data[i], false);
    else out[4 + 4 * dims.length + i] = data[i];
  }
  return out;
}

/** A .npy file as numpy.save writes it: `descr` '|u1', '<i4' or '<i8' (or any other, to test refusals). */
export function npyFile(descr: string, shape: number[], data: ArrayLike<number>, options: { version?: number; fortran?: boolean } = {}): Uint8Array {
  const version = options.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${options.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  // padded with spaces and a newline so the data starts at a multiple of 64 bytes
  header += ' '.repeat(63 - ((prefix + header.length) % 64)) + '\n';
  const size = /\d+$/.test(descr) ? Number(/\d+$/.exec(descr)![0]) : 1;
  const out = new Uint8Array(prefix + header.length + data.length * size);
  const view = new DataView(out.buffer);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), version, 0]);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prefix);
  const at = prefix + header.length;
  for (let i = 0; i < data.length; i++) {
    if (size === 8) view.setBigInt64(at + 8 * i, BigInt(data[i]), true);
    else if (size === 4) view.setInt32(at + 4 * i, data[i], true);
    else out[at + i] = data[i];
  }
  return out;
}

/** A CIFAR batch of records whose image byte at channel c, pixel p is (label * 7 + c * 3 + p + record) mod 256. */
export function cifarBatch(labels: number[], coarse?: number[]): Uint8Array {
  const labelBytes = coarse ? 2 : 1;
  const record = labelBytes + 3072;
  const out = new Uint8Array(labels.length * record);
  labels.forEach((label, r) => {
    if (coarse) out[r * record] = coarse[r];
    out[r * record + labelBytes - 1] = label;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) out[r * record + labelBytes + c * 1024 + p] = cifarPixel(label, r, c, p);
  });
  return out;
}

export function cifarPixel(label: number, record: number, channel: number, pixel: number): number {
  return (label * 7 + channel * 3 + pixel + record) % 256;
}

/** `count` 4x4 grey images (pixel i of image k is 16k + i, mod 256) with labels alternating 0 and 1. */
export function tinyImages(count: number): { pixels: Uint8Array; labels: Uint8Array } {
  return {
    pixels: Uint8Array.from({ length: count * 16 }, (_, i) => i % 256),
    labels: Uint8Array.from({ length: count }, (_, k) => k % 2),
  };
}

/** The four files of a 4x4, 2-class dataset (6 train and 4 test images) in IDX or npy. */
export function pairedFiles(format: 'idx' | 'npy', trainCount = 6, testCount = 4): Partial<Record<UploadPart, Uint8Array[]>> {
  const files: Partial<Record<UploadPart, Uint8Array[]>> = {};
  for (const [split, count] of [['train', trainCount], ['test', testCount]] as const) {
    const { pixels, labels } = tinyImages(count);
    files[`${split}-images`] = [format === 'idx' ? idxFile([count, 4, 4], pixels) : npyFile('|u1', [count, 4, 4], pixels)];
    files[`${split}-labels`] = [format === 'idx' ? idxFile([count], labels) : npyFile('<i8', [count], labels)];
  }
  return files;
}

/** The body and `files` query parameter of an upload of `files`, in the format's part order. */
export function uploadBody(format: UploadFormat, files: Partial<Record<UploadPart, Uint8Array[]>>): { body: Uint8Array<ArrayBuffer>; list: UploadFile[]; query: string } {
  const list: UploadFile[] = [];
  const chunks: Uint8Array[] = [];
  for (const { part } of UPLOAD_PARTS[format]) {
    for (const f of files[part] ?? []) {
      list.push({ part, bytes: f.length });
      chunks.push(f);
    }
  }
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return { body, list, query: formatFileList(list) };
}
