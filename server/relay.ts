// Who uploads and who downloads: plain functions of leader and follower state (no sockets, no clock).

/** 'both': the group's local leader is also the global leader; the one copy serves both pulls. */
export type CopyKind = 'local' | 'global' | 'both';

export interface LeaderProgress {
  workerId: string;
  /** Step of the leader's latest report. */
  reportedStep: number;
  /** Step of the leader's newest accepted copy, null when it has none. */
  copyStep: number | null;
  uploadPending: boolean;
}

/** Leaders to ask for an upload: those without a copy, or whose copy is `tau` or more steps old. One request at a time each. */
export function leadersToAsk(leaders: readonly LeaderProgress[], tau: number): string[] {
  return leaders
    .filter((l) => !l.uploadPending && (l.copyStep === null || l.reportedStep - l.copyStep >= tau))
    .map((l) => l.workerId);
}

export interface CopyRef {
  leaderId: string;
  /** Unique per run and increasing: a new accepted upload always gets a new version. */
  version: number;
  step: number;
}

export interface Follower {
  workerId: string;
  groupId: string;
  /** Versions the worker holds, 0 for none. */
  heldLocal: number;
  heldGlobal: number;
}

export interface CurrentCopies {
  /** groupId -> newest copy uploaded by a local leader of that group. */
  local: ReadonlyMap<string, CopyRef>;
  /** Newest verified copy of the global leader. */
  global: CopyRef | null;
  localLeaders: ReadonlyMap<string, string>;
  globalLeader: string | null;
}

export interface Delivery {
  kind: CopyKind;
  copy: CopyRef;
  workerIds: string[];
}

/**
 * The downloads that bring every follower up to date, grouped so that one encoded message serves many sockets.
 * A worker gets no copy of itself, nothing it already holds, and nothing for a pull whose lambda is zero.
 */
export function planDeliveries(followers: readonly Follower[], current: CurrentCopies, pulls: { local: boolean; global: boolean }): Delivery[] {
  const deliveries = new Map<string, Delivery>();
  const add = (kind: CopyKind, copy: CopyRef, workerId: string) => {
    const key = `${kind}:${copy.version}`;
    const d = deliveries.get(key) ?? { kind, copy, workerIds: [] };
    d.workerIds.push(workerId);
    deliveries.set(key, d);
  };
  for (const f of followers) {
    const local = current.local.get(f.groupId);
    const needLocal =
      pulls.local && local !== undefined && local.leaderId !== f.workerId && current.localLeaders.get(f.groupId) !== f.workerId && f.heldLocal !== local.version;
    const global = current.global;
    const needGlobal = pulls.global && global !== null && global.leaderId !== f.workerId && current.globalLeader !== f.workerId && f.heldGlobal !== global.version;
    if (needLocal && needGlobal && local.version === global.version) add('both', global, f.workerId);
    else {
      if (needLocal) add('local', local, f.workerId);
      if (needGlobal) add('global', global, f.workerId);
    }
  }
  return [...deliveries.values()];
}

/** What a follower holds after receiving a delivery. */
export function afterDelivery(f: Follower, d: Pick<Delivery, 'kind' | 'copy'>): Follower {
  return {
    ...f,
    heldLocal: d.kind === 'global' ? f.heldLocal : d.copy.version,
    heldGlobal: d.kind === 'local' ? f.heldGlobal : d.copy.version,
  };
}
