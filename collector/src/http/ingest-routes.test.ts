/**
 * Beacon ingest through `app.request()`: `POST /e` and `GET /p.gif`, row by row of the answer table
 * in ingest-routes.ts. Every refusal is checked three ways: the status and reason, a row in
 * rejected_events, and the Prometheus counter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/open-store';
import {
  clickThrough,
  conversion,
  createHarness,
  createTestClock,
  eventId,
  gateStore,
  metric,
  rejectedEvents,
  scrape,
  seedWorld,
  serveAd,
  until,
  type Harness,
  type World,
} from '../test-fixtures';
import { MAX_BEACON_BYTES } from './ingest-routes';

const pv = (i: string, extra: Record<string, unknown> = {}) => ({ t: 'pv', i: eventId(i), ts: 1_796_000_000_000, u: 'https://shop.example/', ...extra });

let h: Harness;
let w: World;
beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h);
});
afterEach(() => h.close());

const counts = () => h.store.reports.counts();
/** A raw `POST /e`; a stream body needs `duplex: 'half'` (undici's rule for streamed requests). */
const post = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
  h.request('/e', { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body, ...(typeof body === 'string' ? {} : { duplex: 'half' }) } as RequestInit & { headers: Record<string, string> });

describe('POST /e', () => {
  it('commits a text/plain batch and answers 202 with a summary', async () => {
    const res = await h.beacon(w.shopSiteId, [pv('a'), pv('b')], { origin: 'https://shop.example' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2, duplicate: 0, rejected: [], conflict: [] });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect((await counts()).page_views).toBe(2);
  });

  it('takes application/json the same way', async () => {
    const res = await post(JSON.stringify({ s: w.shopSiteId, e: [pv('json')] }), { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(202);
    expect((await counts()).page_views).toBe(1);
  });

  it('answers an exact replay as a duplicate and stores nothing new', async () => {
    await h.beacon(w.shopSiteId, [pv('a')]);
    const res = await h.beacon(w.shopSiteId, [pv('a')]);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 0, duplicate: 1 });
    expect((await counts()).page_views).toBe(1);
    expect(metric(await scrape(h), 'pp_events_deduplicated_total', { type: 'pv' })).toBe(1);
  });

  it('answers 400 malformed_json for a body that is not JSON, and keeps it', async () => {
    const res = await post('{"s":"site_shop","e":[');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'malformed_json' });
    const kept = await rejectedEvents(h.store);
    expect(kept).toMatchObject([{ reason: 'malformed_json', endpoint: '/e', payload: '{"s":"site_shop","e":[' }]);
    expect(metric(await scrape(h), 'pp_events_rejected_total', { reason: 'malformed_json' })).toBe(1);
  });

  it.each([
    ['an array', '[]', /expected object/i],
    ['no site', '{"e":[{"t":"pv"}]}', /^s: /],
    ['no events', '{"s":"site_shop","e":[]}', /^e: /],
    ['51 events', JSON.stringify({ s: 'site_shop', e: Array.from({ length: 51 }, (_, k) => pv(`x${k}`)) }), /^e: /],
    ['an unknown batch key', '{"s":"site_shop","e":[{}],"x":1}', /unknown field "x"/],
    ['a site ID with a slash', '{"s":"../etc","e":[{}]}', /^s: /],
  ])('answers 400 invalid_batch for %s, with the reason, and keeps it', async (_name, body, reason) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const b = (await res.json()) as { error: string; reason: string };
    expect(b.error).toBe('invalid_batch');
    expect(b.reason).toMatch(reason);
    expect(await rejectedEvents(h.store)).toMatchObject([{ reason: 'invalid_batch', detail: b.reason }]);
    expect(metric(await scrape(h), 'pp_events_rejected_total', { reason: 'invalid_batch' })).toBe(1);
  });

  it('files a refused batch under the site it names, so "verify my tag" shows it to that site', async () => {
    const res = await post('{"s":"site_shop","e":[{}],"x":1}');
    expect(res.status).toBe(400);
    expect(await rejectedEvents(h.store, 'site_shop')).toMatchObject([{ reason: 'invalid_batch', siteId: 'site_shop' }]);
  });

  it('answers 413 over 64 KiB before the handler reads the body, and keeps the refusal', async () => {
    // A valid batch padded with whitespace: were the limit checked after parsing, it would be stored.
    const body = JSON.stringify({ s: w.shopSiteId, e: [pv('big')] }) + ' '.repeat(MAX_BEACON_BYTES);
    const res = await post(body, { 'content-length': String(Buffer.byteLength(body)) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'body_too_large' });
    expect((await counts()).page_views).toBe(0);
    expect(await rejectedEvents(h.store)).toMatchObject([{ reason: 'body_too_large' }]);
    expect(metric(await scrape(h), 'pp_events_rejected_total', { reason: 'body_too_large' })).toBe(1);
  });

  const padded = () => {
    const head = new TextEncoder().encode(JSON.stringify({ s: w.shopSiteId, e: [pv('chunked')] }));
    const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent++ === 0) ctrl.enqueue(head);
        else if (sent < 8) ctrl.enqueue(chunk);
        else ctrl.close();
      },
    });
  };

  it('answers 413 for a chunked body once it passes 64 KiB', async () => {
    const res = await post(padded(), { 'transfer-encoding': 'chunked' });
    expect(res.status).toBe(413);
    expect((await counts()).page_views).toBe(0);
  });

  it('answers 413 for a body without any length framing (HTTP/2, fetch runtimes) once it passes 64 KiB', async () => {
    const res = await post(padded());
    expect(res.status).toBe(413);
    expect((await counts()).page_views).toBe(0);
  });

  it('answers 413 for a Content-Length over 64 KiB even when fewer bytes follow', async () => {
    const res = await post(JSON.stringify({ s: w.shopSiteId, e: [pv('liar')] }), { 'content-length': String(MAX_BEACON_BYTES + 1) });
    expect(res.status).toBe(413);
    expect((await counts()).page_views).toBe(0);
  });

  it('takes a batch of exactly 64 KiB', async () => {
    const head = JSON.stringify({ s: w.shopSiteId, e: [pv('edge')] });
    const res = await post(head + ' '.repeat(MAX_BEACON_BYTES - head.length));
    expect(res.status).toBe(202);
  });

  it.each(['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/png'])('answers 415 for %s and keeps the refusal', async (type) => {
    const res = await post(JSON.stringify({ s: w.shopSiteId, e: [pv('a')] }), { 'content-type': type });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: 'unsupported_media_type' });
    expect((await counts()).page_views).toBe(0);
    expect(await rejectedEvents(h.store)).toMatchObject([{ reason: 'unsupported_media_type', detail: type.split(';')[0] }]);
    expect(metric(await scrape(h), 'pp_events_rejected_total', { reason: 'unsupported_media_type' })).toBe(1);
  });

  it('answers 422 when every event is invalid, naming each reason, and keeps every one', async () => {
    const res = await h.beacon(w.shopSiteId, [
      { t: 'pv', i: eventId('nested'), ts: 1, u: { x: 1 } },
      { t: 'cv', i: eventId('money'), ts: 1, v: '1e3', c: 'EUR' },
      { t: 'cv', i: eventId('big'), ts: 2 ** 53 + 2 },
      { t: 'zz', i: eventId('type'), ts: 1 },
      { t: 'pv', i: 'short', ts: 1 },
      { t: 'pv', i: eventId('extra'), ts: 1, evil: 1 },
    ]);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { accepted: number; rejected: { i: string; reason: string }[] };
    expect(body.accepted).toBe(0);
    expect(body.rejected.map((r) => r.reason)).toEqual(Array(6).fill('invalid_event'));
    const kept = await rejectedEvents(h.store, w.shopSiteId);
    expect(kept).toHaveLength(6);
    const details = kept.map((k) => k.detail).join(' | ');
    expect(details).toMatch(/u: /);
    expect(details).toMatch(/plain decimal/);
    expect(kept.find((k) => k.eventId === eventId('big'))!.detail).toMatch(/^ts: /); // above 2^53: not a safe integer
    expect(details).toMatch(/unknown field "evil"/);
    expect(kept.find((k) => k.eventId === eventId('money'))).toMatchObject({ eventType: 'cv', siteId: w.shopSiteId });
    expect(metric(await scrape(h), 'pp_events_rejected_total', { reason: 'invalid_event' })).toBe(6);
    expect((await counts()).conversions).toBe(0);
  });

  it('answers 422 with unknown_site for events of a site that does not exist', async () => {
    const res = await h.beacon('site_nowhere', [pv('a')]);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ rejected: [{ reason: 'unknown_site' }] });
    expect(await rejectedEvents(h.store, 'site_nowhere')).toMatchObject([{ reason: 'unknown_site' }]);
    expect(metric(await scrape(h), 'pp_events_rejected_total', { reason: 'unknown_site' })).toBe(1);
  });

  it('takes the valid events of a mixed batch and lists the others', async () => {
    const res = await h.beacon(w.shopSiteId, [pv('ok'), { t: 'pv', i: eventId('bad'), ts: -1 }]);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, duplicate: 0, rejected: [{ i: eventId('bad'), reason: 'invalid_event' }], conflict: [] });
    expect((await counts()).page_views).toBe(1);
  });

  it('answers 409 when every event reuses an event_id with another payload, and changes nothing', async () => {
    await h.beacon(w.shopSiteId, [pv('a'), pv('b')]);
    const res = await h.beacon(w.shopSiteId, [pv('a', { u: 'https://shop.example/other' }), pv('b', { u: 'https://shop.example/x' })]);
    expect(res.status).toBe(409);
    const body = (await res.json()) as { conflict: { i: string }[] };
    expect(body.conflict.map((c) => c.i)).toEqual([eventId('a'), eventId('b')]);
    expect((await counts()).page_views).toBe(2);
    expect(metric(await scrape(h), 'pp_events_conflict_total', { type: 'pv' })).toBe(2);
  });

  it('answers 409 for a conversion of an order already converted with another amount', async () => {
    const first = await h.beacon(w.shopSiteId, [conversion(h, { o: 'A-1', v: '10.00' })]);
    expect(first.status).toBe(202);
    const again = await h.beacon(w.shopSiteId, [conversion(h, { o: 'A-1', v: '99.00' })]);
    expect(again.status).toBe(409);
    const [c] = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10);
    expect(c!.valueMicros).toBe(10_000_000n);
    expect((await counts()).conversions).toBe(1);
  });

  it("keeps a conversion whose other platform's click ID is too long, dropping only that ID", async () => {
    const res = await h.beacon(w.shopSiteId, [{ ...conversion(h, { o: 'LONG-1', v: '10.00' }), gclid: 'g'.repeat(600), fbclid: 'fb.1.abc' }]);
    expect(res.status).toBe(202);
    const [c] = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10);
    expect(c).toMatchObject({ orderId: 'LONG-1', otherClickIds: { fbclid: 'fb.1.abc' } });
    expect(c!.otherClickIds.gclid).toBeUndefined();
  });

  it("answers 403 for an Origin not on the site's allow-list, stores none of its events, and keeps the refusal", async () => {
    const res = await h.beacon(w.shopSiteId, [pv('a')], { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'origin_not_allowed' });
    expect((await counts()).page_views).toBe(0);
    expect(await rejectedEvents(h.store, w.shopSiteId)).toMatchObject([{ reason: 'origin_not_allowed', detail: 'https://evil.example' }]);
    expect(metric(await scrape(h), 'pp_events_rejected_total', { reason: 'origin_not_allowed' })).toBe(1);
  });

  it('takes any origin for a site with an empty allow-list, and requests without an Origin', async () => {
    expect((await h.beacon(w.newsSiteId, [pv('a')], { origin: 'https://anywhere.example' })).status).toBe(202);
    expect((await h.beacon(w.shopSiteId, [pv('b')])).status).toBe(202);
  });

  it('follows an allow-list edit at once', async () => {
    expect((await h.api('PATCH', `/v1/sites/${w.shopSiteId}`, w.advertiserKey, { origins: ['https://www.shop.example'] })).status).toBe(200);
    expect((await h.beacon(w.shopSiteId, [pv('a')], { origin: 'https://shop.example' })).status).toBe(403);
    expect((await h.beacon(w.shopSiteId, [pv('b')], { origin: 'https://www.shop.example' })).status).toBe(202);
  });

  it('answers the CORS preflight for the origin that asks', async () => {
    const res = await h.request('/e', { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('corrects event times by the client clock: at = received − (n − ts)', async () => {
    const clientNow = 1_000_000_000_000; // the client clock is years behind
    const e = { ...conversion(h, { o: 'SKEW-1' }), ts: clientNow - 4_000 };
    expect((await h.beacon(w.shopSiteId, [e], {}, clientNow)).status).toBe(202);
    const [c] = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1);
    expect(c!.at).toBe(h.clock() - 4_000);
    expect(c!.receivedAt).toBe(h.clock());
  });
});

describe('POST /e: events about ads', () => {
  const adEvent = (t: string, tk: string, k: string) => ({ t, i: eventId(k), ts: h.clock(), tk, p: 'pv_1' });

  it('bills a click beacon and the redirect for the same ad once (CPC)', async () => {
    await h.close();
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '400000' } });
    const ad = await serveAd(h, w.slotId, 'pv_1');
    const res = await h.beacon(w.newsSiteId, [adEvent('clk', ad.tk, 'clk')]);
    expect(res.status).toBe(202);
    const redirect = await clickThrough(h, ad.tk);
    expect(redirect.res.status).toBe(302);
    expect(await h.store.write((tx) => tx.click(redirect.clickId!))).toMatchObject({ billing: 'not_billable', duplicateOf: expect.any(String) });
    expect((await h.store.reports.balances(['advertiser:adv_shop'])).get('advertiser:adv_shop')).toBe(400_000n);
  });

  it('bills viewable impressions on CPM running totals, once per ad decision', async () => {
    await h.close();
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpm', cpmMicros: '1500' } }); // 0.0015 per thousand: 1.5 micros each
    for (let k = 0; k < 3; k++) {
      const ad = await serveAd(h, w.slotId, `pv_${k}`);
      const res = await h.beacon(w.newsSiteId, [adEvent('imp', ad.tk, `imp${k}`), adEvent('vi', ad.tk, `vi${k}`), adEvent('vi', ad.tk, `vi${k}-again`)]);
      expect(await res.json()).toMatchObject({ accepted: 2, duplicate: 1 });
    }
    // floor(n × 1500 / 1000) − charged: 1, then 2 (3 − 1), then 1 (4 − 3) … so three viewables cost 4 micros.
    expect((await h.store.reports.balances(['advertiser:adv_shop'])).get('advertiser:adv_shop')).toBe(4n);
    const perf = await h.store.reports.performance({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 'campaign', false);
    expect(perf[0]).toMatchObject({ served: 3, viewable: 3, costMicros: 4n });
  });

  it('rejects ad events whose token is for another site, tampered or expired, and keeps them', async () => {
    const ad = await serveAd(h, w.slotId, 'pv_1');
    const tampered = ad.tk.slice(0, -3) + (ad.tk.endsWith('AAA') ? 'BBB' : 'AAA');
    expect(await (await h.beacon(w.shopSiteId, [adEvent('imp', ad.tk, 'wrong-site')])).json()).toMatchObject({ rejected: [{ reason: 'site_mismatch' }] });
    expect(await (await h.beacon(w.newsSiteId, [adEvent('imp', tampered, 'tampered')])).json()).toMatchObject({ rejected: [{ reason: 'bad_signature' }] });
    h.clock.advance(8 * 86_400_000);
    expect(await (await h.beacon(w.newsSiteId, [adEvent('vi', ad.tk, 'late')])).json()).toMatchObject({ rejected: [{ reason: 'expired_token' }] });
    const reasons = (await rejectedEvents(h.store)).map((r) => r.reason).sort();
    expect(reasons).toEqual(['bad_signature', 'expired_token', 'site_mismatch']);
    expect((await counts()).impressions).toBe(0);
  });

  it('rejects a conversion sent for a publisher site', async () => {
    const res = await h.beacon(w.newsSiteId, [conversion(h, { o: 'PUB-1' })]);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ rejected: [{ reason: 'not_a_conversion_site' }] });
    expect((await counts()).conversions).toBe(0);
  });
});

describe('POST /e under load', () => {
  it('answers 429 with Retry-After past the per-source rate, per source, and takes events again once tokens refill', async () => {
    await h.close();
    h = await createHarness({ rate: { rate: 1, burst: 3 } });
    w = await seedWorld(h);
    expect((await h.beacon(w.shopSiteId, [pv('a'), pv('b'), pv('c')])).status).toBe(202);
    const limited = await h.beacon(w.shopSiteId, [pv('d')]);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
    expect(metric(await scrape(h), 'pp_overload_total', { endpoint: '/e' })).toBe(1);
    // Another source (IP + user agent) has its own bucket.
    expect((await h.beacon(w.shopSiteId, [pv('e')], { 'x-test-peer': '192.0.2.55' })).status).toBe(202);
    h.clock.advance(1_000);
    expect((await h.beacon(w.shopSiteId, [pv('d')])).status).toBe(202);
    expect((await counts()).page_views).toBe(5);
  });

  it('answers 503 with Retry-After when the commit queue is full, and still commits what it acknowledged', async () => {
    await h.close();
    const clock = createTestClock();
    const gated = gateStore(await openStore(':memory:', { clock }));
    h = await createHarness({ store: gated.store, clock, maxQueue: 1 });
    w = await seedWorld(h);
    gated.hold();
    const first = h.beacon(w.shopSiteId, [pv('first')]);
    await until(() => gated.waiting === 1, 'the first batch to reach COMMIT');
    const second = await h.beacon(w.shopSiteId, [pv('second')]);
    expect(second.status).toBe(503);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await second.json()).toMatchObject({ error: 'overloaded' });
    gated.release();
    expect((await first).status).toBe(202);
    expect((await counts()).page_views).toBe(1);
    expect(metric(await scrape(h), 'pp_overload_total', { endpoint: '/e' })).toBe(1);
  });

  it('answers 503 store_unavailable when the transaction fails, and acknowledges nothing', async () => {
    const failing = { ...h.store, write: async () => Promise.reject(new Error('disk I/O error')) };
    const broken = await createHarness({ store: failing, clock: h.clock });
    const res = await broken.beacon(w.shopSiteId, [pv('lost')]);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect((await counts()).page_views).toBe(0);
  });
});

describe('GET /p.gif', () => {
  const isGif = async (res: Response) => {
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.length).toBe(43);
    expect(Buffer.from(bytes.subarray(0, 6)).toString()).toBe('GIF89a');
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('cache-control')).toBe('no-store');
  };

  it('stores a conversion from query parameters and answers a 43-byte GIF', async () => {
    const res = await h.request(`/p.gif?s=${w.shopSiteId}&t=cv&i=${eventId('px')}&a=purchase&v=12.50&c=EUR&o=PX-1`);
    expect(res.status).toBe(200);
    await isGif(res);
    const [c] = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1);
    expect(c).toMatchObject({ orderId: 'PX-1', valueMicros: 12_500_000n, currency: 'EUR', eventId: eventId('px') });
  });

  it('answers a GIF with 400 for a missing site, a repeated parameter or a too-long value, and keeps each refusal', async () => {
    for (const q of ['t=cv&o=1', `s=${w.shopSiteId}&o=1&o=2`, `s=${w.shopSiteId}&o=${'x'.repeat(3000)}`]) {
      const res = await h.request(`/p.gif?${q}`);
      expect(res.status, q).toBe(400);
      await isGif(res);
    }
    const reasons = (await rejectedEvents(h.store)).map((r) => r.reason).sort();
    expect(reasons).toEqual(['invalid_batch', 'invalid_query', 'invalid_query']);
    expect((await counts()).conversions).toBe(0);
  });

  it('answers a GIF with 422 for an event that fails validation', async () => {
    const res = await h.request(`/p.gif?s=${w.shopSiteId}&t=cv&v=abc&c=EUR&o=BAD-1`);
    expect(res.status).toBe(422);
    await isGif(res);
    expect(await rejectedEvents(h.store, w.shopSiteId)).toMatchObject([{ reason: 'invalid_event', eventType: 'cv' }]);
  });

  it('derives a stable event ID from the order for a <noscript> pixel, so a reload later is an exact replay', async () => {
    const url = `/p.gif?s=${w.shopSiteId}&a=signup&o=NS-1&v=5&c=EUR`;
    expect((await h.request(url)).status).toBe(200);
    h.clock.advance(7_000); // the visitor reloads the thank-you page
    const reload = await h.request(url);
    expect(reload.status).toBe(200);
    await isGif(reload);
    const list = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10);
    expect(list).toHaveLength(1);
    expect(list[0]!.eventId).toMatch(/^px-/);
    expect(metric(await scrape(h), 'pp_events_deduplicated_total', { type: 'cv' })).toBe(1);
  });

  it('answers 409 for the same pixel order with another amount, and changes nothing', async () => {
    expect((await h.request(`/p.gif?s=${w.shopSiteId}&a=signup&o=NS-2&v=5&c=EUR`)).status).toBe(200);
    const other = await h.request(`/p.gif?s=${w.shopSiteId}&a=signup&o=NS-2&v=500&c=EUR`);
    expect(other.status).toBe(409);
    const [c] = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10);
    expect(c!.valueMicros).toBe(5_000_000n);
  });

  it('bills the pixel conversion like a beacon when it carries a click ID', async () => {
    const ad = await serveAd(h, w.slotId);
    const { clickId } = await clickThrough(h, ad.tk);
    h.clock.advance(60_000);
    const res = await h.request(`/p.gif?s=${w.shopSiteId}&i=${eventId('pxk')}&a=purchase&k=${clickId}&v=20&c=EUR&o=PXK-1`);
    expect(res.status).toBe(200);
    const [c] = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1);
    expect(c).toMatchObject({ status: 'approved', touchId: clickId, costMicros: 5_000_000n });
  });
});
