/** Operations: liveness, readiness, Prometheus metrics, the OpenAPI document and its docs page. */
import { z } from 'zod';
import { buildOpenApi, DOCS_CSS, DOCS_HTML, DOCS_JS } from './openapi';
import type { Collector } from './context';
import { createRouter, type Router } from './router';
import type { RouteDoc } from './router';
import { PAGE_HEADERS } from './security-headers';

/** /healthz, /readyz, /metrics, /openapi.json and /docs; `docs` lists every documented route of the app. */
export function opsRoutes(col: Collector, docs: () => readonly RouteDoc[]): Router {
  const r = createRouter(col, 'Operations');
  r.route({ method: 'get', path: '/healthz', summary: 'Liveness: the process answers.', responses: { 200: z.object({ ok: z.literal(true) }).describe('alive') } }, (c) => c.json({ ok: true as const }));
  r.route(
    {
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: the store answers.',
      responses: {
        200: z.object({ ok: z.literal(true), store: z.enum(['sqlite', 'postgres']), queue: z.number().int() }).describe('ready'),
        503: z.object({ ok: z.literal(false), store: z.enum(['sqlite', 'postgres']), reason: z.string() }).describe('store unreachable'),
      },
    },
    async (c) => {
      try {
        await Promise.race([col.store.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))]);
        return c.json({ ok: true, store: col.store.kind, queue: col.committer.depth() });
      } catch (err) {
        return c.json({ ok: false, store: col.store.kind, reason: (err as Error).message }, 503);
      }
    },
  );
  r.route({ method: 'get', path: '/metrics', summary: 'Prometheus metrics.', responses: { 200: { description: 'text exposition format', type: 'text/plain' } } }, async (c) => {
    col.metrics.queueDepth.set(col.committer.depth());
    return c.text(await col.metrics.registry.metrics(), 200, { 'Content-Type': col.metrics.registry.contentType });
  });
  r.route({ method: 'get', path: '/openapi.json', summary: 'This document.', responses: { 200: z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string() }), paths: z.record(z.string(), z.unknown()) }).describe('OpenAPI 3.0') } }, (c) =>
    c.json(buildOpenApi(docs(), col.publicUrl)),
  );
  // The docs page runs under the strict page policy: its script and styles are files of their own.
  r.route({ method: 'get', path: '/docs', summary: 'This document as a readable page.', responses: { 200: { description: 'HTML', type: 'text/html' } } }, (c) => c.html(DOCS_HTML, 200, PAGE_HEADERS));
  r.route({ method: 'get', path: '/docs.js', summary: 'The docs page script.', responses: { 200: { description: 'JavaScript' } } }, (c) =>
    c.body(DOCS_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }),
  );
  r.route({ method: 'get', path: '/docs.css', summary: 'The docs page styles.', responses: { 200: { description: 'CSS' } } }, (c) =>
    c.body(DOCS_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache' }),
  );
  return r;
}
