/**
 * Page weight (issue 14): the bytes over the wire of each demo page on a first visit (empty cache) in
 * real Chromium — compressed bodies plus response headers, as Chromium counts them — split into the
 * page's own files (HTML, scripts, styles, images) and the API's JSON. Prints a Markdown table for
 * README "Page weight".
 *
 *     npx tsx bench/page-weight.ts
 */
import type { Page, Response } from 'playwright-core';
import { launchChromium, newHumanContext } from '../test/e2e/launch-chromium';
import { startDemo } from '../test/e2e/start-demo';

const demo = await startDemo({ readyTimeoutMs: 60_000 });
const browser = await launchChromium();
const rows: string[] = [];
try {
  /** Opens a page in a fresh context (first visit) and sums what crossed the wire until `ready`. */
  const weigh = async (name: string, url: string, ready: (p: Page) => Promise<unknown> = async () => undefined) => {
    const context = await newHumanContext(browser);
    const page = await context.newPage();
    const seen: Response[] = [];
    page.on('response', (r) => seen.push(r));
    await page.goto(url, { waitUntil: 'load' });
    await ready(page);
    await page.waitForLoadState('networkidle').catch(() => undefined);
    let files = 0;
    let api = 0;
    let encodings = new Set<string>();
    for (const r of seen) {
      const s = await r.request().sizes().catch(() => null);
      if (!s) continue;
      const bytes = s.responseBodySize + s.responseHeadersSize;
      if (new URL(r.url()).pathname.startsWith('/v1/') || r.url().includes('/demo/keys.json')) api += bytes;
      else {
        files += bytes;
        const enc = (await r.allHeaders())['content-encoding'];
        if (enc && /\.(js|css)$/.test(new URL(r.url()).pathname)) encodings.add(enc);
      }
    }
    rows.push(`| ${name} | ${(files / 1024).toFixed(1)} KiB | ${(api / 1024).toFixed(1)} KiB | ${seen.length} | ${[...encodings].join(', ') || '–'} |`);
    await context.close();
  };
  const signedIn = (account: string, route: string) => async (p: Page) => {
    await p.getByTestId(`sign-in-demo-${account}`).click();
    await p.locator('[data-testid="signed-in-as"]').waitFor();
    await p.evaluate((r) => (location.hash = r), route);
    await p.waitForFunction(() => !document.querySelector('.state.loading'));
  };
  await weigh('dashboard: sign-in', `${demo.url}/dashboard/`);
  await weigh('dashboard: advertiser overview', `${demo.url}/dashboard/`, signedIn('northwind', '#overview'));
  await weigh('dashboard: advertiser conversions', `${demo.url}/dashboard/`, signedIn('northwind', '#conversions'));
  await weigh('dashboard: advertiser ledger', `${demo.url}/dashboard/`, signedIn('northwind', '#ledger'));
  await weigh('dashboard: publisher statement', `${demo.url}/dashboard/`, signedIn('daily', '#statement'));
  await weigh('verify my tag', `${demo.url}/verify/`);
  await weigh('verify a statement', `${demo.url}/dashboard/verify-statement/`);
  await weigh('news (publisher page, with its ads)', `${demo.url}/news/`);
  await weigh('shop', `${demo.shopUrl}/shop/`);
  console.log('| page (first visit) | page files over the wire | API JSON over the wire | requests | script/style encoding |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  await browser.close();
  await demo.stop();
}
