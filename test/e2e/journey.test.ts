/**
 * The journey the whole system serves (SPEC §1), in real Chromium against the real server that
 * `npm start` runs: a viewable ad on the publisher's page, a click through the collector's redirect
 * onto the advertiser's shop (another site), a purchase whose conversion the thank-you page fires,
 * the dashboard explaining and charging it, a replay of the same order charged nothing more, and the
 * "verify my tag" page's test-events view showing the shop's events as they arrive — all of them, and
 * then only a test browser's (`?pp_test=CODE`) — with the allowed origins edited there.
 *
 * Screenshots land in test-output/e2e/. Every step proves its claim through the API as well as on
 * screen, so a page that only *looks* right cannot pass. Each step has its own time limit, so the
 * whole suite ends within three minutes even when something hangs (typically it takes ~15 s).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutShifts, launchChromium, newHumanContext, watchErrors } from './launch-chromium';
import { ROOT, startDemo, type Demo } from './start-demo';

const OUT = join(ROOT, 'test-output/e2e');
/** The creative that earns a charge: Northwind's pay-per-sale campaign in the 300×250 slot. */
const CREATIVE = 'nw-winter-mrec';
const CAMPAIGN = 'nw-winter';
const SLOT = 'daily-mrec';
/** Northwind's terms (demo-site/server/seed.ts): €2 per sale + 8 % of the order; The Daily Commute keeps 70 %. */
const CPA_FLAT_MICROS = 2_000_000n;
const CPA_BPS = 800n;
const REV_SHARE_BPS = 7000n;
/** What the visitor buys. */
const PRODUCT = { id: 'tram-jacket', cents: 8900n };
/** The collector holds a purchase made less than 3 s after its click for review (SPEC §3.3). */
const HUMAN_DWELL_MS = 3500;

interface WireEvent {
  t: string;
  i: string;
  tk?: string;
  k?: string;
  o?: string;
  v?: string;
  c?: string;
  a?: string;
}
interface Conversion {
  id: string;
  orderId: string | null;
  origin: string;
  status: string;
  clickIds: string[];
  campaignId: string | null;
  publisherId: string | null;
  creativeId: string | null;
  slotId: string | null;
  touchId: string | null;
  touchKind: string | null;
  valueMicros: string;
  costMicros: string;
}
interface EntryGroup {
  id: number;
  key: string;
  kind: string;
  meta: { refType: string; refId: string };
  legs: { account: string; side: 'debit' | 'credit'; micros: string }[];
}

let demo: Demo;
let browser: Browser;
let context: BrowserContext;
let errors: ReturnType<typeof watchErrors>;
let startedAt = 0;

/** What each step hands to the next. */
const journey: {
  news?: Page;
  shop?: Page;
  clickId?: string;
  orderId?: string;
  beacon?: string;
  conversion?: Conversion;
  pageViews?: number;
} = {};

/** A value an earlier step should have produced (the later steps cannot run without it). */
function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`an earlier step failed: no ${what}`);
  return value;
}

/** The events of a beacon request (`POST /e`, text/plain JSON), or none for any other request. */
function eventsOf(req: Request): WireEvent[] {
  if (req.method() !== 'POST' || new URL(req.url()).pathname !== '/e') return [];
  try {
    return (JSON.parse(req.postData() ?? '') as { e: WireEvent[] }).e;
  } catch {
    return [];
  }
}

/** "€9.12" or "€1,234.5678" as integer micros (the dashboard shows exact amounts). */
function euroMicros(text: string): bigint {
  const m = /€\s*([\d,]+)(?:\.(\d{1,6}))?/.exec(text);
  if (!m) throw new Error(`not an amount in euros: ${JSON.stringify(text)}`);
  return BigInt(m[1]!.replace(/,/g, '')) * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** Where a box is on the page (document coordinates, so scrolling does not change it). */
async function pageBoxes(page: Page, selectors: string[]): Promise<Record<string, { x: number; y: number; w: number; h: number }>> {
  return page.evaluate((sels) => {
    const out: Record<string, { x: number; y: number; w: number; h: number }> = {};
    for (const s of sels) {
      const r = document.querySelector(s)!.getBoundingClientRect();
      out[s] = { x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height };
    }
    return out;
  }, selectors);
}

/**
 * Holds every request of a page whose URL matches, until the test lets it go: `next()` gives the
 * oldest held route (waiting for one to arrive); call `route.continue()` on it.
 */
async function holdRequests(page: Page, url: RegExp): Promise<{ next(what: string): Promise<Route> }> {
  const held: Route[] = [];
  let wake = () => {};
  await page.route(url, (route) => {
    held.push(route);
    wake();
  });
  return {
    next: (what) =>
      new Promise<Route>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(what)), 15_000);
        const take = () => {
          clearTimeout(timer);
          wake = () => {};
          ok(held.shift()!);
        };
        if (held.length) take();
        else wake = take;
      }),
  };
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  startedAt = Date.now();
  demo = await startDemo({ readyTimeoutMs: 30_000 });
  browser = await launchChromium();
  context = await newHumanContext(browser);
  errors = watchErrors(context);
}, 45_000);

afterAll(async () => {
  // Each step of the shutdown runs even if an earlier one (or the suite) failed.
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await demo?.stop();
}, 15_000);

describe('the demo journey in Chromium', () => {
  it('shows a Northwind ad in the 300×250 slot without shifting the page, and records it as viewable after one second in view', async () => {
    const news = await context.newPage();
    // The renderer (ads.js) and each ad decision of the slot are held until the page around the slot
    // has been measured: its place as the publisher's HTML and CSS alone reserve it is then known for
    // certain, not raced against a fast localhost.
    const renderer = await holdRequests(news, /\/ads\.js$/);
    const decisions = await holdRequests(news, /\/ad\?slot=daily-mrec(&|$)/);

    const slot = news.locator(`ins[data-pp-slot="${SLOT}"]`);
    const watched = [`ins[data-pp-slot="${SLOT}"]`, 'aside.ad-inline + p', 'blockquote', 'article h2:nth-of-type(2)', 'footer.site-foot'];
    // The ad decision is sampled (Thompson sampling over eCPM, SPEC §3.5): reload, as a reader
    // would, until the slot shows the Northwind pay-per-sale creative.
    let decision: { ad: { img: string; href: string; tk: string } | null } | null = null;
    let reserved: Awaited<ReturnType<typeof pageBoxes>> = {};
    const seen: string[] = [];
    for (let attempt = 1; attempt <= 15 && !decision; attempt++) {
      // Not `load`: the held ads.js delays the load event.
      await news.goto(`${demo.url}/news/`, { waitUntil: 'domcontentloaded' });
      const script = await renderer.next('the tag never loaded ads.js');
      reserved = await pageBoxes(news, watched);
      await script.continue();
      const route = await decisions.next('the page never asked for an ad for the 300×250 slot');
      expect(await pageBoxes(news, watched), 'ads.js sizes the slot as the page reserved it').toEqual(reserved);
      expect(await slot.locator('img').count(), 'nothing is rendered before the ad decision arrives').toBe(0);
      const answer = news.waitForResponse((r) => r.request() === route.request());
      await route.continue();
      const body = (await (await answer).json()) as { ad: { img: string; href: string; tk: string } | null };
      seen.push(body.ad?.img.split('/').pop() ?? 'none');
      if (body.ad?.img.endsWith(`/${CREATIVE}.svg`)) decision = body;
    }
    expect(decision, `the slot never showed ${CREATIVE} in 15 page views (served: ${seen.join(', ')})`).not.toBeNull();
    const ad = decision!.ad!;
    expect(new URL(ad.img).pathname).toBe(`/demo-assets/${CREATIVE}.svg`);

    // The creative really rendered: the <img> in the slot has loaded, at its full size.
    const img = slot.locator('img');
    await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0), { timeout: 10_000 }).toBe(true);
    expect(await img.getAttribute('src')).toBe(ad.img);
    expect(await img.boundingBox()).toMatchObject({ width: 300, height: 250 });
    expect(await slot.locator('a').getAttribute('href')).toBe(ad.href);
    expect(await slot.locator('a').getAttribute('target')).toBe('_blank');
    expect(await slot.locator('a').getAttribute('rel')).toContain('sponsored');
    expect(await slot.textContent()).toContain('Ad');

    // No layout shift from the ad: the slot and the text after it are exactly where the page put them
    // before any ad code ran. (The slot is below the fold, where the Layout Instability API reports
    // nothing, so its boxes are compared; the layout-shift entries below cover the rest of the page.)
    const after = await pageBoxes(news, watched);
    expect(after).toEqual(reserved);
    expect(reserved[`ins[data-pp-slot="${SLOT}"]`]).toMatchObject({ w: 300, h: 250 });

    // Viewable (MRC): ≥ 50 % in view for one continuous second. The slot starts below the fold, so
    // the timer can only start once we scroll it into view.
    const vh = news.viewportSize()!.height;
    expect(after[`ins[data-pp-slot="${SLOT}"]`]!.y, 'the 300×250 slot starts below the fold').toBeGreaterThan(vh);
    const viewable = news.waitForRequest((r) => eventsOf(r).some((e) => e.t === 'vi' && e.tk === ad.tk), { timeout: 10_000 });
    const scrolledAt = Date.now();
    await slot.scrollIntoViewIfNeeded();
    const viRequest = await viewable;
    const inViewMs = Date.now() - scrolledAt;
    expect(inViewMs, 'the viewable impression waits one continuous second in view').toBeGreaterThanOrEqual(1000);
    const viResponse = await viRequest.response();
    expect(viResponse?.status()).toBe(202);

    const shifts = await layoutShifts(news);
    expect(shifts, `layout shifts: ${JSON.stringify(shifts)}`).toEqual([]);

    // The collector recorded exactly one served and one viewable, valid impression of this creative.
    const perf = () =>
      demo
        .api<{ rows: { key: string; served: number; viewable: number; invalidImpressions: number }[] }>(`/v1/reports/performance?groupBy=creative&from=${startedAt}`, demo.operatorKey)
        .then((r) => r.rows.find((x) => x.key === CREATIVE));
    await expect.poll(perf, { timeout: 10_000 }).toMatchObject({ served: 1, viewable: 1, invalidImpressions: 0 });

    await news.screenshot({ path: join(OUT, '1-publisher-page.png') });
    expect(errors.on((u) => u.includes('/news/')), 'console errors on the publisher page').toEqual([]);
    journey.news = news;
    journey.pageViews = seen.length;
  }, 40_000);

  it('lands on the shop (another site) with the click ID, and the thank-you page fires the purchase', async () => {
    const news = need(journey.news, 'publisher page');
    const clickedAt = Date.now();
    const [shop] = await Promise.all([context.waitForEvent('page'), news.locator(`ins[data-pp-slot="${SLOT}"] a`).click()]);
    journey.shop = shop;
    await shop.waitForURL((u) => u.host === `127.0.0.1:${demo.port}` && u.searchParams.has('ppclid'));
    const landing = new URL(shop.url());
    expect(landing.pathname).toBe('/shop/');
    expect(landing.searchParams.get('utm_campaign'), 'the registered landing URL keeps its own query').toBe('winter');
    const clickId = landing.searchParams.get('ppclid')!;
    expect(clickId).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    journey.clickId = clickId;

    // Browse like a person: the product page, a few seconds of reading, then the basket.
    await shop.getByTestId('product-card').and(shop.locator(`[data-product-id="${PRODUCT.id}"]`)).locator('h3 a').click();
    await shop.waitForURL(/\/shop\/product\.html\?id=/);
    await shop.getByTestId('add-to-basket').waitFor();
    await shop.waitForTimeout(HUMAN_DWELL_MS);
    await shop.getByTestId('add-to-basket').click();
    await shop.getByTestId('go-to-basket').click();
    await shop.waitForURL(/\/shop\/basket\.html$/);

    const fired = shop.waitForRequest((r) => eventsOf(r).some((e) => e.t === 'cv'));
    expect(Date.now() - clickedAt).toBeGreaterThan(3000);
    await shop.getByTestId('place-order').click();
    await shop.waitForURL(/\/shop\/thanks\.html\?order=/);
    const shown = shop.locator('[data-testid="order-id"][data-conversion="sent"]');
    await shown.waitFor();
    const orderId = (await shown.getAttribute('data-order-id'))!;
    expect(orderId).toMatch(/^NW-/);
    expect((await shown.textContent())?.trim()).toBe(orderId);
    journey.orderId = orderId;

    // The conversion beacon carries the click ID the shop's tag kept, the order and its value.
    const cvRequest = await fired;
    // The tag batches what one task tracked: the page view may travel in the same request.
    const batch = eventsOf(cvRequest);
    const cv = batch.find((e) => e.t === 'cv')!;
    expect(cv).toMatchObject({ a: 'purchase', o: orderId, v: '89.00', c: 'EUR' });
    expect(cv.k?.split(',')[0]).toBe(clickId);
    journey.beacon = cvRequest.postData()!;
    const cvResponse = await cvRequest.response();
    expect(cvResponse?.status()).toBe(202);
    expect(await cvResponse!.json()).toEqual({ accepted: batch.length, duplicate: 0, rejected: [], conflict: [] });

    await shop.screenshot({ path: join(OUT, '2-shop-thank-you.png'), fullPage: true });
    expect(errors.on((u) => u.includes('/shop/')), 'console errors on the shop').toEqual([]);
  }, 30_000);

  it('shows the conversion in the dashboard, credited to the clicked ad, explained and charged in the ledger', async () => {
    const clickId = need(journey.clickId, 'click ID');
    const orderId = need(journey.orderId, 'order ID');
    const northwind = demo.keys.advertisers.find((a) => a.id === 'northwind')!;

    // The API first: one conversion for the order, browser beacon and signed postback merged.
    const { conversions } = await demo.api<{ conversions: Conversion[] }>(`/v1/conversions?from=${startedAt}`, northwind.apiKey);
    const mine = conversions.filter((c) => c.orderId === orderId);
    expect(mine).toHaveLength(1);
    const c = mine[0]!;
    journey.conversion = c;
    const value = PRODUCT.cents * 10_000n;
    const cost = CPA_FLAT_MICROS + (value * CPA_BPS) / 10_000n;
    const earning = (cost * REV_SHARE_BPS) / 10_000n;
    expect(c).toMatchObject({
      origin: 'both',
      status: 'approved',
      campaignId: CAMPAIGN,
      publisherId: 'daily',
      creativeId: CREATIVE,
      slotId: SLOT,
      touchKind: 'click',
      valueMicros: String(value),
      costMicros: String(cost),
    });
    expect(c.clickIds).toContain(clickId);

    const dash = await context.newPage();
    await dash.goto(`${demo.url}/dashboard/`);
    await dash.getByTestId('sign-in-demo-northwind').click();
    await dash.locator('[data-testid="signed-in-as"][data-kind="advertiser"]').waitFor();
    expect(await dash.getByTestId('signed-in-as').textContent()).toContain('Northwind');

    // The campaign table lists the campaign of the clicked ad.
    const row = dash.locator(`[data-testid="campaign-row"][data-campaign-id="${CAMPAIGN}"]`);
    await row.waitFor();
    await dash.getByTestId('campaign-table').waitFor();
    // From the top: a full-page shot taken scrolled down paints the sticky top bar mid-page.
    await dash.evaluate(() => scrollTo(0, 0));
    await dash.screenshot({ path: join(OUT, '3-dashboard-campaigns.png'), fullPage: true });

    // The conversions list: our order, credited to the campaign and to publisher `daily` (an
    // advertiser sees publishers by ID only: GET /v1/publishers is not theirs to read).
    await dash.getByTestId('nav-conversions').click();
    const conv = dash.locator(`[data-testid="conversion-row"][data-conversion-id="${c.id}"]`);
    await conv.waitFor();
    expect(await conv.getAttribute('data-status')).toBe('approved');
    const text = (await conv.textContent()) ?? '';
    expect(text).toContain(orderId);
    expect(text).toContain('Winter jackets — pay per sale');
    expect(text).toContain('click on The Daily Commute');

    // The explain view names the click we landed with as the winner, and the money it moved.
    await conv.getByTestId('open-explain').click();
    await dash.waitForURL((u) => u.hash === `#conversion/${c.id}`);
    const explain = dash.locator(`[data-testid="explain-view"][data-conversion-id="${c.id}"]`);
    await explain.waitFor();
    expect(await explain.getAttribute('data-status')).toBe('approved');
    const winner = explain.locator(`[data-testid="candidate"][data-touch-id="${clickId}"]`);
    expect(await winner.getAttribute('data-verdict')).toBe('won');
    expect(await explain.locator('[data-testid="candidate"][data-verdict="won"]').count()).toBe(1);
    const money = explain.getByTestId('explain-money');
    const shownCost = euroMicros((await money.getByTestId('money-cost').textContent()) ?? '');
    const shownEarning = euroMicros((await money.getByTestId('money-publisher').textContent()) ?? '');
    const shownMargin = euroMicros((await money.getByTestId('money-platform').textContent()) ?? '');
    expect(shownCost).toBe(cost);
    expect(shownEarning).toBe(earning);
    expect(shownMargin).toBe(cost - earning);
    await dash.evaluate(() => scrollTo(0, 0));
    await dash.screenshot({ path: join(OUT, '4-dashboard-explain.png'), fullPage: true });

    // The ledger holds the charge: its advertiser leg is the cost the explain view showed.
    await dash.getByTestId('nav-ledger').click();
    // The explain view's own ledger card has the same group: wait for the ledger page itself.
    await dash.getByTestId('ledger-summary').waitFor();
    const group = dash.locator('[data-testid="ledger-group"][data-kind="charge"]').filter({ has: dash.locator(`a[href="#conversion/${c.id}"]`) });
    await group.first().waitFor();
    expect(await group.count()).toBe(1);
    const debit = group.locator('[data-testid="ledger-row"][data-account="advertiser:northwind"][data-side="debit"]');
    expect(await debit.getAttribute('data-micros')).toBe(String(shownCost));
    expect(await group.getByTestId('ledger-check').getAttribute('data-balanced')).toBe('true');
    await group.scrollIntoViewIfNeeded();
    await dash.screenshot({ path: join(OUT, '5-dashboard-ledger.png') });
    await dash.close();
    console.log(`journey: click ${clickId} → order ${orderId} (€89.00) → conversion ${c.id} on ${CAMPAIGN}/${CREATIVE} via daily; charged ${shownCost} µ = publisher ${shownEarning} µ + platform ${shownMargin} µ (${journey.pageViews} publisher page view(s) to get the ad)`);
  }, 30_000);

  it('charges a replayed purchase with the same order ID nothing more', async () => {
    const shop = need(journey.shop, 'shop page');
    const orderId = need(journey.orderId, 'order ID');
    const beacon = need(journey.beacon, 'conversion beacon');
    const c = need(journey.conversion, 'conversion');
    const northwind = demo.keys.advertisers.find((a) => a.id === 'northwind')!;
    const ledgerOf = () => demo.api<{ conversion: Conversion; ledger: EntryGroup[] }>(`/v1/conversions/${encodeURIComponent(c.id)}`, northwind.apiKey);
    const campaignGroups = async () =>
      (await demo.api<{ groups: EntryGroup[] }>(`/v1/ledger?campaignId=${CAMPAIGN}&from=${startedAt}&limit=5000`, northwind.apiKey)).groups.map((g) => g.key).sort();
    const before = await ledgerOf();
    expect(before.ledger.map((g) => g.kind)).toEqual(['charge']);
    const groupsBefore = await campaignGroups();

    // 1. The visitor reloads the thank-you page. Its page view is awaited so the tag has loaded:
    //    a call queued before that would share a batch with the page view (202, not 409).
    const pageview = shop.waitForResponse((r) => eventsOf(r.request()).some((e) => e.t === 'pv'));
    await shop.reload();
    await shop.locator(`[data-testid="order-id"][data-order-id="${orderId}"]`).waitFor();
    const reloaded = await pageview;
    expect(reloaded.status()).toBe(202);
    expect(eventsOf(reloaded.request()).map((e) => e.t), 'the shop reports an order once, not on every reload').not.toContain('cv');
    // 2. The very same beacon arrives again (a retry after a lost answer): the stored result, a duplicate.
    const replay = await shop.evaluate(
      async ({ endpoint, body }) => {
        const r = await fetch(`${endpoint}/e`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body });
        return { status: r.status, body: await r.json() };
      },
      { endpoint: demo.url, body: beacon },
    );
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ accepted: 0, duplicate: JSON.parse(beacon).e.length, rejected: [], conflict: [] });
    // 3. The page reports the purchase again with the same order ID (a new event ID): a conflict.
    const again = shop.waitForResponse((r) => eventsOf(r.request()).some((e) => e.t === 'cv' && e.o === orderId));
    await shop.evaluate(
      ({ orderId }) => (window as unknown as { pp: (...a: unknown[]) => void }).pp('conversion', { action: 'purchase', value: '89.00', currency: 'EUR', orderId }),
      { orderId },
    );
    const conflict = await again;
    expect(conflict.status()).toBe(409);
    const refused = (await conflict.json()) as { accepted: number; conflict: { reason: string }[] };
    expect(refused.accepted).toBe(0);
    expect(refused.conflict[0]?.reason).toContain(`order ${orderId} was already converted as ${c.id}`);

    // Still one conversion for the order, one charge, the same cost, and no new ledger group anywhere
    // on the campaign.
    const after = await ledgerOf();
    expect(after.ledger.map((g) => g.key)).toEqual(before.ledger.map((g) => g.key));
    expect(after.conversion.costMicros).toBe(c.costMicros);
    expect(after.conversion.status).toBe('approved');
    expect(await campaignGroups()).toEqual(groupsBefore);
    const { conversions } = await demo.api<{ conversions: Conversion[] }>(`/v1/conversions?from=${startedAt}`, northwind.apiKey);
    expect(conversions.filter((x) => x.orderId === orderId)).toHaveLength(1);

    // The only console error of the whole journey is the browser logging the 409 we provoked.
    const provoked = (e: { url: string; text: string }) => e.url.includes('/shop/thanks.html') && /status of 409 .*\/e:/.test(e.text);
    expect(errors.all.filter((e) => !provoked(e))).toEqual([]);
    expect(errors.all.filter(provoked)).toHaveLength(1);
  }, 20_000);

  it('shows the shop’s events on the verify page as they arrive, each with what became of it, and only the test browser’s with its code', async () => {
    const orderId = need(journey.orderId, 'order ID');
    const verify = await context.newPage();
    await verify.goto(`${demo.url}/verify/`);
    await verify.getByTestId('sign-in-demo-northwind').click();
    await verify.getByTestId('verify-pick-shop-site').click();
    const view = verify.getByTestId('test-events');
    await view.waitFor();

    // Every event of the site: the journey's purchase, sent by the browser and confirmed by the shop's
    // server, merged into one billed conversion with its click ID.
    const purchase = view.locator('[data-testid="test-event"][data-type="cv"]').filter({ hasText: orderId });
    await purchase.locator('summary').click();
    expect(await purchase.getAttribute('data-outcome')).toBe('merged');
    expect(await purchase.getAttribute('data-click-id')).toBe('true');
    expect(await purchase.getAttribute('data-consent')).toBe('granted');
    expect(await purchase.textContent()).toMatch(/Merged.*billed once/);
    await verify.evaluate(() => scrollTo(0, 0));
    await verify.screenshot({ path: join(OUT, '6-verify-test-events.png'), fullPage: true });

    // Test mode: only this browser's events, with the code the page offers, as they arrive.
    await verify.getByTestId('test-filter-mine').click();
    const coded = verify.locator('[data-testid="test-events"]:not([data-code=""])');
    await coded.waitFor();
    const code = (await coded.getAttribute('data-code'))!;
    expect(code).toMatch(/^[a-z0-9]{6}$/);
    expect(await verify.getByTestId('test-code').textContent()).toBe(`?pp_test=${code}`);
    const shop = await context.newPage();
    await shop.goto(`${demo.shopUrl}/shop/?pp_test=${code}`);
    // The next pages carry the code without it in the address (a session cookie keeps it).
    await shop.getByTestId('product-card').first().locator('h3 a').click();
    await shop.waitForURL(/\/shop\/product\.html\?id=/);
    await shop.goto(`${demo.shopUrl}/shop/basket.html`);
    const mine = view.locator('[data-testid="test-event"]');
    await expect.poll(() => mine.count(), { timeout: 10_000 }).toBe(3);
    expect(await mine.evaluateAll((els) => els.map((e) => [e.getAttribute('data-type'), e.getAttribute('data-outcome'), e.getAttribute('data-event-id')!.split('_')[0]]))).toEqual([
      ['pv', 'counted', code],
      ['pv', 'counted', code],
      ['pv', 'counted', code],
    ]);
    await verify.evaluate(() => scrollTo(0, 0));
    await verify.screenshot({ path: join(OUT, '7-verify-test-mode.png'), fullPage: true });

    // The allowed origins are edited on the page: one added, then removed again.
    const origins = verify.getByTestId('origins');
    await origins.scrollIntoViewIfNeeded();
    await verify.getByTestId('origin-input').fill('https://northwind.example');
    await verify.getByTestId('origin-add').click();
    await verify.locator('[data-testid="origin"][data-origin="https://northwind.example"]').waitFor();
    const northwind = demo.keys.advertisers.find((a) => a.id === 'northwind')!;
    const site = async () => (await demo.api<{ site: { origins: string[] } }>('/v1/sites/shop-site', northwind.apiKey)).site.origins;
    expect(await site()).toContain('https://northwind.example');
    await origins.screenshot({ path: join(OUT, '8-verify-origins.png') });
    await verify.locator('[data-testid="origin"][data-origin="https://northwind.example"] [data-testid="origin-remove"]').click();
    await verify.locator('[data-testid="origin"][data-origin="https://northwind.example"]').waitFor({ state: 'detached' });
    expect(await site()).not.toContain('https://northwind.example');

    // A mistyped site ID gets "did you mean".
    await verify.getByTestId('verify-site').fill('shop-stie');
    await verify.getByTestId('verify-submit').click();
    await verify.getByTestId('did-you-mean-shop-site').waitFor();
    await verify.getByTestId('did-you-mean-shop-site').click();
    await verify.locator('[data-testid="verify-result"][data-site-id="shop-site"]').waitFor();
    await shop.close();
    await verify.close();
  }, 45_000);
});
