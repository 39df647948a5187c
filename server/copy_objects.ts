// Global copies as immutable HTTP objects. A copy is encoded once, in its run's copyEncoding, when it is accepted;
// tabs get a notice on the socket and fetch the bytes from its versioned URL, so the browser's cache, a reverse
// proxy or a CDN in front of Flock can serve the fan-out, and the tabs of one machine fetch it once between them
// (client/worker/machine_copies.ts). What tabs pull toward is the decoded copy, so that is what proofs replay.
import { createHash } from 'node:crypto';
import { decodeCopy, encodeCopy, type CopyEncoding } from '../shared/copy_encoding.ts';
import type { CopyNotice } from '../shared/protocol.ts';
import type { ActiveRun } from './live_state.ts';

/** Objects kept per run at most (proofs of work prune it sooner, keeping what commitments name). */
const MAX_OBJECTS = 64;

export interface CopyObject {
  runId: number;
  version: number;
  step: number;
  encoding: CopyEncoding;
  bytes: Buffer;
  sha256: string;
  /** The values a tab gets from `bytes`: the weights themselves for f32. */
  decoded: Float32Array;
}

export function copyObject(runId: number, copy: { version: number; step: number; weights: Float32Array }, encoding: CopyEncoding): CopyObject {
  const encoded = encodeCopy(copy.weights, encoding);
  const bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const decoded = encoding === 'f32' ? copy.weights : decodeCopy(encoded, encoding, copy.weights.length);
  return { runId, version: copy.version, step: copy.step, encoding, bytes, sha256: createHash('sha256').update(bytes).digest('hex'), decoded };
}

/**
 * The current global copy's object, made on first use: in the run's copyEncoding for lsgd, always f32 for the
 * baselines (a sync-sgd tab that fell behind resumes from it and must hold exactly the run's model).
 */
export function globalCopyObject(a: ActiveRun): CopyObject | null {
  const c = a.globalCopy;
  if (!c) return null;
  let o = a.copies.get(c.version);
  if (!o) {
    o = copyObject(a.run.id, c, a.run.config.algorithm === 'lsgd' ? a.run.config.copyEncoding : 'f32');
    a.copies.set(c.version, o);
    for (const v of a.copies.keys()) if (a.copies.size > MAX_OBJECTS) a.copies.delete(v);
  }
  return o;
}

export function noticeOf(o: CopyObject): CopyNotice {
  return { runId: o.runId, version: o.version, step: o.step, encoding: o.encoding, bytes: o.bytes.byteLength, sha256: o.sha256 };
}

/** The strong ETag of a copy: its hash, so any cache can revalidate it without the server re-reading anything. */
export function etagOf(o: CopyObject): string {
  return `"sha256-${o.sha256}"`;
}
