// Test helpers: a Flock on a free port with a temp DATA_DIR and a tiny synthetic dataset, and scripted socket workers.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { decodeCopy, type CopyEncoding } from '../shared/copy_encoding.ts';
import { downloadCopy } from '../shared/copy_fetch.ts';
import type { Dataset } from '../shared/dataset.ts';
import { initialParameters } from '../shared/init.ts';
import type { ModelSpec } from '../shared/model.ts';
import {
  WORKER_NAMESPACE, weightsToBytes,
  type Assignment, type ClientToServerEvents, type Commitment, type CopyNotice, type Credential, type HelloReply, type ReportReply, type Roles, type ServerToClientEvents, type UploadReply,
} from '../shared/protocol.ts';
import { seededRandom } from '../shared/random.ts';
import { parameterLayout } from '../shared/layout.ts';
import { lossAndGradient } from '../shared/reference/model.ts';
import { startFlock, type Flock } from './app.ts';
import type { LeaderEvaluator } from './evaluator.ts';
import { configSchema, type Config } from './config.ts';

export const TINY_SPEC: ModelSpec = { name: 'tiny', input: { height: 4, width: 4, channels: 1 }, classes: 3, layers: [{ kind: 'flatten' }, { kind: 'dense', units: 3 }] };

export function syntheticDataset(): Dataset {
  const rnd = seededRandom(7);
  const split = (count: number) => {
    const labels = new Uint8Array(count).map(() => Math.floor(rnd() * 3));
    const pixels = new Uint8Array(count * 16).map(() => Math.floor(rnd() * 256));
    return { count, pixels, labels };
  };
  return { name: 'synthetic', sampleShape: { height: 4, width: 4, channels: 1 }, classes: 3, train: split(500), test: split(300) };
}

/** Softmax cross-entropy of TINY_SPEC (one dense layer, [in, out] weights then bias at its aligned offset). */
export const linearEvaluator: LeaderEvaluator = {
  async evaluate(spec, weights, split, start, count) {
    const layout = parameterLayout(spec);
    const [wt, bias] = layout.tensors;
    const [inputs, classes] = wt.shape;
    const n = Math.min(count, split.count);
    const losses = new Float64Array(n);
    const correct = new Float64Array(n);
    for (let s = 0; s < n; s++) {
      const j = (start + s) % split.count;
      const logits = Array.from({ length: classes }, (_, c) => {
        let z = weights[bias.offset + c];
        for (let i = 0; i < inputs; i++) z += (split.pixels[j * inputs + i] / 255) * weights[wt.offset + i * classes + c];
        return z;
      });
      const max = Math.max(...logits);
      losses[s] = max + Math.log(logits.reduce((acc, z) => acc + Math.exp(z - max), 0)) - logits[split.labels[j]];
      correct[s] = logits.indexOf(max) === split.labels[j] ? 1 : 0;
    }
    return { loss: losses.reduce((a, b) => a + b, 0) / n, accuracy: correct.reduce((a, b) => a + b, 0) / n, samples: n, losses, correct };
  },
  async close() {},
};

export const TEST_TOKEN = 'test-admin-token-0123456789';

/** A Flock on a free port; `data` and `evaluator` default to the tiny synthetic dataset and linearEvaluator. */
export async function startTestFlock(
  overrides: Partial<Config> = {}, dataDir = mkdtempSync(join(tmpdir(), 'flock-test-')), data: Dataset = syntheticDataset(), evaluator: LeaderEvaluator = linearEvaluator,
): Promise<Flock & { dataDir: string }> {
  const config = configSchema.parse({
    port: 0, host: '127.0.0.1', dataDir, adminToken: TEST_TOKEN, buildClient: false, heartbeatMs: 200, heartbeatTimeoutMs: 1000,
    electionHysteresis: 0, evalSamples: 100, maxStepsPerSec: 1e6, identitiesPerMinute: 10000, globalCheckMinMs: 0, checkpointEveryRounds: 2, evalEveryRounds: 1, rateLimitPerSec: 200, rateLimitBurst: 400,
    // scripted tabs send made-up gradients: proofs of work are asked for only where a test says so (proofs.test.ts)
    proofProbability: 0,
    ...overrides,
  });
  const flock = await startFlock(config, { names: ['synthetic'], load: async () => data }, join(dataDir, 'no-dist'), evaluator);
  return Object.assign(flock, { dataDir });
}

export async function api(flock: { url: string }, method: string, path: string, body?: unknown, token: string | null = TEST_TOKEN) {
  const res = await fetch(`${flock.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export function runBody(overrides: Record<string, unknown> = {}) {
  return { name: 'test run', model: TINY_SPEC, dataset: 'synthetic', hyper: { lr: 0.1, momentum: 0.9, batch: 8, tau: 5, lambdaL: 0.1, lambdaG: 0.1 }, stop: { steps: 100000 }, seed: 3, ...overrides };
}

export async function createAndStart(flock: { url: string }, overrides: Record<string, unknown> = {}): Promise<number> {
  const created = await api(flock, 'POST', '/api/runs', runBody(overrides));
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const started = await api(flock, 'POST', `/api/runs/${created.body.id}/start`);
  if (started.status !== 200) throw new Error(`start failed: ${JSON.stringify(started.body)}`);
  return created.body.id;
}

/**
 * TINY_SPEC's weights after `steps` full-batch gradient steps from the run's seed on the last `heldOut` train
 * samples of the synthetic dataset (the coordinator's validation split with the default test config): a copy the
 * server measures as better, the more steps the better. 0 steps: the seeded initialisation.
 */
export function trainedWeights(steps: number, seed = 3, heldOut = 125): Float32Array {
  const w = initialParameters(TINY_SPEC, seed);
  const { train } = syntheticDataset();
  const from = train.count - heldOut;
  const x = Float64Array.from(train.pixels.subarray(from * 16), (p) => p / 255);
  const labels = train.labels.subarray(from);
  for (let i = 0; i < steps; i++) {
    const { grad } = lossAndGradient(TINY_SPEC, w, x, labels, heldOut);
    for (let j = 0; j < w.length; j++) w[j] -= 0.5 * grad[j];
  }
  return w;
}

/**
 * `w` with `c` added to every bias of the last layer (the logits): softmax does not change, so neither does any
 * loss, but it is another copy (not a re-upload).
 */
export function shiftedBiases(w: Float32Array, c: number, spec: ModelSpec = TINY_SPEC): Float32Array {
  const out = w.slice();
  const bias = parameterLayout(spec).tensors.at(-1)!;
  for (let i = 0; i < bias.length; i++) out[bias.offset + i] += c;
  return out;
}

let copiesMade = 0;

/** Credentials the coordinator issued, by server and test label: tests name machines and tabs ('m1', 't1') and reuse them. */
const issued = new Map<string, Credential>();

/** A scripted tab: answers upload requests with `weights()`, records what it is asked and what it receives. */
export class TestWorker {
  /** The identity the coordinator issued at the last hello. */
  workerId: string | null = null;
  machineId: string | null = null;
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  assignment: Assignment | null = null;
  roles: Roles | null = null;
  readonly requests: number[] = [];
  readonly uploads: UploadReply[] = [];
  readonly copies: CopyNotice[] = [];
  /** The weights of the latest global copy fetched after a notice. */
  lastCopy: Float32Array | null = null;
  copyBytes = 0;
  errors: string[] = [];
  step = 0;
  weights: () => Uint8Array;
  /** How the upload says `weights()` are encoded; unsaid, the server takes f32. */
  uploadEncoding: CopyEncoding | undefined = undefined;

  readonly states: string[] = [];
  private rolesPushed = 0;

  constructor(readonly url: string, readonly machine: string, readonly tab: string, weights?: () => Uint8Array) {
    this.socket = io(`${url}${WORKER_NAMESPACE}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    // by default a new copy per upload that measures exactly as good as the run's initialisation
    this.weights = weights ?? (() => weightsToBytes(shiftedBiases(initialParameters(TINY_SPEC, 3), 1e-3 * ++copiesMade)));
    this.socket.on('assignment', (a) => (this.assignment = a));
    this.socket.on('roles', (r) => {
      this.roles = r;
      this.rolesPushed++;
    });
    this.socket.on('runState', (s) => this.states.push(s.state));
    this.socket.on('protocolError', (e) => this.errors.push(e.error));
    this.socket.on('copyNotice', (notice) => {
      // a notice can arrive in the same packet as the hello's answer, before hello() has taken the assignment
      setImmediate(() => void downloadCopy(url, notice, this.workerId!).then((bytes) => {
        this.copies.push(notice);
        this.copyBytes += notice.bytes;
        this.lastCopy = decodeCopy(bytes, notice.encoding, this.assignment!.paramLength).slice();
      }, (e: Error) => this.errors.push(e.message)));
    });
    this.socket.on('uploadRequest', (r) => {
      this.requests.push(r.requestId);
      this.socket.emit('upload', { runId: r.runId, requestId: r.requestId, step: this.step, lossEstimate: 1, encoding: this.uploadEncoding }, this.weights(), (reply) => this.uploads.push(reply));
    });
  }

  async hello(): Promise<HelloReply> {
    const key = (kind: string, label: string) => `${this.url} ${kind} ${label}`;
    const reply = await this.socket.timeout(5000).emitWithAck('hello', {
      machine: issued.get(key('machine', this.machine)), tab: issued.get(key('tab', this.tab)), adapter: { vendor: 'test' }, limits: {},
    });
    if (!reply.ok) return reply;
    issued.set(key('machine', this.machine), reply.credentials.machine);
    issued.set(key('tab', this.tab), reply.credentials.tab);
    this.workerId = reply.credentials.tab.id;
    this.machineId = reply.credentials.machine.id;
    if (reply.assignment) this.assignment = reply.assignment;
    return reply;
  }

  async report(step: number, loss: number, commitment?: Commitment): Promise<ReportReply> {
    this.step = step;
    const pushed = this.rolesPushed;
    const reply = await this.socket.timeout(5000).emitWithAck('report', { runId: this.assignment!.runId, step, lossEstimate: loss, commitment });
    // a push that arrived meanwhile may be newer than the ack (both in one read, the ack applied last): it stands
    if (reply.ok && this.rolesPushed === pushed) this.roles = reply.roles;
    return reply;
  }

  close(): void {
    this.socket.disconnect();
  }
}

export async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
