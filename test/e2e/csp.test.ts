/**
 * The dashboard, "verify my tag" and the API docs run under their strict Content-Security-Policy in
 * real Chromium with no violation (issue 16 item 8): every `securitypolicyviolation` event and every
 * console error is collected while each demo account signs in and opens every dashboard view (an
 * advertiser also a conversion's explain view), the verify page checks a site, and /docs renders.
 * A violation would mean the page breaks for real users the day the policy ships.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newHumanContext, watchErrors } from './launch-chromium';
import { startDemo, type Demo } from './start-demo';

let demo: Demo;
let browser: Browser;
let context: BrowserContext;
let errors: ReturnType<typeof watchErrors>;

/** Installed before any page script: records every CSP violation the page reports. */
function recordViolations(): void {
  const seen: string[] = [];
  (window as unknown as { __csp: string[] }).__csp = seen;
  document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`));
}

const violations = (page: Page) => page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);

beforeAll(async () => {
  demo = await startDemo();
  browser = await launchChromium();
  context = await newHumanContext(browser);
  await context.addInitScript(recordViolations);
  errors = watchErrors(context);
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await demo?.stop();
});

/** Opens the dashboard, signs in with a demo account and visits every view of its navigation. */
async function tourDashboard(page: Page, account: string, kind: string): Promise<string[]> {
  await page.goto(`${demo.url}/dashboard/`);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByTestId(`sign-in-demo-${account}`).click();
  await page.locator(`[data-testid="signed-in-as"][data-kind="${kind}"]`).waitFor();
  const routes = await page.locator('[data-testid^="nav-"]').evaluateAll((links) => links.map((a) => a.getAttribute('data-route')!));
  expect(routes.length).toBeGreaterThanOrEqual(3);
  const seen: string[] = [];
  for (const route of routes) {
    await page.getByTestId(`nav-${route}`).click();
    await page.waitForFunction((r) => location.hash === `#${r}` && !document.querySelector('.state.loading, [aria-busy="true"]'), route);
    await page.waitForTimeout(300); // let charts, tables and the live feed's first poll render
    // The view rendered: a projection the dashboard could not read would show its error box.
    expect(await page.getByTestId('error').count(), `${account} #${route}: ${await page.locator('main').innerText()}`).toBe(0);
    seen.push(route);
  }
  if (kind !== 'publisher') {
    await page.getByTestId('nav-conversions').click();
    const first = page.locator('a[href^="#conversion/"]').first();
    if (await first.count()) {
      await first.click();
      await page.waitForFunction(() => location.hash.startsWith('#conversion/'));
      await page.waitForTimeout(300);
      seen.push('conversion');
    }
  }
  await page.getByTestId('sign-out').click();
  return seen;
}

describe('strict page policy in Chromium', () => {
  it.each([
    ['northwind', 'advertiser'],
    ['daily', 'publisher'],
    ['operator', 'operator'],
  ])('runs every dashboard view for the %s account without a CSP violation', async (account, kind) => {
    const page = await context.newPage();
    const pending = new Map<unknown, string>();
    page.on('request', (r) => pending.set(r, `${Date.now()} ${r.url()}`));
    page.on('requestfinished', (r) => pending.delete(r));
    page.on('requestfailed', (r) => pending.delete(r));
    const res = await page.goto(`${demo.url}/dashboard/`).catch((e) => {
      throw new Error(`${e}\npending: ${[...pending.values()].join('\n')}`);
    });
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    const seen = await tourDashboard(page, account, kind);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(await violations(page)).toEqual([]);
    expect(errors.on((u) => u.includes('/dashboard/')).filter((e) => /Content Security Policy|Refused to/i.test(e.text))).toEqual([]);
    await page.close();
  });

  it('runs "verify my tag" without a CSP violation', async () => {
    const page = await context.newPage();
    const res = await page.goto(`${demo.url}/verify/`);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await page.getByTestId('sign-in-demo-northwind').click();
    await page.locator('[data-testid="signed-in-as"]').waitFor();
    await page.getByTestId('verify-site').fill('shop-site');
    await page.getByTestId('verify-submit').click();
    await page.locator('[data-testid="verify-result"][data-site-id="shop-site"]').waitFor();
    await page.waitForTimeout(300);
    expect(await violations(page)).toEqual([]);
    expect(errors.on((u) => u.includes('/verify/')).filter((e) => /Content Security Policy|Refused to/i.test(e.text))).toEqual([]);
    await page.close();
  });

  it('renders the API docs without a CSP violation', async () => {
    const page = await context.newPage();
    const res = await page.goto(`${demo.url}/docs`);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.locator('.op').first().waitFor();
    expect(await page.locator('.op').count()).toBeGreaterThan(30);
    expect(await violations(page)).toEqual([]);
    await page.close();
  });

  it('reports a violation when a page breaks the policy (the probe works)', async () => {
    const page = await context.newPage();
    await page.goto(`${demo.url}/docs`);
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__ran = true';
      document.body.append(s);
    });
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => (window as unknown as { __ran?: boolean }).__ran)).toBeUndefined();
    expect((await violations(page)).join('\n')).toMatch(/script-src/);
    await page.close();
  });
});
