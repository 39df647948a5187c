// Events in virtual time: a binary heap ordered by time, then by the order they were scheduled, so that two events
// at the same instant always run in the same order and a seed gives the same run.

interface Event {
  at: number;
  seq: number;
  run: () => void;
}

export class EventQueue {
  private readonly heap: Event[] = [];
  private seq = 0;
  /** Virtual seconds since the run started. */
  now = 0;

  /** Runs `run` at virtual time `at` (never before now). */
  at(at: number, run: () => void): void {
    if (!(at >= this.now)) throw new Error(`event at ${at} s is before now (${this.now} s)`);
    this.heap.push({ at, seq: this.seq++, run });
    this.up(this.heap.length - 1);
  }

  after(seconds: number, run: () => void): void {
    this.at(this.now + seconds, run);
  }

  /** Runs events in order until none is left, `until` passes, or `stop()` says so. */
  runUntil(until: number, stop: () => boolean): void {
    while (this.heap.length > 0 && this.heap[0].at <= until && !stop()) {
      const e = this.pop();
      this.now = e.at;
      e.run();
    }
  }

  private pop(): Event {
    const top = this.heap[0];
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private before(i: number, j: number): boolean {
    const a = this.heap[i];
    const b = this.heap[j];
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    [this.heap[i], this.heap[j]] = [this.heap[j], this.heap[i]];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < this.heap.length && this.before(l, best)) best = l;
      if (r < this.heap.length && this.before(r, best)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
