// Builds the coordinator: Fastify for the client and the REST API, Socket.IO on the same HTTP server, one store.
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Server } from 'socket.io';
import { WORKER_NAMESPACE, type ClientToServerEvents, type InterServerEvents, type ServerToClientEvents, type SocketData } from '../shared/protocol.ts';
import { registerAdminPage } from './admin_page.ts';
import { adminToken } from './admin_token.ts';
import { registerApi } from './api.ts';
import type { Config } from './config.ts';
import { Coordinator } from './coordinator.ts';
import { registerDatasetRoutes } from './dataset_routes.ts';
import { DatasetService, type DatasetSource } from './dataset_service.ts';
import { UploadedDatasets, withUploads } from './datasets/uploaded.ts';
import { ProofVerifier, type SegmentVerifier } from './proof_verifier.ts';
import { Evaluator, type LeaderEvaluator } from './evaluator.ts';
import { registerModelExport } from './model_export.ts';
import { retentionPolicy } from './retention.ts';
import { registerApiDocs } from './openapi.ts';
import { Store } from './store.ts';

export interface Flock {
  app: FastifyInstance;
  io: Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
  store: Store;
  coordinator: Coordinator;
  token: string;
  tokenGenerated: boolean;
  /** http://host:port once listening. */
  url: string;
  /** Every route Fastify registered, so a test can find an /api route missing from the docs. */
  routes: readonly { method: string; url: string }[];
  close(): Promise<void>;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Flock</title>
<h1>Flock</h1><p>The coordinator is running, but the client is not built. Run <code>npm run build</code> and reload.</p>`;

/** JSON message overhead allowed on top of the largest weights payload. */
const MESSAGE_SLACK_BYTES = 1 << 20;

export async function startFlock(
  config: Config, datasetSource: DatasetSource, distDir: string, evaluator: LeaderEvaluator = new Evaluator(), verifier: SegmentVerifier = new ProofVerifier(),
): Promise<Flock> {
  const store = new Store(config.dataDir, retentionPolicy(config));
  const { token, generated } = adminToken(config.dataDir, config.adminToken);
  const uploads = new UploadedDatasets(store.datasets, join(config.dataDir, 'datasets'));
  const datasets = new DatasetService(withUploads(datasetSource, uploads), config.shardSamples, config.validationSamples);
  const app = Fastify({ bodyLimit: 256 * 1024 });
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });

  if (existsSync(join(distDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: distDir });
  } else {
    app.get('/', async (_req, reply) => reply.type('text/html').send(NOT_BUILT));
    app.get('/admin.html', async (_req, reply) => reply.type('text/html').send(NOT_BUILT));
  }

  const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(app.server, {
    // the largest message is a proof of work: three states (start, end, the local copy pulled toward) of up to three
    // vectors each (parameters, and AdamW's two moments), 4 bytes a value
    maxHttpBufferSize: config.maxParams * 36 + MESSAGE_SLACK_BYTES,
    pingInterval: 10000,
    pingTimeout: 10000,
  });
  const coordinator = new Coordinator(io.of(WORKER_NAMESPACE), store, config, datasets, evaluator, verifier);
  registerApi(app, { store, coordinator, datasets, config, token });
  registerDatasetRoutes(app, { store, datasets, uploads, builtIn: datasetSource.names, config, token });
  registerModelExport(app, { store, token, evalSamples: config.evalSamples });
  registerAdminPage(app, token);
  registerApiDocs(app);

  // a run that was running or paused when the server went down carries on from its latest checkpoint
  const unfinished = store.runsInState('running', 'paused');
  for (const run of unfinished.slice(0, -1)) store.setState(run.id, 'paused', Date.now());
  const resume = unfinished.at(-1);
  if (resume) {
    await coordinator.activate(resume);
    store.addEvent(resume.id, Date.now(), 'resume', null, 'resumed after a server restart');
  }

  const address = await app.listen({ port: config.port, host: config.host });
  const port = new URL(address).port;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;

  return {
    app, io, store, coordinator, token, tokenGenerated: generated, url, routes,
    async close() {
      coordinator.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await app.close();
      await evaluator.close();
      await verifier.close();
      store.close();
    },
  };
}
