/**
 * Publishers get paid (issue 14), on the seeded demo in real Chromium: a publisher's statement
 * balances (opening + every entry = closing, each line's balance the one before plus its amount,
 * and the closing balance what it is owed); the operator records a payout on its payouts page; the
 * publisher's statement then shows the payout and its balance moved by exactly that amount.
 *
 * Screenshots land in test-output/e2e/ (payouts-*.png).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newHumanContext } from './launch-chromium';
import { ROOT, startDemo, type Demo } from './start-demo';

const OUT = join(ROOT, 'test-output/e2e');

let demo: Demo;
let browser: Browser;
let context: BrowserContext;

/** Signs in with a demo account on a fresh page. */
async function signIn(account: string, kind: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${demo.url}/dashboard/`);
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  await page.getByTestId(`sign-in-demo-${account}`).click();
  await page.locator(`[data-testid="signed-in-as"][data-kind="${kind}"]`).waitFor();
  return page;
}

/** The statement as the page shows it: opening, every line (amount, balance), closing, and the KPIs. */
async function readStatement(page: Page) {
  await page.getByTestId('statement-table').waitFor();
  // Page through to the end: the closing balance shows once the last entry is on the page.
  const more = page.getByTestId('statement-more');
  while (await more.isVisible()) {
    const n = await page.getByTestId('statement-line').count();
    await more.click();
    await page.waitForFunction((k) => document.querySelectorAll('[data-testid="statement-line"]').length > k || !document.querySelector('[data-testid="statement-more"]:not([hidden])'), n);
  }
  await page.getByTestId('statement-closing').waitFor();
  const big = (v: string | null) => BigInt(v ?? 'NaN');
  const lines = await page.getByTestId('statement-line').evaluateAll((rows) => rows.map((r) => ({ kind: (r as HTMLElement).dataset.kind!, amount: (r as HTMLElement).dataset.amount!, balance: (r as HTMLElement).dataset.balance! })));
  return {
    opening: big(await page.getByTestId('statement-opening').getAttribute('data-balance')),
    closing: big(await page.getByTestId('statement-closing').getAttribute('data-balance')),
    lines: lines.map((l) => ({ kind: l.kind, amount: BigInt(l.amount), balance: BigInt(l.balance) })),
    owed: await page.getByTestId('balance-owed').locator('.value').textContent(),
    paid: await page.getByTestId('balance-paid').locator('.value').textContent(),
  };
}

/** Checks that a statement balances, and answers its closing balance. */
function expectBalanced(s: Awaited<ReturnType<typeof readStatement>>): bigint {
  let run = s.opening;
  for (const l of s.lines) {
    run += l.amount;
    expect(l.balance, `balance after a ${l.kind} of ${l.amount}`).toBe(run);
  }
  expect(run, 'opening + every entry = closing').toBe(s.closing);
  return s.closing;
}

const euros = (text: string | null) => {
  const m = /^(-?)€([\d,]+)(?:\.(\d{1,6}))?$/.exec((text ?? '').trim());
  if (!m) throw new Error(`not a euro amount: ${text}`);
  return (m[1] ? -1n : 1n) * (BigInt(m[2]!.replace(/,/g, '')) * 1_000_000n + BigInt((m[3] ?? '').padEnd(6, '0')));
};

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  demo = await startDemo({ readyTimeoutMs: 60_000 });
  browser = await launchChromium();
  context = await newHumanContext(browser);
}, 90_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await demo?.stop();
}, 15_000);

describe('a publisher’s statement and payouts', () => {
  it('balances, and a payout the operator records moves the balance by exactly its amount', async () => {
    const pub = await signIn('daily', 'publisher');
    await pub.getByTestId('nav-statement').click();
    const t0 = Date.now();
    const before = await readStatement(pub);
    console.log(`statement of daily: ${before.lines.length} lines read in ${Date.now() - t0} ms`);
    expect(before.lines.length, 'the seeded demo earned daily something').toBeGreaterThan(0);
    expect(before.lines.every((l) => l.kind !== 'payout')).toBe(true);
    const closing = expectBalanced(before);
    expect(euros(before.owed), 'the closing balance is what it is owed').toBe(closing);
    // One side of each group only: no "debits = credits" verdict on a publisher's page.
    expect(await pub.locator('main').innerText()).not.toMatch(/not balanced|debits ≠ credits/);
    await pub.evaluate(() => scrollTo(0, 0));
    await pub.screenshot({ path: join(OUT, 'payouts-1-publisher-statement.png') });

    // The operator opens daily's balance: everything is still inside the default 30-day window.
    const op = await signIn('operator', 'operator');
    await op.getByTestId('nav-payouts').click();
    await op.getByTestId('payout-publisher').selectOption('daily');
    await op.waitForFunction(() => location.hash.includes('publisher=daily'));
    await op.getByTestId('payout-submit').waitFor();
    await op.getByTestId('payout-currency').selectOption('EUR');
    // No reversal window, no threshold, then pay €1.25.
    await op.getByTestId('policy-window').fill('0');
    await op.getByTestId('policy-threshold').fill('1.00');
    await op.getByTestId('policy-submit').click();
    await expect.poll(async () => (await op.getByTestId('balance-payable').locator('.value').textContent()) ?? '').not.toBe('€0.00');
    // Below the threshold: refused with the collector's reason.
    op.once('dialog', (d) => void d.accept());
    await op.getByTestId('payout-amount').fill('0.50');
    await op.getByTestId('payout-submit').click();
    await expect.poll(() => op.getByTestId('payout-message').textContent()).toMatch(/below the payout threshold/);
    op.once('dialog', (d) => void d.accept());
    await op.getByTestId('payout-amount').fill('1.25');
    await op.getByTestId('payout-reference').fill('SEPA-E2E-1');
    await op.getByTestId('payout-submit').click();
    await op.locator('[data-testid="payout-row"][data-amount="1250000"]').waitFor();
    await op.screenshot({ path: join(OUT, 'payouts-2-operator.png') });

    await pub.reload();
    await pub.getByTestId('statement-table').waitFor();
    const after = await readStatement(pub);
    const payout = after.lines.filter((l) => l.kind === 'payout');
    expect(payout.map((l) => l.amount)).toEqual([-1_250_000n]);
    expect(expectBalanced(after)).toBe(closing - 1_250_000n);
    expect(euros(after.owed)).toBe(closing - 1_250_000n);
    expect(euros(after.paid)).toBe(1_250_000n);
    expect(await pub.locator('[data-testid="payout-row"][data-amount="1250000"]').count()).toBe(1);
    expect(await pub.locator('main').innerText()).toContain('Paid out to you');
    await pub.evaluate(() => scrollTo(0, 0));
    await pub.screenshot({ path: join(OUT, 'payouts-3-publisher-after.png') });
  }, 180_000);
});
