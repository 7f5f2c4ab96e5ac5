/** Operations: liveness, readiness, Prometheus metrics, the OpenAPI document and its docs page. */
import type { Hono } from 'hono';
import { buildOpenApi, DOCS_HTML } from './openapi';
import type { Collector } from './context';

/** Registers /healthz, /readyz, /metrics, /openapi.json and /docs. */
export function opsRoutes(app: Hono, col: Collector): void {
  col.docs.push(
    { method: 'get', path: '/healthz', tag: 'Operations', summary: 'Liveness: the process answers.', auth: [], responses: { 200: 'alive' } },
    { method: 'get', path: '/readyz', tag: 'Operations', summary: 'Readiness: the store answers.', auth: [], responses: { 200: 'ready', 503: 'store unreachable' } },
    { method: 'get', path: '/metrics', tag: 'Operations', summary: 'Prometheus metrics.', auth: [], responses: { 200: 'text exposition format' } },
    { method: 'get', path: '/openapi.json', tag: 'Operations', summary: 'This document.', auth: [], responses: { 200: 'OpenAPI 3.0' } },
    { method: 'get', path: '/docs', tag: 'Operations', summary: 'This document as a readable page.', auth: [], responses: { 200: 'HTML' } },
  );
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    try {
      await Promise.race([col.store.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))]);
      return c.json({ ok: true, store: col.store.kind, queue: col.committer.depth() });
    } catch (err) {
      return c.json({ ok: false, store: col.store.kind, reason: (err as Error).message }, 503);
    }
  });
  app.get('/metrics', async (c) => {
    col.metrics.queueDepth.set(col.committer.depth());
    return c.text(await col.metrics.registry.metrics(), 200, { 'Content-Type': col.metrics.registry.contentType });
  });
  app.get('/openapi.json', (c) => c.json(buildOpenApi(col.docs, col.publicUrl)));
  app.get('/docs', (c) => c.html(DOCS_HTML));
}
