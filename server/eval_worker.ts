// Runs the CPU reference model off the main thread, so evaluating a leader never stalls the relay.
import { parentPort } from 'node:worker_threads';
import { evaluate } from '../shared/reference/model.ts';
import type { EvalRequest, EvalResponse } from './evaluator.ts';

const port = parentPort;
if (!port) throw new Error('eval_worker.ts must run in a worker thread (see evaluator.ts)');

port.on('message', (req: EvalRequest) => {
  let res: EvalResponse;
  try {
    res = { id: req.id, ...evaluate(req.spec, req.weights, req.pixels, req.labels, req.labels.length) };
  } catch (err) {
    res = { id: req.id, error: (err as Error).message };
  }
  port.postMessage(res);
});
