// A malicious tab for bench:compare --byzantine: a Node client on the real protocol (e2e/attack_tab.ts) that
// trains nothing and sends harm of a kind the server lets through, so that what the comparison measures is the
// server's defence of each algorithm:
// - lsgd: every period reports tau more steps with a tiny loss and, whenever asked to upload, sends the newest
//   global copy it holds scaled by 0.1;
// - easgd: every period pushes the center it was last answered with, scaled by 0.1;
// - sync-sgd: answers each step at once with -scale times the previous step's aggregate (zeros before the first),
//   so it never holds up the barrier.
// A copy scaled by 0.1 lies 0.9 ||w|| from w, inside the server's default norm bound (||w - leader|| <= ||leader||).
import { AttackTab } from '../e2e/attack_tab.ts';
import { initialParameters } from '../shared/init.ts';
import { bytesToWeights, weightsToBytes, type Assignment } from '../shared/protocol.ts';

export interface ByzantineOptions {
  /** lsgd and easgd: how often the attacker reports or pushes, each time tau steps further. */
  periodMs: number;
  /** sync-sgd: the attack gradient is -scale times the previous step's aggregate. */
  scale: number;
}

const SHRINK = 0.1;
const CLAIMED_LOSS = 0.01;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ByzantineTab {
  /** Messages that carried an attack: uploads, pushes or gradients. */
  sent = 0;
  private refusedSends = 0;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(private readonly tab: AttackTab, private readonly options: ByzantineOptions) {}

  /** A new identity, assigned run `runId`, attacking it from now on. */
  static async join(url: string, runId: number, options: ByzantineOptions): Promise<ByzantineTab> {
    const tab = new AttackTab(url);
    const reply = await tab.hello();
    if (!reply.ok || tab.assignment?.runId !== runId) {
      tab.close();
      throw new Error(`a byzantine tab could not join run ${runId}: ${reply.ok ? `assigned ${tab.assignment?.runId ?? 'nothing'}` : reply.error}`);
    }
    const attacker = new ByzantineTab(tab, options);
    attacker.attack(tab.assignment);
    return attacker;
  }

  get id(): string {
    return this.tab.tabId!;
  }

  /** Attack messages the server refused (an lsgd upload refused is one measured worse than the copy it would replace). */
  get refused(): number {
    return this.refusedSends + this.tab.answered.filter((x) => !x.reply.ok).length;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.tab.close();
  }

  private attack(a: Assignment): void {
    // the server counts a tab present only while it has heard from it lately, between attacks too
    this.timers.push(setInterval(() => this.tab.socket.emit('heartbeat', { runId: a.runId }), a.heartbeatMs));
    switch (a.algorithm) {
      case 'lsgd': return this.lsgd(a);
      case 'easgd': return void this.easgd(a);
      case 'sync-sgd': return this.syncSgd(a);
      default: throw new Error(`bench:compare --byzantine has no attack on ${a.algorithm}`);
    }
  }

  private lsgd(a: Assignment): void {
    const seed = initialParameters(a.spec, a.seed);
    this.tab.claim = CLAIMED_LOSS;
    this.tab.answer = () => {
      this.sent++;
      const held = this.tab.latestGlobal();
      return weightsToBytes((held ? bytesToWeights(held.bytes) : seed).map((v) => v * SHRINK));
    };
    // a report that timed out (the server busy measuring a copy) changes nothing about the next one
    this.timers.push(setInterval(() => void this.tab.report(this.tab.step + a.hyper.tau).catch(() => {}), this.options.periodMs));
  }

  private async easgd(a: Assignment): Promise<void> {
    let center = initialParameters(a.spec, a.seed);
    for (let step = a.startStep + a.hyper.tau; !this.closed; step += a.hyper.tau, await sleep(this.options.periodMs)) {
      this.sent++;
      const crafted = weightsToBytes(center.map((v) => v * SHRINK));
      const answer = await new Promise<Float32Array | null>((resolve) =>
        this.tab.socket.timeout(10_000).emit('push', { runId: a.runId, step, lossEstimate: CLAIMED_LOSS }, crafted, (err, reply, bytes) =>
          resolve(!err && reply.ok && bytes ? bytesToWeights(bytes).slice() : null)),
      );
      if (answer) center = answer;
      else this.refusedSends++;
    }
  }

  private syncSgd(a: Assignment): void {
    let previous = new Float32Array(a.paramLength);
    const send = (step: number) => {
      if (this.closed) return;
      this.sent++;
      const attack = previous.map((v) => -this.options.scale * v);
      this.tab.socket.timeout(10_000).emit('gradient', { runId: a.runId, step }, weightsToBytes(attack), (err, reply) => {
        if (err || reply.ok) return;
        this.refusedSends++;
        // joined between steps or fell behind: the reply names the step the barrier waits on
        if (reply.step !== undefined && reply.step > step) send(reply.step);
      });
    };
    this.tab.socket.on('averagedGradient', (meta, bytes) => {
      if (meta.runId !== a.runId) return;
      previous = bytesToWeights(bytes).slice();
      send(meta.step + 1);
    });
    send(a.startStep);
  }
}
