// The OpenAPI 3.1 document of the REST API, generated at start-up from the route table (server/api_routes.ts) with
// zod's own JSON Schema output, and the two routes serving it: /api/openapi.json and the page /api/docs.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import packageJson from '../package.json' with { type: 'json' };
import { apiDocsPage } from './api_docs_page.ts';
import { API_ROUTES, serveRoutes, type ApiResponse, type ApiRoute } from './api_routes.ts';

export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter { name: string; in: 'path' | 'query'; required: boolean; description?: string; schema: JsonSchema }

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Present on admin routes only: the others need no credentials. */
  security?: { adminToken: [] }[];
  parameters: OpenApiParameter[];
  requestBody?: { required: true; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  components: { securitySchemes: Record<string, { type: 'http'; scheme: 'bearer'; description: string }> };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** `schema` as JSON Schema 2020-12 (OpenAPI 3.1's dialect); `io` picks what a client sends or what it receives
 *  (they differ where a field has a default). Throws on a schema JSON Schema cannot express, so no route is
 *  documented vaguely without anyone noticing. */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12' });
  return rest;
}

/** `/api/runs/:id` as OpenAPI writes it: `/api/runs/{id}`. */
export function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}');
}

function parametersOf(name: string, route: ApiRoute): OpenApiParameter[] {
  const inPath = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]);
  const declared = Object.keys(route.params?.shape ?? {});
  if (inPath.sort().join() !== declared.sort().join()) throw new Error(`route ${name} (${route.url}): its params schema has [${declared}], its URL [${inPath}]: make them match in server/api_routes.ts`);
  const list = (schema: z.ZodObject | undefined, where: 'path' | 'query'): OpenApiParameter[] => {
    if (!schema) return [];
    const json = jsonSchemaOf(schema, 'input') as { properties: Record<string, JsonSchema>; required?: string[] };
    return Object.entries(json.properties).map(([param, { description, ...propSchema }]) => ({
      name: param, in: where, required: where === 'path' || (json.required ?? []).includes(param),
      ...(typeof description === 'string' ? { description } : {}), schema: propSchema,
    }));
  };
  return [...list(route.params, 'path'), ...list(route.query, 'query')];
}

function responseOf(r: ApiResponse): OpenApiOperation['responses'][string] {
  if (r.schema) return { description: r.description, content: { 'application/json': { schema: jsonSchemaOf(r.schema, 'output') } } };
  return r.type ? { description: r.description, content: { [r.type]: {} } } : { description: r.description };
}

function operationOf(name: string, route: ApiRoute): OpenApiOperation {
  return {
    operationId: name,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(route.admin ? { security: [{ adminToken: [] }] } : {}),
    parameters: parametersOf(name, route),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(route.body, 'input') } } } } : {}),
    ...(route.bodyType ? { requestBody: { required: true, content: { [route.bodyType]: {} } } } : {}),
    responses: Object.fromEntries(Object.entries(route.responses).map(([code, r]) => [code, responseOf(r)])),
  };
}

function openApiDocument(routes: Readonly<Record<string, ApiRoute>>): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const [name, route] of Object.entries(routes)) (paths[openApiPath(route.url)] ??= {})[route.method.toLowerCase()] = operationOf(name, route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Flock REST API',
      version: packageJson.version,
      description: 'Runs (create, start, pause, resume, stop), live views of a run, model export and dataset shards. '
        + 'Every write and the model export need the admin token; the rest is public.',
    },
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'the admin token the server printed at start-up (kept in DATA_DIR/admin-token) or ADMIN_TOKEN, sent as `Authorization: Bearer <token>`' },
      },
    },
    paths,
  };
}

/** Builds the document once, at start-up, and serves it with its page. */
export function registerApiDocs(app: FastifyInstance): void {
  const doc = openApiDocument(API_ROUTES);
  const page = apiDocsPage(doc, API_ROUTES.openApi.url);
  const serve = serveRoutes(app);
  serve(API_ROUTES.openApi, async () => doc);
  serve(API_ROUTES.apiDocs, async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
}
