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
  /** The best eligible worker of all; always also the local leader of its group. */
  global: string | null;
}

/**
 * A challenger replaces a still-eligible incumbent only when its loss is lower by more than
 * `hysteresis` (relative), so noise in the estimates does not make leadership, and uploads, flap.
 */
export function elect(candidates: readonly Candidate[], incumbents: Leaders, hysteresis = 0): Leaders {
  const ranked = candidates.filter((c): c is Candidate & { loss: number } => c.eligible && c.loss !== null).sort(byLossThenId);
  const byId = new Map(ranked.map((c) => [c.workerId, c]));
  const keep = (best: Candidate & { loss: number }, incumbent: (Candidate & { loss: number }) | undefined) =>
    incumbent && best.loss >= incumbent.loss * (1 - hysteresis) ? incumbent : best;

  const global = ranked.length === 0 ? null : keep(ranked[0], byId.get(incumbents.global ?? ''));
  const local = new Map<string, string>();
  for (const c of ranked) {
    if (local.has(c.groupId)) continue;
    const incumbent = byId.get(incumbents.local.get(c.groupId) ?? '');
    local.set(c.groupId, keep(c, incumbent?.groupId === c.groupId ? incumbent : undefined).workerId);
  }
  // The global leader leads its own group too, so its group needs no second upload.
  if (global) local.set(global.groupId, global.workerId);
  return { local, global: global?.workerId ?? null };
}

function byLossThenId(a: { loss: number; workerId: string }, b: { loss: number; workerId: string }): number {
  return a.loss - b.loss || (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0);
}

/** Groups whose local leader differs between two elections, and whether the global leader changed. */
export function leaderChanges(before: Leaders, after: Leaders): { groups: string[]; global: boolean } {
  const groups = new Set([...before.local.keys(), ...after.local.keys()]);
  return {
    groups: [...groups].filter((g) => before.local.get(g) !== after.local.get(g)),
    global: before.global !== after.global,
  };
}
