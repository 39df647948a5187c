import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { initialParameters } from '../shared/init.ts';
import { runConfigSchema } from '../shared/run_config.ts';
import { API_ROUTES, type ApiRoute } from './api_routes.ts';
import { openApiPath, type OpenApiDocument } from './openapi.ts';
import { api, createAndStart, runBody, startTestFlock, TestWorker, TINY_SPEC } from './test_support.ts';

async function openApi(flock: { url: string }): Promise<OpenApiDocument> {
  const res = await fetch(`${flock.url}/api/openapi.json`);
  assert.equal(res.status, 200);
  return (await res.json()) as OpenApiDocument;
}

/** `/api/runs/{id}/model.json` with its parameters filled in. */
const concrete = (path: string, runId: number) =>
  path.replace('{id}', String(runId)).replace('{name}', 'synthetic').replace('{split}', 'train').replace('{file}', '0.bin');

test('every /api route Fastify registered is in the OpenAPI document, and the document lists no other', async () => {
  const flock = await startTestFlock();
  try {
    const doc = await openApi(flock);
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.info.title && doc.info.version);
    // HEAD routes are Fastify's automatic twins of the GET routes
    const registered = flock.routes.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD').map((r) => `${r.method} ${openApiPath(r.url)}`).sort();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    assert.ok(registered.includes('POST /api/runs') && registered.includes('GET /api/runs/{id}/model.json'));
    assert.deepEqual(documented, registered, 'an /api route is registered without an entry in server/api_routes.ts, or the other way round');

    const operations = Object.values(doc.paths).flatMap((ops) => Object.values(ops));
    assert.equal(new Set(operations.map((op) => op.operationId)).size, operations.length);
    for (const op of operations) {
      assert.ok(op.summary && Object.keys(op.responses).length > 0, `${op.operationId} has a summary and responses`);
      for (const requirement of op.security ?? []) assert.deepEqual(Object.keys(requirement), ['adminToken']);
    }
    assert.equal(doc.components.securitySchemes.adminToken.type, 'http');
    assert.equal(doc.components.securitySchemes.adminToken.scheme, 'bearer');
    assert.ok(doc.paths['/api/runs'].post.security, 'creating a run is documented as admin-only');
    assert.equal(doc.paths['/api/runs'].get.security, undefined, 'listing runs is documented as public');
  } finally {
    await flock.close();
  }
});

test('the body of POST /api/runs is documented from runConfigSchema, the schema its handler validates with', async () => {
  const flock = await startTestFlock();
  try {
    assert.equal(API_ROUTES.createRun.body, runConfigSchema);
    const documented = (await openApi(flock)).paths['/api/runs'].post.requestBody!.content['application/json'].schema;
    const { $schema: _dialect, ...expected } = z.toJSONSchema(runConfigSchema, { io: 'input' });
    assert.deepEqual(documented, expected);

    // each field the document calls required is one the handler refuses to do without
    const required = documented.required as string[];
    assert.deepEqual([...required].sort(), ['dataset', 'hyper', 'model', 'name', 'stop']);
    for (const field of required) {
      const { [field]: _omitted, ...body }: Record<string, unknown> = runBody();
      const res = await api(flock, 'POST', '/api/runs', body);
      assert.equal(res.status, 400, `a run without ${field}`);
      assert.deepEqual(res.body.issues.map((i: { field: string }) => i.field), [field]);
    }
    assert.equal((await api(flock, 'POST', '/api/runs', runBody())).status, 201);

    const metrics = (await openApi(flock)).paths['/api/runs/{id}/metrics'].get.parameters;
    assert.deepEqual(metrics.map((p) => [p.name, p.in, p.required, p.schema.default]), [['id', 'path', true, undefined], ['since', 'query', false, 0], ['limit', 'query', false, 2000]]);
  } finally {
    await flock.close();
  }
});

test('a route documented as admin-only refuses a request without the token, and no other route asks for one', async () => {
  const flock = await startTestFlock();
  try {
    const runId = (await api(flock, 'POST', '/api/runs', runBody())).body.id as number;
    for (const [path, ops] of Object.entries((await openApi(flock)).paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const res = await fetch(`${flock.url}${concrete(path, runId)}`, { method: method.toUpperCase() });
        await res.arrayBuffer();
        if (op.security) assert.equal(res.status, 401, `${method} ${path} without the token`);
        else assert.notEqual(res.status, 401, `${method} ${path} is documented as public`);
      }
    }
  } finally {
    await flock.close();
  }
});

test('replies match their documented schemas, with no field the document leaves out', async () => {
  const flock = await startTestFlock();
  const worker = new TestWorker(flock.url, 'M', 't1');
  /** Calls `route` and checks the reply against the schema documented for its status. */
  const check = async (route: ApiRoute, path: string, expectedStatus: number) => {
    const res = await api(flock, route.method, path, route.body ? runBody() : undefined);
    assert.equal(res.status, expectedStatus, `${route.method} ${path}: ${JSON.stringify(res.body)}`);
    const schema = route.responses[res.status]?.schema;
    assert.ok(schema, `${route.method} ${route.url} answers ${res.status}, which its entry does not document`);
    // parsing drops fields the schema does not know, so equality also proves none is missing from the document
    assert.deepEqual(schema.parse(res.body), res.body, `${route.method} ${path}`);
  };
  try {
    const runId = await createAndStart(flock);
    await worker.hello();
    await worker.report(5, 0.5);
    const checkpoint = flock.store.addCheckpoint(runId, { t: Date.now(), step: 5, round: 1, version: 1, workerId: 'w', final: false, weights: initialParameters(TINY_SPEC, 3) });
    flock.store.setCheckpointEval(checkpoint, 0.9, 0.6);

    const r = API_ROUTES;
    await check(r.health, '/api/health', 200);
    await check(r.status, '/api/status', 200);
    await check(r.adminSession, '/api/admin/session', 200);
    await check(r.createRun, '/api/runs', 201);
    await check(r.listRuns, '/api/runs', 200);
    await check(r.getRun, `/api/runs/${runId}`, 200);
    await check(r.getRun, '/api/runs/999', 404);
    await check(r.getRun, '/api/runs/x', 400);
    await check(r.metrics, `/api/runs/${runId}/metrics`, 200);
    await check(r.workers, `/api/runs/${runId}/workers`, 200);
    await check(r.events, `/api/runs/${runId}/events`, 200);
    await check(r.events, `/api/runs/${runId}/events?limit=0`, 400);
    await check(r.checkpoints, `/api/runs/${runId}/checkpoints`, 200);
    await check(r.modelManifest, `/api/runs/${runId}/model.json?checkpoint=${checkpoint}`, 200);
    await check(r.modelManifest, `/api/runs/${runId}/model.json?checkpoint=${checkpoint + 1}`, 404);
    await check(r.datasetManifest, '/api/datasets/synthetic', 200);
    await check(r.datasetManifest, '/api/datasets/none', 404);
    await check(r.pauseRun, `/api/runs/${runId}/pause`, 200);
    await check(r.pauseRun, `/api/runs/${runId}/pause`, 409);
    await check(r.stopRun, `/api/runs/${runId}/stop`, 200);
    await check(r.workers, `/api/runs/${runId}/workers`, 200);
    assert.ok((await api(flock, 'GET', `/api/runs/${runId}/workers`)).body[0].adapter, 'once stopped, the stored records are the ones checked');
  } finally {
    worker.close();
    await flock.close();
  }
});

test('/api/docs shows each route with its method, auth, parameters, body and responses, and links the document', async () => {
  const flock = await startTestFlock();
  try {
    const res = await fetch(`${flock.url}/api/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const page = await res.text();
    assert.match(page, /<a href="\/api\/openapi\.json">/);
    assert.doesNotMatch(page, /<script|https?:\/\/(?!json-schema)/, 'the page loads nothing from elsewhere');
    const doc = await openApi(flock);
    const section = (id: string) => new RegExp(`<section id="${id}">(.*?)</section>`, 's').exec(page)?.[1] ?? '';
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) assert.ok(section(op.operationId), `a section for ${op.operationId}`);

    const create = section('createRun');
    assert.match(create, /POST<\/span> <code>\/api\/runs<\/code> <span class="auth admin">admin token/);
    assert.match(create, /Request body/);
    assert.match(create, /lambdaL: number;  \/\/ 0\.\.100/);
    assert.match(create, /algorithm\?: &#34;lsgd&#34; \| &#34;easgd&#34;/);
    const manifest = section('modelManifest');
    assert.match(manifest, /<code>checkpoint<\/code> <small>\(optional\)<\/small><\/td><td>query/);
    assert.match(manifest, /<b>401<\/b> missing or wrong admin token/);
    assert.match(section('listRuns'), /<span class="auth">public<\/span>/);
  } finally {
    await flock.close();
  }
});
