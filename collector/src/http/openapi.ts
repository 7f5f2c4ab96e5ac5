/**
 * The OpenAPI document, generated from the route definitions themselves (router.ts): the same zod
 * schemas that validate path params, queries and bodies, the roles that `auth(...)` enforces, and
 * the response schemas of the answers (answer-schemas.ts), converted with zod's own `toJSONSchema`.
 * The error answers every route can give (400/401/403/404/413) are added here, from what the route
 * declares, so no route lists them by hand.
 */
import { z } from 'zod';
import { errorAnswer } from './answer-schemas';
import type { Answer, RouteDoc } from './router';

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'openapi-3.0' });

/** The answers of a route: its own, plus the refusals its definition implies. */
function answers(d: RouteDoc): Record<number, Answer> {
  const out: Record<number, Answer> = {};
  const refuse = (code: number, description: string) => (out[code] = { description, schema: errorAnswer });
  if (d.params || d.query || d.body) refuse(400, 'invalid path, query or body (the reason says which)');
  if (d.roles?.length) refuse(401, 'no key, an unknown key, or a bad signature');
  if (d.roles?.some((r) => r !== 's2s') && d.roles.length < 4) refuse(403, 'a key of a role this route is not for');
  if (d.params) refuse(404, 'unknown, or not yours: the same answer');
  if (d.body) refuse(413, 'body too large');
  return { ...out, ...d.responses };
}

/** Builds the OpenAPI 3.0 document. */
export function buildOpenApi(docs: readonly RouteDoc[], serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const d of docs) {
    const path = d.path.replace(/:(\w+)/g, '{$1}');
    const params: Record<string, unknown>[] = [];
    const fromSchema = (s: z.ZodType | undefined, where: 'path' | 'query') => {
      if (!s) return;
      const j = schema(s, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, p] of Object.entries(j.properties ?? {})) params.push({ name, in: where, required: where === 'path' || (j.required ?? []).includes(name), schema: p });
    };
    fromSchema(d.params, 'path');
    for (const m of d.path.matchAll(/:(\w+)/g)) if (!params.some((p) => p.name === m[1])) params.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    fromSchema(d.query, 'query');
    const op: Record<string, unknown> = {
      summary: d.summary,
      tags: [d.tag],
      parameters: params,
      responses: Object.fromEntries(
        Object.entries(answers(d)).map(([code, a]) => {
          if (a instanceof z.ZodType) return [code, { description: a.description ?? 'ok', content: { 'application/json': { schema: schema(a, 'output') } } }];
          return [code, { description: a.description, ...(a.schema ? { content: { [a.type ?? 'application/json']: { schema: schema(a.schema, 'output') } } } : a.type ? { content: { [a.type]: {} } } : {}) }];
        }),
      ),
    };
    if (d.roles?.length) op.security = d.roles.map((a) => ({ [a]: [] }));
    if (d.body) op.requestBody = { required: true, content: { [d.bodyType ?? 'application/json']: { schema: schema(d.body, 'input') } } };
    (paths[path] ??= {})[d.method] = op;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'perfpixel collector',
      version: '1',
      description:
        'Beacons, click redirects, ad decisions, signed server-to-server conversions, the admin API and reports. Money is integer micros (strings in JSON); times are epoch milliseconds. What each role may see: ARCHITECTURE.md, "What each role may see".',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        operator: { type: 'http', scheme: 'bearer', description: 'OPERATOR_KEY from the environment' },
        advertiser: { type: 'http', scheme: 'bearer', description: "an advertiser's API key" },
        publisher: { type: 'http', scheme: 'bearer', description: "a publisher's API key" },
        s2s: {
          type: 'apiKey',
          in: 'header',
          name: 'X-PP-Signature',
          description: 'v1=hex(HMAC-SHA256(secret, `${X-PP-Timestamp}.${raw body}`)), with X-PP-Advertiser and X-PP-Timestamp (unix seconds, ±300 s)',
        },
      },
    },
    paths,
  };
}

/** A small self-contained page rendering the document (no CDN: it must work offline; no inline script or style: strict CSP). */
export const DOCS_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>perfpixel API</title><link rel="stylesheet" href="/docs.css"></head><body><main><h1>perfpixel API</h1>
<p>Generated from <a href="/openapi.json">/openapi.json</a>, which is generated from the schemas that validate requests.</p><div id="ops">Loading…</div></main>
<script src="/docs.js" defer></script></body></html>`;

/** The docs page's stylesheet (GET /docs.css). */
export const DOCS_CSS = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7fb}main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:24px}h2{margin-top:32px;font-size:18px;border-bottom:1px solid #dde;padding-bottom:4px}
.op{background:#fff;border:1px solid #e2e5ee;border-radius:8px;margin:10px 0;padding:10px 14px}
.m{display:inline-block;min-width:56px;font-weight:700;text-transform:uppercase;font-size:12px;color:#fff;border-radius:4px;padding:2px 6px;text-align:center}
.get{background:#2f7d32}.post{background:#1f5fbf}.patch{background:#8a5a00}.put{background:#6a3fb5}.delete{background:#b3261e}
code{font:13px ui-monospace,monospace}details pre{background:#0f1420;color:#d6e2ff;padding:10px;border-radius:6px;overflow:auto;font-size:12px}
.auth{color:#667;font-size:13px}`;

/** The docs page's script (GET /docs.js): renders /openapi.json, escaping every value it shows. */
export const DOCS_JS = `fetch('/openapi.json').then(r=>r.json()).then(doc=>{const by={};for(const[p,ops]of Object.entries(doc.paths))for(const[m,op]of Object.entries(ops))(by[op.tags[0]]??=[]).push([m,p,op]);
const esc=s=>String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
document.getElementById('ops').innerHTML=Object.entries(by).map(([tag,ops])=>'<h2>'+esc(tag)+'</h2>'+ops.map(([m,p,op])=>'<div class="op"><span class="m '+m+'">'+m+'</span> <code>'+esc(p)+'</code> — '+esc(op.summary)+
(op.security?'<div class="auth">auth: '+op.security.map(s=>Object.keys(s)[0]).join(' or ')+'</div>':'')+
((op.parameters||[]).length?'<div class="auth">parameters: '+op.parameters.map(x=>'<code>'+esc(x.name)+'</code>').join(', ')+'</div>':'')+
(op.requestBody?'<details><summary>request body</summary><pre>'+esc(JSON.stringify(Object.values(op.requestBody.content)[0].schema,null,2))+'</pre></details>':'')+
'<div class="auth">answers: '+Object.entries(op.responses).map(([c,r])=>c+' '+esc(r.description)).join(' · ')+'</div></div>').join('')).join('')})
.catch(e=>{document.getElementById('ops').textContent='Could not load the API document: '+e})`;
