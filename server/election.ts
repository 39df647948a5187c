// Leader election: plain functions of the workers' reported losses (no sockets, no clock).

export interface Candidate {
  workerId: string;
  /** The machine: workers of one machine form a group. */
  groupId: string;
  /** Latest loss estimate; null until the worker has reported. */
  loss: number | null;
  /** Connected, heartbeat fresh, not quarantined, in the running run. */
  eligible: boolean;
}

export interface Leaders {
  /** groupId -> workerId of the group's best eligible worker. */
  local: Map<string, string>;
  /** The global leader (its copies measured by the server); it also leads its own group. */
  global: string | null;
}

/**
 * Each group's best eligible worker by claimed loss. A challenger replaces a still-eligible incumbent only when its
 * loss is lower by more than `hysteresis` (relative), so noise in the estimates does not make leadership, and
 * uploads, flap. (The global leader is not elected from claims: see leader_copies.ts.)
 */
export function electLocal(candidates: readonly Candidate[], incumbents: ReadonlyMap<string, string>, hysteresis = 0): Map<string, string> {
  const ranked = rank(candidates);
  const byId = new Map(ranked.map((c) => [c.workerId, c]));
  const local = new Map<string, string>();
  for (const c of ranked) {
    if (local.has(c.groupId)) continue;
    const incumbent = byId.get(incumbents.get(c.groupId) ?? '');
    local.set(c.groupId, keep(c, incumbent?.groupId === c.groupId ? incumbent : undefined, hysteresis).workerId);
  }
  return local;
}

type Ranked = Candidate & { loss: number };

function rank(candidates: readonly Candidate[]): Ranked[] {
  return candidates.filter((c): c is Ranked => c.eligible && c.loss !== null).sort(byLossThenId);
}

function keep(best: Ranked, incumbent: Ranked | undefined, hysteresis: number): Ranked {
  return incumbent && best.loss >= incumbent.loss * (1 - hysteresis) ? incumbent : best;
}

function byLossThenId(a: { loss: number; workerId: string }, b: { loss: number; workerId: string }): number {
  return a.loss - b.loss || (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0);
}
