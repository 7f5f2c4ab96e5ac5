/**
 * Accessibility (issue 14): axe-core — the standard rules engine (Deque), injected into each page in
 * real Chromium — on every dashboard view of an advertiser, a publisher and the operator, the
 * sign-in page, "verify my tag", "verify a statement", and the news and shop pages, at a desktop
 * and a phone size: 0 critical and 0 serious violations (WCAG 2.x A/AA rules). Also: after a
 * keyboard sign-in the focus lands on the page's heading, and the chart's tabs follow the WAI-ARIA
 * tabs pattern (arrow keys move and select, one tab in the tab order).
 *
 * A screenshot of each page at each size lands in test-output/e2e/a11y/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromeUserAgent, launchChromium } from './launch-chromium';
import { ROOT, startDemo, type Demo } from './start-demo';

const OUT = join(ROOT, 'test-output/e2e/a11y');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SIZES = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
] as const;

let demo: Demo;
let browser: Browser;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe on the page as it is now; answers the critical and serious violations, one line each. */
async function audit(page: Page, what: string): Promise<string[]> {
  // Through the DevTools protocol, not a <script> tag: the pages' CSP would refuse an inline one.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: unknown) => Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })).violations;
  })) as Violation[];
  return violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${what}: ${v.impact} ${v.id} (${v.help}) × ${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

async function newContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
  const context = await browser.newContext({ userAgent: chromeUserAgent(browser.version()), viewport, locale: 'en-GB', timezoneId: 'UTC', reducedMotion: 'reduce' });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Waits until a dashboard view has rendered (no loading state left). */
const settled = (page: Page) => page.waitForFunction(() => !document.querySelector('.state.loading, [aria-busy="true"]'));

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  demo = await startDemo({ readyTimeoutMs: 60_000 });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await demo?.stop();
}, 15_000);

describe('accessibility', () => {
  for (const size of SIZES) {
    it(`has no critical or serious axe violation on any page (${size.name})`, async () => {
      const context = await newContext(size.viewport);
      const page = await context.newPage();
      const found: string[] = [];
      const check = async (name: string) => {
        found.push(...(await audit(page, `${size.name} ${name}`)));
        await page.screenshot({ path: join(OUT, `${size.name}-${name.replace(/[^a-z0-9-]+/gi, '_')}.png`), fullPage: false });
      };

      for (const path of ['/news/', '/news/trail.html']) {
        await page.goto(`${demo.url}${path}`, { waitUntil: 'load' });
        await page.waitForTimeout(500); // the ad slot fills
        await check(`news ${path}`);
      }
      for (const path of ['/shop/', '/shop/product.html', '/shop/basket.html', '/shop/saas.html']) {
        await page.goto(`${demo.shopUrl}${path}`, { waitUntil: 'load' });
        await check(`shop ${path}`);
      }
      await page.goto(`${demo.url}/verify/`);
      await settled(page);
      await check('verify');
      await page.goto(`${demo.url}/dashboard/verify-statement/`);
      await check('verify-statement');

      for (const [account, kind] of [['northwind', 'advertiser'], ['daily', 'publisher'], ['operator', 'operator']] as const) {
        await page.goto(`${demo.url}/dashboard/`);
        await page.evaluate(() => sessionStorage.clear());
        await page.reload();
        await page.getByTestId(`sign-in-demo-${account}`).waitFor();
        if (account === 'northwind') await check('dashboard sign-in');
        await page.getByTestId(`sign-in-demo-${account}`).click();
        await page.locator(`[data-testid="signed-in-as"][data-kind="${kind}"]`).waitFor();
        const routes = await page.locator('[data-testid^="nav-"]').evaluateAll((links) => links.map((a) => a.getAttribute('data-route')!));
        for (const route of routes) {
          await page.evaluate((r) => (location.hash = `#${r}`), route);
          await page.waitForFunction((r) => location.hash === `#${r}`, route);
          await settled(page);
          await page.waitForTimeout(300);
          await check(`dashboard ${kind} ${route}`);
          if (route === 'conversions') {
            const first = page.locator('a[href^="#conversion/"]').first();
            if ((await first.count()) > 0) {
              await page.evaluate((href) => (location.hash = href!), await first.getAttribute('href'));
              await page.getByTestId('explain-view').waitFor();
              await settled(page);
              await check(`dashboard ${kind} explain`);
            }
          }
        }
      }
      await context.close();
      expect(found, found.join('\n')).toEqual([]);
    }, 240_000);
  }

  it('puts the focus on the view’s heading after a keyboard sign-in, and the chart tabs follow the arrow keys', async () => {
    const context = await newContext(SIZES[0].viewport);
    const page = await context.newPage();
    await page.goto(`${demo.url}/dashboard/`);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    // Keyboard only: type the key, press Enter.
    await page.getByTestId('sign-in-key').focus();
    await page.keyboard.type(demo.keys.advertisers.find((a) => a.id === 'northwind')!.apiKey);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="signed-in-as"][data-kind="advertiser"]').waitFor();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Overview');
    // The chart's tabs: one tab stop; → selects the next, End the last, Home the first.
    const tabs = page.locator('[data-testid="chart"] [role="tab"]');
    expect(await tabs.count()).toBeGreaterThan(1);
    expect(await tabs.evaluateAll((ts) => ts.map((t) => (t as HTMLElement).tabIndex))).toEqual([0, ...Array(await tabs.count() - 1).fill(-1)]);
    await tabs.first().focus();
    await page.keyboard.press('ArrowRight');
    expect(await tabs.nth(1).getAttribute('aria-selected')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-selected'))).toBe('true');
    await page.keyboard.press('End');
    expect(await tabs.last().getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Home');
    expect(await tabs.first().getAttribute('aria-selected')).toBe('true');
    // A route change by keyboard moves the focus to the new view's heading too.
    await page.getByTestId('nav-ledger').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === 'Ledger');
    await context.close();
  }, 60_000);
});
