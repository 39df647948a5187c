// Replays proofs of work off the main thread (server/proof_verifier.ts): a replay costs as many CPU training
// steps as the proof covers, which must never stall the relay.
import { parentPort } from 'node:worker_threads';
import type { DataSplit } from '../shared/dataset.ts';
import { MinibatchOrder, trainingSamples } from '../shared/minibatch.ts';
import { discrepancy, replaySegment, segmentDiscrepancy, segmentGradient, type Discrepancy } from '../shared/reference/training_segment.ts';
import type { VerifierRequest } from './proof_verifier.ts';
import { answerEach } from './worker_thread.ts';

if (!parentPort) throw new Error('proof_worker.ts must run in a worker thread (see proof_verifier.ts)');

const splits = new Map<string, DataSplit>();

answerEach<VerifierRequest, Discrepancy>(parentPort, (req) => {
  if (req.train) splits.set(req.job.dataset, req.train);
  const train = splits.get(req.job.dataset);
  if (!train) throw new Error(`no training split ${req.job.dataset} was sent to the verifier`);
  const order = new MinibatchOrder(trainingSamples(req.job.spec, train.count), req.job.batch, req.job.shuffleSeed);
  if (req.kind === 'gradient') {
    const { spec, step, params, claimed, tolerance } = req.job;
    return discrepancy(claimed, segmentGradient(spec, train, order, step, params), null, tolerance);
  }
  const { spec, rates, adamw, from, to, start, claimed, pulls, pull, tolerance } = req.job;
  return segmentDiscrepancy(claimed, replaySegment({ spec, rates, adamw, train, order, from, to, start, pulls, pull }), start, tolerance);
});
