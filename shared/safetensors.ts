// The safetensors file format (f32 only): an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and [begin, end) byte range in the data that follows, then the raw little-endian data.
// Exported models use the tensor names of the parameter layout, so any safetensors reader can load them.
import { parameterLayout } from './layout.ts';
import type { ModelSpec } from './model.ts';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface DecodedTensor {
  dtype: 'F32';
  shape: number[];
  data: Float32Array;
}

export interface Safetensors {
  tensors: Map<string, DecodedTensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
/** Readers refuse larger headers; so do we, before parsing anything. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const PREFIX_BYTES = 8;

const elementCount = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA_KEY || Object.hasOwn(header, t.name)) throw new Error(`safetensors: tensor name "${t.name}" is reserved or used twice`);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`safetensors: tensor "${t.name}" has a bad shape [${t.shape.join(', ')}]`);
    if (elementCount(t.shape) !== t.data.length) throw new Error(`safetensors: tensor "${t.name}" has shape [${t.shape.join(', ')}] but ${t.data.length} values`);
    const bytes = t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // pad with spaces so the data starts 8-byte aligned
  const headerBytes = Math.ceil((PREFIX_BYTES + json.length) / 8) * 8 - PREFIX_BYTES;
  const out = new Uint8Array(PREFIX_BYTES + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, PREFIX_BYTES);
  out.fill(0x20, PREFIX_BYTES + json.length, PREFIX_BYTES + headerBytes);
  let at = PREFIX_BYTES + headerBytes;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true);
  }
  return out;
}

function fail(reason: string): never {
  throw new Error(`not a valid safetensors file: ${reason}`);
}

function parseHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < PREFIX_BYTES) fail(`${bytes.length} bytes is shorter than the 8-byte header length`);
  const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (size > BigInt(MAX_HEADER_BYTES)) fail(`header length ${size} exceeds ${MAX_HEADER_BYTES} bytes`);
  const dataStart = PREFIX_BYTES + Number(size);
  if (dataStart > bytes.length) fail(`header length ${size} runs past the end of the ${bytes.length}-byte file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, dataStart)));
  } catch (err) {
    fail(`header is not UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  return { header: header as Record<string, unknown>, dataStart };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${METADATA_KEY} is not an object`);
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') fail(`${METADATA_KEY}.${k} is not a string`);
  return { ...(value as Record<string, string>) };
}

interface Entry { name: string; shape: number[]; begin: number; end: number }

function parseEntry(name: string, value: unknown): Entry {
  if (typeof value !== 'object' || value === null) fail(`tensor "${name}" is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (dtype !== 'F32') fail(`tensor "${name}" has dtype ${JSON.stringify(dtype)}; only F32 is supported`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}" has a bad shape`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) fail(`tensor "${name}" has bad data_offsets`);
  const [begin, end] = offsets as number[];
  if (end - begin !== elementCount(shape) * 4) fail(`tensor "${name}" spans ${end - begin} bytes but shape [${shape.join(', ')}] needs ${elementCount(shape) * 4}`);
  return { name, shape: shape as number[], begin, end };
}

export function decodeSafetensors(bytes: Uint8Array): Safetensors {
  const { header, dataStart } = parseHeader(bytes);
  const metadata = parseMetadata(header[METADATA_KEY]);
  const entries = Object.entries(header).filter(([k]) => k !== METADATA_KEY).map(([k, v]) => parseEntry(k, v));
  // the format requires the tensors to tile the data buffer exactly: no gaps, no overlaps, nothing left over
  const dataBytes = bytes.length - dataStart;
  let covered = 0;
  for (const e of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (e.begin !== covered) fail(`tensor "${e.name}" starts at byte ${e.begin}, expected ${covered} (gap or overlap)`);
    covered = e.end;
  }
  if (covered !== dataBytes) fail(`tensors cover ${covered} data bytes but the file holds ${dataBytes}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, dataBytes);
  const tensors = new Map<string, DecodedTensor>();
  for (const e of entries) {
    const data = new Float32Array((e.end - e.begin) / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(e.begin + i * 4, true);
    tensors.set(e.name, { dtype: 'F32', shape: e.shape, data });
  }
  return { tensors, metadata };
}

/** The model's tensors under their layout names, padding dropped; the spec travels in the metadata too. */
export function modelToSafetensors(spec: ModelSpec, params: Float32Array, metadata: Record<string, string> = {}): Uint8Array {
  const layout = parameterLayout(spec);
  if (params.length !== layout.length) throw new Error(`model ${spec.name}: expected ${layout.length} parameters (padding included), got ${params.length}`);
  const tensors = layout.tensors.map((t) => ({ name: t.name, shape: t.shape, data: params.subarray(t.offset, t.offset + t.length) }));
  return encodeSafetensors(tensors, { 'flock.spec': JSON.stringify(spec), ...metadata });
}

/** The flat parameter vector (padding zero) of `spec` from a safetensors file holding exactly its layout's tensors. */
export function modelFromSafetensors(spec: ModelSpec, bytes: Uint8Array): Float32Array {
  const layout = parameterLayout(spec);
  const { tensors } = decodeSafetensors(bytes);
  const params = new Float32Array(layout.length);
  for (const t of layout.tensors) {
    const found = tensors.get(t.name);
    if (!found) throw new Error(`model ${spec.name}: the file has no tensor "${t.name}"`);
    if (found.shape.join('x') !== t.shape.join('x')) throw new Error(`model ${spec.name}: tensor "${t.name}" has shape [${found.shape.join(', ')}], expected [${t.shape.join(', ')}]`);
    params.set(found.data, t.offset);
  }
  const extra = [...tensors.keys()].filter((name) => !layout.tensors.some((t) => t.name === name));
  if (extra.length > 0) throw new Error(`model ${spec.name}: the file has tensors the model does not: ${extra.join(', ')}`);
  return params;
}
