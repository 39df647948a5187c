// Runs the CPU reference model off the main thread, so evaluating a leader never stalls the relay.
import { parentPort } from 'node:worker_threads';
import { evaluateSamples } from '../shared/reference/model.ts';
import type { EvalRequest, EvalResponse } from './evaluator.ts';

const port = parentPort;
if (!port) throw new Error('eval_worker.ts must run in a worker thread (see evaluator.ts)');

port.on('message', (req: EvalRequest) => {
  let res: EvalResponse;
  try {
    const { losses, correct } = evaluateSamples(req.spec, req.weights, req.pixels, req.labels, req.labels.length);
    const n = losses.length;
    res = { id: req.id, loss: losses.reduce((a, b) => a + b, 0) / n, accuracy: correct.reduce((a, b) => a + b, 0) / n, losses, correct };
  } catch (err) {
    res = { id: req.id, error: (err as Error).message };
  }
  port.postMessage(res);
});
