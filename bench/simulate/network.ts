// Who waits for whom on the wire. Every byte goes through the coordinator (browsers have no direct links here):
// an upload crosses the tab's uplink, then the coordinator's ingress; a download crosses the coordinator's egress,
// then the tab's downlink. Each of those is a queue: a transfer starts when the link is free, so copies relayed to
// many tabs at once queue on the coordinator's egress. A transfer ends when its slower leg has carried it, plus the
// link's latency.

export interface Link {
  upBitsPerSecond: number;
  downBitsPerSecond: number;
  latencySeconds: number;
}

export interface CoordinatorLinks {
  egressBitsPerSecond: number;
  ingressBitsPerSecond: number;
}

export class Network {
  private readonly upFree: Float64Array;
  private readonly downFree: Float64Array;
  private egressFree = 0;
  private ingressFree = 0;
  /** Bytes up plus bytes down, per worker and in all (every byte passes the coordinator). */
  readonly workerBytes: Float64Array;
  coordinatorBytes = 0;

  constructor(
    private readonly links: readonly Link[],
    private readonly coordinator: CoordinatorLinks,
  ) {
    this.upFree = new Float64Array(links.length);
    this.downFree = new Float64Array(links.length);
    this.workerBytes = new Float64Array(links.length);
  }

  /** When `bytes` sent by worker `w` at `now` have all reached the coordinator. */
  upload(w: number, bytes: number, now: number): number {
    const link = this.links[w];
    const start = Math.max(now, this.upFree[w]);
    const ingressStart = Math.max(start, this.ingressFree);
    this.ingressFree = ingressStart + (8 * bytes) / this.coordinator.ingressBitsPerSecond;
    this.upFree[w] = start + (8 * bytes) / link.upBitsPerSecond;
    this.count(w, bytes);
    return Math.max(this.upFree[w], this.ingressFree) + link.latencySeconds;
  }

  /** When `bytes` sent by the coordinator to worker `w` at `now` have all arrived. */
  download(w: number, bytes: number, now: number): number {
    const link = this.links[w];
    const start = Math.max(now, this.downFree[w]);
    const egressStart = Math.max(start, this.egressFree);
    this.egressFree = egressStart + (8 * bytes) / this.coordinator.egressBitsPerSecond;
    this.downFree[w] = start + (8 * bytes) / link.downBitsPerSecond;
    this.count(w, bytes);
    return Math.max(this.downFree[w], this.egressFree) + link.latencySeconds;
  }

  /** When a message without weights (a loss report, an upload request) sent either way at `now` arrives: latency
   *  only, and not counted, as the coordinator counts only weights and gradients. */
  control(w: number, now: number): number {
    return now + this.links[w].latencySeconds;
  }

  private count(w: number, bytes: number): void {
    this.workerBytes[w] += bytes;
    this.coordinatorBytes += bytes;
  }
}
