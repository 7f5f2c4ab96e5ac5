/**
 * Serving through `app.request()`: the ad decision (`GET /ad`) and the click redirect
 * (`GET /c/:token`), row by row of the redirect table in serving-routes.ts. Money is checked in
 * the stored click rows and the ledger, not only in status codes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeys, type AdToken } from '../ingest/keys';
import { openStore } from '../store/open-store';
import {
  OPERATOR_KEY,
  SECRET,
  addCampaign,
  balance,
  clickThrough,
  createHarness,
  createTestClock,
  expectLedgerBalanced,
  gateStore,
  serveAd,
  seedWorld,
  until,
  type Harness,
  type World,
} from '../test-fixtures';

const keys = createKeys(SECRET);
const CPC = { costModel: 'cpc', cpcMicros: '500000' } as const;

let h: Harness;
let w: World;
beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h, { terms: CPC });
});
afterEach(() => h.close());

const clicks = async () => (await h.store.reports.counts()).clicks;
const clickRow = (id: string) => h.store.write((tx) => tx.click(id));

describe('GET /ad', () => {
  it('answers the ad with its size, image, alt, signed token and click URL, readable from any origin', async () => {
    const res = await h.request(`/ad?slot=${w.slotId}&p=pv_123`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { ad } = (await res.json()) as { ad: { w: number; h: number; img: string; alt: string; href: string; tk: string } };
    expect(ad).toMatchObject({ w: 300, h: 250, img: 'http://localhost:8787/img/cr_main.png', alt: 'cmp_main' });
    expect(ad.href).toBe(`http://localhost:8787/c/${ad.tk}`);
    const v = keys.verifyToken(ad.tk);
    expect(v.ok && v.token).toMatchObject({ si: w.newsSiteId, s: w.slotId, p: w.publisherId, a: w.advertiserId, c: 'cmp_main', cr: 'cr_main', v: 1, pv: 'pv_123', t: h.clock() });
  });

  it("answers an image stored as a path on the collector as an absolute URL, so a publisher's page on another origin loads it from here", async () => {
    const at = async () => ((await (await h.request(`/ad?slot=${w.slotId}`)).json()) as { ad: { img: string } }).ad.img;
    expect(await at()).toBe('http://localhost:8787/img/cr_main.png');
    expect((await h.api('PATCH', '/v1/creatives/cr_main', w.advertiserKey, { imageUrl: '//cdn.evil.example/x.png' })).status).toBe(200);
    expect(await at()).toBe('http://localhost:8787//cdn.evil.example/x.png');
    expect((await h.api('PATCH', '/v1/creatives/cr_main', w.advertiserKey, { imageUrl: 'https://cdn.example/a.png' })).status).toBe(200);
    expect(await at()).toBe('https://cdn.example/a.png');
  });

  it.each([
    ['no slot', '/ad'],
    ['a slot with a slash', '/ad?slot=a/b'],
    ['an overlong slot', `/ad?slot=${'s'.repeat(65)}`],
    ['a bad page-view ID', `/ad?slot=slot_top&p=${encodeURIComponent('<script>')}`],
  ])('answers 400 for %s, still readable cross-origin', async (_n, url) => {
    const res = await h.request(url);
    expect(res.status).toBe(400);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toMatchObject({ error: 'invalid_query' });
  });

  it('ignores a cache-buster parameter instead of refusing the ad request', async () => {
    const res = await h.request('/ad?slot=slot_top&_=1764400000000');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { ad: unknown }).ad).not.toBeNull();
  });

  it('answers 404 for an unknown slot', async () => {
    const res = await h.request('/ad?slot=slot_nowhere');
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toMatchObject({ error: 'unknown_slot' });
  });

  it('answers {ad:null} when no creative fits the slot', async () => {
    expect((await h.api('POST', '/v1/slots', OPERATOR_KEY, { id: 'slot_banner', siteId: w.newsSiteId, name: 'Banner', size: '320x50' })).status).toBe(201);
    const res = await h.request('/ad?slot=slot_banner');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ad: null });
  });

  it('answers {ad:null} for a paused slot and for a paused campaign', async () => {
    expect((await h.api('PATCH', `/v1/slots/${w.slotId}`, w.publisherKey, { status: 'paused' })).status).toBe(200);
    expect(await (await h.request(`/ad?slot=${w.slotId}`)).json()).toEqual({ ad: null });
    expect((await h.api('PATCH', `/v1/slots/${w.slotId}`, w.publisherKey, { status: 'active' })).status).toBe(200);
    expect((await serveAd(h, w.slotId)).campaignId).toBe('cmp_main');
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { status: 'paused' })).status).toBe(200);
    expect(await (await h.request(`/ad?slot=${w.slotId}`)).json()).toEqual({ ad: null });
  });

  it('answers {ad:null} once the only creative is paused', async () => {
    expect((await h.api('PATCH', '/v1/creatives/cr_main', w.advertiserKey, { status: 'paused' })).status).toBe(200);
    expect(await (await h.request(`/ad?slot=${w.slotId}`)).json()).toEqual({ ad: null });
  });
});

describe('GET /c/:token', () => {
  it('records the click, bills it, and answers 302 to the registered landing URL with ppclid, keeping query and hash', async () => {
    const ad = await serveAd(h, w.slotId);
    const { res, location, clickId } = await clickThrough(h, ad.tk);
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(location).toBe(`https://shop.example/landing?utm_source=pp&ppclid=${clickId}#top`);
    expect(keys.verifyClickId(clickId!, w.advertiserId)).toBe(true);
    expect(await clickRow(clickId!)).toMatchObject({ via: 'redirect', campaignId: 'cmp_main', billing: 'charged', costMicros: 500_000n, invalidReason: null, termsVersion: 1 });
    expect(await balance(h.store, `advertiser:${w.advertiserId}`)).toBe(500_000n);
    await expectLedgerBalanced(h.store);
  });

  it('appends ppclid without rewriting the rest of the registered query', async () => {
    expect((await h.api('PATCH', '/v1/creatives/cr_main', w.advertiserKey, { landingUrl: 'https://shop.example/p?q=a%20b&flag&x=1;y=2#frag' })).status).toBe(200);
    const ad = await serveAd(h, w.slotId);
    const { location, clickId } = await clickThrough(h, ad.tk);
    expect(location).toBe(`https://shop.example/p?q=a%20b&flag&x=1;y=2&ppclid=${clickId}#frag`);
  });

  it('replaces a ppclid already in the registered URL instead of sending two', async () => {
    expect((await h.api('PATCH', '/v1/creatives/cr_main', w.advertiserKey, { landingUrl: 'https://shop.example/p?ppclid=stale&a=1' })).status).toBe(200);
    const { location, clickId } = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    expect(new URL(location).searchParams.getAll('ppclid')).toEqual([clickId]);
    expect(new URL(location).searchParams.get('a')).toBe('1');
  });

  it.each([
    ['a flipped signature character', (tk: string) => tk.slice(0, -2) + (tk.at(-2) === 'A' ? 'B' : 'A') + tk.at(-1)],
    ['an edited payload', (tk: string) => Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(tk.split('.')[0]!, 'base64url').toString()), c: 'cmp_other' })).toString('base64url') + '.' + tk.split('.')[1]],
    ['no signature', (tk: string) => tk.split('.')[0]!],
    ['two dots', (tk: string) => `${tk}.x`],
    ['CR/LF', (tk: string) => `${tk}%0d%0aSet-Cookie:%20a=1`],
    ['an overlong token', (tk: string) => tk + 'A'.repeat(2000)],
    ['garbage', () => 'not-a-token'],
  ])('answers 400 for %s and records nothing', async (_n, mangle) => {
    const ad = await serveAd(h, w.slotId);
    const res = await h.request(`/c/${mangle(ad.tk)}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await clicks()).toBe(0);
    expect((await h.store.reports.ledgerTotals()).groups).toBe(0);
  });

  it('answers 404 when the campaign or creative of a genuine token is gone', async () => {
    const base = keys.verifyToken((await serveAd(h, w.slotId)).tk);
    if (!base.ok) throw new Error('token');
    const sign = (patch: Partial<AdToken>) => keys.signToken({ ...base.token, ...patch });
    for (const tk of [sign({ c: 'cmp_gone' }), sign({ cr: 'cr_gone' })]) {
      const res = await h.request(`/c/${tk}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('location')).toBeNull();
    }
    expect(await clicks()).toBe(0);
  });

  it("answers 404 for a token pairing a campaign with another campaign's creative", async () => {
    await addCampaign(h, w, { id: 'cmp_two', creativeId: 'cr_two', terms: CPC });
    const base = keys.verifyToken((await serveAd(h, w.slotId)).tk);
    if (!base.ok) throw new Error('token');
    const res = await h.request(`/c/${keys.signToken({ ...base.token, c: 'cmp_main', cr: 'cr_two' })}`);
    expect(res.status).toBe(404);
    expect(await clicks()).toBe(0);
  });

  it('records a second click on the same ad as a duplicate, never bills it, and still redirects', async () => {
    const ad = await serveAd(h, w.slotId);
    const first = await clickThrough(h, ad.tk);
    h.clock.advance(5_000);
    const second = await clickThrough(h, ad.tk);
    expect(second.res.status).toBe(302);
    expect(second.clickId).not.toBe(first.clickId);
    expect(await clickRow(second.clickId!)).toMatchObject({ duplicateOf: first.clickId, billing: 'not_billable', costMicros: 0n });
    expect(await balance(h.store, `advertiser:${w.advertiserId}`)).toBe(500_000n);
    // Outside the 30 s duplicate window the same source's click is billable again.
    h.clock.advance(30_001);
    const third = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    expect(await clickRow(third.clickId!)).toMatchObject({ duplicateOf: null, billing: 'charged' });
    expect(await balance(h.store, `advertiser:${w.advertiserId}`)).toBe(1_000_000n);
  });

  it('records a click on a paused campaign as invalid, never bills it, and still redirects', async () => {
    const ad = await serveAd(h, w.slotId);
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { status: 'paused' })).status).toBe(200);
    const { res, clickId } = await clickThrough(h, ad.tk);
    expect(res.status).toBe(302);
    expect(await clickRow(clickId!)).toMatchObject({ invalidReason: 'campaign_paused', billing: 'not_billable', costMicros: 0n });
    expect(await balance(h.store, `advertiser:${w.advertiserId}`)).toBe(0n);
  });

  it('records a click on a token older than 7 days as expired, never bills it, and still redirects', async () => {
    const ad = await serveAd(h, w.slotId);
    h.clock.advance(7 * 86_400_000 + 1);
    const { res, clickId } = await clickThrough(h, ad.tk);
    expect(res.status).toBe(302);
    expect(await clickRow(clickId!)).toMatchObject({ invalidReason: 'expired_token', costMicros: 0n });
    expect((await h.store.reports.ledgerTotals()).groups).toBe(0);
  });

  it('bills a click at the terms version its ad was decided with, even after an edit', async () => {
    const ad = await serveAd(h, w.slotId);
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { terms: { cpcMicros: '900000' } })).status).toBe(200);
    const old = await clickThrough(h, ad.tk);
    expect(await clickRow(old.clickId!)).toMatchObject({ termsVersion: 1, costMicros: 500_000n });
    h.clock.advance(60_000);
    const fresh = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    expect(await clickRow(fresh.clickId!)).toMatchObject({ termsVersion: 2, costMicros: 900_000n });
  });

  it("falls back to the campaign's landing URL when a creative's stored landing host is no longer allowed", async () => {
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { allowedHosts: ['promo.example'] })).status).toBe(200);
    expect((await h.api('PATCH', '/v1/creatives/cr_main', w.advertiserKey, { landingUrl: 'https://promo.example/sale' })).status).toBe(200);
    const ad = await serveAd(h, w.slotId);
    expect((await clickThrough(h, ad.tk)).location).toMatch(/^https:\/\/promo\.example\/sale\?ppclid=/);
    // The advertiser drops promo.example: the stored creative URL must no longer be used.
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { allowedHosts: [] })).status).toBe(200);
    h.clock.advance(60_000);
    const { res, location } = await clickThrough(h, ad.tk);
    expect(res.status).toBe(302);
    expect(location).toMatch(/^https:\/\/shop\.example\/landing\?utm_source=pp&ppclid=[\w-]{27}#top$/);
  });

  it('still sends the visitor on, without a click ID, when the commit queue is full', async () => {
    await h.close();
    const clock = createTestClock();
    const gated = gateStore(await openStore(':memory:', { clock }));
    h = await createHarness({ store: gated.store, clock, maxQueue: 1 });
    w = await seedWorld(h, { terms: CPC });
    const ad = await serveAd(h, w.slotId);
    gated.hold();
    const first = clickThrough(h, ad.tk);
    await until(() => gated.waiting === 1, 'the first click to reach COMMIT');
    const { res, location } = await clickThrough(h, ad.tk, { 'x-test-peer': '192.0.2.9' });
    expect(res.status).toBe(302);
    expect(location).toBe('https://shop.example/landing?utm_source=pp#top');
    gated.release();
    expect((await first).clickId).toBeTruthy();
    expect(await clicks()).toBe(1);
  });
});
