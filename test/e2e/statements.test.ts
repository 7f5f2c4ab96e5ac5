/**
 * Statements anyone can re-run (issue 12), on the seeded demo that `npm start` runs: each
 * advertiser's and each publisher's statement, downloaded with its demo key, verifies with the
 * command line (`perfpixel verify`, a child process of bin/perfpixel.mjs) and on the "Verify a
 * statement" page in real Chromium (the file picked with the file input, checked in the browser);
 * a statement changed by one micro is refused by both, naming the same entry; and the dashboard's
 * "Download statement" button saves a statement that verifies.
 *
 * Statements and screenshots land in test-output/e2e/ (statements/ and statement-*.png).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newHumanContext, watchErrors } from './launch-chromium';
import { perfpixel } from './support/perfpixel-cli';
import { ROOT, startDemo, type Demo } from './start-demo';

const OUT = join(ROOT, 'test-output/e2e');
const FILES = join(OUT, 'statements');
const KEYS_FILE = join(FILES, 'perfpixel-keys.json');

let demo: Demo;
let browser: Browser;
let context: BrowserContext;
let errors: ReturnType<typeof watchErrors>;

/** Downloads `key`'s statement the way the API documents it (NDJSON, key in the Authorization header). */
async function download(key: string, file: string): Promise<string> {
  const res = await fetch(`${demo.url}/v1/statements`, { headers: { Authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
  const text = await res.text();
  const path = join(FILES, file);
  writeFileSync(path, text);
  return path;
}

/** Opens the "Verify a statement" page, picks `file`, and waits for the verdict. */
async function checkInPage(file: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${demo.url}/dashboard/verify-statement/`);
  await expect.poll(() => page.getByRole('heading', { name: 'Verify a statement' }).isVisible()).toBe(true);
  await page.getByTestId('statement-file').setInputFiles(file);
  await page.getByTestId('statement-verdict').waitFor({ timeout: 60_000 });
  return page;
}

/** The verdict's summary as the page shows it. */
async function pageTotals(page: Page): Promise<{ account: string; currency: string; net: string }[]> {
  return page.getByTestId('statement-total').evaluateAll((rows) =>
    rows.map((r) => ({ account: (r as HTMLElement).dataset.account!, currency: (r as HTMLElement).dataset.currency!, net: (r as HTMLElement).dataset.netMicros! })),
  );
}

beforeAll(async () => {
  mkdirSync(FILES, { recursive: true });
  demo = await startDemo({ readyTimeoutMs: 60_000 });
  writeFileSync(KEYS_FILE, await (await fetch(`${demo.url}/.well-known/perfpixel-keys.json`)).text());
  browser = await launchChromium();
  context = await newHumanContext(browser);
  errors = watchErrors(context);
}, 90_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await demo?.stop();
}, 15_000);

describe('the seeded demo’s statements', () => {
  const parties = () => [
    ...demo.keys.advertisers.map((a) => ({ kind: 'advertiser', id: a.id, key: a.apiKey })),
    ...demo.keys.publishers.map((p) => ({ kind: 'publisher', id: p.id, key: p.apiKey })),
  ];

  it('has two advertisers and two publishers to check', () => {
    expect(demo.keys.advertisers.length).toBeGreaterThanOrEqual(2);
    expect(demo.keys.publishers.length).toBeGreaterThanOrEqual(2);
  });

  it('verify for every advertiser and publisher, in the CLI and in the page, with the same totals', async () => {
    for (const party of parties()) {
      const file = await download(party.key, `statement-${party.id}.ndjson`);
      const entries = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"type":"entry"')).length;
      expect(entries, `${party.id} has entries of its own in the demo`).toBeGreaterThan(0);

      const cli = await perfpixel('verify', file, '--keys', KEYS_FILE);
      expect(cli.code, `${party.id}: ${cli.stdout}${cli.stderr}`).toBe(0);
      expect(cli.stdout).toContain(`✓ verified: ${party.kind} ${party.id}`);
      expect(cli.stdout).toContain('(trusted)');

      const page = await checkInPage(file);
      const verdict = page.getByTestId('statement-verdict');
      expect(await verdict.getAttribute('data-ok'), `${party.id}: ${await verdict.textContent()}`).toBe('true');
      expect(await verdict.textContent()).toContain('This statement checks out');
      expect(await page.getByTestId('statement-party').textContent()).toBe(`${party.kind === 'advertiser' ? 'Advertiser' : 'Publisher'} ${party.id}`);
      expect(await page.getByTestId('statement-key').getAttribute('data-published')).toBe('true');
      expect(Number(await page.getByTestId('statement-entries').getAttribute('data-entries'))).toBe(entries);
      if (party.kind === 'advertiser') expect(await page.getByTestId('statement-entries').getAttribute('data-rerun')).toBe(String(entries));

      // The page's totals are the CLI's, account by account (the CLI prints "account currency net").
      const totals = await pageTotals(page);
      expect(totals.length).toBeGreaterThan(0);
      for (const t of totals) {
        const net = BigInt(t.net);
        const abs = net < 0n ? -net : net;
        const printed = `${net < 0n ? '-' : ''}${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, '0')}`;
        expect(cli.stdout).toMatch(new RegExp(`${t.account.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+${t.currency} ${printed.replace('.', '\\.')}`));
      }
      await page.screenshot({ path: join(OUT, `statement-${party.id}-verified.png`), fullPage: true });
      await page.close();
    }
    expect(errors.on((u) => u.includes('/verify-statement/'))).toEqual([]);
  });

  it('refuse a statement changed by one micro, in the CLI and in the page, naming the same entry', async () => {
    const advertiser = demo.keys.advertisers[0]!;
    const good = readFileSync(await download(advertiser.apiKey, `statement-${advertiser.id}.ndjson`), 'utf8');
    let seq = 0;
    const tampered = good
      .split('\n')
      .map((line) => {
        if (seq || !line.includes('"type":"entry"')) return line;
        const l = JSON.parse(line) as { seq: number; group: { kind: string; legs: { account: string; micros: string }[] } };
        if (l.group.kind !== 'charge') return line;
        seq = l.seq;
        // One micro more to the publisher, one less to the platform: the group still balances.
        const pub = l.group.legs.find((x) => x.account.startsWith('publisher:'))!;
        const platform = l.group.legs.find((x) => x.account === 'platform')!;
        pub.micros = String(BigInt(pub.micros) + 1n);
        platform.micros = String(BigInt(platform.micros) - 1n);
        return JSON.stringify(l);
      })
      .join('\n');
    expect(seq).toBeGreaterThan(0);
    const file = join(FILES, `statement-${advertiser.id}-tampered.ndjson`);
    writeFileSync(file, tampered);

    const cli = await perfpixel('verify', file, '--keys', KEYS_FILE);
    expect(cli.code, cli.stdout + cli.stderr).toBe(1);
    expect(cli.stderr).toContain(`✗ does not verify`);
    expect(cli.stderr).toContain(`chain entry ${seq}:`);

    const page = await checkInPage(file);
    const verdict = page.getByTestId('statement-verdict');
    expect(await verdict.getAttribute('data-ok')).toBe('false');
    expect(await verdict.getAttribute('data-seq')).toBe(String(seq));
    expect(await verdict.textContent()).toContain('This statement does not check out');
    expect(await verdict.textContent()).toContain(`Entry ${seq.toLocaleString('en')} of the ledger chain`);
    await page.screenshot({ path: join(OUT, 'statement-tampered-refused.png'), fullPage: true });
    await page.close();
  });

  it('the dashboard’s “Download statement” saves the signed-in advertiser’s statement, and it verifies', async () => {
    const page = await context.newPage();
    await page.goto(`${demo.url}/dashboard/`);
    await page.getByTestId('sign-in-demo-northwind').click();
    await page.getByTestId('signed-in-as').waitFor();
    await page.goto(`${demo.url}/dashboard/#ledger`);
    const button = page.getByTestId('download-statement');
    await button.waitFor();
    await page.getByTestId('ledger-table').waitFor();
    await page.screenshot({ path: join(OUT, 'statement-download-button.png') });
    const [saved] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(saved.suggestedFilename()).toMatch(/^statement-northwind-\d+-\d+\.ndjson$/);
    const file = join(FILES, 'statement-northwind-from-dashboard.ndjson');
    await saved.saveAs(file);

    const cli = await perfpixel('verify', file, '--keys', KEYS_FILE);
    expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toContain('✓ verified: advertiser northwind');

    // The link next to the button opens the page that checks it.
    await page.getByTestId('verify-statement-link').click();
    await page.waitForURL(/\/dashboard\/verify-statement\/$/);
    await page.getByTestId('statement-file').setInputFiles(file);
    const verdict = page.getByTestId('statement-verdict');
    await verdict.waitFor({ timeout: 60_000 });
    expect(await verdict.getAttribute('data-ok')).toBe('true');
    await page.close();
  });
});
