// The digest a tab commits to for its training state at a step (proofs of work): SHA-256 over a header that
// names the run, the tab and the step, then the optimizer's state (f32 little-endian): momentum SGD's parameters
// and velocity, or AdamW's parameters, first and second moments. The header binds a state to the one place in one
// tab's run it was committed for, so it cannot be replayed at another step or by another tab; an AdamW header
// also names the optimizer and the step its moments started from (which sets its bias corrections), so a state of
// one kind never passes for the other. WebCrypto, so the browser and the coordinator run this same code.
import { weightsToBytes } from './protocol.ts';

export interface CommittedState {
  params: Float32Array;
  /** Momentum SGD's velocity, or AdamW's first moment. */
  velocity: Float32Array;
  /** AdamW only: the second moment. */
  secondMoment?: Float32Array;
  /** AdamW only: the run step its moments started from zero at; step s is AdamW's step s - momentsFrom + 1. */
  momentsFrom?: number;
}

/** The state's vectors in the order they are hashed and sent in proofs: params, velocity (m), and v for AdamW. */
export function stateVectors(state: CommittedState): Float32Array[] {
  const adamw = state.secondMoment !== undefined;
  if (adamw !== (state.momentsFrom !== undefined)) throw new Error('state: an AdamW state has both a second moment and momentsFrom, a momentum state neither');
  const vectors = adamw ? [state.params, state.velocity, state.secondMoment!] : [state.params, state.velocity];
  for (const v of vectors) if (v.length !== state.params.length) throw new Error(`state: ${state.params.length} parameters but ${v.length} optimizer values`);
  return vectors;
}

export async function stateDigest(runId: number, tabId: string, step: number, state: CommittedState): Promise<string> {
  const vectors = stateVectors(state);
  const kind = state.momentsFrom === undefined ? 'flock-state/1' : `flock-state/2 optimizer=adamw moments-from=${state.momentsFrom}`;
  const header = new TextEncoder().encode(`${kind} run=${runId} tab=${tabId} step=${step} floats=${state.params.length}\n`);
  const bytes = new Uint8Array(header.length + state.params.byteLength * vectors.length);
  bytes.set(header, 0);
  vectors.forEach((v, i) => bytes.set(weightsToBytes(v), header.length + i * state.params.byteLength));
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The states a proof of work carries: the stretch's start and end (one trainer's, so AdamW's moments started at
 *  the same step in both) and the local copy it pulled toward, if it names one. */
export interface ProofStates {
  from: CommittedState;
  to: CommittedState;
  local: CommittedState | null;
}

/** Bytes before an AdamW proof's vectors: two u32, the steps the tab's and the local copy's moments started at (0
 *  without a copy). Their digests bind them, so they are as trustworthy as the vectors. */
const ADAMW_PROOF_HEADER_BYTES = 8;

/** A proof's payload: the states' vectors (stateVectors) one after another, after the AdamW header. */
export function encodeProof(p: ProofStates): Uint8Array {
  const adamw = p.from.momentsFrom !== undefined;
  const states = [p.from, p.to, ...(p.local ? [p.local] : [])];
  if (states.some((s) => (s.momentsFrom !== undefined) !== adamw)) throw new Error('proof: the states are of different optimizers');
  if (p.to.momentsFrom !== p.from.momentsFrom) throw new Error(`proof: the stretch's moments start at step ${p.from.momentsFrom} but end from step ${p.to.momentsFrom}`);
  const vectors = states.flatMap(stateVectors);
  const header = adamw ? ADAMW_PROOF_HEADER_BYTES : 0;
  const n = p.from.params.length;
  const bytes = new Uint8Array(header + vectors.length * n * 4);
  if (adamw) {
    const view = new DataView(bytes.buffer);
    view.setUint32(0, p.from.momentsFrom!, true);
    view.setUint32(4, p.local?.momentsFrom ?? 0, true);
  }
  vectors.forEach((v, i) => bytes.set(weightsToBytes(v), header + i * n * 4));
  return bytes;
}

/** The states of a proof's payload, each vector in a buffer of its own; or why the payload is not one. */
export function decodeProof(payload: Uint8Array, floats: number, adamw: boolean, withLocal: boolean): ProofStates | string {
  const perState = adamw ? 3 : 2;
  const vectors = perState * (withLocal ? 3 : 2);
  const header = adamw ? ADAMW_PROOF_HEADER_BYTES : 0;
  const expected = header + 4 * vectors * floats;
  if (payload.byteLength !== expected) {
    return `proof: expected ${vectors} x ${floats} floats${adamw ? ' after two u32 (where the moments started)' : ''} (${expected} bytes), got ${payload.byteLength} bytes`;
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  // copied (a Node Buffer's slice is a view of its pool), so each vector owns an aligned buffer it may be moved with
  const vector = (k: number) => new Float32Array(new Uint8Array(payload.subarray(header + 4 * k * floats, header + 4 * (k + 1) * floats)).buffer);
  const state = (s: number, momentsFrom: number): CommittedState => {
    const k = s * perState;
    return adamw ? { params: vector(k), velocity: vector(k + 1), secondMoment: vector(k + 2), momentsFrom } : { params: vector(k), velocity: vector(k + 1) };
  };
  const tab = adamw ? view.getUint32(0, true) : 0;
  return { from: state(0, tab), to: state(1, tab), local: withLocal ? state(2, adamw ? view.getUint32(4, true) : 0) : null };
}
