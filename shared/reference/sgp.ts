// CPU reference for Stochastic Gradient Push (Assran, Loizou, Ballas, Rabbat 2019). Each worker keeps a numerator z
// and a push-sum weight w (1 at the start) and trains the de-biased z / w: its gradient is taken there and steps z.
// At each gossip round it keeps half of (z, w) and pushes the other half to one peer of a time-varying directed
// exponential graph; what it receives is added. The sums of z and of w over the workers never change, so every
// z / w tends to the workers' average while each worker sends one message per round.

/** A worker's push-sum state: the numerator and its weight. */
export interface PushSum {
  z: Float64Array;
  w: number;
}

/** The rank that rank `rank` of `n` members (sorted by id) pushes to at gossip round `round`:
 *  (rank + 2^(round mod floor(log2 n))) mod n, so over floor(log2 n) rounds it reaches peers 1, 2, 4, ... ranks
 *  ahead. Never itself; null when there is nobody else (n < 2). */
export function sgpPeer(rank: number, round: number, n: number): number | null {
  if (!Number.isInteger(n) || n < 0) throw new Error(`sgp: the member count must be a whole number, got ${n}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= n) throw new Error(`sgp: rank ${rank} is not one of ${n} members`);
  if (!Number.isInteger(round) || round < 0) throw new Error(`sgp: the gossip round must be a whole number >= 0, got ${round}`);
  if (n < 2) return null;
  const exponents = Math.floor(Math.log2(n));
  return (rank + 2 ** (round % exponents)) % n;
}

/** The local step: z - lr * grad, where grad was taken at the de-biased z / w. */
export function sgpGradientStep(z: ArrayLike<number>, grad: ArrayLike<number>, lr: number): Float64Array {
  if (grad.length !== z.length) throw new Error(`sgp: the gradient has ${grad.length} values, z has ${z.length}`);
  return Float64Array.from(z, (v, i) => v - lr * grad[i]);
}

/** The parameters a worker trains and is evaluated at: z / w. */
export function debiased(s: PushSum): Float64Array {
  if (!(s.w > 0)) throw new Error(`sgp: the push-sum weight must be positive, got ${s.w}`);
  return Float64Array.from(s.z, (v) => v / s.w);
}

/** Half of a worker's (z, w): what it keeps and, equally, what it sends. */
export function pushSumHalf(s: PushSum): PushSum {
  return { z: Float64Array.from(s.z, (v) => v / 2), w: s.w / 2 };
}

/** The half a worker with de-biased parameters x and weight w sends: ((w / 2) x, w / 2). What the coordinator
 *  computes, since tabs send x (bounded like any weights) and the coordinator keeps every w itself. */
export function pushSumMessage(x: ArrayLike<number>, w: number): PushSum {
  return pushSumHalf({ z: Float64Array.from(x, (v) => v * w), w });
}

/** A state plus the messages received: z and w are summed. */
export function pushSumAdd(s: PushSum, received: readonly PushSum[]): PushSum {
  const z = Float64Array.from(s.z);
  let w = s.w;
  for (const [k, m] of received.entries()) {
    if (m.z.length !== z.length) throw new Error(`sgp: message ${k} has ${m.z.length} values, the state has ${z.length}`);
    for (let i = 0; i < z.length; i++) z[i] += m.z[i];
    w += m.w;
  }
  return { z, w };
}

/**
 * One gossip exchange of a worker, in de-biased terms: it had parameters x and weight w, keeps half of (w x, w),
 * and adds what was pushed to it since its last exchange (null: nothing). Returns its new de-biased parameters and
 * weight: ((w / 2) x + z_in) / (w / 2 + w_in) and w / 2 + w_in. What the coordinator answers a push with.
 */
export function pushSumExchange(x: ArrayLike<number>, w: number, received: PushSum | null): { x: Float64Array; w: number } {
  const next = pushSumAdd(pushSumMessage(x, w), received ? [received] : []);
  return { x: debiased(next), w: next.w };
}

/** One synchronous gossip round of all workers (index = rank): each keeps half and pushes half to its peer. */
export function sgpGossipRound(states: readonly PushSum[], round: number): PushSum[] {
  const n = states.length;
  if (n < 2) return states.map((s) => ({ z: Float64Array.from(s.z), w: s.w }));
  const halves = states.map(pushSumHalf);
  const inboxes: PushSum[][] = states.map(() => []);
  halves.forEach((half, rank) => inboxes[sgpPeer(rank, round, n)!].push(half));
  return halves.map((half, rank) => pushSumAdd(half, inboxes[rank]));
}
