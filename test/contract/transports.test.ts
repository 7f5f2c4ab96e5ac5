/**
 * Wire contract, transport by transport (ARCHITECTURE.md "Wire format"): the exact requests the SDK
 * makes — `fetch` keepalive while the page lives, `navigator.sendBeacon` when it is hidden or left,
 * one `GET /p.gif` per event when the beacon is refused — are each accepted by the collector, and an
 * event that arrives twice by two transports is stored once.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { clickThrough, serveAd } from '../../collector/src/test-fixtures';
import { init, trackConversion, trackVitals } from '../../sdk/src/index';
import { reported } from './fake-web-vitals';
import { COLLECTOR, eachTestCollector, pageViewRow, type ContractCollector, type SdkBrowser, type SdkBrowserOptions } from './sdk-browser';

vi.mock('web-vitals', () => import('./fake-web-vitals'));

let c: ContractCollector;
let clickId: string;
const open = eachTestCollector((x) => (c = x));

beforeEach(async () => {
  clickId = (await clickThrough(c.h, (await serveAd(c.h, c.w.slotId)).tk)).clickId!;
  c.h.clock.advance(60_000);
});

/** A checkout page that came from an ad and is about to be left right after the purchase. */
const checkout = (o: SdkBrowserOptions = {}) => {
  const b = open(`https://shop.example/thanks?ppclid=${clickId}&gclid=G-9`, { referrer: 'https://shop.example/cart?step=3', ...o });
  init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
  return b;
};

/** The purchase the tests send: value as a JS number, so the exact micros are checked too. */
const purchase = () => trackConversion({ action: 'purchase', value: 49.9, currency: 'EUR', orderId: 'T-1' });

/** The collector's 202 summaries of a page's requests, added up. */
const summary = (b: SdkBrowser) => {
  const sum = { accepted: 0, duplicate: 0, rejected: 0, conflict: 0 };
  for (const r of b.beacons()) {
    expect(r.status).toBe(202);
    const x = JSON.parse(r.responseBody!) as { accepted: number; duplicate: number; rejected: unknown[]; conflict: unknown[] };
    sum.accepted += x.accepted;
    sum.duplicate += x.duplicate;
    sum.rejected += x.rejected.length;
    sum.conflict += x.conflict.length;
  }
  return sum;
};

const storedPurchase = async () => {
  const all = await c.conversions();
  expect(all).toHaveLength(1);
  expect(all[0]).toMatchObject({ actionKey: 'purchase', valueMicros: 49_900_000n, currency: 'EUR', orderId: 'T-1', clickIds: [clickId], otherClickIds: { gclid: 'G-9' } });
  return all[0]!;
};

describe('fetch (the page lives)', () => {
  it('POSTs text/plain JSON with keepalive and the page’s Origin, with no preflight, and reads the 202', async () => {
    const b = checkout();
    purchase();
    await b.settle();
    const [r] = b.beacons();
    expect(r).toMatchObject({
      via: 'fetch',
      method: 'POST',
      url: `${COLLECTOR}/e`,
      keepalive: true,
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://shop.example' },
      status: 202,
    });
    // text/plain is a CORS-safelisted content type and no other header is set: the browser sends no OPTIONS first.
    expect(Object.keys(r!.headers).sort()).toEqual(['content-type', 'origin', 'user-agent']);
    expect(r!.responseHeaders).toMatchObject({ 'access-control-allow-origin': 'https://shop.example', 'access-control-expose-headers': 'Retry-After' });
    expect(JSON.parse(r!.body)).toEqual({ s: 'site_shop', n: c.h.clock(), e: [expect.objectContaining({ t: 'pv' }), expect.objectContaining({ t: 'cv', v: '49.900000' })] });
    const cv = await storedPurchase();
    expect(cv.eventId).toBe(JSON.parse(r!.body).e[1].i);
    expect(b.outbox()).toEqual([]);
  });
});

describe('sendBeacon (the page is left)', () => {
  it('sends the conversion made just before pagehide as a beacon the collector takes; the next page’s fetch is a duplicate', async () => {
    const b = checkout();
    await b.settle();
    purchase();
    // The visitor leaves in the same task: the flush at pagehide goes by sendBeacon.
    b.win.dispatchEvent(new b.win.Event('pagehide'));
    await b.settle();
    const beacon = b.beacons().find((r) => r.via === 'beacon')!;
    expect(beacon).toMatchObject({ method: 'POST', url: `${COLLECTOR}/e`, keepalive: true, headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://shop.example' }, status: 202 });
    expect(JSON.parse(beacon.body).e).toEqual([expect.objectContaining({ t: 'cv', o: 'T-1' })]);
    await storedPurchase();
    // A beacon's answer is never read: the event stays in the outbox …
    expect(b.outbox().map((x) => x.e.t)).toEqual(['cv']);

    // … and goes again by fetch on the next page, where the collector answers it as an exact replay.
    const next = open('https://shop.example/account', { profile: b.profile() });
    init({ site: 'site_shop', endpoint: COLLECTOR }, next.deps);
    await next.settle();
    const replay = next.beacons().find((r) => r.body.includes(JSON.parse(beacon.body).e[0].i))!;
    expect(replay).toMatchObject({ via: 'fetch', status: 202 });
    expect(summary(next)).toEqual({ accepted: 1, duplicate: 1, rejected: 0, conflict: 0 });
    await storedPurchase();
    expect(next.outbox()).toEqual([]);
  });

  it('sends by sendBeacon when the tab is hidden', async () => {
    const b = checkout();
    await b.settle();
    purchase();
    b.setHidden(true);
    await b.settle();
    expect(b.beacons().map((r) => [r.via, r.status])).toEqual([
      ['fetch', 202],
      ['beacon', 202],
    ]);
    await storedPurchase();
  });
});

describe('GET /p.gif (the beacon was refused)', () => {
  it('sends one pixel per event, each taken by the collector with the same meaning as the JSON form', async () => {
    const b = checkout({ beaconAccepted: false });
    purchase();
    b.win.dispatchEvent(new b.win.Event('pagehide'));
    await trackVitals();
    reported.get('CLS')!({ name: 'CLS', value: 0.042 });
    b.setHidden(true);
    await b.settle();

    const pixels = b.beacons().filter((r) => r.via === 'image');
    expect(pixels.map((r) => new URL(r.url).searchParams.get('t'))).toEqual(['pv', 'cv', 'wv']);
    for (const r of pixels) {
      const u = new URL(r.url);
      expect(`${u.origin}${u.pathname}`).toBe(`${COLLECTOR}/p.gif`);
      expect(r).toMatchObject({ method: 'GET', status: 200, responseHeaders: { 'content-type': 'image/gif' } });
      // An image request carries no Origin and no body.
      expect(r.headers.origin).toBeUndefined();
      expect(u.searchParams.get('s')).toBe('site_shop');
      expect(Number(u.searchParams.get('n'))).toBe(b.now());
    }
    expect(pixels.map((r) => r.responseBytes)).toEqual([43, 43, 43]);

    const cv = await storedPurchase();
    expect(cv.eventId).toBe(new URL(pixels[1]!.url).searchParams.get('i'));
    const [pv] = (await c.rows('page_views')).map(pageViewRow);
    expect(pv).toMatchObject({ url: 'https://shop.example/thanks', referrer: 'https://shop.example/cart', clickIds: [clickId], otherClickIds: { gclid: 'G-9' }, cookieless: false });
    expect((await c.rows('vitals')).map((r) => [r.name, Number(r.value)])).toEqual([['CLS', 0.042]]);

    // The events stay in the outbox; the next page's fetch sends the same events as JSON: exact replays, nothing doubled.
    const next = open('https://shop.example/', { profile: b.profile() });
    init({ site: 'site_shop', endpoint: COLLECTOR }, next.deps);
    await next.settle();
    expect(summary(next)).toEqual({ accepted: 1, duplicate: 3, rejected: 0, conflict: 0 });
    await storedPurchase();
    expect((await c.h.store.reports.counts()).vitals).toBe(1);
  });

  it('sends as pixels what the browser’s 64 KiB keepalive quota refuses: a second beacon while the first is in flight', async () => {
    const b = checkout();
    await b.settle();
    // Enough SPA page views with long paths to need two requests of under 60,000 bytes each.
    b.setHidden(true);
    for (let i = 0; i < 40; i++) b.win.history.pushState({}, '', `/catalogue/${i}/${'x'.repeat(1900)}`);
    purchase();
    b.win.dispatchEvent(new b.win.Event('pagehide'));
    await b.settle();
    const beacons = b.beacons().filter((r) => r.via === 'beacon');
    const pixels = b.beacons().filter((r) => r.via === 'image');
    // The first batch fits the quota and goes as a beacon; the next one would pass it while the first
    // is in flight, so it goes as one pixel per event.
    expect(beacons.map((r) => r.status)).toEqual([202]);
    expect(new TextEncoder().encode(beacons[0]!.body).length).toBeLessThan(60_000);
    expect(pixels.length).toBeGreaterThan(0);
    expect(pixels.every((r) => r.status === 200)).toBe(true);
    expect(JSON.parse(beacons[0]!.body).e.length + pixels.length).toBe(41);
    expect((await c.rows('page_views')).length).toBe(41);
    await storedPurchase();
  });

  it('keeps a fetch batch under 64 KiB: page views with long URLs queued offline, then a conversion, all get a readable 202', async () => {
    const b = checkout();
    await b.settle();
    b.offline = true;
    for (let i = 0; i < 40; i++) b.win.history.pushState({}, '', `/catalogue/${i}/${'x'.repeat(1900)}`);
    purchase();
    await b.settle();
    expect(b.outbox()).toHaveLength(41);
    const mark = b.beacons().length;
    b.offline = false;
    // Requests sent together share the 64 KiB keepalive quota: one refused for it waits for its retry,
    // which `online` brings forward here (the bench's clock moves before its timers fire).
    for (let i = 0; i < 5 && b.outbox().length; i++) {
      b.win.dispatchEvent(new b.win.Event('online'));
      await b.settle();
    }
    const sent = b.beacons().slice(mark);
    const answered = sent.filter((r) => r.status !== 0);
    expect(answered.length).toBeGreaterThan(1);
    for (const r of answered) {
      expect(r).toMatchObject({ via: 'fetch', keepalive: true, status: 202 });
      expect(new TextEncoder().encode(r.body).length).toBeLessThan(60_000);
    }
    const answers = answered.map((r) => JSON.parse(r.responseBody!) as { accepted: number; duplicate: number; rejected: unknown[] });
    expect(answers.reduce((n, x) => n + x.accepted, 0)).toBe(41);
    expect(answers.every((x) => x.duplicate === 0 && x.rejected.length === 0)).toBe(true);
    expect(b.outbox()).toEqual([]);
    expect((await c.rows('page_views')).length).toBe(41);
    await storedPurchase();
  });
});
