/**
 * "Fuzzed payloads cause no 5xx" (SPEC §5): seeded fast-check runs against the public endpoints —
 * beacon batches built from the wire vocabulary with hostile values, raw bodies, pixel query
 * strings, signed S2S bodies and ad queries. Every answer must be a 2xx/4xx with a JSON reason
 * (or a GIF), and a 202 must account for every event it was sent.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickThrough, createHarness, seedWorld, serveAd, type Harness, type World } from '../test-fixtures';

const SEED = 20261130;
let h: Harness;
let w: World;
let tk: string;
let clickId: string;
beforeAll(async () => {
  h = await createHarness({ rate: { rate: 1e9, burst: 1e9 } });
  w = await seedWorld(h);
  tk = (await serveAd(h, w.slotId)).tk;
  clickId = (await clickThrough(h, (await serveAd(h, w.slotId)).tk)).clickId!;
});
afterAll(() => h.close());

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\r\n', '__proto__', 'constructor', '-0', '1e309', 'NaN', '49.90', '0.0000001', '9'.repeat(30), 'EUR', 'eur', '💸', '<script>'),
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 53, 2 ** 53 + 2, -1, Number.MAX_VALUE, 1_796_040_000_000),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);
const key = fc.constantFrom('t', 'i', 'ts', 'p', 'u', 'r', 'tk', 'a', 'k', 'v', 'c', 'o', 'mn', 'mv', 'cl', 'gclid', 'x', '__proto__');
const type = fc.constantFrom('pv', 'imp', 'vi', 'clk', 'cv', 'wv', 'zz', '');
const event = fc.record({ t: type, i: fc.oneof(fc.uuid(), nasty), ts: fc.oneof(fc.constant(1_796_040_000_000), nasty), extra: fc.dictionary(key, nasty, { maxKeys: 5 }) }).map(({ extra, ...e }) => ({ ...extra, ...e }));

async function expectNo5xx(res: Response, what: string) {
  expect(res.status, what).toBeLessThan(500);
  if (res.headers.get('content-type')?.startsWith('application/json')) {
    const body = (await res.json()) as { error?: string; reason?: string };
    if (res.status >= 400 && res.status !== 409 && res.status !== 422) expect(typeof body.reason, what).toBe('string');
    return body;
  }
  return null;
}

describe('fuzzed input never gets a 5xx', () => {
  it('POST /e with batches built from the wire vocabulary', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(w.shopSiteId, w.newsSiteId, 'site_nowhere'), fc.array(event, { minLength: 1, maxLength: 8 }), fc.boolean(), async (s, events, withToken) => {
        const batch = events.map((e) => (withToken && e.t !== 'cv' ? { ...e, tk } : e.t === 'cv' && withToken ? { ...e, k: clickId } : e));
        const res = await h.beacon(s, batch);
        const body = (await expectNo5xx(res, JSON.stringify(batch).slice(0, 300))) as { accepted: number; duplicate: number; rejected: unknown[]; conflict: unknown[] } | null;
        if (res.status === 202 || res.status === 422 || res.status === 409) {
          expect(body!.accepted + body!.duplicate + body!.rejected.length + body!.conflict.length).toBe(batch.length);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('POST /e with raw bodies and content types', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json(), fc.string({ unit: 'binary' })), fc.constantFrom('text/plain', 'application/json', 'text/plain; charset=latin1', 'TEXT/PLAIN', 'application/x-www-form-urlencoded', ''), async (body, type) => {
        const res = await h.request('/e', { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
        await expectNo5xx(res, `${type} ${body.slice(0, 200)}`);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('GET /p.gif with arbitrary query strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(key, fc.oneof(fc.string(), fc.constantFrom('cv', 'pv', '49.90', 'EUR', '1796040000000')), { maxKeys: 8 }), async (q) => {
        const qs = new URLSearchParams({ s: w.shopSiteId, ...q }).toString();
        const res = await h.request(`/p.gif?${qs}`);
        expect(res.status, qs).toBeLessThan(500);
        expect(res.headers.get('content-type'), qs).toBe('image/gif');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('POST /v1/conversions with signed arbitrary bodies', async () => {
    const field = fc.constantFrom('event_id', 'action', 'click_id', 'click_ids', 'order_id', 'value', 'value_micros', 'currency', 'occurred_at', 'site_id', 'x');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(field, nasty, { maxKeys: 6 }), async (body) => {
        const res = await h.s2s(w.advertiserId, w.s2sSecret, body);
        await expectNo5xx(res, JSON.stringify(body).slice(0, 300));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('GET /ad and GET /c/:token with arbitrary parameters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (slot, token) => {
        await expectNo5xx(await h.request(`/ad?slot=${encodeURIComponent(slot)}&p=${encodeURIComponent(token)}`), slot);
        const res = await h.request(`/c/${encodeURIComponent(token) || 'x'}`);
        expect(res.status, token).toBeLessThan(500);
        expect(res.headers.get('location'), token).toBeNull();
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
