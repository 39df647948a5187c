// The dashboard's REST client: every action goes through here, with the admin token as a Bearer header.
import type { DatasetSummary } from '../../shared/dataset_upload.ts';
import type { RunConfigInput, RunView } from '../../shared/run_config.ts';
import type { Leaderboard, ProofTally, TextSample } from '../../shared/api_responses.ts';
import type { CheckpointInfo, EvalMetric, LeaderMetric, RoundMetric, RunEvent, WorkerMetric, WorkerRecord } from '../../shared/records.ts';

export type { CheckpointInfo, EvalMetric, LeaderMetric, RoundMetric, RunEvent, WorkerMetric };

export interface FieldIssue { field: string; reason: string }

/** A worker as /api/runs/:id/workers returns it: stored records, plus live fields while the run is active. */
export type WorkerView = Partial<WorkerRecord> & {
  workerId: string; machineId: string; lastSeen: number; quarantined: boolean; bytesUp: number; bytesDown: number;
  connected?: boolean; step?: number; loss?: number; isLocalLeader?: boolean; isGlobalLeader?: boolean;
};

export interface Metrics { now: number; workers: WorkerMetric[]; leaders: LeaderMetric[]; eval: EvalMetric[]; rounds: RoundMetric[] }
export interface Status { activeRun: number | null; datasets: string[] }
export type RunAction = 'start' | 'pause' | 'resume' | 'stop';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly issues: FieldIssue[] = []) {
    super(message);
  }
}

/** The error a reply that is not ok carries: the server's `error` and `issues` when it sent JSON. */
function apiError(status: number, statusText: string, text: string, fallback: string): ApiError {
  let parsed: { error?: string; issues?: FieldIssue[] } = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { error: text || statusText };
  }
  return new ApiError(status, parsed.error ?? fallback, parsed.issues ?? []);
}

export class Api {
  constructor(private readonly token: string) {}

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new ApiError(0, `the coordinator is unreachable (${(err as Error).message})`);
    }
    if (!res.ok) throw apiError(res.status, res.statusText, await res.text(), `${method} ${path}: HTTP ${res.status}`);
    return res;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
  }

  checkSession = () => this.json<{ ok: true }>('GET', '/api/admin/session');
  status = () => this.json<Status>('GET', '/api/status');
  runs = () => this.json<RunView[]>('GET', '/api/runs');
  run = (id: number) => this.json<RunView>('GET', `/api/runs/${id}`);
  createRun = (config: RunConfigInput) => this.json<RunView>('POST', '/api/runs', config);
  act = (id: number, action: RunAction) => this.json<RunView>('POST', `/api/runs/${id}/${action}`);
  deleteRun = (id: number) => this.json<void>('DELETE', `/api/runs/${id}`);
  metrics = (id: number, since: number, limit: number) => this.json<Metrics>('GET', `/api/runs/${id}/metrics?since=${since}&limit=${limit}`);
  workers = (id: number) => this.json<WorkerView[]>('GET', `/api/runs/${id}/workers`);
  events = (id: number, since: number) => this.json<RunEvent[]>('GET', `/api/runs/${id}/events?since=${since}`);
  checkpoints = (id: number) => this.json<CheckpointInfo[]>('GET', `/api/runs/${id}/checkpoints`);
  proofs = (id: number) => this.json<ProofTally[]>('GET', `/api/runs/${id}/proofs`);
  samples = (id: number) => this.json<TextSample[]>('GET', `/api/runs/${id}/samples`);
  leaderboard = () => this.json<Leaderboard>('GET', '/api/leaderboard?limit=10');
  datasets = () => this.json<DatasetSummary[]>('GET', '/api/datasets');
  deleteDataset = (name: string) => this.json<void>('DELETE', `/api/datasets/${encodeURIComponent(name)}`);

  /** POSTs `files` one after the other as one body, reporting the bytes sent so far: XMLHttpRequest, because fetch
   *  has no upload progress. `query` names the dataset and its files (shared/dataset_upload.ts). */
  uploadDataset(query: Record<string, string>, files: readonly Blob[], onProgress: (loaded: number) => void): Promise<DatasetSummary> {
    const path = `/api/datasets?${new URLSearchParams(query)}`;
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', path);
      xhr.setRequestHeader('authorization', `Bearer ${this.token}`);
      xhr.setRequestHeader('content-type', 'application/octet-stream');
      xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded));
      xhr.addEventListener('load', () => {
        if (xhr.status === 201) resolve(JSON.parse(xhr.responseText) as DatasetSummary);
        else reject(apiError(xhr.status, xhr.statusText, xhr.responseText, `the upload failed: HTTP ${xhr.status}`));
      });
      xhr.addEventListener('error', () => reject(new ApiError(0, 'the upload broke off: the coordinator is unreachable, or closed the connection')));
      xhr.send(new Blob(files as Blob[]));
    });
  }

  /** A file with its server-given name (Content-Disposition), fetched with the token so no secret goes in a URL. */
  async file(path: string, fallbackName: string): Promise<{ blob: Blob; name: string }> {
    const res = await this.send('GET', path);
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
    return { blob: await res.blob(), name };
  }
}
