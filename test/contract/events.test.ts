/**
 * Wire contract, event by event: each beacon is built by the real SDK (`sdk/src/index.ts`), sent
 * through a browser-shaped transport into the collector's `app.request()`, and must be accepted
 * and stored as meant (ARCHITECTURE.md "Wire format (beacon v1)").
 */
import { describe, expect, it, vi } from 'vitest';
import { clickThrough, serveAd } from '../../collector/src/test-fixtures';
import { num } from '../../collector/src/store/db';
import { init, trackAds, trackClick, trackConversion, trackPageview, trackVitals } from '../../sdk/src/index';
import { startTag } from '../../sdk/src/start-tag';
import { FakeIntersectionObserver } from '../../sdk/test/fake-browser';
import { reported } from './fake-web-vitals';
import { COLLECTOR, eachTestCollector, pageViewRow, tokenPayload, type ContractCollector, type SdkBrowser, type SdkBrowserOptions } from './sdk-browser';

vi.mock('web-vitals', () => import('./fake-web-vitals'));

let c: ContractCollector;
const open = eachTestCollector((x) => (c = x));

/** Two click IDs minted by the collector's redirect, oldest first. */
const mintClickIds = async () => {
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const { tk } = await serveAd(c.h, c.w.slotId);
    ids.push((await clickThrough(c.h, tk)).clickId!);
    c.h.clock.advance(1000);
  }
  return ids;
};

/** The one request that carried `type`, and the event itself. */
const sentEvent = (b: SdkBrowser, type: string) => {
  const r = b.beacons().find((x) => (JSON.parse(x.body).e as { t: string }[]).some((e) => e.t === type))!;
  return { request: r, event: (JSON.parse(r.body).e as Record<string, string>[]).find((e) => e.t === type)! };
};

describe('page view', () => {
  it('stores the URL without query or hash, the referrer, our click IDs newest first and the other platforms’ IDs', async () => {
    const [older, newer] = await mintClickIds();
    // First visit from an ad: the SDK keeps the click ID in its cookie and localStorage mirror.
    const first = open(`https://shop.example/landing?ppclid=${older}`);
    init({ site: 'site_shop', endpoint: COLLECTOR }, first.deps);
    await first.settle();
    c.h.clock.advance(60_000);

    // A later page load from a second ad, with other platforms' click IDs and personal data in query and hash.
    const b = open(`https://shop.example/landing/shoes?ppclid=${newer}&gclid=Cj0KCQ-g_1&fbclid=IwAR-f_1&email=a%40b.example#name=Ann`, {
      referrer: 'https://search.example/results?q=secret#top',
      profile: first.profile(),
    });
    init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
    await b.settle();

    const { request, event } = sentEvent(b, 'pv');
    expect(request).toMatchObject({ via: 'fetch', method: 'POST', url: `${COLLECTOR}/e`, status: 202 });
    expect(JSON.parse(request.responseBody!)).toEqual({ accepted: 1, duplicate: 0, rejected: [], conflict: [] });
    const rows = (await c.rows('page_views')).map(pageViewRow);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual({
      siteId: 'site_shop',
      eventId: event.i,
      pageViewId: event.p,
      url: 'https://shop.example/landing/shoes',
      referrer: 'https://search.example/results',
      clickIds: [newer, older],
      otherClickIds: { gclid: 'Cj0KCQ-g_1', fbclid: 'IwAR-f_1' },
      cookieless: false,
      invalidReason: null,
      at: c.h.clock(),
      receivedAt: c.h.clock(),
    });
    expect(JSON.stringify(rows)).not.toMatch(/secret|email|Ann|a%40b/);
  });

  it('counts SPA navigations with the previous page as referrer', async () => {
    const b = open('https://shop.example/');
    init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
    b.win.history.pushState({}, '', '/products/42?ref=nav');
    trackPageview();
    await b.settle();
    const rows = (await c.rows('page_views')).map(pageViewRow);
    expect(rows.map((r) => [r.url, r.referrer])).toEqual([
      ['https://shop.example/', null],
      ['https://shop.example/products/42', 'https://shop.example/'],
      ['https://shop.example/products/42', 'https://shop.example/products/42'],
    ]);
    expect(new Set(rows.map((r) => r.pageViewId)).size).toBe(3);
  });

  it('truncates page URLs and referrers longer than the collector takes (2,048 characters) instead of losing the page view', async () => {
    const path = '/wiki/' + 'long-title-'.repeat(300);
    const b = open(`https://shop.example${path}?q=1`, { referrer: `https://search.example${path}` });
    init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
    trackConversion({ action: 'purchase', value: '5', currency: 'EUR' });
    await b.settle();
    expect(b.beacons().map((r) => r.status)).toEqual([202]);
    const [row] = (await c.rows('page_views')).map(pageViewRow);
    expect(row!.url).toBe(`https://shop.example${path}`.slice(0, 2048));
    expect(row!.referrer).toBe(`https://search.example${path}`.slice(0, 2048));
    expect(await c.conversions()).toMatchObject([{ actionKey: 'purchase', valueMicros: 5_000_000n }]);
    expect(await c.rows('rejected_events')).toEqual([]);
  });
  it('takes event IDs in test mode with the longest code (24 characters), and they sort by when they were made', async () => {
    const code = 'T'.repeat(24);
    const b = open(`https://shop.example/?pp_test=${code}`);
    init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
    c.h.clock.advance(5);
    b.win.history.pushState({}, '', '/cart');
    c.h.clock.advance(5);
    trackConversion({ action: 'purchase', value: '5', currency: 'EUR' });
    await b.settle();
    expect(b.beacons().every((r) => r.status === 202)).toBe(true);
    expect(await c.rows('rejected_events')).toEqual([]);
    const ids = b.events().map((e) => String(e.i));
    expect(ids.map((i) => i.length)).toEqual([64, 64, 64]);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('conversion', () => {
  it('stores action, exact value micros from a decimal string, currency, order ID and the click IDs newest first', async () => {
    const [older, newer] = await mintClickIds();
    const first = open(`https://shop.example/a?ppclid=${older}`);
    init({ site: 'site_shop', endpoint: COLLECTOR }, first.deps);
    await first.settle();
    const b = open(`https://shop.example/b?ppclid=${newer}&msclkid=ms-1`, { profile: first.profile() });
    init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
    trackConversion({ action: 'purchase', value: '49.90', currency: 'EUR', orderId: 'A-1001' });
    await b.settle();

    const { event } = sentEvent(b, 'cv');
    expect(event).toMatchObject({ a: 'purchase', v: '49.90', c: 'EUR', o: 'A-1001', k: `${newer},${older}` });
    expect(await c.conversions()).toEqual([
      expect.objectContaining({
        advertiserId: 'adv_shop',
        siteId: 'site_shop',
        origin: 'beacon',
        eventId: event.i,
        actionKey: 'purchase',
        valueMicros: 49_900_000n,
        currency: 'EUR',
        orderId: 'A-1001',
        clickIds: [newer, older],
        otherClickIds: { msclkid: 'ms-1' },
        sourceKey: expect.any(String),
      }),
    ]);
  });

  it('is accepted with every click ID the SDK keeps, even five long ones from tampered links (the collector takes 200 characters of k)', async () => {
    let profile: SdkBrowserOptions['profile'];
    for (const n of [1, 2, 3, 4, 5, 6]) {
      // Well-formed ppclid values of 39 and 64 characters (the collector mints 27), none minted by the collector.
      const long = `${n}`.repeat(n % 2 ? 64 : 39);
      const page = open(`https://shop.example/from-ad-${n}?ppclid=${long}`, { profile });
      init({ site: 'site_shop', endpoint: COLLECTOR }, page.deps);
      await page.settle();
      profile = page.profile();
      c.h.clock.advance(1000);
    }
    const b = open('https://shop.example/thanks', { profile });
    init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
    trackConversion({ action: 'purchase', value: '30', currency: 'EUR', orderId: 'LONG-1' });
    await b.settle();
    expect(b.beacons().every((r) => r.status === 202)).toBe(true);
    expect(await c.rows('rejected_events')).toEqual([]);
    const [cv] = await c.conversions();
    expect(cv).toMatchObject({ orderId: 'LONG-1', valueMicros: 30_000_000n, status: 'unattributed' });
    // Whatever the SDK kept reached the collector, newest first, and none of it won anything.
    const kept = sentEvent(b, 'cv').event.k!.split(',');
    expect(cv!.clickIds).toEqual(kept);
    expect(kept.length).toBeGreaterThan(0);
    expect((cv!.decision as { candidates: { verdict: string }[] }).candidates.every((x) => x.verdict !== 'won')).toBe(true);
  });

  it.each([
    [49.9, 49_900_000n],
    [0.1 + 0.2, 300_000n],
    [1.1 * 3, 3_300_000n],
    [1234567.5, 1_234_567_500_000n],
    [7, 7_000_000n],
  ])('stores the JS number %s as exactly %s micros', async (value, micros) => {
    const b = open('https://shop.example/thanks');
    init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
    trackConversion({ action: 'purchase', value, currency: 'EUR' });
    await b.settle();
    expect(b.beacons().map((r) => r.status)).toEqual([202]);
    expect((await c.conversions()).map((x) => x.valueMicros)).toEqual([micros]);
  });

  it('defaults the action to "conversion" and the value to zero, and counts a no-code data-pp-conversion button', async () => {
    const b = open('https://shop.example/signup');
    b.win.document.body.innerHTML = '<button data-pp-conversion="signup" data-pp-value="20" data-pp-currency="EUR">Join</button>';
    init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
    trackConversion();
    b.win.document.querySelector('button')!.click();
    await b.settle();
    const sent = b.events().map((e) => e.i);
    const stored = (await c.conversions()).sort((x, y) => sent.indexOf(x.eventId) - sent.indexOf(y.eventId));
    expect(stored.map((x) => [x.actionKey, x.valueMicros, x.currency])).toEqual([
      ['conversion', 0n, null],
      ['signup', 20_000_000n, 'EUR'],
    ]);
  });
});

describe('UTM parameters', () => {
  it('stores the landing’s UTM parameters with its page view and with a conversion on a later page', async () => {
    const b = open('https://shop.example/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring%20sale&utm_term=' + 'x'.repeat(600));
    init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
    b.win.history.pushState({}, '', '/checkout');
    trackConversion({ action: 'purchase', value: '10.00', currency: 'EUR', orderId: 'U-1' });
    await b.settle();
    // A value too long to keep is dropped from the event, never the event itself.
    const utm = { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'spring sale' };
    const pv = (await c.rows('page_views'))[0]!;
    expect(JSON.parse(String(pv.utm))).toEqual(utm);
    expect(await c.conversions()).toMatchObject([{ orderId: 'U-1', utm }]);
  });
});

describe('unknown command', () => {
  it('keeps a mistyped command the tag reported as a rejected event, and the rest of the queue is stored', async () => {
    const b = open('https://shop.example/thanks');
    const script = b.win.document.createElement('script');
    script.src = COLLECTOR + '/pp.js';
    script.dataset.site = 'site_shop';
    b.win.document.head.append(script);
    b.win.eval('window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}');
    b.win.eval("pp('conversoin', { action: 'purchase' }); pp('conversion', { action: 'purchase', orderId: 'Q-1' })");
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    startTag(b.deps, script);
    await b.settle();
    expect(await c.conversions()).toMatchObject([{ orderId: 'Q-1' }]);
    expect(await c.rows('page_views')).toHaveLength(1);
    expect(await c.rows('rejected_events')).toMatchObject([{ site_id: 'site_shop', event_type: 'uc', reason: 'unknown_command', detail: 'pp("conversoin") is not a command of the tag' }]);
  });
});

describe('ads', () => {
  const publisherPage = () => {
    const b = open('https://news.example/article');
    b.win.document.body.innerHTML = '<ins data-pp-slot="slot_top" data-pp-size="300x250"></ins>';
    init({ site: 'site_news', endpoint: COLLECTOR }, b.deps);
    trackAds();
    return b;
  };

  it('renders the /ad answer and stores the served and the viewable impression of that decision, token unchanged', async () => {
    const b = publisherPage();
    await b.settle();
    const pv = sentEvent(b, 'pv').event.p;
    const adRequest = b.requests.find((r) => r.url.includes('/ad?'))!;
    expect(adRequest).toMatchObject({ via: 'fetch', method: 'GET', url: `${COLLECTOR}/ad?slot=slot_top&p=${pv}`, status: 200 });
    const { ad } = JSON.parse(adRequest.responseBody!) as { ad: { tk: string; href: string; img: string; w: number; h: number } };
    const link = b.win.document.querySelector('ins a') as HTMLAnchorElement;
    expect(link.href).toBe(`${COLLECTOR}/c/${ad.tk}`);
    expect((link.querySelector('img') as HTMLImageElement).src).toBe(`${COLLECTOR}/img/cr_main.png`);

    const served = sentEvent(b, 'imp').event;
    expect(served).toMatchObject({ tk: ad.tk, p: pv });
    FakeIntersectionObserver.show(b.win.document.querySelector('ins')!, 1);
    await b.advance(999);
    expect(b.events().filter((e) => e.t === 'vi')).toEqual([]);
    await b.advance(1);
    const viewable = sentEvent(b, 'vi').event;
    expect(viewable.tk).toBe(ad.tk);
    expect(b.beacons().every((r) => r.status === 202)).toBe(true);

    const decision = tokenPayload(ad.tk);
    expect(decision).toMatchObject({ si: 'site_news', s: 'slot_top', c: 'cmp_main', cr: 'cr_main', pv });
    const rows = await c.rows('impressions');
    expect(rows.map((r) => [r.kind, r.event_id, r.decision_id, r.page_view_id, r.slot_id, r.campaign_id, r.creative_id, r.invalid_reason])).toEqual([
      ['served', served.i, decision.d, pv, 'slot_top', 'cmp_main', 'cr_main', null],
      ['viewable', viewable.i, decision.d, pv, 'slot_top', 'cmp_main', 'cr_main', null],
    ]);
    expect(num(rows[1]!.at) - num(rows[0]!.at)).toBe(1000);
    const perf = await c.h.store.reports.performance({ campaignId: 'cmp_main' }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 'campaign', false);
    expect(perf).toMatchObject([{ key: 'cmp_main', served: 1, viewable: 1, clicks: 0 }]);
  });

  it('stores a trackClick(token) click for an ad the page rendered itself, with a click ID minted by the collector', async () => {
    const b = open('https://news.example/app');
    init({ site: 'site_news', endpoint: COLLECTOR }, b.deps);
    await b.settle();
    const pv = sentEvent(b, 'pv').event.p!;
    const { tk } = await serveAd(c.h, 'slot_top', pv);
    trackClick(tk);
    await b.settle();
    const clk = sentEvent(b, 'clk');
    expect(clk.request.status).toBe(202);
    expect(clk.event).toMatchObject({ t: 'clk', tk, p: pv });
    const [row] = await c.rows('clicks');
    expect(row).toMatchObject({ via: 'beacon', event_id: clk.event.i, decision_id: tokenPayload(tk).d, page_view_id: pv, campaign_id: 'cmp_main', invalid_reason: null });
    expect(String(row!.click_id)).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(await c.h.store.reports.performance({ campaignId: 'cmp_main' }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 'campaign', false)).toMatchObject([{ clicks: 1 }]);
  });
});

describe('web vitals', () => {
  it('stores LCP, INP and CLS from trackVitals() against the page load’s page view', async () => {
    const b = open('https://shop.example/');
    init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
    await trackVitals();
    reported.get('LCP')!({ name: 'LCP', value: 2345.6 });
    reported.get('INP')!({ name: 'INP', value: 184 });
    reported.get('CLS')!({ name: 'CLS', value: 0.0123 });
    await b.settle();
    const pv = sentEvent(b, 'pv').event.p;
    expect(b.beacons().every((r) => r.status === 202)).toBe(true);
    const rows = await c.rows('vitals');
    expect(rows.map((r) => [r.site_id, r.page_view_id, r.name, Number(r.value)])).toEqual([
      ['site_shop', pv, 'LCP', 2345.6],
      ['site_shop', pv, 'INP', 184],
      ['site_shop', pv, 'CLS', 0.0123],
    ]);
  });
});

describe('cookieless mode', () => {
  it.each([
    ['cookieless: true', { cookieless: true }, {}],
    ['consent required, not given', { consent: 'required' }, {}],
    ['Global Privacy Control', {}, { gpc: true }],
  ])('%s: sends cl "1" and no identifiers, stores nothing in the browser, and the collector keeps un-identified counts', async (_name, options, extra) => {
    const [clickId] = await mintClickIds();
    const b = open(`https://shop.example/landing?ppclid=${clickId}&gclid=G-1`);
    if ((extra as { gpc?: boolean }).gpc) Object.defineProperty(b.win.navigator, 'globalPrivacyControl', { value: true });
    init({ site: 'site_shop', endpoint: COLLECTOR, ...options }, b.deps);
    trackConversion({ action: 'purchase', value: '10', currency: 'EUR', orderId: 'CL-1' });
    await b.settle();

    for (const e of b.events()) {
      expect(e.cl).toBe('1');
      expect(Object.keys(e).filter((k) => ['k', 'gclid'].includes(k))).toEqual([]);
    }
    expect(b.profile()).toEqual({ cookies: [], storage: [] });
    expect(b.beacons().map((r) => r.status)).toEqual([202]);
    const [pv] = (await c.rows('page_views')).map(pageViewRow);
    expect(pv).toMatchObject({ cookieless: true, clickIds: [], otherClickIds: {}, url: 'https://shop.example/landing' });
    expect(await c.conversions()).toEqual([
      expect.objectContaining({ orderId: 'CL-1', valueMicros: 10_000_000n, clickIds: [], otherClickIds: {}, sourceKey: null, status: 'unattributed' }),
    ]);
  });
});

describe('batch keys s and n', () => {
  it('stores the event at the collector’s time of the event, whatever the visitor’s clock says, from n − ts', async () => {
    // The visitor's clock is an hour and a bit behind; the conversion waits 45 s offline before it is sent.
    const b = open('https://shop.example/thanks', { skewMs: -3_700_000 });
    b.offline = true;
    init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);
    const happenedAt = c.h.clock();
    trackConversion({ action: 'purchase', value: '12.34', currency: 'EUR', orderId: 'SKEW-1' });
    await b.settle();
    await b.advance(45_000);
    b.offline = false;
    b.win.dispatchEvent(new b.win.Event('online'));
    await b.settle();

    const delivered = b.beacons().filter((r) => r.status === 202);
    expect(delivered).toHaveLength(1);
    const batch = JSON.parse(delivered[0]!.body) as { s: string; n: number; e: { t: string; ts: number }[] };
    expect(batch.s).toBe('site_shop');
    expect(batch.n).toBe(happenedAt + 45_000 - 3_700_000);
    expect(batch.e.map((e) => batch.n - e.ts)).toEqual([45_000, 45_000]);
    const [cv] = await c.conversions();
    expect(cv).toMatchObject({ siteId: 'site_shop', orderId: 'SKEW-1', receivedAt: happenedAt + 45_000, at: happenedAt });
    const [pv] = (await c.rows('page_views')).map(pageViewRow);
    expect(pv).toMatchObject({ siteId: 'site_shop', at: happenedAt, receivedAt: happenedAt + 45_000 });
  });
});
