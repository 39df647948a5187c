// A benchmark's child process (simulated tabs, run with tsx) with a mailbox: `next` resolves with the first message
// that matches, whether it came before or after the call.
import { fork, type ChildProcess } from 'node:child_process';

export class ChildMailbox<ToChild, ToParent> {
  readonly proc: ChildProcess;
  private readonly inbox: ToParent[] = [];
  private readonly waiting: { match: (m: ToParent) => boolean; resolve: (m: ToParent) => void }[] = [];

  constructor(script: URL) {
    this.proc = fork(script, { execArgv: ['--import', 'tsx'] });
    this.proc.on('message', (m: ToParent) => {
      const i = this.waiting.findIndex((w) => w.match(m));
      if (i < 0) return void this.inbox.push(m);
      this.waiting.splice(i, 1)[0].resolve(m);
    });
    this.proc.on('exit', (code) => {
      if (code !== 0 && code !== null) throw new Error(`bench process ${script.pathname} exited with code ${code}`);
    });
  }

  send(m: ToChild): void {
    this.proc.send(m as object);
  }

  next<T extends ToParent>(match: (m: ToParent) => m is T): Promise<T> {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as T);
    return new Promise((resolve) => this.waiting.push({ match, resolve: resolve as (m: ToParent) => void }));
  }
}

/** A match for `next`: the first message of this type. */
export function ofType<M extends { type: string }, K extends M['type']>(type: K): (m: M) => m is Extract<M, { type: K }> {
  return (m): m is Extract<M, { type: K }> => m.type === type;
}
