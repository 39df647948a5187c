// The workers' loss claims, best first (lowest loss, then lowest id): a binary heap with lazy deletion, so that a
// changed claim costs O(log N) and finding the best claim that passes a test costs O(log N) per claim passed over,
// instead of a scan of every worker per report.

interface Claim { workerId: string; loss: number }

export class BestClaims {
  private heap: Claim[] = [];
  /** Each worker's current claim; a heap entry that is not its worker's current one is stale and dropped when met. */
  private readonly current = new Map<string, Claim>();

  /** The worker's claim is now `loss` (null: it claims nothing). */
  set(workerId: string, loss: number | null): void {
    const had = this.current.get(workerId);
    if (had?.loss === loss) return;
    if (loss === null) return void this.current.delete(workerId);
    const claim = { workerId, loss };
    this.current.set(workerId, claim);
    this.push(claim);
    // stale entries are dropped only when they reach the top: rebuild before they outnumber the live ones
    if (this.heap.length > 2 * this.current.size + 64) this.rebuild();
  }

  /** Forgets every claim but those of `keep` (a full resync: workers that left or lost their claim go). */
  retain(keep: (workerId: string) => boolean): void {
    for (const id of this.current.keys()) if (!keep(id)) this.current.delete(id);
    this.rebuild();
  }

  /** The best current claim that `passes`, or null. Claims passed over stay. */
  best(passes: (workerId: string, loss: number) => boolean): Claim | null {
    const passedOver: Claim[] = [];
    let found: Claim | null = null;
    while (this.heap.length > 0) {
      const top = this.pop();
      if (this.current.get(top.workerId) !== top) continue;
      passedOver.push(top);
      if (passes(top.workerId, top.loss)) {
        found = top;
        break;
      }
    }
    for (const c of passedOver) this.push(c);
    return found;
  }

  private rebuild(): void {
    this.heap = [];
    for (const c of this.current.values()) this.push(c);
  }

  private push(c: Claim): void {
    const h = this.heap;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): Claim {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Claim, b: Claim): boolean {
  return a.loss < b.loss || (a.loss === b.loss && a.workerId < b.workerId);
}
