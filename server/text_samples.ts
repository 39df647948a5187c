// Text written by a text run's global copy (the copy the coordinator measured and relays), so the dashboard shows
// what the model has learnt as it trains. A sample is made in a worker thread, at most every SAMPLE_EVERY_MS and only
// for a copy not sampled yet, and for the last copy when the run ends; the last few stay in memory, and the latest in
// the store, so a restart keeps it.
import type { TextSample } from '../shared/api_responses.ts';
import { isSequenceModel, type ModelSpec } from '../shared/model.ts';
import type { DatasetService } from './dataset_service.ts';
import type { ActiveRun, StoredCopy } from './live_state.ts';
import type { Store } from './store.ts';
import { WorkerThread } from './worker_thread.ts';

export const SAMPLE_EVERY_MS = 20_000;
/** Bytes written after the prompt. */
export const SAMPLE_BYTES = 200;
export const SAMPLE_TEMPERATURE = 0.8;
/** Samples kept per run in memory. */
export const SAMPLES_KEPT = 5;
const PROMPT_BYTES = 32;

interface SampleJob { runId: number; spec: ModelSpec; copy: StoredCopy; prompt: Uint8Array }

export interface SampleRequest { id: number; spec: ModelSpec; weights: Float32Array; prompt: Uint8Array; length: number; temperature: number; seed: number }

/**
 * The first bytes of the validation text, the same for every sample of a run so that samples differ only by the
 * model: at most PROMPT_BYTES, cut at character boundaries (the split itself may start inside a character); a
 * newline when that leaves nothing.
 */
export function samplePrompt(text: Uint8Array): Uint8Array {
  const continues = (i: number) => i < text.length && (text[i] & 0xc0) === 0x80;
  let start = 0;
  while (continues(start)) start++;
  let end = Math.min(text.length, start + PROMPT_BYTES);
  while (end > start && continues(end)) end--;
  return end > start ? text.slice(start, end) : Uint8Array.of(10);
}

const decode = (bytes: Uint8Array) => new TextDecoder('utf-8').decode(bytes);

export class TextSamples {
  /** Oldest first, at most SAMPLES_KEPT per run; a run's entry starts from the store's latest. */
  private readonly recent = new Map<number, TextSample[]>();
  private thread: WorkerThread<Uint8Array> | null = null;
  private sampling = false;
  /** A run's last copy, waiting for the sample under way. */
  private queued: SampleJob | null = null;
  private lastAt = -Infinity;
  private closed = false;

  constructor(private readonly store: Store, private readonly datasets: DatasetService, private readonly now: () => number) {}

  /** Called on the coordinator's tick: samples the active run's global copy when one is due. */
  tick(a: ActiveRun): void {
    if (this.sampling || this.now() - this.lastAt < SAMPLE_EVERY_MS) return;
    const job = this.unsampled(a);
    if (!job) return;
    this.lastAt = this.now();
    void this.take(job);
  }

  /** The run ended: its last global copy is sampled whatever the interval (after a sample under way), so the
   *  dashboard shows what the run finished with. */
  ended(a: ActiveRun): void {
    const job = this.unsampled(a);
    if (!job) return;
    if (this.sampling) this.queued = job;
    else void this.take(job);
  }

  /** The run's global copy when it is a text model's and has no sample yet. */
  private unsampled(a: ActiveRun): SampleJob | null {
    const copy = a.globalCopy;
    if (!copy || !isSequenceModel(a.spec)) return null;
    const latest = this.list(a.run.id).at(-1);
    // a restart numbers versions again from the checkpoint's, so the step tells copies of one version apart
    if (latest && latest.version === copy.version && latest.step === copy.step) return null;
    const validation = this.datasets.cachedDataset(a.run.config.dataset)?.validation;
    if (!validation) return null;
    return { runId: a.run.id, spec: a.spec, copy, prompt: samplePrompt(validation.pixels) };
  }

  /** The run's samples, oldest first. */
  list(runId: number): TextSample[] {
    let samples = this.recent.get(runId);
    if (!samples) {
      const stored = this.store.textSample(runId);
      this.recent.set(runId, (samples = stored ? [stored] : []));
    }
    return samples;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.thread?.close();
  }

  private async take({ runId, spec, copy, prompt }: SampleJob): Promise<void> {
    this.sampling = true;
    try {
      // started on the first text run, so a server that never trains one never starts the thread
      this.thread ??= new WorkerThread<Uint8Array>(new URL('./sample_worker.ts', import.meta.url), 'text sampling');
      const request = { spec, weights: copy.weights, prompt, length: SAMPLE_BYTES, temperature: SAMPLE_TEMPERATURE, seed: copy.version };
      const bytes = await this.thread.call((id) => ({ id, ...request }) satisfies SampleRequest);
      const sample: TextSample = { version: copy.version, step: copy.step, t: this.now(), prompt: decode(prompt), text: decode(bytes) };
      const samples = this.list(runId);
      samples.push(sample);
      samples.splice(0, samples.length - SAMPLES_KEPT);
      this.store.setTextSample(runId, sample);
    } catch (err) {
      // a sample cut short by the server closing is no error
      if (!this.closed) this.store.addEvent(runId, this.now(), 'error', null, `text sample failed: ${(err as Error).message}`);
    } finally {
      this.sampling = false;
      const next = this.queued;
      this.queued = null;
      if (next && !this.closed) void this.take(next);
    }
  }
}
