// The digest a tab commits to for its training state at a step (proofs of work): SHA-256 over a header that
// names the run, the tab and the step, then the parameters and the momentum buffer (f32 little-endian). The
// header binds a state to the one place in one tab's run it was committed for, so it cannot be replayed at
// another step or by another tab. WebCrypto, so the browser and the coordinator run this same code.
import { weightsToBytes } from './protocol.ts';

export interface CommittedState {
  params: Float32Array;
  velocity: Float32Array;
}

export async function stateDigest(runId: number, tabId: string, step: number, state: CommittedState): Promise<string> {
  if (state.params.length !== state.velocity.length) throw new Error(`state digest: ${state.params.length} parameters but ${state.velocity.length} momentum values`);
  const header = new TextEncoder().encode(`flock-state/1 run=${runId} tab=${tabId} step=${step} floats=${state.params.length}\n`);
  const bytes = new Uint8Array(header.length + state.params.byteLength * 2);
  bytes.set(header, 0);
  bytes.set(weightsToBytes(state.params), header.length);
  bytes.set(weightsToBytes(state.velocity), header.length + state.params.byteLength);
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
}
