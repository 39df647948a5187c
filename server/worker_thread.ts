// Calls into a TypeScript module running in a worker thread: each call posts a message with an id and resolves
// with the thread's answer to that id ({ id, result } or { id, error }). Used by the evaluator and the proof
// verifier, whose CPU work must never stall the relay.
import { Worker } from 'node:worker_threads';

export type ThreadAnswer<R> = { id: number; result: R } | { id: number; error: string };

export class WorkerThread<R> {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: R) => void; reject: (e: Error) => void }>();

  /** `module`: a URL of the .ts file to run; `what` names it in errors. */
  constructor(module: URL, private readonly what: string) {
    this.worker = new Worker(new URL('./ts_thread.mjs', import.meta.url), { workerData: { module: module.href } });
    this.worker.unref();
    this.worker.on('message', (answer: ThreadAnswer<R>) => {
      const w = this.waiting.get(answer.id);
      if (!w) return;
      this.waiting.delete(answer.id);
      if ('error' in answer) w.reject(new Error(`${what} failed: ${answer.error}`));
      else w.resolve(answer.result);
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`${what} thread exited with code ${code}`)));
  }

  /** Calls awaiting their answer. */
  get pending(): number {
    return this.waiting.size;
  }

  /** `transfer`: buffers the caller gives up (moved to the thread, not copied). */
  call(request: (id: number) => unknown, transfer: ArrayBuffer[] = []): Promise<R> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage(request(id), transfer);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

/** The thread's side: answers each request with `handle`'s result, or the error it threw. */
export function answerEach<Q extends { id: number }, R>(port: { on(e: 'message', f: (q: Q) => void): void; postMessage(a: ThreadAnswer<R>): void }, handle: (q: Q) => R): void {
  port.on('message', (q) => {
    let answer: ThreadAnswer<R>;
    try {
      answer = { id: q.id, result: handle(q) };
    } catch (err) {
      answer = { id: q.id, error: (err as Error).message };
    }
    port.postMessage(answer);
  });
}
