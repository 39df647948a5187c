// The REST side of an attack session: which run to attack (the running one, or, with the admin token and no run
// active, a small one the client creates and stops afterwards), the run's step, and with the token its tabs' ids.
import type { RunConfigInput, RunView } from '../shared/run_config.ts';

export interface Target {
  /** http://host:port, no trailing slash. */
  url: string;
  token: string | null;
  runId: number;
  /** The client created the run, so it stops it when done. */
  own: boolean;
}

/** The server offers nothing to attack: the CLI exits 2 with this message. */
export class NoTargetError extends Error {}

export async function rest(url: string, path: string, options: { token?: string | null; method?: string; body?: unknown } = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`, {
    method: options.method ?? 'GET',
    headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: res.status, text: await res.text() };
}

async function json<T>(url: string, path: string, options: Parameters<typeof rest>[2] = {}): Promise<T> {
  const { status, text } = await rest(url, path, options);
  if (status < 200 || status >= 300) throw new Error(`${options.method ?? 'GET'} ${path}: HTTP ${status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Creates and starts a run; its id. */
export async function startRun(url: string, token: string, config: RunConfigInput): Promise<number> {
  const run = await json<RunView>(url, '/api/runs', { token, method: 'POST', body: config });
  await json<RunView>(url, `/api/runs/${run.id}/start`, { token, method: 'POST' });
  return run.id;
}

/** The client's own run: the README's mlp example, stopped by the client, and by the server after 15 minutes. */
function ownRunConfig(dataset: string): RunConfigInput {
  return {
    name: 'flock attack client', model: 'mlp', dataset, algorithm: 'lsgd',
    hyper: { lr: 0.05, momentum: 0.9, batch: 64, tau: 10, lambdaL: 0.1, lambdaG: 0.05 }, stop: { minutes: 15 },
  };
}

export async function resolveTarget(url: string, token: string | null): Promise<Target> {
  let status: { activeRun: number | null; datasets: string[] };
  try {
    status = await json(url, '/api/status');
  } catch (err) {
    throw new NoTargetError(`cannot read ${url}/api/status (${(err as Error).message}): is --url a Flock server?`);
  }
  let runId = status.activeRun;
  const own = runId === null;
  if (runId === null) {
    if (!token) throw new NoTargetError(`no run is active on ${url}: start one, or pass --token <admin token> and the client creates a small one (and stops it afterwards)`);
    // the mlp takes 28x28 grey images into 10 classes
    const dataset = ['mnist', 'fashion-mnist'].find((d) => status.datasets.includes(d));
    if (!dataset) throw new NoTargetError(`no run is active and the server offers neither mnist nor fashion-mnist (${status.datasets.join(', ')}) for the client's own mlp run: start a run yourself`);
    runId = await startRun(url, token, ownRunConfig(dataset));
  }
  const run = await json<RunView>(url, `/api/runs/${runId}`);
  if (run.state !== 'running') throw new NoTargetError(`run ${runId} is ${run.state}: the attacks need it running (resume it)`);
  if (run.config.algorithm !== 'lsgd') throw new NoTargetError(`run ${runId} uses ${run.config.algorithm}: the copy attacks need an lsgd run`);
  return { url, token, runId, own };
}

/** The run's step and rounds (each round opens with a new global copy), as anyone may read them. */
export async function runProgress(target: Target): Promise<{ step: number; rounds: number }> {
  const { step, rounds } = await json<RunView>(target.url, `/api/runs/${target.runId}`);
  return { step, rounds };
}

/** Every tab and machine id of the run (admin token). */
export async function runIdentities(target: Target & { token: string }): Promise<{ tabs: string[]; machines: string[] }> {
  const workers = await json<{ workerId: string; machineId: string }[]>(target.url, `/api/runs/${target.runId}/workers`, { token: target.token });
  return { tabs: workers.map((w) => w.workerId), machines: [...new Set(workers.map((w) => w.machineId))] };
}

export async function stopRun(target: Target & { token: string }): Promise<void> {
  await json<RunView>(target.url, `/api/runs/${target.runId}/stop`, { token: target.token, method: 'POST' });
}
