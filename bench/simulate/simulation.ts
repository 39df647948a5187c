// One simulated run: volunteers join, train, leave and come back in virtual time while an algorithm coordinates
// them; the coordinator's model is measured on the test split at a fixed virtual interval.
import type { Config } from '../../server/config.ts';
import type { DataSplit } from '../../shared/dataset.ts';
import { initialParameters } from '../../shared/init.ts';
import type { ModelSpec } from '../../shared/model.ts';
import { evaluate } from '../../shared/reference/model.ts';
import type { AlgorithmFactory, AlgorithmOptions, SimContext } from './algorithm.ts';
import { EventQueue } from './event_queue.ts';
import { Network } from './network.ts';
import { churnClock, drawVolunteers, type VolunteerKnobs } from './volunteers.ts';
import { newWorker, Trainer, type Hyper, type SimWorker } from './worker.ts';

export interface RunSpec {
  spec: ModelSpec;
  data: { train: DataSplit; validation: DataSplit; test: DataSplit };
  workers: number;
  knobs: VolunteerKnobs;
  coordinator: Config;
  hyper: Hyper;
  options: AlgorithmOptions;
  algorithm: AlgorithmFactory;
  /** A SwiftShader tab's virtual seconds per step, and the wire size of one copy. */
  cpuStepSeconds: number;
  copyBytes: number;
  seed: number;
  /** The run ends at this virtual time, or when the honest tabs have made stepsPerWorker steps each on average. */
  maxSeconds: number;
  stepsPerWorker: number;
  evalEverySeconds: number;
}

export interface CurvePoint {
  seconds: number;
  /** Honest steps so far, all workers together. */
  steps: number;
  accuracy: number;
}

export interface RunResult {
  curve: CurvePoint[];
  seconds: number;
  steps: number;
  coordinatorBytes: number;
  workerBytes: Float64Array;
  stats: Record<string, number>;
}

export function simulate(run: RunSpec): RunResult {
  const queue = new EventQueue();
  const volunteers = drawVolunteers(run.workers, run.knobs, run.cpuStepSeconds, run.seed);
  const network = new Network(
    volunteers.map((v) => v.link),
    { egressBitsPerSecond: run.knobs.coordinatorEgressMbit * 1e6, ingressBitsPerSecond: run.knobs.coordinatorIngressMbit * 1e6 },
  );
  const initial = Float64Array.from(initialParameters(run.spec, run.seed));
  const workers = volunteers.map((v) => newWorker(v, initial, run.data.train, run.hyper.batch, run.seed));
  const honest = workers.filter((w) => !w.byzantine).length;
  const budget = run.stepsPerWorker * honest;
  let steps = 0;
  const guarded = (w: SimWorker, run: () => void) => {
    const visit = w.visit;
    return () => {
      if (w.online && !w.quarantined && w.visit === visit) run();
    };
  };
  const ctx: SimContext = {
    queue,
    network,
    workers,
    trainer: new Trainer(run.spec, run.data.train, run.hyper),
    initial,
    validation: run.data.validation,
    coordinator: run.coordinator,
    copyBytes: run.copyBytes,
    live: () => workers.filter((w) => w.online && !w.quarantined),
    later: (w, seconds, fn) => queue.after(seconds, guarded(w, fn)),
    when: (w, at, fn) => queue.at(at, guarded(w, fn)),
    countStep: () => {
      steps++;
    },
  };
  const algorithm = run.algorithm(ctx, run.options);

  for (const w of workers) {
    w.online = true;
    algorithm.join(w, false);
    if (run.knobs.meanSessionSeconds !== null) scheduleChurn(w);
  }
  function scheduleChurn(w: SimWorker): void {
    const next = churnClock(run.seed, w.index);
    const stay = () =>
      queue.after(next(run.knobs.meanSessionSeconds!), () => {
        w.online = false;
        w.visit++;
        algorithm.leave(w);
        queue.after(next(run.knobs.meanAwaySeconds), () => {
          w.online = true;
          algorithm.join(w, true);
          stay();
        });
      });
    stay();
  }

  // measured every evalEverySeconds and every 2% of the step budget, so that a run that spends its budget in two
  // virtual seconds and one that takes ten minutes both get a curve
  const curve: CurvePoint[] = [];
  const measure = () => curve.push({ seconds: queue.now, steps: Math.min(steps, budget), accuracy: evaluate(run.spec, algorithm.model(), run.data.test.pixels, run.data.test.labels, run.data.test.count).accuracy });
  const stride = Math.max(1, Math.floor(budget / 50));
  const spent = () => steps >= budget;
  let nextSteps = stride;
  let nextTime = run.evalEverySeconds;
  measure();
  while (!spent() && queue.now < run.maxSeconds) {
    const until = Math.min(nextTime, run.maxSeconds);
    queue.runUntil(until, () => steps >= nextSteps || spent());
    if (steps >= nextSteps || spent()) {
      while (nextSteps <= steps) nextSteps += stride;
    } else {
      queue.now = until;
      nextTime += run.evalEverySeconds;
    }
    measure();
  }
  return { curve, seconds: queue.now, steps: Math.min(steps, budget), coordinatorBytes: network.coordinatorBytes, workerBytes: network.workerBytes, stats: algorithm.stats() };
}
