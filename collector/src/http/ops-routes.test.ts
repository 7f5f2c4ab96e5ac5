/**
 * Operations through `app.request()`: liveness, readiness (503 when the store is closed or
 * failing), Prometheus counters that move with what happened, and the OpenAPI document that
 * must describe every route the app answers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clickThrough,
  conversion,
  createHarness,
  eventId,
  metric,
  scrape,
  seedWorld,
  serveAd,
  type Harness,
  type World,
} from '../test-fixtures';

let h: Harness;
let w: World;
beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h);
});
afterEach(() => h.close());

describe('health', () => {
  it('answers /healthz while the process lives', async () => {
    const res = await h.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('answers /readyz with the store kind and queue depth while the store answers', async () => {
    const res = await h.request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, store: h.store.kind, queue: 0 });
  });

  it('answers /readyz 503 once the store is closed, and /healthz still 200', async () => {
    const other = await createHarness({ clock: h.clock });
    await other.store.close();
    const res = await other.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, store: other.store.kind, reason: expect.stringMatching(/not open|after calling end/i) });
    expect((await other.request('/healthz')).status).toBe(200);
    await other.close();
  });

  it('answers /readyz 503 when the store fails to answer', async () => {
    const failing = await createHarness({ clock: h.clock, store: { ...h.store, ping: () => Promise.reject(new Error('connection refused')) } });
    const res = await failing.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, reason: 'connection refused' });
  });
});

describe('GET /metrics', () => {
  it('moves received, accepted, rejected by reason, deduplicated, invalid and billed with what happened', async () => {
    const before = await scrape(h);
    expect(metric(before, 'pp_events_received_total', { type: 'cv' })).toBe(0);
    const pv = { t: 'pv', i: eventId('pv'), ts: h.clock() };
    await h.beacon(w.shopSiteId, [pv, { t: 'pv', i: 'bad', ts: 1 }]); // one accepted, one invalid_event
    await h.beacon(w.shopSiteId, [pv]); // exact replay
    await h.request('/e', { method: 'POST', body: 'nope', headers: { 'content-type': 'text/plain' } }); // malformed_json
    const ad = await serveAd(h, w.slotId);
    const { clickId } = await clickThrough(h, ad.tk);
    await clickThrough(h, (await serveAd(h, w.slotId)).tk, { 'user-agent': '' }); // invalid: empty UA
    h.clock.advance(60_000);
    await h.beacon(w.shopSiteId, [conversion(h, { k: clickId!, o: 'M-1' })]); // charged 5.00

    const m = await scrape(h);
    expect(metric(m, 'pp_events_received_total', { type: 'pv' })).toBe(2);
    expect(metric(m, 'pp_events_received_total', { type: 'invalid' })).toBe(1);
    expect(metric(m, 'pp_events_received_total', { type: 'body' })).toBe(1);
    expect(metric(m, 'pp_events_received_total', { type: 'clk' })).toBe(2);
    expect(metric(m, 'pp_events_accepted_total', { type: 'pv' })).toBe(1);
    expect(metric(m, 'pp_events_accepted_total', { type: 'clk' })).toBe(2);
    expect(metric(m, 'pp_events_accepted_total', { type: 'cv' })).toBe(1);
    expect(metric(m, 'pp_events_rejected_total', { reason: 'invalid_event' })).toBe(1);
    expect(metric(m, 'pp_events_rejected_total', { reason: 'malformed_json' })).toBe(1);
    expect(metric(m, 'pp_events_deduplicated_total', { type: 'pv' })).toBe(1);
    expect(metric(m, 'pp_events_invalid_total', { reason: 'empty_ua' })).toBe(1);
    expect(metric(m, 'pp_billed_micros_total', { currency: 'EUR' })).toBe(5_000_000);
    expect(metric(m, 'pp_group_commit_size_count')).toBeGreaterThanOrEqual(5);
    expect(metric(m, 'pp_queue_depth')).toBe(0);
  });

  it('answers the Prometheus text format', async () => {
    const res = await h.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toContain('# TYPE pp_events_received_total counter');
  });

  it('keeps counters per app: two collectors in one process do not share them', async () => {
    const other = await createHarness({ clock: h.clock });
    await h.beacon(w.shopSiteId, [{ t: 'pv', i: eventId('x'), ts: h.clock() }]);
    expect(metric(await scrape(other), 'pp_events_received_total', { type: 'pv' })).toBe(0);
    await other.close();
  });
});

describe('OpenAPI', () => {
  it('documents every route the app answers, with its schemas', async () => {
    const res = await h.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { type?: string; properties?: object } }> }; parameters: { name: string }[] }>> };
    expect(doc.openapi).toMatch(/^3\./);
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    const routes = h.app.routes
      .filter((r) => ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && !r.path.includes('*'))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const missing = [...new Set(routes)].filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
    // Bodies carry the schemas that validate them.
    const e = doc.paths['/e']!.post!.requestBody!.content['text/plain']!.schema;
    expect(e.properties).toHaveProperty('s');
    expect(e.properties).toHaveProperty('e');
    const s2s = doc.paths['/v1/conversions']!.post!.requestBody!.content['application/json']!.schema;
    expect(Object.keys(s2s.properties!)).toEqual(expect.arrayContaining(['event_id', 'click_id', 'order_id', 'value', 'value_micros', 'currency']));
    expect(doc.paths['/v1/campaigns']!.post!.requestBody).toBeTruthy();
    expect(doc.paths['/ad']!.get!.parameters.map((p) => p.name)).toEqual(['slot', 'p']);
    expect(doc.paths['/v1/conversions/{id}/reverse']!.post!.parameters.map((p) => p.name)).toEqual(['id']);
    expect(doc.paths['/v1/ledger']!.get!.parameters.map((p) => p.name)).toEqual(['from', 'to', 'advertiserId', 'publisherId', 'campaignId', 'kind', 'limit', 'before']);
  });

  it('gives every JSON answer of every route a response schema, errors included', async () => {
    type Op = { security?: unknown[]; responses: Record<string, { description: string; content?: Record<string, { schema?: { type?: string; properties?: Record<string, unknown>; anyOf?: unknown[] } }> }> };
    const doc = (await (await h.request('/openapi.json')).json()) as { paths: Record<string, Record<string, Op>> };
    const withoutSchema: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [code, answer] of Object.entries(op.responses)) {
          const json = answer.content?.['application/json'];
          if (json && !(json.schema?.properties || json.schema?.anyOf || json.schema?.type)) withoutSchema.push(`${method} ${path} ${code}`);
        }
        // An authenticated route documents its refusals, with the error schema.
        if (op.security) expect(op.responses['401']?.content?.['application/json']?.schema?.properties, `${method} ${path}`).toHaveProperty('reason');
      }
    }
    expect(withoutSchema).toEqual([]);
    const ledger = doc.paths['/v1/ledger']!.get!.responses['200']!.content!['application/json']!.schema!;
    expect(Object.keys(ledger.properties!)).toEqual(['groups', 'next']);
    const perf = JSON.stringify(doc.paths['/v1/reports/performance']!.get!.responses['200']);
    for (const field of ['earningMicros', 'costMicros', 'ecpmServedMicros', 'platformMicros']) expect(perf).toContain(field);
    expect(Object.keys(doc.paths['/v1/campaigns/{id}']!.get!.responses).sort()).toEqual(['200', '400', '401', '403', '404']);
  });

  it('serves a self-contained docs page that reads the document', async () => {
    const res = await h.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    // No CDN, and no inline script: the page runs under the strict page policy (security-headers.ts).
    expect([...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!.trim())).toEqual(['src="/docs.js" defer']);
    expect(html).not.toMatch(/<style|style=/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self';/);
    const js = await h.request('/docs.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain("fetch('/openapi.json')");
    expect((await h.request('/docs.css')).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('answers unknown routes 404 with a reason', async () => {
    const res = await h.request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found', reason: 'no route for GET /nope' });
  });
});
