import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initialParameters } from '../shared/init.ts';
import { MODEL_PRESETS } from '../shared/model_presets.ts';
import { weightsToBytes } from '../shared/protocol.ts';
import { api, shiftedBiases, TestWorker, until } from './test_support.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'kill-test-admin-token-0123456789';

/** `npm start`'s entry as a child process on a free port; resolves once it prints its URL. */
function startServer(dataDir: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN: TOKEN, FLOCK_BUILD_CLIENT: 'false',
      FLOCK_CHECKPOINT_EVERY_ROUNDS: '1', FLOCK_EVAL_EVERY_ROUNDS: '1000', FLOCK_CLAIM_CHECK_SAMPLES: '64', FLOCK_HEARTBEAT_MS: '200',
    },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /volunteers open (http:\/\/\S+?)\/\s/.exec(out);
      if (m) resolve({ proc, url: m[1] });
    });
    proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${out}`)));
  });
}

function kill9(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    process.kill(proc.pid!, 'SIGKILL');
  });
}

const sum = (xs: { bytesUp: number; bytesDown: number }[]) => xs.reduce((n, x) => n + x.bytesUp + x.bytesDown, 0);

test('kill -9 mid-run loses nothing stored: runs, metrics, events, checkpoints and byte counters survive, and the run resumes from its checkpoint', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-kill-'));
  const initial = initialParameters(MODEL_PRESETS.mlp, 3);
  let copies = 0;
  // each upload another copy that measures as the run's initialisation does
  const weights = () => weightsToBytes(shiftedBiases(initial, 1e-3 * ++copies, MODEL_PRESETS.mlp));
  let server = await startServer(dataDir);
  try {
    const created = await api(server, 'POST', '/api/runs', {
      name: 'kill test', model: 'mlp', dataset: 'mnist', hyper: { lr: 0.05, momentum: 0.9, batch: 32, tau: 5, lambdaL: 0.1, lambdaG: 0.1 }, stop: { steps: 1e6 }, seed: 3,
    }, TOKEN);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const runId = created.body.id as number;
    assert.equal((await api(server, 'POST', `/api/runs/${runId}/start`, undefined, TOKEN)).status, 200);

    const tabs = [['A', 'a', 2.5], ['A', 'b', 2.8], ['B', 'c', 2.9]] as const;
    const workers = tabs.map(([machine, tab]) => new TestWorker(server.url, machine, tab, weights));
    for (const w of workers) assert.equal((await w.hello()).ok, true);
    for (const step of [5, 10, 15]) {
      for (const [i, w] of workers.entries()) await w.report(step, tabs[i][2]);
      await until(`copies of step ${step}`, () => workers.slice(1).every((w) => w.copies.some((c) => c.step === step)), 10000);
    }
    const get = async (s: { url: string }, what: string) => (await api(s, 'GET', `/api/runs/${runId}${what}`, undefined, TOKEN)).body;
    const before = { run: await get(server, ''), metrics: await get(server, '/metrics'), events: await get(server, '/events'), checkpoints: await get(server, '/checkpoints'), workers: await get(server, '/workers') };
    assert.ok(before.checkpoints.length >= 3 && before.metrics.workers.length === 9 && before.run.rounds >= 3, JSON.stringify([before.checkpoints.length, before.metrics.workers.length, before.run.rounds]));

    await kill9(server.proc);
    workers.forEach((w) => w.close());
    server = await startServer(dataDir);

    const after = { run: await get(server, ''), metrics: await get(server, '/metrics'), events: await get(server, '/events'), checkpoints: await get(server, '/checkpoints'), workers: await get(server, '/workers') };
    assert.equal(after.run.state, 'running');
    assert.equal(after.run.rounds, before.run.rounds);
    assert.equal(after.run.step, before.run.step);
    for (const series of ['workers', 'leaders'] as const) assert.deepEqual(after.metrics[series], before.metrics[series], series);
    // the open round is written again as it goes on counting (a later t), from the counts stored before the kill
    const rows = (rs: { round: number; t: number }[]) => rs.map((r) => (r.round === before.run.rounds ? { ...r, t: 0 } : r));
    assert.deepEqual(rows(after.metrics.rounds), rows(before.metrics.rounds), 'rounds');
    assert.deepEqual(after.events.slice(0, before.events.length), before.events);
    assert.ok(after.events.some((e: { kind: string }) => e.kind === 'resume'));
    assert.deepEqual(after.checkpoints, before.checkpoints);
    const counters = (ws: { workerId: string; bytesUp: number; bytesDown: number }[]) => ws.map(({ workerId, bytesUp, bytesDown }) => ({ workerId, bytesUp, bytesDown })).sort((p, q) => p.workerId.localeCompare(q.workerId));
    assert.deepEqual(counters(after.workers), counters(before.workers));
    assert.equal(sum(after.workers), sum(after.metrics.rounds), JSON.stringify([before.workers, before.metrics.rounds]));

    // a tab that comes back starts from the latest checkpoint
    const b = new TestWorker(server.url, 'A', 'b', weights);
    const hello = await b.hello();
    assert.ok(hello.ok && hello.assignment?.start === 'global' && hello.assignment.startStep === 15, JSON.stringify(hello));
    await until('checkpoint copy delivered', () => b.copies.length === 1, 10000);
    assert.equal(b.copies[0].step, 15);
    assert.equal(b.copyBytes, initial.byteLength);
    b.close();
  } finally {
    await kill9(server.proc);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
