// Stochastic Gradient Push through the coordinator. Each tab trains its de-biased parameters x = z / w; every tau
// steps it pushes x and is answered with its new x after the gossip: it keeps half of (w x, w), the other half
// goes to the mailbox of its peer on the directed exponential graph over the current members sorted by id, and what
// its own mailbox gathered since its last push is added (shared/reference/sgp.ts). The coordinator keeps every
// push-sum weight w itself: w follows from the schedule alone, so a tab cannot claim a large one to outweigh others.
import { pushSumExchange, pushSumMessage, sgpPeer } from '../../shared/reference/sgp.ts';
import type { AlgorithmHost, BaselineAlgorithm } from './host.ts';
import { keepMembers, PushRounds, type PushAnswer, type PushExchange } from './push_exchange.ts';

interface Gossiper {
  /** The push-sum weight; 1 for a member the coordinator has not heard from. */
  w: number;
  /** Gossip rounds taken: the k of the peer rule. */
  round: number;
  /** The sum of the halves pushed to this member since its last exchange. */
  inbox: { z: Float64Array; w: number } | null;
}

export class Sgp implements BaselineAlgorithm, PushExchange {
  private readonly gossipers = new Map<string, Gossiper>();
  private readonly rounds: PushRounds;

  constructor(private readonly host: AlgorithmHost) {
    this.rounds = new PushRounds(host);
  }

  /** A member's push-sum weight (1 before its first exchange). */
  weightOf(workerId: string): number {
    return this.gossipers.get(workerId)?.w ?? 1;
  }

  onPush(workerId: string, x: Float32Array, step: number): PushAnswer | string {
    const ids = this.host.members().map((m) => m.workerId).sort();
    const rank = ids.indexOf(workerId);
    if (rank < 0) return `worker ${workerId} is not a member now (paused, silent or quarantined): it gossips with nobody`;
    const me = this.gossiperOf(workerId);
    const peer = sgpPeer(rank, me.round, ids.length);
    me.round++;
    let mixed: { x: Float64Array; w: number };
    if (peer === null) {
      // alone: the half it would send stays with it
      mixed = { x: Float64Array.from(x), w: me.w };
    } else {
      const target = this.gossiperOf(ids[peer]);
      const half = pushSumMessage(x, me.w);
      if (target.inbox) {
        for (let i = 0; i < half.z.length; i++) target.inbox.z[i] += half.z[i];
        target.inbox.w += half.w;
      } else {
        target.inbox = half;
      }
      mixed = pushSumExchange(x, me.w, me.inbox);
    }
    me.w = mixed.w;
    me.inbox = null;
    const weights = Float32Array.from(mixed.x);
    return { weights, version: this.rounds.answered(workerId, weights, step, workerId, weights.byteLength), weight: mixed.w };
  }

  /** Forgets who is no longer a member: what was in its mailbox, and its weight, leave with it. */
  membershipChanged(): void {
    keepMembers(this.host, this.gossipers);
  }

  evaluationDue(): void {
    this.host.evaluateModel();
  }

  onUpload(): void {
    throw new Error('sgp asks for no uploads: workers push every tau steps');
  }

  private gossiperOf(workerId: string): Gossiper {
    let g = this.gossipers.get(workerId);
    if (!g) this.gossipers.set(workerId, (g = { w: 1, round: 0, inbox: null }));
    return g;
  }
}
