import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Roles } from '../shared/protocol.ts';
import { configSchema } from './config.ts';
import { LeaderCopies } from './leader_copies.ts';
import type { ActiveRun, CoordinatorContext, LiveWorker, WorkerSocket } from './live_state.ts';
import type { RunRecorder } from './run_recorder.ts';

const NOW = 1_000_000;
type FakeSocket = { id: string; roles: Roles[]; emit: (event: string, roles: Roles) => void };

function worker(workerId: string, machineId: string): LiveWorker & { socket: FakeSocket } {
  const socket: FakeSocket = { id: `s-${workerId}`, roles: [], emit: (event, roles) => void (event === 'roles' && socket.roles.push(roles)) };
  return {
    workerId, machineId, adapter: {}, firstSeen: NOW, lastSeen: NOW, bytesUp: 0, bytesDown: 0, malformed: 0, quarantined: false,
    socket: socket as unknown as WorkerSocket & FakeSocket, address: '127.0.0.1', trained: true, step: 0, stepAt: NOW, loss: null,
    handle: `h-${workerId}`, heldGlobal: 0, uploadRequest: null, lastRequestId: 0, dirty: false, paused: false,
  } as LiveWorker & { socket: FakeSocket };
}

/** An lsgd run whose global checks never fall due (so elections alone are compared), and its LeaderCopies. */
function setup(workers: Map<string, LiveWorker>, hysteresis: number) {
  const config = configSchema.parse({ electionHysteresis: hysteresis, globalCheckMinMs: 1e9 });
  const a = {
    run: { id: 1, config: { hyper: { tau: 5, lambdaL: 0.1, lambdaG: 0.1 } } }, leaders: { local: new Map(), global: null }, verifiedGlobal: null,
    checking: null, lastCheckAt: NOW, lastChallengeAt: NOW, lastTurn: 'leader', benched: new Map(), copies: new Map(), globalCopy: null,
  } as unknown as ActiveRun;
  const store = { addEvent: () => {}, addLeaderMetric: () => {}, transaction: (f: () => void) => f() };
  const ctx = { config, workers, store, now: () => NOW, active: () => a, requestUpload: () => {} } as unknown as CoordinatorContext;
  return { a, copies: new LeaderCopies(ctx, {} as RunRecorder) };
}

const leadersOf = (a: ActiveRun) => ({ local: [...a.leaders.local].sort(), global: a.leaders.global });

test('a changed worker re-elects its group only, and leaves the same leaders as a full election, over random changes', () => {
  let seed = 11;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const workers = new Map<string, LiveWorker>();
  for (let i = 0; i < 30; i++) workers.set(`w${i}`, worker(`w${i}`, `m${i % 8}`));
  const all = [...workers.values()];
  const scoped = setup(workers, 0.1);
  const full = setup(workers, 0.1);
  for (let i = 0; i < 3000; i++) {
    const w = pick(all);
    const r = random();
    if (r < 0.6) w.loss = Math.floor(random() * 30) / 10;
    else if (r < 0.7) w.socket = w.socket ? null : worker(w.workerId, w.machineId).socket;
    else if (r < 0.8) w.paused = !w.paused;
    else if (r < 0.85) Object.assign(w, { quarantined: !w.quarantined, loss: null });
    else {
      // a global check: a new global leader (or none), elected the way a check's end asks for it
      const leader = random() < 0.8 ? pick(all) : null;
      scoped.a.verifiedGlobal = full.a.verifiedGlobal = leader?.workerId ?? null;
    }
    scoped.copies.reelect(scoped.a, w);
    full.copies.reelect(full.a);
    assert.deepEqual(leadersOf(scoped.a), leadersOf(full.a), `after change ${i}`);
  }
});

test("a report's election leaves other groups alone until the next full election", () => {
  const a1 = worker('a1', 'A');
  const b1 = worker('b1', 'B');
  const b2 = worker('b2', 'B');
  const workers = new Map<string, LiveWorker>([a1, b1, b2].map((w) => [w.workerId, w]));
  const { a, copies } = setup(workers, 0);
  Object.assign(a1, { loss: 1 });
  Object.assign(b1, { loss: 1 });
  Object.assign(b2, { loss: 2 });
  copies.reelect(a);
  assert.equal(a.leaders.local.get('B'), 'b1');
  // b2 gets better without an election of its own: a1's report does not look at group B
  b2.loss = 0.5;
  a1.loss = 0.9;
  copies.reelect(a, a1);
  assert.equal(a.leaders.local.get('B'), 'b1');
  copies.reelect(a);
  assert.equal(a.leaders.local.get('B'), 'b2');
});

test('roles go only to the tabs whose roles changed', () => {
  const tabs = ['a1', 'a2', 'a3', 'b1', 'b2'].map((id) => worker(id, id[0].toUpperCase()));
  const [a1, a2, a3, , b2] = tabs;
  const workers = new Map<string, LiveWorker>(tabs.map((w) => [w.workerId, w]));
  const { a, copies } = setup(workers, 0);
  tabs.forEach((w, i) => (w.loss = 1 + i / 10));
  copies.reelect(a);
  const pushed = () => tabs.filter((w) => w.socket.roles.length > 0).map((w) => w.workerId);
  // the first election: each tab's first roles
  assert.deepEqual(pushed(), ['a1', 'a2', 'a3', 'b1', 'b2']);
  tabs.forEach((w) => (w.socket.roles = []));
  // a2 overtakes a1: a1 and a2 change roles, and a3 (still a follower) learns its new leader's handle; group B nothing
  a2.loss = 0.5;
  copies.reelect(a, a2);
  assert.deepEqual(pushed(), ['a1', 'a2', 'a3']);
  assert.equal(a3.socket.roles[0].localLeader?.handle, a2.handle);
  assert.equal(a2.socket.roles[0].isLocalLeader, true);
  assert.equal(a1.socket.roles[0].isLocalLeader, false);
  tabs.forEach((w) => (w.socket.roles = []));
  // a new global leader changes every tab's roles
  a.verifiedGlobal = 'b2';
  copies.reelect(a, b2);
  assert.deepEqual(pushed(), ['a1', 'a2', 'a3', 'b1', 'b2']);
  tabs.forEach((w) => (w.socket.roles = []));
  copies.reelect(a);
  assert.deepEqual(pushed(), [], 'a full election that changes nothing pushes nothing');
  // a new global copy changes only a version, which the next ack carries: every tab is compared (as after a check), none pushed
  a.globalCopy = { leaderId: 'b2', version: 7, step: 10, weights: new Float32Array(1) };
  a.leaders = { ...a.leaders, global: null };
  copies.reelect(a, a1);
  assert.deepEqual(pushed(), []);
});
