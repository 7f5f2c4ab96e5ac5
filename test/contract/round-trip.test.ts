/**
 * The journey of SPEC §1, end to end with the real SDK on both sides of the ad: the publisher's page
 * fills its slot from `GET /ad`, the visitor follows the rendered link through the collector's click
 * redirect, lands on the advertiser's site with `?ppclid=…`, converts on a later page, and the
 * collector attributes the conversion to that click.
 */
import { describe, expect, it } from 'vitest';
import { BROWSER_UA, DEFAULT_PEER } from '../../collector/src/test-fixtures';
import { init, trackAds, trackConversion } from '../../sdk/src/index';
import { FakeIntersectionObserver } from '../../sdk/test/fake-browser';
import { COLLECTOR, eachTestCollector, pageViewRow, type ContractCollector } from './sdk-browser';

let c: ContractCollector;
const open = eachTestCollector((x) => (c = x));

describe('round trip', () => {
  it('attributes a conversion to the click the collector minted, carried by the SDK from landing page to checkout', async () => {
    // 1. The publisher's article: the SDK asks /ad, renders the creative, and the ad becomes viewable.
    const article = open('https://news.example/article');
    article.win.document.body.innerHTML = '<ins data-pp-slot="slot_top" data-pp-size="300x250"></ins>';
    init({ site: 'site_news', endpoint: COLLECTOR }, article.deps);
    trackAds();
    await article.settle();
    FakeIntersectionObserver.show(article.win.document.querySelector('ins')!, 1);
    await article.advance(1000);
    const href = (article.win.document.querySelector('ins a') as HTMLAnchorElement).href;
    expect(href.startsWith(`${COLLECTOR}/c/`)).toBe(true);

    // 2. The visitor clicks: the browser follows the SDK-rendered link to the collector's redirect.
    c.h.clock.advance(5000);
    const redirect = await c.h.app.request(href, { headers: { 'user-agent': BROWSER_UA, 'x-test-peer': DEFAULT_PEER, referer: 'https://news.example/' } });
    expect(redirect.status).toBe(302);
    const landing = redirect.headers.get('location')!;
    const clickId = new URL(landing).searchParams.get('ppclid')!;
    expect(landing).toBe(`https://shop.example/landing?utm_source=pp&ppclid=${clickId}#top`);

    // 3. The landing page: the SDK captures the click ID and keeps it (cookie + localStorage).
    c.h.clock.advance(2000);
    const land = open(landing, { referrer: 'https://news.example/' });
    init({ site: 'site_shop', endpoint: COLLECTOR }, land.deps);
    await land.settle();
    expect(land.profile().cookies.join()).toContain(encodeURIComponent(clickId));
    expect(land.win.localStorage.getItem('_ppk')).toContain(clickId);

    // 4. Minutes later, another page load of the shop with no click ID in its URL: the checkout.
    c.h.clock.advance(10 * 60_000);
    const checkout = open('https://shop.example/checkout/thanks', { referrer: 'https://shop.example/checkout', profile: land.profile() });
    init({ site: 'site_shop', endpoint: COLLECTOR }, checkout.deps);
    trackConversion({ action: 'purchase', value: '49.90', currency: 'EUR', orderId: 'RT-1001' });
    await checkout.settle();
    expect(checkout.events().find((e) => e.t === 'cv')).toMatchObject({ k: clickId });
    expect([...article.beacons(), ...land.beacons(), ...checkout.beacons()].every((r) => r.status === 202)).toBe(true);

    // 5. The collector attributed it to that click, explains why, and charged the CPA.
    const [cv] = await c.conversions();
    expect(cv).toMatchObject({
      orderId: 'RT-1001',
      valueMicros: 49_900_000n,
      clickIds: [clickId],
      status: 'approved',
      touchId: clickId,
      touchKind: 'click',
      campaignId: 'cmp_main',
      publisherId: 'pub_news',
      slotId: 'slot_top',
      costMicros: 5_000_000n,
    });
    const decision = cv!.decision as { winner: { touchId: string }; candidates: { touchId: string; kind: string; verdict: string }[] };
    expect(decision.winner).toMatchObject({ touchId: clickId });
    expect(decision.candidates).toContainEqual(expect.objectContaining({ touchId: clickId, kind: 'click', verdict: 'won' }));
    // The viewable impression the SDK reported from the same browser was a candidate too, and lost.
    expect(decision.candidates).toContainEqual(expect.objectContaining({ kind: 'view', verdict: expect.not.stringMatching(/^won$/) }));

    // The same explain record through the advertiser's API.
    const api = await c.h.api('GET', `/v1/conversions/${cv!.id}`, c.w.advertiserKey);
    expect(api.body.conversion.decision.candidates).toContainEqual(expect.objectContaining({ touchId: clickId, verdict: 'won' }));

    // And the click itself was recorded by the redirect, from the decision the SDK rendered.
    const [click] = await c.rows('clicks');
    expect(click).toMatchObject({ click_id: clickId, via: 'redirect', slot_id: 'slot_top', invalid_reason: null });
    const views = (await c.rows('page_views')).map(pageViewRow);
    expect(views.map((v) => [v.siteId, v.url, v.clickIds])).toEqual([
      ['site_news', 'https://news.example/article', []],
      ['site_shop', 'https://shop.example/landing', [clickId]],
      ['site_shop', 'https://shop.example/checkout/thanks', [clickId]],
    ]);
  });
});
