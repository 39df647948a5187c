// What the baselines that couple workers through `push` messages (sgp, parle, grawa) answer a push with. easgd
// answers the same message with its center (easgd.ts), as it did before these.

/** What a tab claims alongside its pushed weights; only grawa reads it. */
export interface PushClaims {
  /** ||g||, the norm of the tab's gradient at the pushed weights (grawa). */
  gradNorm?: number;
}

export interface PushAnswer {
  /** The weights the tab takes or pulls toward: sgp's mixed parameters, parle's reference, grawa's center. */
  weights: Float32Array;
  /** Counts the exchanges the coordinator answered in this run. */
  version: number;
  /** sgp: the tab's push-sum weight after the exchange, which scales its learning rate. */
  weight?: number;
}

export interface PushExchange {
  /** One exchange with a member's pushed weights (already validated and bounded, their upload counted); the
   *  answer, counted as sent, or the reason it was refused, with nothing changed. */
  onPush(workerId: string, x: Float32Array, step: number, claims: PushClaims): PushAnswer | string;
}
