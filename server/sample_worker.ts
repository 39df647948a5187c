// Writes text with the CPU reference model off the main thread (server/text_samples.ts): a few hundred bytes of a
// transformer cost a second or so, which must never stall the relay.
import { parentPort } from 'node:worker_threads';
import { seededRandom } from '../shared/random.ts';
import { sampleText } from '../shared/reference/text_sampler.ts';
import type { SampleRequest } from './text_samples.ts';
import { answerEach } from './worker_thread.ts';

if (!parentPort) throw new Error('sample_worker.ts must run in a worker thread (see text_samples.ts)');

answerEach<SampleRequest, Uint8Array>(parentPort, (req) => sampleText(req.spec, req.weights, req.prompt, req.length, req.temperature, seededRandom(req.seed)));
