// A token bucket per socket: a flood is dropped and counted, it never reaches the run.
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly perSec: number, private readonly burst: number, now: number) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSec);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
