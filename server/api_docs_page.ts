// The page at /api/docs: the OpenAPI document rendered to plain HTML on the server, with no script and nothing
// fetched from a CDN (a coordinator may have no internet). Schemas read as TypeScript-like types, with their
// constraints and descriptions as comments.
import type { JsonSchema, OpenApiDocument, OpenApiOperation, OpenApiParameter } from './openapi.ts';

interface Schema {
  type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; additionalProperties?: Schema | boolean;
  items?: Schema; prefixItems?: Schema[];
  anyOf?: Schema[]; oneOf?: Schema[]; enum?: unknown[]; const?: unknown; description?: string; default?: unknown; pattern?: string;
  minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number;
  minLength?: number; maxLength?: number; minItems?: number; maxItems?: number;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** OpenAPI descriptions are CommonMark; of it, Flock's use only `code`. */
const prose = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

interface Bound { op: '>' | '>=' | '<' | '<='; value: number }

/** Two bounds as "1..100 chars" or "> 0 and <= 512", one as "at most 64 chars", none as null. */
function rangeOf(min: Bound | null, max: Bound | null, unit: string): string | null {
  if (min && max) return min.op === '>=' && max.op === '<=' ? `${min.value}..${max.value}${unit}` : `${min.op} ${min.value} and ${max.op} ${max.value}${unit}`;
  const one = min ?? max;
  if (!one) return null;
  return `${one.op === '>=' ? 'at least' : one.op === '<=' ? 'at most' : one.op} ${one.value}${unit}`;
}

/** Constraints and description of `s` in a few words: "1..100 chars, default 2000, run id". */
function notesOf(s: Schema): string {
  // zod bounds every integer by the safe-integer range, which says nothing to a reader
  const bound = (op: Bound['op'], value: number | undefined): Bound | null =>
    value === undefined || Math.abs(value) === Number.MAX_SAFE_INTEGER ? null : { op, value };
  const notes = [
    rangeOf(bound('>', s.exclusiveMinimum) ?? bound('>=', s.minimum), bound('<', s.exclusiveMaximum) ?? bound('<=', s.maximum), ''),
    rangeOf(bound('>=', s.minLength), bound('<=', s.maxLength), ' chars'),
    s.prefixItems ? null : rangeOf(bound('>=', s.minItems), bound('<=', s.maxItems), ' items'),
  ].filter((n): n is string => n !== null);
  if (s.pattern) notes.push(`matches /${s.pattern}/`);
  if (s.default !== undefined) notes.push(`default ${JSON.stringify(s.default)}`);
  if (s.description) notes.push(s.description);
  // a member that is an object or an array shows its own notes inside; a nullable number shows its bounds here
  for (const member of s.anyOf ?? s.oneOf ?? []) {
    const memberNotes = member.properties || member.items ? '' : notesOf(member);
    if (memberNotes) notes.push(memberNotes);
  }
  return notes.join(', ');
}

/** `s` as a TypeScript-like type, nested objects indented under `indent`. */
function schemaText(s: Schema, indent = ''): string {
  const union = s.anyOf ?? s.oneOf;
  if (union) return union.map((member) => schemaText(member, indent)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.prefixItems) return `[${s.prefixItems.map((item) => schemaText(item, indent)).join(', ')}]`;
  if (s.type === 'array') {
    const items = s.items ?? {};
    const isUnion = (items.anyOf ?? items.oneOf ?? items.enum ?? []).length > 1 || Array.isArray(items.type);
    return isUnion ? `(${schemaText(items, indent)})[]` : `${schemaText(items, indent)}[]`;
  }
  if (s.type === 'object' && s.properties) {
    const inner = `${indent}  `;
    const lines = Object.entries(s.properties).map(([key, prop]) => {
      const notes = notesOf(prop);
      return `${inner}${key}${s.required?.includes(key) ? '' : '?'}: ${schemaText(prop, inner)};${notes ? `  // ${notes}` : ''}`;
    });
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  if (s.type === 'object') {
    const values = s.additionalProperties;
    return `{ [key: string]: ${typeof values === 'object' ? schemaText(values, indent) : 'any'} }`;
  }
  return [s.type ?? 'any'].flat().join(' | ');
}

function schemaBlock(schema: JsonSchema): string {
  const s = schema as Schema;
  const notes = s.properties ? s.description : notesOf(s);
  return `${notes ? `<p>${prose(notes)}</p>` : ''}<pre>${escapeHtml(schemaText(s))}</pre>`;
}

function parametersTable(parameters: OpenApiParameter[]): string {
  if (parameters.length === 0) return '';
  const rows = parameters.map((p) => `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? '' : ' <small>(optional)</small>'}</td><td>${p.in}</td>`
    + `<td><code>${escapeHtml(schemaText(p.schema as Schema))}</code></td><td>${prose([notesOf(p.schema as Schema), p.description].filter(Boolean).join(', '))}</td></tr>`);
  return `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>notes</th></tr>${rows.join('')}</table>`;
}

function responsesList(responses: OpenApiOperation['responses']): string {
  const items = Object.entries(responses).map(([code, r]) => {
    const [type, media] = Object.entries(r.content ?? {})[0] ?? [];
    const head = `<b>${code}</b> ${prose(r.description)}${type ? ` <small>${escapeHtml(type)}</small>` : ''}`;
    return media?.schema ? `<li><details><summary>${head}</summary>${schemaBlock(media.schema)}</details></li>` : `<li>${head}</li>`;
  });
  return `<h4>Responses</h4><ul class="responses">${items.join('')}</ul>`;
}

function operationSection(method: string, path: string, op: OpenApiOperation): string {
  const auth = op.security ? '<span class="auth admin">admin token</span>' : '<span class="auth">public</span>';
  const [bodyType, bodyMedia] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
  const body = bodyType ? `<h4>Request body <small>${escapeHtml(bodyType)}</small></h4>${bodyMedia.schema ? schemaBlock(bodyMedia.schema) : ''}` : '';
  return `<section id="${escapeHtml(op.operationId)}"><h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code> ${auth}</h3>`
    + `<p>${prose(op.summary)}</p>${op.description ? `<p>${prose(op.description)}</p>` : ''}`
    + `${parametersTable(op.parameters)}${body}${responsesList(op.responses)}</section>`;
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1d232a}
h2{border-bottom:1px solid #ccd;margin-top:2.5rem;text-transform:capitalize}section{margin:1.5rem 0 2rem}h3{font-size:1.05rem}
h4{margin:.8rem 0 .3rem;font-size:.95rem}code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f4f5f8;padding:.6rem .8rem;overflow:auto}
.method{display:inline-block;min-width:4.2em;padding:0 .4em;border-radius:3px;color:#fff;text-align:center;background:#4a6fa5}
.method.post{background:#3b8a4f}.method.delete{background:#b04a3c}.auth{font-size:.8rem;font-weight:normal;padding:0 .5em;border:1px solid #aab;border-radius:1em}
.auth.admin{border-color:#b07a1c;color:#8a5a00}table{border-collapse:collapse}td,th{border:1px solid #dde;padding:.2rem .5rem;text-align:left;vertical-align:top}
.responses{padding-left:1.2rem}summary{cursor:pointer}nav li{margin:.1rem 0}`;

/** The whole page; `jsonUrl` is where the same document is served as JSON. */
export function apiDocsPage(doc: OpenApiDocument, jsonUrl: string): string {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const tags = [...new Set(operations.map((o) => o.op.tags[0]))];
  const nav = operations.map((o) => `<li><a href="#${escapeHtml(o.op.operationId)}"><code>${o.method.toUpperCase()} ${escapeHtml(o.path)}</code></a> ${prose(o.op.summary)}</li>`);
  const sections = tags.map((tag) => `<h2>${escapeHtml(tag)}</h2>${operations.filter((o) => o.op.tags[0] === tag).map((o) => operationSection(o.method, o.path, o.op)).join('')}`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)}</title><style>${STYLE}</style></head><body>
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${prose(doc.info.description)}</p>
<p>The same document as OpenAPI ${escapeHtml(doc.openapi)}: <a href="${escapeHtml(jsonUrl)}">${escapeHtml(jsonUrl)}</a>. Routes marked <span class="auth admin">admin token</span>
need ${prose(doc.components.securitySchemes.adminToken.description)}.</p>
<nav><ul>${nav.join('')}</ul></nav>
${sections.join('\n')}
</body></html>`;
}
