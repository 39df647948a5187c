// CPU reference for LSGD's pull as the paper's Algorithm 1 takes it (pull: 'periodic'): at communication steps,
// outside the momentum buffer, the worker moves a fraction of the way to its leaders by direct interpolation.
// The other variant (pull: 'penalty') adds the pull to every step's gradient: lsgd_update.ts.

export interface PullRates {
  lambdaL: number;
  lambdaG: number;
}

/** x <- x - lambdaL (x - local), then x <- x - lambdaG (x - global); a null leader is no pull. Each value is rounded
 *  to float32 after each pull when `float32` is set, as a tab's GPU buffer holds it. */
export function leaderPull(params: ArrayLike<number>, local: ArrayLike<number> | null, global: ArrayLike<number> | null, rates: PullRates, float32 = false): Float64Array {
  const n = params.length;
  for (const [name, leader] of [['local', local], ['global', global]] as const) {
    if (leader && leader.length !== n) throw new Error(`leaderPull: the ${name} leader has ${leader.length} values, params has ${n}`);
  }
  const x = Float64Array.from(params);
  if (local) pullToward(x, local, rates.lambdaL, float32);
  if (global) pullToward(x, global, rates.lambdaG, float32);
  return x;
}

// A plain loop per case: proofs of work replay this on the coordinator for every lsgd stretch they check.
function pullToward(x: Float64Array, leader: ArrayLike<number>, lambda: number, float32: boolean): void {
  if (float32) for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i] - lambda * Math.fround(x[i] - leader[i]));
  else for (let i = 0; i < x.length; i++) x[i] -= lambda * (x[i] - leader[i]);
}

/** Whether a communication step at run step `step`, the previous one having been at `previous`, pulls toward the
 *  global leader: every tauG steps, that is when a multiple of tauG lies in (previous, step]. */
export function globalPullDue(previous: number, step: number, tauG: number): boolean {
  return Math.floor(step / tauG) > Math.floor(previous / tauG);
}
