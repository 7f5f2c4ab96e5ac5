/**
 * The admin API through `app.request()`, following the "who may do what" table in
 * admin-routes.ts: 401 without or with an unknown key, 403 for a route not for the key's role, the
 * same 404 for someone else's object as for an unknown one, 400 with a reason for bad input; campaign
 * terms versions and what they mean for money. (The cross-tenant rules in full: tenancy.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATOR_KEY, balance, clickThrough, conversion, createHarness, eventId, seedWorld, serveAd, type Harness, type World } from '../test-fixtures';

let h: Harness;
let w: World;
/** A second advertiser and publisher, to check that keys stay in their own lane. */
let otherAdv: string;
let otherPub: string;
beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '500000' } });
  otherAdv = (await h.api('POST', '/v1/advertisers', OPERATOR_KEY, { id: 'adv_rival', name: 'Rival', currency: 'EUR' })).body.apiKey;
  otherPub = (await h.api('POST', '/v1/publishers', OPERATOR_KEY, { id: 'pub_blog', name: 'Blog' })).body.apiKey;
});
afterEach(() => h.close());

describe('authentication', () => {
  it.each([
    ['no Authorization header', null],
    ['an unknown key', 'ppa_thisKeyWasNeverIssued'],
    ['a malformed header', 'x'],
  ])('answers 401 for %s on every admin route', async (_n, key) => {
    for (const [method, path] of [
      ['GET', '/v1/advertisers'],
      ['POST', '/v1/advertisers'],
      ['GET', '/v1/publishers'],
      ['GET', '/v1/sites'],
      ['POST', '/v1/slots'],
      ['GET', '/v1/campaigns'],
      ['PATCH', '/v1/campaigns/cmp_main'],
      ['GET', '/v1/campaigns/cmp_main/terms'],
      ['POST', '/v1/creatives'],
      ['PUT', '/v1/conversion-actions/purchase'],
      ['POST', '/v1/keys/rotate'],
    ] as const) {
      const r = await h.api(method, path, key, method === 'GET' ? undefined : {});
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.body.error).toBe('unauthenticated');
    }
  });

  it('replaces an API key on rotation: the old one stops working at once', async () => {
    const r = await h.api('POST', '/v1/keys/rotate', w.advertiserKey);
    expect(r.status).toBe(200);
    expect(r.body.apiKey).toMatch(/^ppa_/);
    expect((await h.api('GET', '/v1/campaigns', w.advertiserKey)).status).toBe(401);
    expect((await h.api('GET', '/v1/campaigns', r.body.apiKey)).status).toBe(200);
    expect((await h.api('POST', '/v1/keys/rotate', OPERATOR_KEY)).status).toBe(403);
  });
});

describe('advertisers and publishers', () => {
  it('lets only the operator create them, and answers the key once', async () => {
    expect((await h.api('POST', '/v1/advertisers', w.advertiserKey, { name: 'X', currency: 'EUR' })).status).toBe(403);
    expect((await h.api('POST', '/v1/publishers', w.publisherKey, { name: 'X' })).status).toBe(403);
    const r = await h.api('POST', '/v1/advertisers', OPERATOR_KEY, { name: 'Generated', currency: 'USD' });
    expect(r.status).toBe(201);
    expect(r.body.advertiser.id).toMatch(/^adv_/);
    expect(r.body.advertiser.s2sSecrets[0]).toHaveLength(43);
    const read = await h.api('GET', `/v1/advertisers/${r.body.advertiser.id}`, r.body.apiKey);
    expect(read.body.advertiser.s2sSecrets[0]).toMatch(/^.{4}…$/);
  });

  it.each([
    [{ name: 'X', currency: 'euro' }, /currency/],
    [{ name: '', currency: 'EUR' }, /name/],
    [{ id: 'Has Space', name: 'X', currency: 'EUR' }, /id/],
    [{ name: 'X', currency: 'EUR', extra: 1 }, /unknown field "extra"/],
  ])('answers 400 with a reason for %j', async (input, reason) => {
    const r = await h.api('POST', '/v1/advertisers', OPERATOR_KEY, input);
    expect(r.status).toBe(400);
    expect(r.body.reason).toMatch(reason);
  });

  it('answers 400 malformed_json and 409 for an existing ID', async () => {
    expect((await h.api('POST', '/v1/advertisers', OPERATOR_KEY, '{"name":')).body).toMatchObject({ error: 'malformed_json' });
    expect((await h.api('POST', '/v1/advertisers', OPERATOR_KEY, { id: 'adv_shop', name: 'Again', currency: 'EUR' })).status).toBe(409);
    expect((await h.api('POST', '/v1/publishers', OPERATOR_KEY, { id: 'pub_news', name: 'Again' })).status).toBe(409);
  });

  it('shows an advertiser itself only, and nothing of another', async () => {
    const list = await h.api('GET', '/v1/advertisers', w.advertiserKey);
    expect(list.body.advertisers.map((a: { id: string }) => a.id)).toEqual(['adv_shop']);
    expect((await h.api('GET', '/v1/advertisers', OPERATOR_KEY)).body.advertisers).toHaveLength(2);
    expect((await h.api('GET', '/v1/advertisers/adv_rival', w.advertiserKey)).status).toBe(404);
    expect((await h.api('GET', '/v1/advertisers/adv_nobody', OPERATOR_KEY)).status).toBe(404);
    expect((await h.api('PATCH', '/v1/advertisers/adv_rival', w.advertiserKey, { name: 'Mine now' })).status).toBe(404);
    expect((await h.api('GET', '/v1/advertisers', w.publisherKey)).status).toBe(403);
    const renamed = await h.api('PATCH', '/v1/advertisers/adv_shop', w.advertiserKey, { name: 'Shop GmbH' });
    expect(renamed.body.advertiser.name).toBe('Shop GmbH');
    expect((await h.api('PATCH', '/v1/advertisers/adv_nobody', OPERATOR_KEY, { name: 'x' })).status).toBe(404);
  });

  it('lets a publisher rename itself but not set its revenue share', async () => {
    expect((await h.api('PATCH', '/v1/publishers/pub_news', w.publisherKey, { name: 'Daily News' })).body.publisher.name).toBe('Daily News');
    const share = await h.api('PATCH', '/v1/publishers/pub_news', w.publisherKey, { revShareBps: 9000 });
    expect(share.status).toBe(403);
    expect((await h.api('GET', '/v1/publishers/pub_news', w.publisherKey)).body.publisher.revShareBps).toBe(7000);
    expect((await h.api('PATCH', '/v1/publishers/pub_news', OPERATOR_KEY, { revShareBps: 8000 })).body.publisher.revShareBps).toBe(8000);
    expect((await h.api('GET', '/v1/publishers/pub_blog', w.publisherKey)).status).toBe(404);
    expect((await h.api('GET', '/v1/publishers', w.publisherKey)).body.publishers).toHaveLength(1);
    expect((await h.api('GET', '/v1/publishers', w.advertiserKey)).status).toBe(403);
    expect((await h.api('PATCH', '/v1/publishers/pub_news', w.publisherKey, { revShareBps: 20000 })).status).toBe(400);
  });

  it("pays a publisher by the share set at the time of the charge when the campaign uses the publisher's share", async () => {
    expect((await h.api('PATCH', '/v1/publishers/pub_news', OPERATOR_KEY, { revShareBps: 5000 })).status).toBe(200);
    await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    expect(await balance(h.store, 'publisher:pub_news')).toBe(-250_000n);
  });
});

describe('sites and slots', () => {
  it("makes the caller the owner of a site it creates; the operator must name one", async () => {
    const mine = await h.api('POST', '/v1/sites', w.advertiserKey, { name: 'X', ownerType: 'publisher', ownerId: 'pub_news' });
    expect(mine.status).toBe(201);
    expect(mine.body.site).toMatchObject({ ownerType: 'advertiser', ownerId: 'adv_shop' });
    expect((await h.api('POST', '/v1/sites', OPERATOR_KEY, { name: 'Y' })).body.reason).toMatch(/ownerType and ownerId/);
    expect((await h.api('POST', '/v1/sites', OPERATOR_KEY, { name: 'Y', ownerType: 'publisher', ownerId: 'pub_none' })).body.reason).toMatch(/no publisher pub_none/);
    expect((await h.api('POST', '/v1/sites', OPERATOR_KEY, { id: 'site_shop', name: 'Y', ownerType: 'publisher', ownerId: 'pub_news' })).status).toBe(409);
    const bad = await h.api('POST', '/v1/sites', w.advertiserKey, { name: 'Z', origins: ['https://shop.example/path'] });
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toMatch(/origins/);
  });

  it("keeps sites to their owners", async () => {
    expect((await h.api('GET', '/v1/sites/site_shop', w.publisherKey)).status).toBe(404);
    expect((await h.api('PATCH', '/v1/sites/site_shop', otherAdv, { origins: ['https://evil.example'] })).status).toBe(404);
    expect((await h.api('GET', '/v1/sites/site_none', OPERATOR_KEY)).status).toBe(404);
    expect((await h.api('GET', '/v1/sites', w.advertiserKey)).body.sites.map((s: { id: string }) => s.id)).toEqual(['site_shop']);
    expect((await h.api('GET', '/v1/sites', OPERATOR_KEY)).body.sites).toHaveLength(2);
    expect((await h.api('GET', '/v1/sites/site_shop', w.advertiserKey)).body.site.origins).toEqual(['https://shop.example']);
  });

  it("lets a publisher add slots on its own sites only, in IAB sizes", async () => {
    expect((await h.api('POST', '/v1/slots', otherPub, { siteId: 'site_news', name: 'S', size: '300x250' })).body).toEqual({ error: 'invalid', reason: 'no publisher site site_news' });
    expect((await h.api('POST', '/v1/slots', w.advertiserKey, { siteId: 'site_news', name: 'S', size: '300x250' })).status).toBe(403);
    expect((await h.api('POST', '/v1/slots', OPERATOR_KEY, { siteId: 'site_shop', name: 'S', size: '300x250' })).body.reason).toMatch(/no publisher site/);
    const odd = await h.api('POST', '/v1/slots', w.publisherKey, { siteId: 'site_news', name: 'S', size: '301x250' });
    expect(odd.status).toBe(400);
    expect(odd.body.reason).toMatch(/^size: /);
    const ok = await h.api('POST', '/v1/slots', w.publisherKey, { siteId: 'site_news', name: 'Side', size: '160x600' });
    expect(ok.status).toBe(201);
    expect(ok.body.slot).toMatchObject({ publisherId: 'pub_news', width: 160, height: 600, status: 'active' });
    expect((await h.api('GET', '/v1/slots', w.publisherKey)).body.slots).toHaveLength(2);
    expect((await h.api('GET', '/v1/slots', otherPub)).body.slots).toHaveLength(0);
    expect((await h.api('GET', '/v1/slots', w.advertiserKey)).status).toBe(403);
    expect((await h.api('PATCH', `/v1/slots/${ok.body.slot.id}`, otherPub, { status: 'paused' })).status).toBe(404);
    const resized = await h.api('PATCH', `/v1/slots/${ok.body.slot.id}`, w.publisherKey, { size: '300x600' });
    expect(resized.body.slot).toMatchObject({ width: 300, height: 600 });
    expect((await h.api('PATCH', '/v1/slots/slot_none', w.publisherKey, { status: 'paused' })).status).toBe(404);
  });
});

describe('campaigns and terms versions', () => {
  it('creates a campaign with terms version 1 for the calling advertiser', async () => {
    const r = await h.api('POST', '/v1/campaigns', w.advertiserKey, {
      advertiserId: 'adv_rival',
      name: 'New',
      landingUrl: 'https://shop.example/new',
      terms: { costModel: 'cpm', cpmMicros: '2000000', dailyBudgetMicros: '10000000' },
    });
    expect(r.status).toBe(201);
    expect(r.body.campaign).toMatchObject({ advertiserId: 'adv_shop', status: 'active', terms: { version: 1, currency: 'EUR', costModel: 'cpm', cpmMicros: '2000000', cpmBasis: 'viewable', dailyBudgetMicros: '10000000', viewWindowDays: 1 } });
  });

  it.each([
    [{ costModel: 'cpc' }, 'invalid_terms', /cpcMicros > 0/],
    [{ costModel: 'cpa' }, 'invalid_terms', /cpaFlatMicros > 0 or cpaBps > 0/],
    [{ costModel: 'cpm', cpmMicros: '1', payout: { kind: 'fixed', micros: '1' } }, 'invalid_terms', /share, not a fixed payout/],
    [{ costModel: 'cpc', cpcMicros: '1.5' }, 'invalid', /cpcMicros/],
    [{ costModel: 'cpc', cpcMicros: '1', clickWindowDays: 91 }, 'invalid', /clickWindowDays/],
    [{ costModel: 'cpx', cpcMicros: '1' }, 'invalid', /costModel/],
  ])('answers 400 for terms %j with the reason', async (terms, error, reason) => {
    // Through the operator key: a payout is the operator's to set (tenancy.test.ts).
    const r = await h.api('POST', '/v1/campaigns', OPERATOR_KEY, { advertiserId: 'adv_shop', name: 'Bad', landingUrl: 'https://shop.example/', terms });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(error);
    expect(r.body.reason).toMatch(reason);
  });

  it.each(['https://user:pw@shop.example/', 'javascript:alert(1)', 'ftp://shop.example/', 'https://shop.example/\nx'])('answers 400 for the landing URL %j', async (landingUrl) => {
    const r = await h.api('POST', '/v1/campaigns', w.advertiserKey, { name: 'Bad', landingUrl, terms: { costModel: 'cpc', cpcMicros: '1' } });
    expect(r.status).toBe(400);
    expect(r.body.reason).toBeTruthy();
  });

  it("answers 403 for a publisher, and the same 404 for another advertiser's campaign as for an unknown one", async () => {
    expect((await h.api('POST', '/v1/campaigns', w.publisherKey, { name: 'X', landingUrl: 'https://a.example/', terms: { costModel: 'cpc', cpcMicros: '1' } })).status).toBe(403);
    expect((await h.api('GET', '/v1/campaigns/cmp_main', otherAdv)).status).toBe(404);
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', otherAdv, { status: 'paused' })).status).toBe(404);
    expect((await h.api('GET', '/v1/campaigns/cmp_main/terms', otherAdv)).status).toBe(404);
    expect((await h.api('GET', '/v1/campaigns/cmp_none', w.advertiserKey)).status).toBe(404);
    expect((await h.api('GET', '/v1/campaigns', otherAdv)).body.campaigns).toEqual([]);
    expect((await h.api('GET', '/v1/campaigns', w.publisherKey)).status).toBe(403);
    expect((await h.api('POST', '/v1/campaigns', OPERATOR_KEY, { name: 'X', landingUrl: 'https://a.example/', terms: { costModel: 'cpc', cpcMicros: '1' } })).body.reason).toMatch(/advertiserId is required/);
    // Nothing the rival tried changed the campaign.
    expect((await h.api('GET', '/v1/campaigns/cmp_main', w.advertiserKey)).body.campaign.status).toBe('active');
  });

  it('makes a terms edit version 2, lists both, and keeps version 1 for a click billed before the edit', async () => {
    const before = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    const edit = await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { name: 'Renamed', terms: { cpcMicros: '750000' } });
    expect(edit.status).toBe(200);
    expect(edit.body.campaign).toMatchObject({ name: 'Renamed', terms: { version: 2, cpcMicros: '750000', costModel: 'cpc' } });
    const versions = await h.api('GET', '/v1/campaigns/cmp_main/terms', w.advertiserKey);
    expect(versions.body.versions.map((v: { version: number; cpcMicros: string }) => [v.version, v.cpcMicros])).toEqual([
      [1, '500000'],
      [2, '750000'],
    ]);
    // The click billed before the edit still carries version 1's price in the ledger.
    const [g] = await h.store.write((tx) => tx.groupsFor('click', before.clickId!));
    expect(g!.meta.termsVersion).toBe(1);
    expect(g!.legs.find((l) => l.account === 'advertiser:adv_shop')!.micros).toBe(500_000n);
    h.clock.advance(60_000);
    const after = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    const [g2] = await h.store.write((tx) => tx.groupsFor('click', after.clickId!));
    expect(g2!.meta.termsVersion).toBe(2);
    expect(await balance(h.store, 'advertiser:adv_shop')).toBe(1_250_000n);
  });

  it('keeps the terms version for edits that do not touch terms, and refuses an invalid terms edit', async () => {
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { name: 'Only a name', terms: {} })).body.campaign.terms.version).toBe(1);
    const bad = await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { terms: { cpcMicros: '0' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_terms');
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { landingUrl: 'https://u:p@shop.example/' })).status).toBe(400);
    expect((await h.api('GET', '/v1/campaigns/cmp_main/terms', w.advertiserKey)).body.versions).toHaveLength(1);
  });
});

describe('creatives', () => {
  it("answers 400 landing_host_not_allowed for a landing host the campaign does not allow, on create and on edit", async () => {
    const r = await h.api('POST', '/v1/creatives', w.advertiserKey, { campaignId: 'cmp_main', size: '300x250', imageUrl: '/a.png', alt: 'a', landingUrl: 'https://evil.example/' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('landing_host_not_allowed');
    expect(r.body.reason).toMatch(/evil\.example/);
    const edit = await h.api('PATCH', '/v1/creatives/cr_main', w.advertiserKey, { landingUrl: 'https://shop.example.evil.example/' });
    expect(edit.status).toBe(400);
    expect(edit.body.error).toBe('landing_host_not_allowed');
    expect((await h.store.catalog.getCreative('cr_main'))!.landingUrl).toBe('https://shop.example/landing?utm_source=pp#top');
  });

  it('takes a landing URL on an allowed host, and defaults to the campaign landing URL', async () => {
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { allowedHosts: ['Promo.Example'] })).body.campaign.allowedHosts).toEqual(['promo.example']);
    const r = await h.api('POST', '/v1/creatives', w.advertiserKey, { campaignId: 'cmp_main', size: '728x90', imageUrl: 'https://cdn.example/a.png', alt: 'a', landingUrl: 'https://promo.example/x' });
    expect(r.status).toBe(201);
    expect(r.body.creative).toMatchObject({ width: 728, height: 90, landingUrl: 'https://promo.example/x', status: 'active' });
    const d = await h.api('POST', '/v1/creatives', w.advertiserKey, { campaignId: 'cmp_main', size: '300x250', imageUrl: '/b.png', alt: 'b' });
    expect(d.body.creative.landingUrl).toBe('https://shop.example/landing?utm_source=pp#top');
  });

  it("keeps creatives to their campaign's advertiser", async () => {
    expect((await h.api('POST', '/v1/creatives', otherAdv, { campaignId: 'cmp_main', size: '300x250', imageUrl: '/a.png', alt: 'a' })).body.reason).toBe('no campaign cmp_main');
    expect((await h.api('PATCH', '/v1/creatives/cr_main', otherAdv, { status: 'paused' })).status).toBe(404);
    expect((await h.api('POST', '/v1/creatives', w.advertiserKey, { campaignId: 'cmp_none', size: '300x250', imageUrl: '/a.png', alt: 'a' })).body.reason).toMatch(/no campaign cmp_none/);
    expect((await h.api('POST', '/v1/creatives', w.advertiserKey, { campaignId: 'cmp_main', size: '300x250', imageUrl: 'javascript:alert(1)', alt: 'a' })).status).toBe(400);
    expect((await h.api('PATCH', '/v1/creatives/cr_none', w.advertiserKey, { status: 'paused' })).status).toBe(404);
    expect((await h.api('GET', '/v1/creatives', otherAdv)).body.creatives).toEqual([]);
    expect((await h.api('GET', '/v1/creatives', w.advertiserKey)).body.creatives.map((c: { id: string }) => c.id)).toEqual(['cr_main']);
  });
});

describe('conversion actions', () => {
  it("creates and updates an advertiser's action; counting 'one' charges one conversion per winning click", async () => {
    await h.close();
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpa', cpaFlatMicros: '2000000' } });
    const put = await h.api('PUT', '/v1/conversion-actions/signup', w.advertiserKey, { name: 'Sign-up', counting: 'one' });
    expect(put.status).toBe(200);
    expect(put.body.action).toMatchObject({ key: 'signup', advertiserId: 'adv_shop', counting: 'one', model: 'last_click' });
    expect((await h.api('GET', '/v1/conversion-actions', w.advertiserKey)).body.actions).toHaveLength(1);
    expect((await h.api('PUT', '/v1/conversion-actions/Sign Up', w.advertiserKey, { name: 'x' })).status).toBe(400);
    expect((await h.api('PUT', '/v1/conversion-actions/signup', w.advertiserKey, { name: 'x', clickWindowDays: 120 })).status).toBe(400);
    expect((await h.api('PUT', '/v1/conversion-actions/signup', w.publisherKey, { name: 'x' })).status).toBe(403);
    expect((await h.api('GET', '/v1/conversion-actions', OPERATOR_KEY)).status).toBe(400);

    const { clickId } = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    h.clock.advance(60_000);
    await h.beacon(w.shopSiteId, [conversion(h, { a: 'signup', k: clickId!, o: 'S-1', i: eventId('s1') }), conversion(h, { a: 'signup', k: clickId!, o: 'S-2', i: eventId('s2') })]);
    const list = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10);
    expect(list.map((c) => c.status).sort()).toEqual(['approved', 'rejected']);
    expect(list.find((c) => c.status === 'rejected')!.statusReason).toBe('counting_one');
    expect(await balance(h.store, 'advertiser:adv_shop')).toBe(2_000_000n);
  });
});
