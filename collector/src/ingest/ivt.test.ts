/**
 * General invalid traffic (SPEC §3.6), rule by rule of the table in ivt.ts plus the stateful rules
 * of the pipeline: each one is stored with its reason, never billed, and — for clicks — still
 * redirected. Checked in the stored rows and the ledger, through `app.request()`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clientIp, createIvtClassifier } from './ivt';
import { ipRanges } from './ip-ranges';
import {
  BROWSER_UA,
  balance,
  clickThrough,
  conversion,
  createHarness,
  eventId,
  metric,
  scrape,
  seedWorld,
  serveAd,
  type Harness,
  type HarnessOptions,
  type TermsInput,
  type World,
} from '../test-fixtures';

const CPC: TermsInput = { costModel: 'cpc', cpcMicros: '500000' };

let h: Harness;
let w: World;
afterEach(() => h.close());

async function world(terms: TermsInput = CPC, o: HarnessOptions = {}) {
  h = await createHarness(o);
  w = await seedWorld(h, { terms });
}
const click = (id: string) => h.store.write((tx) => tx.click(id));
const spent = () => balance(h.store, `advertiser:${w.advertiserId}`);

describe('request-level GIVT at the click redirect', () => {
  it.each([
    ['a declared bot', { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }, 'declared_bot'],
    ['a headless browser', { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36' }, 'declared_bot'],
    ['curl', { 'user-agent': 'curl/8.5.0' }, 'declared_bot'],
    ['an empty user agent', { 'user-agent': '' }, 'empty_ua'],
    ['a blank user agent', { 'user-agent': '   ' }, 'empty_ua'],
    ['Sec-Purpose: prefetch', { 'sec-purpose': 'prefetch' }, 'prefetch'],
    ['Sec-Purpose: prefetch;prerender', { 'sec-purpose': 'prefetch;prerender' }, 'prefetch'],
    ['Purpose: prefetch', { purpose: 'prefetch' }, 'prefetch'],
  ])('records a click from %s as invalid, never bills it, and still redirects', async (_n, headers, reason) => {
    await world();
    const { res, clickId, location } = await clickThrough(h, (await serveAd(h, w.slotId)).tk, headers);
    expect(res.status).toBe(302);
    expect(location).toMatch(/^https:\/\/shop\.example\/landing\?utm_source=pp&ppclid=/);
    expect(await click(clickId!)).toMatchObject({ invalidReason: reason, billing: 'not_billable', costMicros: 0n });
    expect(await spent()).toBe(0n);
    expect(metric(await scrape(h), 'pp_events_invalid_total', { reason })).toBe(1);
  });

  it('records a click without any User-Agent header as empty_ua', async () => {
    await world();
    const { tk } = await serveAd(h, w.slotId);
    const res = await h.app.request(`/c/${tk}`); // no user-agent at all
    expect(res.status).toBe(302);
    const id = new URL(res.headers.get('location')!).searchParams.get('ppclid')!;
    expect(await click(id)).toMatchObject({ invalidReason: 'empty_ua', costMicros: 0n });
  });

  it('records clicks from configured data-center ranges as invalid, IPv4, IPv4-mapped and IPv6', async () => {
    await world(CPC, { datacenterCidrs: ['203.0.113.0/24', '2001:db8::/32'] });
    for (const peer of ['203.0.113.5', '::ffff:203.0.113.6', '2001:db8::1']) {
      const { clickId } = await clickThrough(h, (await serveAd(h, w.slotId)).tk, { 'x-test-peer': peer });
      expect(await click(clickId!), peer).toMatchObject({ invalidReason: 'datacenter_ip', costMicros: 0n });
    }
    const { clickId } = await clickThrough(h, (await serveAd(h, w.slotId)).tk, { 'x-test-peer': '198.51.100.30' });
    expect(await click(clickId!)).toMatchObject({ invalidReason: null, billing: 'charged' });
    expect(await spent()).toBe(500_000n);
  });

  it('reads the client IP from X-Forwarded-For only behind a trusted proxy, taking the rightmost untrusted hop', async () => {
    await world({ ...CPC, duplicateClickWindowMs: 0 }, { datacenterCidrs: ['203.0.113.0/24'], trustedProxies: ['10.0.0.0/8'] });
    const via = async (peer: string, xff: string) => (await click((await clickThrough(h, (await serveAd(h, w.slotId)).tk, { 'x-test-peer': peer, 'x-forwarded-for': xff })).clickId!))!.invalidReason;
    expect(await via('10.0.0.1', '203.0.113.9')).toBe('datacenter_ip');
    expect(await via('10.0.0.1', '203.0.113.9, 10.0.0.2')).toBe('datacenter_ip');
    // A client cannot launder itself by prepending a clean address…
    expect(await via('10.0.0.1', '198.51.100.1, 203.0.113.9')).toBe('datacenter_ip');
    // …nor frame a clean visitor, and an untrusted peer's header is ignored.
    expect(await via('10.0.0.1', '203.0.113.9, 198.51.100.2')).toBe(null);
    expect(await via('198.51.100.3', '203.0.113.9')).toBe(null);
  });
});

describe('stateful rules', () => {
  it('flags clicks from one source above the flood limit, bills none of them, and bills again once the window passed', async () => {
    await world({ ...CPC, duplicateClickWindowMs: 0 }, { limits: { clickFloodLimit: 3, clickFloodWindowMs: 60_000 } });
    const results: (string | null)[] = [];
    for (let k = 0; k < 5; k++) {
      h.clock.advance(1_000);
      const { res, clickId } = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
      expect(res.status).toBe(302);
      results.push((await click(clickId!))!.invalidReason);
    }
    expect(results).toEqual([null, null, null, 'click_flood', 'click_flood']);
    expect(await spent()).toBe(1_500_000n);
    // Another browser is not part of the flood.
    const other = await clickThrough(h, (await serveAd(h, w.slotId)).tk, { 'x-test-peer': '192.0.2.44' });
    expect((await click(other.clickId!))!.invalidReason).toBeNull();
    h.clock.advance(61_000);
    const later = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    expect((await click(later.clickId!))!.invalidReason).toBeNull();
    expect(await spent()).toBe(2_500_000n);
  });

  it('records a double click on one ad as a duplicate of the first, not billable', async () => {
    await world();
    const { tk } = await serveAd(h, w.slotId);
    const first = await clickThrough(h, tk);
    h.clock.advance(300);
    const second = await clickThrough(h, tk);
    expect(second.res.status).toBe(302);
    expect(await click(second.clickId!)).toMatchObject({ duplicateOf: first.clickId, billing: 'not_billable' });
    expect(await spent()).toBe(500_000n);
  });

  it('records a click beacon from a bot as invalid and never bills it', async () => {
    await world();
    const { tk } = await serveAd(h, w.slotId);
    const res = await h.beacon(w.newsSiteId, [{ t: 'clk', i: eventId('clk'), ts: h.clock(), tk }], { 'user-agent': 'python-requests/2.31' });
    expect(res.status).toBe(202);
    const rows = await h.store.reports.feed({}, 10);
    expect(rows.find((r) => r.type === 'click')).toMatchObject({ invalidReason: 'declared_bot' });
    expect(await spent()).toBe(0n);
  });

  it('flags served impressions from bots and a second ad stacked into one page-view slot, and bills neither (CPM)', async () => {
    await world({ costModel: 'cpm', cpmMicros: '2000000', cpmBasis: 'served' });
    const imp = (tk: string, k: string, headers: Record<string, string> = {}) => h.beacon(w.newsSiteId, [{ t: 'imp', i: eventId(k), ts: h.clock(), tk, p: 'pv_1' }], headers);
    const a = await serveAd(h, w.slotId, 'pv_1');
    const b = await serveAd(h, w.slotId, 'pv_1');
    const c = await serveAd(h, w.slotId, 'pv_2');
    expect((await imp(a.tk, 'a')).status).toBe(202);
    expect((await imp(b.tk, 'b')).status).toBe(202);
    expect((await imp(c.tk, 'c', { 'user-agent': 'AhrefsBot/7.0' })).status).toBe(202);
    const feed = await h.store.reports.feed({}, 10);
    expect(feed.filter((f) => f.type === 'served').map((f) => f.invalidReason).sort()).toEqual(['declared_bot', 'stacked_impression', null].sort());
    expect(await spent()).toBe(2_000n); // one valid served impression at 2.00 CPM
    const m = await scrape(h);
    expect(metric(m, 'pp_events_invalid_total', { reason: 'stacked_impression' })).toBe(1);
    expect(metric(m, 'pp_events_invalid_total', { reason: 'declared_bot' })).toBe(1);
  });

  it('rejects a conversion beacon sent by a bot and charges nothing', async () => {
    await world({ costModel: 'cpa', cpaFlatMicros: '5000000' });
    const { clickId } = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    h.clock.advance(60_000);
    await h.beacon(w.shopSiteId, [conversion(h, { k: clickId!, o: 'BOT-1' })], { 'user-agent': 'Mozilla/5.0 (compatible; bingbot/2.0)' });
    const [c] = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1);
    expect(c).toMatchObject({ status: 'rejected', statusReason: 'invalid: declared_bot', costMicros: 0n });
    expect(await spent()).toBe(0n);
  });

  it('holds a conversion that comes faster than the minimum after its click, charging nothing yet', async () => {
    await world({ costModel: 'cpa', cpaFlatMicros: '5000000' });
    const { clickId } = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    h.clock.advance(2_999);
    await h.beacon(w.shopSiteId, [conversion(h, { k: clickId!, o: 'FAST-1' })]);
    const [c] = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1);
    expect(c).toMatchObject({ status: 'pending', costMicros: 0n });
    expect(await spent()).toBe(0n);
  });
});

describe('the classifier and client IP', () => {
  const classify = createIvtClassifier(['192.0.2.0/24']);
  it.each([
    [{ userAgent: BROWSER_UA, ip: '198.51.100.1', purpose: undefined }, null],
    [{ userAgent: undefined, ip: '198.51.100.1', purpose: undefined }, 'empty_ua'],
    [{ userAgent: 'Googlebot', ip: '192.0.2.1', purpose: 'prefetch' }, 'declared_bot'],
    [{ userAgent: BROWSER_UA, ip: '192.0.2.1', purpose: 'prefetch' }, 'datacenter_ip'],
    [{ userAgent: BROWSER_UA, ip: '198.51.100.1', purpose: 'Prefetch' }, 'prefetch'],
    [{ userAgent: BROWSER_UA, ip: '198.51.100.1', purpose: 'prerender' }, null],
    [{ userAgent: BROWSER_UA, ip: 'not-an-ip', purpose: undefined }, null],
  ])('classifies %j as %s (first rule of the table wins)', (facts, reason) => {
    expect(classify(facts)).toBe(reason);
  });

  it('refuses a data-center range that is not a CIDR', () => {
    expect(() => ipRanges(['10.0.0.0'])).toThrow(/not a CIDR/);
    expect(() => createIvtClassifier(['example.com/8'])).toThrow(/not a CIDR/);
  });

  it('falls back to the peer when a forwarded hop is not an IP', () => {
    const trusted = ipRanges(['10.0.0.0/8']);
    expect(clientIp('10.0.0.1', 'unknown, 198.51.100.1', trusted)).toBe('198.51.100.1');
    expect(clientIp('10.0.0.1', '198.51.100.1, garbage', trusted)).toBe('10.0.0.1');
    expect(clientIp('10.0.0.1', '10.0.0.2, 10.0.0.3', trusted)).toBe('10.0.0.2');
    expect(clientIp('10.0.0.1', undefined, trusted)).toBe('10.0.0.1');
    expect(clientIp('10.0.0.1', '198.51.100.1', null)).toBe('10.0.0.1');
  });
});
