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
