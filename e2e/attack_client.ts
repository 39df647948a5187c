// The attacks an operator runs against a Flock server (`npm run attack`, e2e/attack.ts) and the browser e2e runs
// in-process: each tries to break one guarantee of the coordinator over the real protocol and decides, from what
// an attacker can observe, whether it held. The per-address limit on new identities applies to the attacker too,
// so two long-lived tabs serve several attacks (an owner whose identity others try to take, and an observer on a
// machine of its own that only listens) and the churn goes last.
import { bytesToWeights, weightsToBytes, type ProofRequest } from '../shared/protocol.ts';
import { stateDigest } from '../shared/state_digest.ts';
import { AttackTab, sha256, waitUntil, wrongSecret } from './attack_tab.ts';
import { rest, runIdentities, runProgress, type Target } from './attack_target.ts';

export type Outcome = 'held' | 'broken';
export interface AttackResult { attack: string; outcome: Outcome; evidence: string }

/** An attack that could not be carried out (nothing to work from, or the server never answered): neither held nor broken. */
export class InconclusiveError extends Error {}

export interface AttackOptions {
  /** Fresh identities the churn asks for. */
  churn: number;
  /** How long an attack waits for what it needs: a global copy to work from, the server measuring its upload, identities expiring. */
  waitMs: number;
  /** The attacks to run, by name (ATTACKS); all when absent. */
  only?: readonly string[];
  /** Progress, for a person watching (the CLI writes it to stderr). */
  log?: (line: string) => void;
}

export interface Session {
  target: Target;
  options: AttackOptions;
  /** Reports a poor loss and never uploads: the identity the takeover tries to take. */
  owner: AttackTab;
  /** Alone on its machine, never reports: it must see no other tab's id and no crafted copy. */
  observer: AttackTab;
  /** Every tab that said hello, so their ids are known after they close. */
  tabs: AttackTab[];
  /** Why the copy attacks cannot be carried out, once one found no global copy: the others need not wait again. */
  noGlobalCopy: string | null;
  /** When the session opened and the run's rounds then: the pace the silent challenger compares with. */
  opened: { at: number; rounds: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const held = (attack: string, evidence: string): AttackResult => ({ attack, outcome: 'held', evidence });
const broken = (attack: string, evidence: string): AttackResult => ({ attack, outcome: 'broken', evidence });
const errorOf = (reply: { ok: boolean; error?: string }) => (reply.ok ? 'accepted' : `"${reply.error}"`);

/** A tab with a fresh identity, assigned the target run. */
async function newTab(s: Pick<Session, 'target' | 'tabs'>): Promise<AttackTab> {
  const tab = new AttackTab(s.target.url);
  const reply = await tab.hello();
  if (!reply.ok) {
    tab.close();
    throw new InconclusiveError(`the server refused a new tab: ${reply.error}`);
  }
  s.tabs.push(tab);
  if (tab.assignment?.runId !== s.target.runId) throw new InconclusiveError(`the new tab was not assigned run ${s.target.runId}: is it still running?`);
  return tab;
}

export async function openSession(target: Target, options: AttackOptions): Promise<Session> {
  const opened = { at: Date.now(), rounds: (await runProgress(target)).rounds };
  const tabs: AttackTab[] = [];
  const owner = await newTab({ target, tabs });
  for (let i = 0; i < 2; i++) {
    const reply = await owner.report();
    if (!reply.ok) throw new InconclusiveError(`run ${target.runId} refused a plain report: ${reply.error}`);
  }
  const observer = await newTab({ target, tabs });
  return { target, options, owner, observer, tabs, noGlobalCopy: null, opened };
}

export function closeSession(s: Session): void {
  for (const t of s.tabs) t.close();
}

/** Reports one step more every 250 ms (always a plausible step) until `done` or the session's wait ran out. */
async function trainOnPaper(s: Session, tab: AttackTab, done: () => boolean): Promise<void> {
  const end = Date.now() + s.options.waitMs;
  while (!done() && Date.now() < end) {
    const reply = await tab.report();
    if (!reply.ok) throw new InconclusiveError(`a plain report was refused: ${reply.error}`);
    await sleep(250);
  }
}

/** A tab that holds a global copy someone else made: the copy attacks work from it. */
async function tabHoldingGlobal(s: Session): Promise<AttackTab> {
  if (s.noGlobalCopy) throw new InconclusiveError(s.noGlobalCopy);
  const tab = await newTab(s);
  s.options.log?.(`waiting up to ${s.options.waitMs / 1000} s for a global copy of run ${s.target.runId}`);
  if (!(await waitUntil(() => tab.latestGlobal() !== null, s.options.waitMs))) {
    tab.close();
    s.noGlobalCopy = `no global copy of run ${s.target.runId} arrived within ${s.options.waitMs / 1000} s: the copy attacks need tabs training the run (open volunteer tabs, e.g. npm run swarm -- --url ${s.target.url}/)`;
    throw new InconclusiveError(s.noGlobalCopy);
  }
  return tab;
}

export async function identityTakeover(s: Session): Promise<AttackResult> {
  const name = 'identity-takeover';
  const { owner } = s;
  const intruder = new AttackTab(s.target.url);
  try {
    const replies = [
      await intruder.hello({ tab: { id: owner.tabId!, secret: wrongSecret() }, machine: { id: owner.machineId!, secret: wrongSecret() } }),
      await intruder.hello({ tab: { id: owner.tabId!, secret: wrongSecret() } }),
    ];
    await sleep(300);
    const connected = owner.socket.connected;
    const report = connected ? await owner.report() : null;
    if (replies.some((r) => r.ok) || !report?.ok) {
      return broken(name, `hellos naming tab ${owner.tabId} with wrong secrets: ${replies.map(errorOf).join(', ')}; ${report ? `the owner's next report: ${errorOf(report)}` : 'the owner was disconnected'}`);
    }
    return held(name, `2 hellos naming tab ${owner.tabId} with wrong secrets were refused (${replies.map(errorOf).join(', ')}); the owner stayed connected and its next report was accepted`);
  } finally {
    intruder.close();
  }
}

export async function foreignMachineId(s: Session): Promise<AttackResult> {
  const name = 'foreign-machine-id';
  const stranger = new AttackTab(s.target.url);
  try {
    const reply = await stranger.hello({ machine: { id: s.owner.machineId!, secret: wrongSecret() } });
    if (reply.ok && reply.credentials.machine.id === s.owner.machineId) {
      return broken(name, `a hello naming machine ${s.owner.machineId} with a wrong secret joined that machine's group`);
    }
    if (reply.ok) s.tabs.push(stranger);
    return held(name, reply.ok
      ? `a hello naming machine ${s.owner.machineId} with a wrong secret got a machine of its own, ${reply.credentials.machine.id}`
      : `a hello naming machine ${s.owner.machineId} with a wrong secret was refused: "${reply.error}"`);
  } finally {
    stranger.close();
  }
}

/** No jump in a few hundred ms could come from honest tabs. */
const STEP_JUMP = 1_000_000;

export async function stepInflation(s: Session): Promise<AttackResult> {
  const name = 'step-inflation';
  if (!s.owner.socket.connected) throw new InconclusiveError('the tab that reports lost its connection');
  const before = (await runProgress(s.target)).step;
  const reply = await s.owner.report(2 ** 40);
  await sleep(500);
  const after = (await runProgress(s.target)).step;
  const jumped = after - before > STEP_JUMP;
  const evidence = `a report of step 2^40 was ${reply.ok ? 'accepted' : `refused: "${reply.error}"`}; the run's step went ${before} -> ${after}`;
  return reply.ok || jumped ? broken(name, evidence) : held(name, evidence);
}

export async function reuploadLowClaim(s: Session): Promise<AttackResult> {
  const name = 'reupload-low-claim';
  const copycat = await tabHoldingGlobal(s);
  try {
    copycat.claim = 0;
    copycat.answer = () => copycat.latestGlobal()!.bytes;
    const refused = () => copycat.answered.filter((a) => !a.reply.ok);
    await trainOnPaper(s, copycat, () => refused().length > 0 || copycat.everGlobalLeader);
    // an accepted copy would be relayed within a moment
    await sleep(1000);
    const accepted = new Set(copycat.answered.flatMap((a) => (a.reply.ok ? [a.reply.version] : [])));
    const relayed = s.observer.copies.filter((c) => accepted.has(c.meta.version));
    if (copycat.everGlobalLeader || relayed.length > 0) {
      return broken(name, `claiming loss 0 and uploading the copies it was sent, the copycat ${copycat.everGlobalLeader ? 'became the global leader' : ''}${relayed.length ? ` had version ${relayed[0].meta.version} relayed to another machine` : ''}`);
    }
    if (copycat.answered.length === 0) throw new InconclusiveError(`the server never asked the copycat (claiming loss 0) for an upload within ${s.options.waitMs / 1000} s`);
    if (refused().length === 0) throw new InconclusiveError(`the server measured none of the copycat's ${copycat.answered.length} uploads as a global candidate within ${s.options.waitMs / 1000} s`);
    return held(name, `claiming loss 0, the copycat uploaded the global copy it was sent ${copycat.answered.length} times: ${refused().length} refused (${errorOf(refused()[0].reply)}); it never became the global leader`);
  } finally {
    copycat.close();
  }
}

export const CRAFTS = {
  scaled: (w: Float32Array) => w.map((v) => v * 0.1),
  zeros: (w: Float32Array) => new Float32Array(w.length),
  'sign-flipped': (w: Float32Array) => w.map((v) => -v),
};
export type Craft = keyof typeof CRAFTS;

/** Claims loss 0 and, when asked, uploads `craft` of the global copy it holds: none may reach another machine. */
export async function craftedCopy(s: Session, craft: Craft): Promise<AttackResult> {
  const name = `crafted-${craft}`;
  const crafter = await tabHoldingGlobal(s);
  const observed = s.observer.copies.length;
  const crafted = new Set<string>();
  try {
    crafter.claim = 0;
    crafter.answer = () => {
      const bytes = weightsToBytes(CRAFTS[craft](bytesToWeights(crafter.latestGlobal()!.bytes)));
      crafted.add(sha256(bytes));
      return bytes;
    };
    const refused = () => crafter.answered.filter((a) => !a.reply.ok);
    await trainOnPaper(s, crafter, () => refused().length > 0 || crafter.quarantined || crafter.everGlobalLeader);
    await sleep(1500);
    const accepted = new Set(crafter.answered.flatMap((a) => (a.reply.ok ? [a.reply.version] : [])));
    const reached = s.observer.copies.filter((c) => crafted.has(c.sha256) || accepted.has(c.meta.version));
    if (reached.length > 0 || crafter.everGlobalLeader) {
      return broken(name, `${craft} copies uploaded with claim 0: ${crafter.everGlobalLeader ? 'the crafter became the global leader; ' : ''}${reached.length} reached the observer on another machine (versions ${reached.map((c) => c.meta.version).join(', ') || '-'})`);
    }
    if (refused().length === 0 && !crafter.quarantined) {
      throw new InconclusiveError(`the server measured none of the crafter's ${crafter.answered.length} ${craft} copies as a global candidate within ${s.options.waitMs / 1000} s`);
    }
    const refusal = refused()[0] ? ` (${errorOf(refused()[0].reply)})` : '';
    return held(name, `${crafter.answered.length} ${craft} copies of the global copy v${crafter.latestGlobal()!.meta.version} uploaded with claim 0: ${refused().length} refused${refusal}${crafter.quarantined ? ', the crafter quarantined' : ''}; none reached the observer on another machine, which received ${s.observer.copies.length - observed} global copies meanwhile`);
  } finally {
    crafter.close();
  }
}

/**
 * Claims loss 0 and never answers the upload requests that claim earns, for the session's wait: the global copy must
 * go on advancing meanwhile (a check slot kept for a silent tab would freeze the run). Needs tabs training the run.
 */
export async function silentChallenger(s: Session): Promise<AttackResult> {
  const name = 'silent-challenger';
  const silent = await tabHoldingGlobal(s);
  try {
    // the run's pace since the session opened (the earlier attacks included), over at least half the wait and until
    // it opened two rounds, for at most three waits: a loaded server may take a while for its first rounds
    await sleep(s.opened.at + s.options.waitMs / 2 - Date.now());
    let before = await runProgress(s.target);
    while (before.rounds - s.opened.rounds < 2 && Date.now() < s.opened.at + 3 * s.options.waitMs) {
      await sleep(1000);
      before = await runProgress(s.target);
    }
    const paceSeconds = (Date.now() - s.opened.at) / 1000;
    const rounds = before.rounds - s.opened.rounds;
    // stay silent long enough to expect three rounds at the run's pace (none would then come by chance one time in 20):
    // at least one wait, at most three
    const waitSeconds = s.options.waitMs / 1000;
    const needed = rounds > 0 ? (3 * paceSeconds) / rounds : Infinity;
    const seconds = Math.min(3 * waitSeconds, Math.max(waitSeconds, needed));
    // compared as times: the expected rounds, (rounds / pace) * (3 * pace / rounds), can round to just under 3
    if (needed > seconds) throw new InconclusiveError(`run ${s.target.runId} opened ${rounds} rounds in ${paceSeconds.toFixed(0)} s: too few to tell a freeze within ${seconds.toFixed(0)} s (raise --wait)`);
    silent.claim = 0;
    for (const end = Date.now() + seconds * 1000; Date.now() < end; await sleep(250)) {
      const reply = await silent.report();
      if (!reply.ok) throw new InconclusiveError(`a plain report was refused: ${reply.error}`);
    }
    const after = await runProgress(s.target);
    const evidence = `the run opened ${rounds} rounds in ${paceSeconds.toFixed(0)} s; then, while a tab claiming loss 0 ignored the ${silent.requests} upload requests it got, ${after.rounds - before.rounds} in ${seconds.toFixed(0)} s`;
    return after.rounds > before.rounds ? held(name, evidence) : broken(name, evidence);
  } finally {
    silent.close();
  }
}

/** Unauthenticated endpoints that could name tabs or machines. */
function publicPaths(runId: number): string[] {
  return ['/api/status', '/api/runs', `/api/runs/${runId}`, '/api/leaderboard', ...['workers', 'events', 'metrics?since=0', 'checkpoints', 'proofs', 'model.json'].map((p) => `/api/runs/${runId}/${p}`)];
}

export async function identityLeak(s: Session): Promise<AttackResult> {
  const name = 'identity-leak';
  const own = new Set([s.observer.tabId, s.observer.machineId]);
  const ids = new Set(s.tabs.flatMap((t) => [t.tabId, t.machineId]).filter((id): id is string => id !== null && !own.has(id)));
  if (s.target.token) {
    const run = await runIdentities({ ...s.target, token: s.target.token });
    for (const id of [...run.tabs, ...run.machines]) if (!own.has(id)) ids.add(id);
  }
  const leaks: string[] = [];
  for (const message of s.observer.seen) {
    for (const id of ids) if (message.includes(id)) leaks.push(`the observer received ${message.slice(0, 160)} naming ${id}`);
  }
  const statuses: string[] = [];
  for (const path of publicPaths(s.target.runId)) {
    const { status, text } = await rest(s.target.url, path);
    statuses.push(`${path.replace(`/api/runs/${s.target.runId}`, '/api/runs/:id')} ${status}`);
    for (const id of ids) if (text.includes(id)) leaks.push(`GET ${path} without a token (HTTP ${status}) names ${id}`);
  }
  const kinds = new Map<string, number>();
  for (const message of s.observer.seen) {
    const kind = (JSON.parse(message) as [string])[0];
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const received = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ');
  if (leaks.length > 0) return broken(name, `${leaks.length} leaks, e.g. ${leaks.slice(0, 3).join('; ')}`);
  return held(name, `none of ${ids.size} ids of other tabs and machines${s.target.token ? ' (the attacker\'s and, from /workers, the run\'s)' : ' (the attacker\'s)'} appears in the observer's messages (${received}) or in ${statuses.join(', ')} without a token`);
}

export async function identityChurn(s: Session): Promise<AttackResult> {
  const name = 'identity-churn';
  const { churn, waitMs } = s.options;
  const token = s.target.token;
  const count = async () => (token ? (await runIdentities({ ...s.target, token })).tabs.length : 0);
  const before = await count();
  const started = Date.now();
  const refusals: string[] = [];
  for (let i = 0; i < churn; i++) {
    const tab = new AttackTab(s.target.url);
    try {
      const reply = await tab.hello();
      if (!reply.ok) refusals.push(reply.error);
    } finally {
      tab.close();
    }
  }
  const issued = churn - refusals.length;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const limit = refusals.find((e) => /too many|limit|try again/i.test(e));
  if (limit) return held(name, `${churn} hellos without credentials in ${seconds} s from one address: ${issued} issued, ${refusals.length} refused ("${limit}")`);
  if (!token) throw new InconclusiveError(`${churn} fresh identities issued to one address in ${seconds} s, none refused: pass --token to see whether they expire`);
  const peak = await count();
  s.options.log?.(`${issued} identities issued without a limit; waiting up to ${waitMs / 1000} s for them to expire`);
  const slack = Math.max(2, Math.ceil(issued / 10));
  let now = peak;
  const expired = await (async () => {
    for (const end = Date.now() + waitMs; Date.now() < end; await sleep(1000)) if ((now = await count()) <= before + slack) return true;
    return false;
  })();
  const evidence = `${churn} identities issued to one address in ${seconds} s with no limit; the run's /workers went ${before} -> ${peak} -> ${now}`;
  return expired ? held(name, `${evidence}: they expired`) : broken(name, `${evidence}, still there after ${waitMs / 1000} s`);
}

/**
 * Claims work it never does: reports tau steps at a time, each committing to the digest of the same untrained
 * (all-zero) state, and when asked for a proof sends those states. Held when the proof fails and earns nothing.
 */
export async function fakeWork(s: Session): Promise<AttackResult> {
  const name = 'fake-work';
  const tab = await newTab(s);
  const { runId, paramLength, hyper } = tab.assignment!;
  const idle = { params: new Float32Array(paramLength), velocity: new Float32Array(paramLength) };
  const credits: number[] = [];
  tab.socket.on('credit', (c) => credits.push(c.tab.verifiedSamples));
  let request: ProofRequest | null = null;
  for (const end = Date.now() + s.options.waitMs; !request && Date.now() < end; await sleep(250)) {
    const step = tab.step + hyper.tau;
    const reply = await tab.report(step, { digest: await stateDigest(runId, tab.tabId!, step, idle), local: null, global: null });
    if (!reply.ok) throw new InconclusiveError(`a report with a commitment was refused: ${reply.error}`);
    request = reply.proof;
  }
  if (!request) throw new InconclusiveError(`no proof was asked for in ${s.options.waitMs / 1000} s of reports (is the server's FLOCK_PROOF_PROBABILITY 0?)`);
  const payload = new Float32Array(4 * paramLength);
  const reply = await tab.socket.timeout(60_000).emitWithAck('proof', { runId, challengeId: request.challengeId }, weightsToBytes(payload));
  const claimed = `claimed ${tab.step} steps, proved steps ${request.from}..${request.to} with an untrained state`;
  if (!reply.ok) throw new InconclusiveError(`the proof was refused unread: ${reply.error}`);
  return reply.passed || reply.samples > 0 || credits.some((c) => c > 0)
    ? broken(name, `${claimed}: the proof passed and credited ${reply.samples} samples`)
    : held(name, `${claimed}: failed ("${reply.reason}"), credited 0 samples`);
}

type Attack = (s: Session) => Promise<AttackResult>;

/** Every attack by name, in the order that spends the fewest identities: the churn last. */
export const ATTACKS: Record<string, Attack> = {
  'identity-takeover': identityTakeover,
  'foreign-machine-id': foreignMachineId,
  'step-inflation': stepInflation,
  'reupload-low-claim': reuploadLowClaim,
  ...Object.fromEntries((Object.keys(CRAFTS) as Craft[]).map((c): [string, Attack] => [`crafted-${c}`, (s) => craftedCopy(s, c)])),
  'silent-challenger': silentChallenger,
  'fake-work': fakeWork,
  'identity-leak': identityLeak,
  'identity-churn': identityChurn,
};

/** Runs the attacks in turn, handing each result to `onResult` as soon as it is known. */
export async function runAttacks(target: Target, options: AttackOptions, onResult: (r: AttackResult) => void = () => {}): Promise<{ results: AttackResult[]; inconclusive: string[] }> {
  const results: AttackResult[] = [];
  const inconclusive: string[] = [];
  const session = await openSession(target, options);
  try {
    for (const [name, attack] of Object.entries(ATTACKS)) {
      if (options.only && !options.only.includes(name)) continue;
      // the churn makes the identities; the session's tabs have done their part
      if (name === 'identity-churn') closeSession(session);
      options.log?.(`${name}...`);
      try {
        const result = await attack(session);
        results.push(result);
        onResult(result);
      } catch (err) {
        if (!(err instanceof InconclusiveError)) throw err;
        inconclusive.push(`${name}: ${err.message}`);
      }
    }
  } finally {
    closeSession(session);
  }
  return { results, inconclusive };
}
