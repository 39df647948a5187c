// Model download: a run's best global-leader checkpoint as safetensors, plus a JSON manifest describing it.
// Both need the admin token: the trained weights belong to whoever runs the coordinator, not to every visitor.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { ModelManifest } from '../shared/api_responses.ts';
import { parameterCount, parameterLayout } from '../shared/layout.ts';
import { modelConventions } from '../shared/model_conventions.ts';
import { resolveModel, type RunView } from '../shared/run_config.ts';
import { modelToSafetensors } from '../shared/safetensors.ts';
import { bearerMatches } from './admin_token.ts';
import { API_ROUTES, exportQuery, runIdParams, serveRoutes } from './api_routes.ts';
import { classNamesOf } from './datasets/class_names.ts';
import type { CheckpointInfo } from '../shared/records.ts';
import type { Checkpoint, Store } from './store.ts';

export interface ModelExportDeps { store: Store; token: string; evalSamples: number }

/** The checkpoint with the highest test accuracy (the later one on a tie); the latest when none was evaluated. */
export function bestCheckpoint(checkpoints: readonly CheckpointInfo[]): CheckpointInfo | null {
  let best: CheckpointInfo | null = null;
  for (const c of checkpoints) {
    if (c.testAccuracy === null) continue;
    if (!best || c.testAccuracy >= best.testAccuracy!) best = c;
  }
  return best ?? checkpoints.at(-1) ?? null;
}

interface Export { run: RunView; checkpoint: Checkpoint; bytes: Uint8Array; fileName: string }

function buildExport(run: RunView, checkpoint: Checkpoint): Export {
  const spec = resolveModel(run.config.model);
  const metadata: Record<string, string> = {
    'flock.run': String(run.id),
    'flock.run_name': run.config.name,
    'flock.step': String(checkpoint.step),
    'flock.checkpoint': String(checkpoint.id),
    ...(checkpoint.testAccuracy !== null ? { 'flock.test_accuracy': String(checkpoint.testAccuracy) } : {}),
  };
  const bytes = modelToSafetensors(spec, checkpoint.weights, metadata);
  const slug = run.config.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'run';
  return { run, checkpoint, bytes, fileName: `flock-${run.id}-${slug}-step${checkpoint.step}.safetensors` };
}

function manifestOf(e: Export, evalSamples: number): ModelManifest {
  const spec = resolveModel(e.run.config.model);
  const layout = parameterLayout(spec);
  const c = e.checkpoint;
  return {
    format: 'safetensors',
    dtype: 'F32',
    file: e.fileName,
    bytes: e.bytes.length,
    sha256: createHash('sha256').update(e.bytes).digest('hex'),
    run: { id: e.run.id, name: e.run.config.name, state: e.run.state },
    config: e.run.config,
    spec,
    parameterCount: parameterCount(layout),
    layout: layout.tensors.map((t) => ({ name: t.name, shape: t.shape, offset: t.offset, length: t.length })),
    flatLength: layout.length,
    conventions: modelConventions(spec, classNamesOf(e.run.config.dataset)),
    checkpoint: { id: c.id, step: c.step, round: c.round, version: c.version, workerId: c.workerId, final: c.final, t: c.t, time: new Date(c.t).toISOString() },
    test: { accuracy: c.testAccuracy, loss: c.testLoss, samples: c.testAccuracy === null ? 0 : evalSamples },
  };
}

export function registerModelExport(app: FastifyInstance, deps: ModelExportDeps): void {
  const { store } = deps;
  const requireAdmin = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!bearerMatches(req.headers.authorization, deps.token)) return reply.code(401).send({ error: 'admin token required: send Authorization: Bearer <token>' });
  };
  const exportOr404 = (req: FastifyRequest, reply: FastifyReply): Export | null => {
    const refuse = (code: number, body: object) => {
      void reply.code(code).send(body);
      return null;
    };
    const p = runIdParams.safeParse(req.params);
    if (!p.success) return refuse(400, { error: 'invalid request', issues: [{ field: 'id', reason: 'a positive run id' }] });
    const q = exportQuery.safeParse(req.query);
    if (!q.success) return refuse(400, { error: 'invalid request', issues: [{ field: 'checkpoint', reason: 'a positive checkpoint id' }] });
    const run = store.getRun(p.data.id);
    if (!run) return refuse(404, { error: `run ${p.data.id} does not exist` });
    if (q.data.checkpoint !== undefined) {
      const pinned = store.checkpoint(run.id, q.data.checkpoint);
      return pinned ? buildExport(run, pinned) : refuse(404, { error: `run ${run.id} has no checkpoint ${q.data.checkpoint}` });
    }
    const info = bestCheckpoint(store.checkpoints(run.id));
    const checkpoint = info && store.checkpoint(run.id, info.id);
    if (!checkpoint) return refuse(404, { error: `run ${run.id} has no checkpoint yet: one is saved every few rounds once a global leader has uploaded` });
    return buildExport(run, checkpoint);
  };

  const serve = serveRoutes(app, requireAdmin);

  serve(API_ROUTES.modelSafetensors, async (req, reply) => {
    const e = exportOr404(req, reply);
    if (!e) return reply;
    return reply
      .type('application/octet-stream')
      .header('Content-Disposition', `attachment; filename="${e.fileName}"`)
      .header('Cache-Control', 'no-store')
      .send(Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength));
  });

  serve(API_ROUTES.modelManifest, async (req, reply) => {
    const e = exportOr404(req, reply);
    if (!e) return reply;
    return reply.header('Cache-Control', 'no-store').send(manifestOf(e, deps.evalSamples));
  });
}
