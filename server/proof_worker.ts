// Replays proofs of work off the main thread (server/proof_verifier.ts): a replay costs as many CPU training
// steps as the proof covers, which must never stall the relay.
import { parentPort } from 'node:worker_threads';
import type { DataSplit } from '../shared/dataset.ts';
import { MinibatchOrder } from '../shared/minibatch.ts';
import { discrepancy, replaySegment, segmentDiscrepancy, segmentGradient } from '../shared/reference/training_segment.ts';
import type { GradientRequest, ReplayRequest, ReplayResponse, VerifierMessage } from './proof_verifier.ts';

const port = parentPort;
if (!port) throw new Error('proof_worker.ts must run in a worker thread (see proof_verifier.ts)');

const splits = new Map<string, DataSplit>();

function split(dataset: string): DataSplit {
  const train = splits.get(dataset);
  if (!train) throw new Error(`no training split ${dataset} was sent to the verifier`);
  return train;
}

function gradient(req: GradientRequest): ReplayResponse {
  const train = split(req.dataset);
  const ref = segmentGradient(req.spec, train, new MinibatchOrder(train.count, req.batch, req.shuffleSeed), req.step, req.params);
  return { id: req.id, discrepancy: discrepancy(req.claimed, ref, null, req.tolerance) };
}

function replay(req: ReplayRequest): ReplayResponse {
  const train = split(req.dataset);
  const order = new MinibatchOrder(train.count, req.batch, req.shuffleSeed);
  const replayed = replaySegment({ spec: req.spec, rates: req.rates, train, order, from: req.from, to: req.to, start: req.start, pulls: req.pulls });
  return { id: req.id, discrepancy: segmentDiscrepancy(req.claimed, replayed, req.start, req.tolerance) };
}

port.on('message', (m: VerifierMessage) => {
  if (m.type === 'split') {
    splits.set(m.dataset, m.train);
    return;
  }
  let res: ReplayResponse;
  try {
    res = m.type === 'replay' ? replay(m) : gradient(m);
  } catch (err) {
    res = { id: m.id, error: (err as Error).message };
  }
  port.postMessage(res);
});
