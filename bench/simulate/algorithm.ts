// What a training algorithm is to the simulator: one module per algorithm behind this interface, driving its
// workers' steps and its coordinator's replies through the simulation's clock and network.
import type { Config } from '../../server/config.ts';
import type { DataSplit } from '../../shared/dataset.ts';
import type { EventQueue } from './event_queue.ts';
import type { Network } from './network.ts';
import type { SimWorker, Trainer } from './worker.ts';

/** Everything an algorithm may use; the simulation owns it. */
export interface SimContext {
  queue: EventQueue;
  network: Network;
  workers: readonly SimWorker[];
  trainer: Trainer;
  /** The run's seeded initialisation (every tab starts from it). */
  initial: Float64Array;
  /** Held out of the training split for the coordinator's checks, as the coordinator's dataset service does. */
  validation: DataSplit;
  /** The coordinator's configuration: its election, gate and norm-bound settings. */
  coordinator: Config;
  /** Bytes of one copy of the weights (or a gradient) on the wire: float32 of the costed model. */
  copyBytes: number;
  /** Workers present and not quarantined. */
  live(): SimWorker[];
  /** `run` after `seconds`, dropped if the worker has left (or been quarantined) in the meantime. */
  later(w: SimWorker, seconds: number, run: () => void): void;
  /** `run` at time `at`, with the same guard. */
  when(w: SimWorker, at: number, run: () => void): void;
  /** Counts an honest step toward the run's budget (the run ends when it is spent). */
  countStep(): void;
}

export interface Algorithm {
  /** A tab arrives: at the start (from the seeded initialisation), or back after leaving. */
  join(w: SimWorker, returning: boolean): void;
  leave(w: SimWorker): void;
  /** The model whose test accuracy the run reports, as the coordinator's evaluation picks it. */
  model(): ArrayLike<number>;
  /** Extra numbers for the JSON line: attacks refused, honest tabs quarantined. */
  stats(): Record<string, number>;
}

export interface AlgorithmOptions {
  tau: number;
  tauG: number;
  lambdaL: number;
  lambdaG: number;
  alpha: number;
  /** parle: the inner steps' pull toward the replica, and the replica's toward the reference. */
  gamma: number;
  rho: number;
  /** grawa: the pull toward the gradient-norm weighted center. */
  grawaLambda: number;
  /** How many gradients or copies a robust rule may treat as lies (sync-sgd's f). */
  f: number;
  /** What attackers send: weights scaled by this (0.1: shrunk), gradients by attackGradientScale (-10: flipped). */
  attackWeightScale: number;
  attackGradientScale: number;
  /** How often an attacker reports or pushes, in virtual seconds. */
  attackPeriodSeconds: number;
}

export type AlgorithmFactory = (ctx: SimContext, options: AlgorithmOptions) => Algorithm;
