/**
 * The app as a whole: what createApp/createCollector wire around the routes — request IDs, the
 * access log (no raw IPs), the JSON answer for an unhandled error, and drain for a clean shutdown.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from './app';
import { openStore } from './store/open-store';
import { OPERATOR_KEY, SECRET, createHarness, createTestClock, eventId, gateStore, seedWorld, until, type Harness } from './test-fixtures';

/** A pino logger that keeps its lines for the test. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('createApp', () => {
  it('builds an app from a store, a clock and keys, without opening a port', async () => {
    const clock = createTestClock();
    const store = await openStore(':memory:', { clock });
    const app = createApp({ store, clock, secret: SECRET, operatorKey: OPERATOR_KEY });
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]{8,}$/);
    await store.close();
  });

  it('refuses a signing secret shorter than 32 characters', async () => {
    const clock = createTestClock();
    const store = await openStore(':memory:', { clock });
    expect(() => createApp({ store, clock, secret: 'short', operatorKey: OPERATOR_KEY })).toThrow(/32/);
    await store.close();
  });
});

describe('logging and errors', () => {
  it('answers an unhandled error 500 with a JSON reason, and logs it with the request ID', async () => {
    const { lines, logger } = capture();
    const clock = createTestClock();
    const inner = await openStore(':memory:', { clock });
    const store = { ...inner, catalog: { ...inner.catalog, getSlot: () => Promise.reject(new Error('disk on fire')) } };
    h = await createHarness({ store, clock, logger });
    const res = await h.request('/ad?slot=slot_top');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal_error', reason: 'something went wrong; it has been logged' });
    const err = lines.find((l) => l.msg === 'unhandled error');
    expect(err).toMatchObject({ reqId: res.headers.get('x-request-id'), err: { message: 'disk on fire' } });
  });

  it('logs requests without the raw client IP', async () => {
    const { lines, logger } = capture();
    h = await createHarness({ logger });
    await h.request('/nope', { headers: { 'x-test-peer': '203.0.113.77' } });
    const access = lines.find((l) => l.path === '/nope');
    expect(access).toMatchObject({ method: 'GET', status: 404, ip: expect.any(String) });
    expect(JSON.stringify(lines)).not.toContain('203.0.113.77');
  });
});

describe('drain', () => {
  it('resolves only once every queued event has been committed', async () => {
    const clock = createTestClock();
    const gated = gateStore(await openStore(':memory:', { clock }));
    h = await createHarness({ store: gated.store, clock });
    const w = await seedWorld(h);
    gated.hold();
    const sent = h.beacon(w.shopSiteId, [{ t: 'pv', i: eventId('drain'), ts: 1 }]);
    await until(() => gated.waiting === 1, 'the commit');
    let drained = false;
    const d = h.drain().then(() => (drained = true));
    for (let k = 0; k < 20; k++) await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    gated.release();
    await d;
    expect((await h.store.reports.counts()).page_views).toBe(1);
    expect((await sent).status).toBe(202);
  });
});
