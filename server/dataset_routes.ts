// The dataset routes of the dashboard: the list with statistics, uploads (the body streamed to disk, checked and
// converted, stored only when all is well) and deleting an upload no run uses.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parseFileList, uploadQuerySchema, type DatasetSummary, type UploadFile, type UploadQuery } from '../shared/dataset_upload.ts';
import { describeIssues } from '../shared/run_config.ts';
import { bearerMatches } from './admin_token.ts';
import { API_ROUTES, datasetParams, serveRoutes } from './api_routes.ts';
import type { Config } from './config.ts';
import type { DatasetService } from './dataset_service.ts';
import { convertUpload } from './datasets/convert_upload.ts';
import { receiveFiles } from './datasets/receive_files.ts';
import { servedSamples, type StoredStats } from './datasets/stats.ts';
import { UploadIssue, UploadTooLarge } from './datasets/upload_issue.ts';
import type { DatasetRow } from './datasets/dataset_rows.ts';
import type { UploadedDatasets } from './datasets/uploaded.ts';
import type { Store } from './store.ts';

export interface DatasetRouteDeps {
  store: Store;
  datasets: DatasetService;
  uploads: UploadedDatasets;
  builtIn: readonly string[];
  config: Pick<Config, 'maxUploadBytes' | 'validationSamples'>;
  token: string;
}

/** Gzipped files may inflate to this many times maxUploadBytes, all together. */
const INFLATE_FACTOR = 4;

export function registerDatasetRoutes(app: FastifyInstance, deps: DatasetRouteDeps): void {
  const { store, datasets, uploads, builtIn, config } = deps;
  // every dataset route is the admin's: an upload writes to the server's disk, and the list names runs
  const requireAdmin = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!bearerMatches(req.headers.authorization, deps.token)) return reply.code(401).send({ error: 'admin token required: send Authorization: Bearer <token>' });
  };
  /** Names of uploads in progress: taken, so two uploads of one name cannot race. */
  const pending = new Set<string>();

  const runsUsing = (name: string) => store.listRuns().filter((r) => r.config.dataset === name).map((r) => r.id);
  const summary = (name: string, stats: StoredStats | null, fields: Partial<DatasetSummary>): DatasetSummary => ({
    name, builtIn: false, format: null, createdAt: null, usedBy: runsUsing(name), error: null,
    stats: stats && { ...stats, samples: servedSamples(stats.samples, config.validationSamples) },
    ...fields,
  });
  const builtInSummary = async (name: string): Promise<DatasetSummary> => {
    try {
      return summary(name, await datasets.stats(name), { builtIn: true });
    } catch (err) {
      return summary(name, null, { builtIn: true, error: (err as Error).message });
    }
  };
  /** The body's files, converted and stored; whatever happens, their temporary copies are gone when it settles. */
  const receiveAndStore = async (body: Readable, files: readonly UploadFile[], q: Pick<UploadQuery, 'name' | 'format' | 'classes'>): Promise<DatasetRow> => {
    const dir = await uploads.incoming();
    try {
      const received = await receiveFiles(body, files, dir, config.maxUploadBytes);
      const dataset = await convertUpload({ ...q, files: received, maxInflatedBytes: INFLATE_FACTOR * config.maxUploadBytes });
      return await uploads.add(dataset, q.format, Date.now());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const invalid = (reply: FastifyReply, field: string, reason: string) => reply.code(400).send({ error: `invalid dataset: ${field}: ${reason}`, issues: [{ field, reason }] });

  app.register(async (scope) => {
    // the upload handler streams the body itself, after the admin check
    scope.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
    const serve = serveRoutes(scope, requireAdmin);

    serve(API_ROUTES.listDatasets, async () => [
      ...(await Promise.all(builtIn.map(builtInSummary))),
      ...uploads.list().map((r) => summary(r.name, r.stats, { format: r.format, createdAt: r.createdAt })),
    ]);

    serve(API_ROUTES.uploadDataset, async (req, reply) => {
      const q = uploadQuerySchema.safeParse(req.query);
      if (!q.success) return reply.code(400).send({ error: 'invalid request', issues: describeIssues(q.error) });
      const { name, format, classes } = q.data;
      const listed = parseFileList(q.data.files, format);
      if ('error' in listed) return invalid(reply, 'files', listed.error);
      if (datasets.has(name) || pending.has(name)) return invalid(reply, 'name', `a dataset named ${name} exists already${builtIn.includes(name) ? ' (built in)' : ''}: choose another name`);
      const declared = listed.files.reduce((n, f) => n + f.bytes, 0);
      const length = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
      if (Math.max(declared, length ?? 0) > config.maxUploadBytes) {
        return reply.code(413).header('connection', 'close').send({ error: `the upload is ${Math.max(declared, length ?? 0)} bytes, more than the server's limit of ${config.maxUploadBytes} (maxUploadBytes)` });
      }
      if (length !== null && length !== declared) return invalid(reply, 'files', `the files declare ${declared} bytes, the body has ${length}`);
      if (!(req.body instanceof Readable)) return reply.code(415).send({ error: 'send the files as the body, with Content-Type: application/octet-stream' });

      pending.add(name);
      try {
        const row = await receiveAndStore(req.body, listed.files, { name, format, classes });
        return reply.code(201).send(summary(name, row.stats, { format: row.format, createdAt: row.createdAt }));
      } catch (err) {
        if (err instanceof UploadTooLarge) return reply.code(413).header('connection', 'close').send({ error: err.message });
        // a refused upload may have left part of its body unread: close the connection rather than drain it
        if (err instanceof UploadIssue) return invalid(reply.header('connection', 'close'), err.field, err.message);
        throw err;
      } finally {
        pending.delete(name);
      }
    });

    serve(API_ROUTES.deleteDataset, async (req, reply) => {
      const { name } = datasetParams.parse(req.params);
      if (builtIn.includes(name)) return reply.code(409).send({ error: `${name} is built in: only uploaded datasets can be deleted` });
      if (!uploads.row(name)) return reply.code(404).send({ error: `unknown dataset ${name}` });
      const users = runsUsing(name);
      if (users.length > 0) return reply.code(409).send({ error: `dataset ${name} is used by run${users.length > 1 ? 's' : ''} ${users.join(', ')}: delete ${users.length > 1 ? 'them' : 'it'} first` });
      await uploads.remove(name);
      datasets.forget(name);
      return reply.code(204).send();
    });
  });
}
