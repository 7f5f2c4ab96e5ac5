/**
 * The snippets the product shows, pasted as shown, in every order a page may have them (issue 13),
 * in real Chromium against the server `npm start` runs. The snippets are read from the verify page
 * itself (the tag pinned to its versioned build with SRI, the conversion call, the no-code form,
 * the publisher's slot) and from the first HTML block of README.md and sdk/README.md. Each page is
 * served by a small server of its own (another origin, which the owners add to their sites' allowed
 * origins through the API); what arrived is read back through the test-events API, by the page's own
 * path and order ID. (Pages fulfilled by Playwright routing would not do: Chromium's Local Network
 * Access refuses their CORS requests to a loopback collector.)
 *
 * Also the owner mistakes the verify page now explains: a conversion above the tag (used to be a
 * `ReferenceError`), the tag pasted twice, a mistyped queued command, test traffic from a headless
 * browser (a declared bot), and conversions sent while storage is denied.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newHumanContext, watchErrors } from './launch-chromium';
import { ROOT, startDemo, type Demo } from './start-demo';

const OUT = join(ROOT, 'test-output/e2e');

interface TestEvent {
  type: string | null;
  outcome: string;
  reason: string | null;
  clickId: boolean | null;
  consent: string | null;
  fields: Record<string, unknown>;
}

let demo: Demo;
let browser: Browser;
let context: BrowserContext;
let errors: ReturnType<typeof watchErrors>;
/** The test pages' own server: path → HTML. */
let pagesServer: Server;
let pagesOrigin: string;
const pages = new Map<string, string>();
/** The snippets as the verify page shows them. */
const shown: { tag?: string; conversion?: string; form?: string; publisherTag?: string; slot?: string } = {};

const key = (id: string) => [...demo.keys.advertisers, ...demo.keys.publishers].find((k) => k.id === id)!.apiKey;
const events = async (siteId: string, owner: string) => (await demo.api<{ events: TestEvent[] }>(`/v1/sites/${siteId}/test-events`, key(owner))).events;

/** Waits until the site's test events satisfy `ok`, and returns them. */
async function eventsUntil(siteId: string, owner: string, ok: (e: TestEvent[]) => boolean, what: string): Promise<TestEvent[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const e = await events(siteId, owner);
    if (ok(e)) return e;
    if (Date.now() > deadline) throw new Error(`${what}: not there after 15 s; got ${JSON.stringify(e.slice(0, 8).map((x) => [x.type, x.fields.url ?? x.fields.orderId]))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const atPath = (path: string) => (e: TestEvent) => typeof e.fields.url === 'string' && e.fields.url.endsWith(path);
const ofOrder = (order: string) => (e: TestEvent) => e.type === 'cv' && e.fields.orderId === order;

/** A page at `path` of the test pages' origin, made of what is pasted into its head and body. */
async function pageOf(ctx: BrowserContext, path: string, head: string, body: string): Promise<Page> {
  pages.set(path, `<!doctype html><html><head><meta charset="utf-8"><title>${path}</title>${head}</head><body><h1>${path}</h1>${body}</body></html>`);
  const page = await ctx.newPage();
  await page.goto(`${pagesOrigin}${path}`);
  return page;
}

/** The conversion snippet with its example order ID made unique. */
const conversion = (order: string) => need(shown.conversion, 'conversion snippet').replace("'A-1001'", `'${order}'`);
function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`the verify page did not show the ${what}`);
  return v;
}

/** The first HTML code block of a README, for this demo's collector and the shop's site. */
function readmeSnippet(file: string): string {
  const block = /```html\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, file), 'utf8'))![1]!;
  return block.replaceAll('https://collector.example', demo.url).replaceAll('SITE_ID', 'shop-site');
}

beforeAll(async () => {
  demo = await startDemo({ readyTimeoutMs: 60_000 });
  pagesServer = createServer((req, res) => {
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    const html = pages.get((req.url ?? '/').split('?')[0]!);
    res.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html ?? 'not found');
  });
  await new Promise<void>((ok) => pagesServer.listen(0, '127.0.0.1', ok));
  pagesOrigin = `http://127.0.0.1:${(pagesServer.address() as AddressInfo).port}`;
  // The owners allow the test pages' origin, as the verify page tells them to.
  for (const [site, owner] of [
    ['shop-site', 'northwind'],
    ['daily-site', 'daily'],
  ] as const) {
    const { site: s } = await demo.api<{ site: { origins: string[] } }>(`/v1/sites/${site}`, key(owner));
    const r = await fetch(`${demo.url}/v1/sites/${site}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${key(owner)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ origins: [...s.origins, pagesOrigin] }),
    });
    if (!r.ok) throw new Error(`PATCH ${site}: ${r.status} ${await r.text()}`);
  }
  browser = await launchChromium();
  context = await newHumanContext(browser);
  errors = watchErrors(context);
  const read = async (owner: string, site: string) => {
    const verify = await context.newPage();
    await verify.goto(`${demo.url}/verify/`);
    await verify.getByTestId(`sign-in-demo-${owner}`).click();
    await verify.getByTestId(`verify-pick-${site}`).click();
    await verify.getByTestId('tag-snippet').waitFor();
    const code = async (id: string) => (await verify.locator(`[data-testid="${id}"] pre`).textContent())!;
    const out = { tag: await code('tag-snippet'), second: await code('snippet-1'), third: (await verify.getByTestId('snippet-2').count()) ? await code('snippet-2') : undefined };
    await verify.evaluate(() => sessionStorage.clear());
    await verify.close();
    return out;
  };
  const shop = await read('northwind', 'shop-site');
  Object.assign(shown, { tag: shop.tag, conversion: shop.second, form: shop.third });
  const daily = await read('daily', 'daily-site');
  Object.assign(shown, { publisherTag: daily.tag, slot: daily.second });
}, 120_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await new Promise<void>((ok) => (pagesServer ? pagesServer.close(() => ok()) : ok()));
  await demo?.stop();
}, 15_000);

describe('the snippets as shown, in every order', () => {
  it('shows a tag pinned to its build with SRI, and every snippet that calls pp() starting with the queue stub', () => {
    expect(shown.tag).toMatch(/^<script>window\.pp=window\.pp\|\|function\(\)\{\(pp\.q=pp\.q\|\|\[\]\)\.push\(arguments\)\}<\/script>\n<script async src="http:\/\/localhost:\d+\/sdk\/[0-9a-f]{12}\/pp\.js" integrity="sha384-[^"]+" crossorigin="anonymous" data-site="shop-site"><\/script>$/);
    expect(shown.conversion).toContain('window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)};\n  pp(');
  });

  const orders: [string, (tag: string, cv: string) => [head: string, body: string]][] = [
    ['the tag in <head>, the conversion in the body', (t, c) => [t, c]],
    ['the conversion in <head> above the tag', (t, c) => [c + t, '']],
    ['the conversion at the top of the body, the tag at its end', (t, c) => ['', c + '<p>content</p>' + t]],
    ['the tag at the top of the body, the conversion after it', (t, c) => ['', t + c]],
  ];
  it.each(orders)('counts the page view and the conversion with %s', async (what, place) => {
    const n = orders.findIndex((o) => o[0] === what);
    const [head, body] = place(need(shown.tag, 'tag'), conversion(`SNIP-${n}`));
    const page = await pageOf(context, `/snippets/order-${n}`, head, body);
    const e = await eventsUntil('shop-site', 'northwind', (x) => x.some(ofOrder(`SNIP-${n}`)) && x.some(atPath(`/snippets/order-${n}`)), what);
    expect(e.filter(atPath(`/snippets/order-${n}`)).map((x) => [x.type, x.outcome])).toEqual([['pv', 'counted']]);
    expect(e.filter(ofOrder(`SNIP-${n}`)).map((x) => x.outcome)).toEqual(['counted']);
    await page.close();
    expect(errors.on((u) => u.includes('/snippets/')), 'console errors').toEqual([]);
  });

  it.each(['README.md', 'sdk/README.md'])('counts a conversion above and below the tag of %s', async (file) => {
    const tag = readmeSnippet(file);
    const slug = file.replace(/\W/g, '-');
    for (const [i, [head, body]] of [
      [tag, conversion(`${slug}-below`)],
      [conversion(`${slug}-above`) + tag, ''],
    ].entries()) {
      const page = await pageOf(context, `/snippets/${slug}-${i}`, head!, body!);
      await eventsUntil('shop-site', 'northwind', (x) => x.some(ofOrder(`${slug}-${i ? 'above' : 'below'}`)) && x.some(atPath(`/snippets/${slug}-${i}`)), `${file} #${i}`);
      await page.close();
    }
    expect(errors.on((u) => u.includes('/snippets/')), 'console errors').toEqual([]);
  });

  it.each([
    ['before the tag', (t: string, f: string): [string, string] => ['', f + t]],
    ['after the tag in <head>', (t: string, f: string): [string, string] => [t, f]],
  ])('counts the no-code form %s when it is submitted', async (what, place) => {
    const slug = what.replace(/\W+/g, '-');
    const form = need(shown.form, 'no-code snippet').replace('…', '<input name="email" value="a@b.example"><button>Sign up</button>');
    const [head, body] = place(need(shown.tag, 'tag'), form);
    const page = await pageOf(context, `/snippets/form-${slug}`, head, body);
    await eventsUntil('shop-site', 'northwind', (x) => x.some(atPath(`/snippets/form-${slug}`)), 'page view');
    await page.waitForFunction(() => [...document.scripts].some((s) => s.src.endsWith('/nocode.js')));
    await page.waitForLoadState('load');
    const signups = async () => (await events('shop-site', 'northwind')).filter((y) => y.type === 'cv' && y.fields.action === 'signup').length;
    const before = await signups();
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL(/email=/);
    await eventsUntil('shop-site', 'northwind', (x) => x.filter((y) => y.type === 'cv' && y.fields.action === 'signup').length > before, 'no-code conversion');
    await page.close();
  });

  it.each([
    ['the slot before the tag', (t: string, s: string): [string, string] => ['', s + t]],
    ['the tag in <head>, the slot in the body', (t: string, s: string): [string, string] => [t, s]],
  ])('fills a publisher’s slot with %s', async (what, place) => {
    const slug = what.replace(/\W+/g, '-');
    const [head, body] = place(need(shown.publisherTag, 'publisher tag'), need(shown.slot, 'slot snippet'));
    const page = await pageOf(context, `/snippets/slot-${slug}`, head, body);
    await page.locator('ins[data-pp-slot] img').first().waitFor();
    // Wait for this page's own impression: the site already has impressions from earlier pages, so
    // "any impression" could be met before this page's beacon landed.
    const ofThisPage = (x: TestEvent[]) => {
      const view = x.find(atPath(`/snippets/slot-${slug}`));
      return !!view && x.some((y) => y.type === 'imp' && y.fields.pageViewId === view.fields.pageViewId);
    };
    const e = await eventsUntil('daily-site', 'daily', ofThisPage, 'served impression of this page view');
    const pv = e.find(atPath(`/snippets/slot-${slug}`))!;
    expect(e.some((y) => y.type === 'imp' && y.fields.pageViewId === pv.fields.pageViewId)).toBe(true);
    await page.close();
  });
});

describe('owner mistakes the tag now forgives and the verify page explains', () => {
  it('counts once and warns once when the snippet is pasted twice', async () => {
    const warnings: string[] = [];
    const tag = need(shown.tag, 'tag');
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    pages.set('/snippets/twice', `<!doctype html><html><head>${tag}</head><body>${conversion('TWICE-1')}<p>…</p>${tag}</body></html>`);
    await page.goto(`${pagesOrigin}/snippets/twice`);
    const e = await eventsUntil('shop-site', 'northwind', (x) => x.some(ofOrder('TWICE-1')), 'conversion');
    await page.waitForTimeout(1000);
    expect((await events('shop-site', 'northwind')).filter(atPath('/snippets/twice')).map((x) => x.type)).toEqual(['pv']);
    expect(e.filter(ofOrder('TWICE-1'))).toHaveLength(1);
    expect(warnings).toEqual(['[pp] tag twice']);
    await page.close();
  });

  it('reports a mistyped queued command by name and still sends the conversion queued after it', async () => {
    const warnings: string[] = [];
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    const typo = "<script>pp('conversoin', { action: 'purchase' });</script>";
    pages.set('/snippets/typo', `<!doctype html><html><head><script>window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}</script>${typo}${conversion('TYPO-1')}${need(shown.tag, 'tag')}</head><body></body></html>`);
    await page.goto(`${pagesOrigin}/snippets/typo`);
    const e = await eventsUntil('shop-site', 'northwind', (x) => x.some(ofOrder('TYPO-1')) && x.some((y) => y.type === 'uc'), 'conversion and report');
    expect(e.find((y) => y.type === 'uc')).toMatchObject({ outcome: 'refused', reason: 'unknown_command: pp("conversoin") is not a command of the tag' });
    expect(warnings).toEqual(['[pp] unknown command conversoin']);
    await page.close();
  });

  it('says on the verify page that test traffic from a headless browser is refused as a bot, and which share of conversions storage denial leaves uncredited', async () => {
    // A browser that says it is headless, as Puppeteer's and Playwright's headless shells do
    // (`HeadlessChrome/…`): what a quick test script run by the owner looks like to the collector.
    const headless = await browser.newContext({ userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/${browser.version()} Safari/537.36` });
    const bot = await pageOf(headless, '/snippets/headless', need(shown.tag, 'tag'), conversion('BOT-1'));
    await eventsUntil('shop-site', 'northwind', (x) => x.some(ofOrder('BOT-1')), 'bot conversion');
    await headless.close();
    void bot;
    const denied = "<script>pp('consent', { ad_storage: 'denied', analytics_storage: 'denied' });</script>";
    const page = await pageOf(context, '/snippets/consent-denied', need(shown.tag, 'tag'), denied + conversion('DENIED-1'));
    const e = await eventsUntil('shop-site', 'northwind', (x) => x.some(ofOrder('DENIED-1')), 'conversion without consent');
    expect(e.find(ofOrder('BOT-1')), JSON.stringify(e.find(ofOrder('BOT-1')))).toMatchObject({ outcome: 'invalid', reason: 'declared_bot' });
    expect(e.find(ofOrder('DENIED-1'))).toMatchObject({ outcome: 'counted', clickId: false, consent: 'denied' });
    await page.close();

    const verify = await context.newPage();
    await verify.goto(`${demo.url}/verify/`);
    await verify.getByTestId('sign-in-demo-northwind').click();
    await verify.getByTestId('verify-pick-shop-site').click();
    const row = verify.locator('[data-testid="test-event"][data-type="cv"][data-outcome="invalid"]').filter({ hasText: 'BOT-1' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Invalid traffic.*headless browser/);
    await verify.getByTestId('consent-warning').waitFor();
    expect(await verify.getByTestId('consent-warning').textContent()).toMatch(/conversions can never be credited to an ad/);
    await verify.evaluate(() => scrollTo(0, 0));
    await verify.screenshot({ path: join(OUT, '9-verify-bot-and-consent.png'), fullPage: true });
    await verify.close();
  });
});
