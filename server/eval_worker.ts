// Runs the CPU reference model off the main thread, so evaluating a leader never stalls the relay.
import { parentPort } from 'node:worker_threads';
import { evaluateSamples } from '../shared/reference/model.ts';
import type { EvalRequest, EvalResult } from './evaluator.ts';
import { answerEach } from './worker_thread.ts';

if (!parentPort) throw new Error('eval_worker.ts must run in a worker thread (see evaluator.ts)');

answerEach<EvalRequest, EvalResult>(parentPort, (req) => {
  const { losses, correct } = evaluateSamples(req.spec, req.weights, req.pixels, req.labels, req.labels.length);
  const n = losses.length;
  return { loss: losses.reduce((a, b) => a + b, 0) / n, accuracy: correct.reduce((a, b) => a + b, 0) / n, losses, correct };
});
