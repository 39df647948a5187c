// The REST API's route table: each route's method, URL, auth and the zod schemas its handler validates with.
// Handlers are registered from it (serveRoutes) and the OpenAPI document is generated from it (server/openapi.ts),
// so /api/docs cannot describe a schema or an auth rule the server does not apply.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { z } from 'zod';
import {
  checkpointInfoSchema, errorSchema, leaderboardSchema, metricsSchema, proofTallySchema, modelManifestSchema, okSchema, runEventSchema, runViewSchema, statusSchema, textSampleSchema, workersSchema,
} from '../shared/api_responses.ts';
import { datasetSummarySchema, uploadQuerySchema } from '../shared/dataset_upload.ts';
import { datasetManifestSchema } from '../shared/protocol.ts';
import { runConfigSchema } from '../shared/run_config.ts';
import type { RunAction } from '../shared/run_control.ts';
import { SAMPLE_BYTES, SAMPLE_EVERY_MS, SAMPLE_TEMPERATURE, SAMPLES_KEPT } from './text_samples.ts';

export interface ApiResponse {
  description: string;
  /** The JSON body; a route answering something else names its content type in `type` instead. */
  schema?: z.ZodType;
  type?: string;
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's syntax: `/api/runs/:id`. */
  url: string;
  summary: string;
  description?: string;
  /** Groups routes on the docs page. */
  tag: 'service' | 'runs' | 'live views' | 'volunteers' | 'model export' | 'datasets';
  /** Needs `Authorization: Bearer <admin token>`. */
  admin: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** A body that is not JSON, by its content type: the handler streams it (a dataset upload's files). */
  bodyType?: string;
  responses: Record<number, ApiResponse>;
}

export const runIdParams = z.object({ id: z.coerce.number().int().positive().describe('run id') });
export const sinceQuery = z.object({
  since: z.coerce.number().int().min(0).default(0).describe('only what came after: a time in ms for metrics (the last reply\'s `now`), an event id for events'),
  limit: z.coerce.number().int().min(1).max(10000).default(2000).describe('at most this many rows per series'),
});
/** `checkpoint` pins one checkpoint, so a manifest and the file fetched after it describe the same weights. */
export const exportQuery = z.object({ checkpoint: z.coerce.number().int().positive().optional().describe('a checkpoint id; the best checkpoint when absent') });
export const leaderboardQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100).describe('at most this many machines and this many tabs') });
export const copyParams = z.object({ id: z.coerce.number().int().positive().describe('run id'), version: z.coerce.number().int().positive().describe('the version a copy notice named') });
export const datasetParams = z.object({ name: z.string().describe('a dataset name from /api/status') });
export const shardParams = z.object({ name: z.string().max(64), split: z.enum(['train', 'test']), file: z.string().regex(/^\d{1,6}\.bin$/).describe('shard number, as the manifest\'s url gives it') });

const invalid: ApiResponse = { description: 'invalid request: `issues` names each bad field', schema: errorSchema };
const unauthorized: ApiResponse = { description: 'missing or wrong admin token', schema: errorSchema };
const noRun: ApiResponse = { description: 'no such run', schema: errorSchema };

function runAction(action: RunAction, summary: string): ApiRoute {
  return {
    method: 'POST', url: `/api/runs/:id/${action}`, summary, tag: 'runs', admin: true, params: runIdParams,
    responses: {
      200: { description: 'the run in its new state', schema: runViewSchema },
      400: invalid, 401: unauthorized, 404: noRun,
      409: { description: `the run's state does not allow this (the error says which states do)${action === 'start' ? ', or another run is active' : ''}`, schema: errorSchema },
    },
  };
}

export const API_ROUTES = {
  health: { method: 'GET', url: '/api/health', summary: 'Answers while the server is up', tag: 'service', admin: false, responses: { 200: { description: 'up', schema: okSchema } } },
  status: {
    method: 'GET', url: '/api/status', summary: 'The active run and the datasets a run may use', tag: 'service', admin: false,
    responses: { 200: { description: 'status', schema: statusSchema } },
  },
  adminSession: {
    method: 'GET', url: '/api/admin/session', summary: 'Checks an admin token (the dashboard\'s login)', tag: 'service', admin: true,
    responses: { 200: { description: 'the token is right', schema: okSchema }, 401: unauthorized },
  },
  openApi: {
    method: 'GET', url: '/api/openapi.json', summary: 'This document, as OpenAPI 3.1', tag: 'service', admin: false,
    responses: { 200: { description: 'the OpenAPI document', type: 'application/json' } },
  },
  apiDocs: {
    method: 'GET', url: '/api/docs', summary: 'This document, as a page to read', tag: 'service', admin: false,
    responses: { 200: { description: 'the docs page', type: 'text/html' } },
  },

  createRun: {
    method: 'POST', url: '/api/runs', summary: 'Creates a run (state `created`; start it with /start)', tag: 'runs', admin: true, body: runConfigSchema,
    description: 'Besides the schema, the dataset must be one the server offers (/api/status), and the model must fit it and the server\'s parameter limit.',
    responses: { 201: { description: 'the new run', schema: runViewSchema }, 400: invalid, 401: unauthorized },
  },
  listRuns: {
    method: 'GET', url: '/api/runs', summary: 'Every run, oldest first', tag: 'runs', admin: false,
    responses: { 200: { description: 'runs', schema: z.array(runViewSchema) } },
  },
  getRun: {
    method: 'GET', url: '/api/runs/:id', summary: 'One run', tag: 'runs', admin: false, params: runIdParams,
    responses: { 200: { description: 'the run', schema: runViewSchema }, 400: invalid, 404: noRun },
  },
  startRun: runAction('start', 'Starts a created run: tabs that connect train it (one active run at a time)'),
  pauseRun: runAction('pause', 'Pauses the running run (it keeps the active slot)'),
  resumeRun: runAction('resume', 'Resumes a paused run'),
  stopRun: runAction('stop', 'Stops a run for good (frees the active slot)'),
  deleteRun: {
    method: 'DELETE', url: '/api/runs/:id', summary: 'Deletes a run that is not active, with its metrics, events and checkpoints', tag: 'runs', admin: true, params: runIdParams,
    responses: { 204: { description: 'deleted' }, 400: invalid, 401: unauthorized, 404: noRun, 409: { description: 'the run is active: stop it first', schema: errorSchema } },
  },

  metrics: {
    method: 'GET', url: '/api/runs/:id/metrics', summary: 'Loss of every tab, leaders, test evaluations and traffic per round (admin: they name tabs and machines)', tag: 'live views', admin: true,
    params: runIdParams, query: sinceQuery,
    responses: { 200: { description: 'metrics after `since`, oldest first', schema: metricsSchema }, 400: invalid, 401: unauthorized, 404: noRun },
  },
  workers: {
    method: 'GET', url: '/api/runs/:id/workers', summary: 'The run\'s tabs: live state while active, stored records otherwise', tag: 'live views', admin: true,
    params: runIdParams,
    responses: { 200: { description: 'workers', schema: workersSchema }, 400: invalid, 401: unauthorized, 404: noRun },
  },
  events: {
    method: 'GET', url: '/api/runs/:id/events', summary: 'The run\'s event log (elections, refusals, admin actions)', tag: 'live views', admin: true,
    params: runIdParams, query: sinceQuery,
    responses: { 200: { description: 'events with an id above `since`, oldest first', schema: z.array(runEventSchema) }, 400: invalid, 401: unauthorized, 404: noRun },
  },
  checkpoints: {
    method: 'GET', url: '/api/runs/:id/checkpoints', summary: 'The run\'s checkpoints, with their test accuracy once evaluated', tag: 'live views', admin: true,
    params: runIdParams,
    responses: { 200: { description: 'checkpoints, oldest first', schema: z.array(checkpointInfoSchema) }, 400: invalid, 401: unauthorized, 404: noRun },
  },
  samples: {
    method: 'GET', url: '/api/runs/:id/samples', summary: 'Text a text run\'s global copies wrote, continuing the start of its validation text', tag: 'live views', admin: true,
    params: runIdParams,
    description: `${SAMPLE_BYTES} bytes written by the copy the coordinator measured and relays, at temperature ${SAMPLE_TEMPERATURE}, at most every ${SAMPLE_EVERY_MS / 1000} s and only for a new copy; `
      + `the last ${SAMPLES_KEPT} are kept, the latest also across a restart.`,
    responses: {
      200: { description: 'samples, oldest first (none before the run\'s first global copy)', schema: z.array(textSampleSchema) }, 400: invalid, 401: unauthorized,
      404: { description: 'no such run, or its model is not a sequence model (only text models write text)', schema: errorSchema },
    },
  },
  proofs: {
    method: 'GET', url: '/api/runs/:id/proofs', summary: 'Every tab\'s proofs of work in the run: verified samples, proofs passed, failed and missed', tag: 'volunteers', admin: true,
    params: runIdParams,
    responses: { 200: { description: 'one row per tab that was asked for a proof, most verified samples first', schema: z.array(proofTallySchema) }, 400: invalid, 401: unauthorized, 404: noRun },
  },
  leaderboard: {
    method: 'GET', url: '/api/leaderboard', summary: 'Volunteers by verified contribution, per machine and per tab, over all runs', tag: 'volunteers', admin: false,
    query: leaderboardQuery,
    description: 'Counts only the samples of training steps the server replayed and found done (proofs of work); names are nicknames or pseudonyms, never ids.',
    responses: { 200: { description: 'the leaderboard', schema: leaderboardSchema }, 400: invalid },
  },

  modelSafetensors: {
    method: 'GET', url: '/api/runs/:id/model.safetensors', summary: 'The run\'s best checkpoint (or `?checkpoint=`) as safetensors', tag: 'model export', admin: true,
    params: runIdParams, query: exportQuery,
    responses: {
      200: { description: 'the weights, sent as an attachment named after the run and step', type: 'application/octet-stream' },
      400: invalid, 401: unauthorized, 404: { description: 'no such run or checkpoint, or no checkpoint yet', schema: errorSchema },
    },
  },
  modelManifest: {
    method: 'GET', url: '/api/runs/:id/model.json', summary: 'What model.safetensors holds: spec, layout, checkpoint, test accuracy, sha256', tag: 'model export', admin: true,
    params: runIdParams, query: exportQuery,
    description: 'Fetch this first, then model.safetensors with `?checkpoint=` set to its checkpoint id: both then describe the same weights.',
    responses: {
      200: { description: 'the manifest', schema: modelManifestSchema },
      400: invalid, 401: unauthorized, 404: { description: 'no such run or checkpoint, or no checkpoint yet', schema: errorSchema },
    },
  },

  copy: {
    method: 'GET', url: '/api/runs/:id/copies/:version', summary: 'A global leader copy, encoded as its notice says (immutable: strong ETag, cached for a year)', tag: 'volunteers', admin: false,
    params: copyParams,
    description: 'Tabs fetch the copy a `copyNotice` names and check its SHA-256 before use. Its bytes never change, so a reverse proxy or CDN in front of Flock may serve it to every tab; `X-Flock-Tab` (optional) names the tab for the traffic counters.',
    responses: {
      200: { description: 'the encoded copy', type: 'application/octet-stream' }, 304: { description: 'If-None-Match matched the ETag' },
      400: invalid, 404: { description: 'not the active run, or a version it no longer keeps', schema: errorSchema },
    },
  },

  datasetManifest: {
    method: 'GET', url: '/api/datasets/:name', summary: 'A dataset\'s shape and its shards', tag: 'datasets', admin: false, params: datasetParams,
    responses: { 200: { description: 'the manifest', schema: datasetManifestSchema }, 404: { description: 'unknown dataset', schema: errorSchema } },
  },
  listDatasets: {
    method: 'GET', url: '/api/datasets', summary: 'Every dataset, built-in and uploaded, with its statistics', tag: 'datasets', admin: true,
    responses: { 200: { description: 'the built-in datasets, then the uploaded ones, oldest first', schema: z.array(datasetSummarySchema) }, 401: unauthorized },
  },
  uploadDataset: {
    method: 'POST', url: '/api/datasets', summary: 'Uploads a dataset: the body is its files one after the other, the query says what they are', tag: 'datasets', admin: true,
    query: uploadQuerySchema, bodyType: 'application/octet-stream',
    description: 'The files are checked and converted into the dataset format tabs download; the dataset is stored only when all is well, and any run may use it. '
      + 'A body longer than the server\'s maxUploadBytes is cut off with a 413.',
    responses: {
      201: { description: 'the stored dataset', schema: datasetSummarySchema },
      400: { description: 'invalid request or files: `issues` names the query field, or the file part (train-labels, text, ...), and what is wrong with it', schema: errorSchema },
      401: unauthorized,
      413: { description: 'the body is larger than the server\'s maxUploadBytes', schema: errorSchema },
      415: { description: 'the body is not sent as application/octet-stream', schema: errorSchema },
    },
  },
  deleteDataset: {
    method: 'DELETE', url: '/api/datasets/:name', summary: 'Deletes an uploaded dataset that no run uses', tag: 'datasets', admin: true, params: datasetParams,
    responses: {
      204: { description: 'deleted' }, 401: unauthorized, 404: { description: 'unknown dataset', schema: errorSchema },
      409: { description: 'a built-in dataset, or one a run uses (the error names the runs: delete them first)', schema: errorSchema },
    },
  },
  datasetShard: {
    method: 'GET', url: '/api/datasets/:name/:split/:file', summary: 'One immutable shard of samples (strong ETag, cached for a year)', tag: 'datasets', admin: false,
    params: shardParams,
    responses: {
      200: { description: 'the shard', type: 'application/octet-stream' }, 304: { description: 'If-None-Match matched the ETag' },
      400: invalid, 404: { description: 'unknown dataset or shard', schema: errorSchema },
    },
  },
} satisfies Record<string, ApiRoute>;

type AdminCheck = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** A function registering a handler for a route of the table; a route marked `admin` gets `requireAdmin` in front,
 *  so the auth the docs state is the auth the server applies. */
export function serveRoutes(app: FastifyInstance, requireAdmin?: AdminCheck) {
  return (route: ApiRoute, handler: RouteHandlerMethod): void => {
    if (route.admin && !requireAdmin) throw new Error(`${route.method} ${route.url} is admin-only: pass the admin check to serveRoutes`);
    app.route({ method: route.method, url: route.url, handler, ...(route.admin ? { preHandler: requireAdmin } : {}) });
  };
}
