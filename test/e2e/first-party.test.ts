/**
 * First-party mode in real Chromium (issue 13): the shop runs on its own origin with
 * `perfpixel/first-party` mounted (the plain `node:http` handler) at a path of its own; the tag is
 * served and its beacons forwarded from there. The visitor lands from an ad click, the shop's server
 * keeps the click ID in an HTTP-only cookie, the cookie and localStorage the tag wrote by script are
 * wiped (as Safari does to script-written storage after 7 days), and the purchase is still
 * attributed and charged — while every request to the collector's own host is aborted, as an ad
 * blocker would.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { createFirstPartyHandler, firstPartySnippet } from 'perfpixel/first-party';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newHumanContext, watchErrors } from './launch-chromium';
import { ROOT, startE2eServer, type E2eServer } from './support/e2e-server';

const OUT = join(ROOT, 'test-output/e2e');
/** The shop's own path for the tag: not a word filter lists block. */
const PATH = '/k3x';

let s: E2eServer;
let shop: Server;
let shopOrigin: string;
let browser: Browser;
let context: BrowserContext;

/** A page of the shop: the first-party snippet as `firstPartySnippet` gives it, and on /thanks the purchase. */
function shopPage(path: string, q: URLSearchParams): string {
  const order = q.get('o');
  const conversion = order
    ? `<script>window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)};pp('conversion', { action: 'purchase', value: '10.00', currency: 'EUR', orderId: ${JSON.stringify(order)} });</script>`
    : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>shop ${path}</title>${firstPartySnippet('site_shop', PATH)}</head><body><h1>shop ${path}</h1>${order ? `<p>Thank you for order ${order}.</p>` : ''}${conversion}</body></html>`;
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  s = await startE2eServer();
  // The shop's server: the handler answers /k3x/…, the shop the rest. It reaches the collector by
  // address, and signs each visitor's address with the advertiser's S2S secret.
  const firstParty = createFirstPartyHandler({ collector: `http://127.0.0.1:${s.port}`, path: PATH, secret: s.world.s2sSecret });
  shop = createServer((req, res) =>
    firstParty(req, res, () => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.writeHead(url.pathname === '/landing' || url.pathname === '/thanks' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(shopPage(url.pathname, url.searchParams));
    }),
  );
  await new Promise<void>((ok) => shop.listen(0, '127.0.0.1', ok));
  shopOrigin = `http://firstparty.localhost:${(shop.address() as AddressInfo).port}`;
  // The owner adds the shop's origin to the site (the verify page does the same through this API).
  const r = await s.h.api('PATCH', `/v1/sites/${s.world.shopSiteId}`, s.world.advertiserKey, { origins: [s.siteOrigin, shopOrigin] });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  browser = await launchChromium();
  context = await newHumanContext(browser);
}, 60_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await new Promise<void>((ok) => (shop ? shop.close(() => ok()) : ok()));
  await s?.close();
}, 15_000);

describe('first-party mode in Chromium', () => {
  it('attributes a purchase after the script-written cookie and localStorage are wiped, with the collector’s host blocked', async () => {
    const errors = watchErrors(context);
    // An ad blocker: nothing reaches the collector's host from the browser.
    const blocked: string[] = [];
    await context.route(/^https?:\/\/cdn\.localhost(:\d+)?\//, (route) => (blocked.push(route.request().url()), route.abort('blockedbyclient')));
    const page = await context.newPage();
    const sent: { url: string; body: string }[] = [];
    page.on('request', (r) => r.method() === 'POST' && sent.push({ url: r.url(), body: r.postData() ?? '' }));

    // The landing: the click ID arrives in the URL; the tag's first page view carries it, and the
    // shop's server keeps it in an HTTP-only cookie of its own.
    await page.goto(`${shopOrigin}/landing?ppclid=${s.clickId}`);
    const httpOnly = async () => (await context.cookies(shopOrigin)).find((c) => c.name === '_ppc');
    await expect.poll(httpOnly, { timeout: 10_000 }).toMatchObject({ httpOnly: true, sameSite: 'Lax', value: expect.stringMatching(new RegExp(`^${s.clickId}~\\d+$`)) });
    const cookie = (await httpOnly())!;
    // Set by the server for the whole click window (90 days), not capped like a cookie written by script.
    expect(cookie.expires * 1000 - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect(await page.evaluate(() => document.cookie)).not.toContain('_ppc');
    expect((await context.cookies(shopOrigin)).map((c) => c.name)).toContain('_ppk');
    expect(await page.evaluate(() => localStorage.getItem('_ppk'))).toContain(s.clickId);

    // Seven days later in Safari: what the tag wrote by script is gone.
    await context.clearCookies({ name: '_ppk' });
    await page.evaluate(() => localStorage.clear());
    expect((await context.cookies(shopOrigin)).map((c) => c.name)).toEqual(['_ppc']);

    await page.goto(`${shopOrigin}/thanks?o=FP-E2E-1`);
    await expect.poll(() => s.committed.has('FP-E2E-1'), { timeout: 10_000 }).toBe(true);

    // The browser sent the conversion to the shop's own path, without a click ID (it had none left) …
    const beacon = sent.find((x) => x.url === `${shopOrigin}${PATH}/e` && x.body.includes('FP-E2E-1'))!;
    const cv = (JSON.parse(beacon.body) as { e: { t: string; o?: string; k?: string }[] }).e.find((e) => e.o === 'FP-E2E-1')!;
    expect(cv.k).toBeUndefined();
    // … the shop's server added the one from its cookie, and the collector credited and charged the click.
    const [c] = await s.h.store.reports.conversions({ advertiserId: s.world.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 5);
    expect(c).toMatchObject({ orderId: 'FP-E2E-1', clickIds: [s.clickId], campaignId: s.world.campaignId, touchKind: 'click', costMicros: 1_000_000n, status: 'approved' });
    // The visitor's own address reached the collector, signed by the shop's server (not refused).
    expect(s.arrivals.filter((a) => a.path === '/e').every((a) => a.status === 202)).toBe(true);

    expect(blocked, 'requests to the collector host').toEqual([]);
    expect(sent.every((x) => x.url.startsWith(shopOrigin))).toBe(true);
    expect(errors.all).toEqual([]);
    await page.screenshot({ path: join(OUT, 'first-party-thanks.png') });
    await page.close();
  });

  it('loses the same purchase without first-party mode, when the collector’s host is blocked', async () => {
    // The route of the test above still aborts every request to the collector's host.
    const page = await context.newPage();
    await page.goto(s.site(`/landing?ppclid=${s.clickId}`));
    await page.goto(s.site('/thanks?o=TP-E2E-1'));
    await page.waitForTimeout(3000);
    expect(s.committed.has('TP-E2E-1')).toBe(false);
    expect(s.arrivalsOf('TP-E2E-1')).toEqual([]);
    await page.close();
  });
});
