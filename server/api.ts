// The REST API: runs (admin token for every write), live views for the dashboard, and dataset shards.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

import { isDeepStrictEqual } from 'node:util';
import { kindOf } from '../shared/dataset.ts';
import { isSequenceModel, type ModelSpec } from '../shared/model.ts';
import { datasetMismatch, MODEL_PRESETS, presetFor } from '../shared/model_presets.ts';
import { describeIssues, resolveModel } from '../shared/run_config.ts';
import { bearerMatches } from './admin_token.ts';
import { API_ROUTES, copyParams, datasetParams, leaderboardQuery, runIdParams, serveRoutes, shardParams, sinceQuery } from './api_routes.ts';
import { etagOf } from './copy_objects.ts';
import { paramLengthOf, type Coordinator } from './coordinator.ts';
import type { Config } from './config.ts';
import type { DatasetService } from './dataset_service.ts';
import { nextState, type RunAction } from '../shared/run_control.ts';
import type { Store } from './store.ts';

export interface ApiDeps { store: Store; coordinator: Coordinator; datasets: DatasetService; config: Config; token: string }

function badRequest(reply: FastifyReply, error: z.ZodError) {
  return reply.code(400).send({ error: 'invalid request', issues: describeIssues(error) });
}

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const { store, coordinator, datasets, config } = deps;
  const requireAdmin = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!bearerMatches(req.headers.authorization, deps.token)) return reply.code(401).send({ error: 'admin token required: send Authorization: Bearer <token>' });
  };
  const runOr404 = (req: FastifyRequest, reply: FastifyReply) => {
    const p = runIdParams.safeParse(req.params);
    if (!p.success) return void badRequest(reply, p.error);
    const run = store.getRun(p.data.id);
    if (!run) return void reply.code(404).send({ error: `run ${p.data.id} does not exist` });
    return run;
  };
  // each route's URL, zod schemas and admin check come from its entry in server/api_routes.ts
  const serve = serveRoutes(app, requireAdmin);

  serve(API_ROUTES.health, async () => ({ ok: true }));
  serve(API_ROUTES.status, async () => ({ activeRun: coordinator.activeRunId(), datasets: datasets.names }));

  serve(API_ROUTES.createRun, async (req, reply) => {
    const parsed = API_ROUTES.createRun.body.safeParse(req.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const cfg = parsed.data;
    if (!datasets.has(cfg.dataset)) return reply.code(400).send({ error: 'invalid request', issues: [{ field: 'dataset', reason: `unknown dataset; use one of ${datasets.names.join(', ')}` }] });
    let ds;
    try {
      ds = await datasets.dataset(cfg.dataset);
    } catch (err) {
      // e.g. Fashion-MNIST without its Debian package: the message names the package to install
      return reply.code(400).send({ error: 'invalid request', issues: [{ field: 'dataset', reason: (err as Error).message }] });
    }
    // an upload deleted (or replaced) while it loaded must not get a run: the delete found no run using it
    if (!datasets.has(cfg.dataset) || datasets.cachedDataset(cfg.dataset) !== ds) {
      return reply.code(409).send({ error: `dataset ${cfg.dataset} was deleted or replaced while the run was being created` });
    }
    const modelIssue = (reason: string) => reply.code(400).send({ error: 'invalid request', issues: [{ field: 'model', reason }] });
    let spec: ModelSpec;
    try {
      spec = typeof cfg.model === 'string' ? presetFor(cfg.model, { ...ds, kind: kindOf(ds) }) : cfg.model;
    } catch (err) {
      return modelIssue((err as Error).message);
    }
    const paramLength = paramLengthOf(spec);
    if (paramLength > config.maxParams) return modelIssue(`${paramLength} parameters, at most ${config.maxParams}`);
    const mismatch = datasetMismatch(spec, { ...ds, kind: kindOf(ds) }, cfg.dataset);
    if (mismatch) return modelIssue(mismatch);
    // a preset fitted to this dataset is stored as the spec it became, so the run never depends on how presets fit later
    const model = typeof cfg.model === 'string' && isDeepStrictEqual(spec, MODEL_PRESETS[cfg.model]) ? cfg.model : spec;
    return reply.code(201).send(store.createRun({ ...cfg, model }, paramLength, Date.now()));
  });

  serve(API_ROUTES.listRuns, async () => store.listRuns());
  serve(API_ROUTES.getRun, async (req, reply) => runOr404(req, reply));

  for (const action of ['start', 'pause', 'resume', 'stop'] as RunAction[]) {
    serve(API_ROUTES[`${action}Run`], async (req, reply) => {
      const run = runOr404(req, reply);
      if (!run) return reply;
      const next = nextState(run.state, action);
      if (!next.ok) return reply.code(409).send({ error: next.error });
      const active = coordinator.activeRunId();
      if (action === 'start' && active !== null) return reply.code(409).send({ error: `run ${active} is active: pause does not free the slot, stop it first` });
      if (action === 'stop' && active === run.id) coordinator.finish('stopped', 'stopped by the admin');
      else {
        store.setState(run.id, next.state, Date.now());
        store.addEvent(run.id, Date.now(), action, null, `${action} by the admin`);
        if (action === 'start') await coordinator.activate(store.getRun(run.id)!);
        if (action === 'pause' || action === 'resume') coordinator.setRunning(action === 'resume');
      }
      return store.getRun(run.id);
    });
  }

  serve(API_ROUTES.deleteRun, async (req, reply) => {
    const run = runOr404(req, reply);
    if (!run) return reply;
    if (coordinator.activeRunId() === run.id) return reply.code(409).send({ error: `run ${run.id} is ${run.state}: stop it before deleting` });
    store.deleteRun(run.id);
    return reply.code(204).send();
  });

  serve(API_ROUTES.metrics, async (req, reply) => {
    const run = runOr404(req, reply);
    if (!run) return reply;
    const q = sinceQuery.safeParse(req.query);
    if (!q.success) return badRequest(reply, q.error);
    return { now: Date.now(), ...store.metrics(run.id, q.data.since, q.data.limit) };
  });

  serve(API_ROUTES.workers, async (req, reply) => {
    const run = runOr404(req, reply);
    if (!run) return reply;
    return coordinator.activeRunId() === run.id ? coordinator.liveWorkers(run.id) : store.workers(run.id);
  });

  serve(API_ROUTES.events, async (req, reply) => {
    const run = runOr404(req, reply);
    if (!run) return reply;
    const q = sinceQuery.safeParse(req.query);
    if (!q.success) return badRequest(reply, q.error);
    return store.events(run.id, q.data.since, q.data.limit);
  });

  serve(API_ROUTES.checkpoints, async (req, reply) => {
    const run = runOr404(req, reply);
    if (!run) return reply;
    return store.checkpoints(run.id);
  });

  serve(API_ROUTES.samples, async (req, reply) => {
    const run = runOr404(req, reply);
    if (!run) return reply;
    if (!isSequenceModel(resolveModel(run.config.model))) return reply.code(404).send({ error: `run ${run.id} trains an image model: only a sequence model (first layer embedding) writes text samples` });
    return coordinator.textSamples(run.id);
  });

  serve(API_ROUTES.proofs, async (req, reply) => {
    const run = runOr404(req, reply);
    if (!run) return reply;
    return store.credits.runTallies(run.id);
  });

  serve(API_ROUTES.leaderboard, async (req, reply) => {
    const q = leaderboardQuery.safeParse(req.query);
    if (!q.success) return badRequest(reply, q.error);
    return store.credits.leaderboard(q.data.limit);
  });

  serve(API_ROUTES.copy, async (req, reply) => {
    const p = copyParams.safeParse(req.params);
    if (!p.success) return badRequest(reply, p.error);
    const o = coordinator.copyObject(p.data.id, p.data.version);
    // never cached: the same URL may answer 200 later (a restart) or never
    if (!o) return reply.code(404).header('Cache-Control', 'no-store').send({ error: `run ${p.data.id} has no copy ${p.data.version}: it is not the active run, or the copy was superseded long ago` });
    const etag = etagOf(o);
    reply.header('ETag', etag).header('Cache-Control', 'public, max-age=31536000, immutable').header('X-Flock-Encoding', o.encoding);
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    const tab = req.headers['x-flock-tab'];
    coordinator.copyServed(p.data.id, o.bytes.byteLength, typeof tab === 'string' ? tab : undefined);
    return reply.type('application/octet-stream').send(o.bytes);
  });

  serve(API_ROUTES.datasetManifest, async (req, reply) => {
    const { name } = datasetParams.parse(req.params);
    if (!datasets.has(name)) return reply.code(404).send({ error: `unknown dataset ${name}` });
    return datasets.manifest(name);
  });

  serve(API_ROUTES.datasetShard, async (req, reply) => {
    const p = shardParams.safeParse(req.params);
    if (!p.success) return badRequest(reply, p.error);
    if (!datasets.has(p.data.name)) return reply.code(404).send({ error: `unknown dataset ${p.data.name}` });
    const shard = await datasets.shard(p.data.name, p.data.split, Number.parseInt(p.data.file, 10));
    if (!shard) return reply.code(404).send({ error: 'no such shard' });
    reply.header('ETag', shard.etag).header('Cache-Control', 'public, max-age=31536000, immutable');
    if (req.headers['if-none-match'] === shard.etag) return reply.code(304).send();
    return reply.type('application/octet-stream').send(Buffer.from(shard.bytes.buffer, shard.bytes.byteOffset, shard.bytes.byteLength));
  });
}
