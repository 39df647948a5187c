// Replays proofs of work off the main thread (server/proof_verifier.ts): a replay costs as many CPU training
// steps as the proof covers, which must never stall the relay.
import { parentPort } from 'node:worker_threads';
import type { DataSplit } from '../shared/dataset.ts';
import { MinibatchOrder } from '../shared/minibatch.ts';
import { replaySegment, segmentDiscrepancy } from '../shared/reference/training_segment.ts';
import type { ReplayRequest, ReplayResponse, VerifierMessage } from './proof_verifier.ts';

const port = parentPort;
if (!port) throw new Error('proof_worker.ts must run in a worker thread (see proof_verifier.ts)');

const splits = new Map<string, DataSplit>();

function replay(req: ReplayRequest): ReplayResponse {
  const train = splits.get(req.dataset);
  if (!train) throw new Error(`no training split ${req.dataset} was sent to the verifier`);
  const order = new MinibatchOrder(train.count, req.batch, req.shuffleSeed);
  const replayed = replaySegment({ spec: req.spec, rates: req.rates, train, order, from: req.from, to: req.to, start: req.start, pulls: req.pulls });
  return { id: req.id, discrepancy: segmentDiscrepancy(req.claimed, replayed, req.start) };
}

port.on('message', (m: VerifierMessage) => {
  if (m.type === 'split') {
    splits.set(m.dataset, m.train);
    return;
  }
  let res: ReplayResponse;
  try {
    res = replay(m);
  } catch (err) {
    res = { id: m.id, error: (err as Error).message };
  }
  port.postMessage(res);
});
