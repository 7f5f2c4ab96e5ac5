/**
 * SDK delivery in real Chromium (SPEC §5, issue "Proof", item 4): a conversion is never lost and
 * never stored or billed twice, whatever the tab does right after it.
 *
 * Each run opens the shop's thank-you page, which fires `pp('conversion', { orderId })` with a
 * unique order ID (the tag sends it at once: fetch, keepalive); then, at a seeded random moment
 * 0–500 ms later, the tab navigates to another origin, is closed, or the context goes offline (the
 * tab is then closed while still offline). Then the visitor comes back: a new tab in the same
 * context, online, on a neutral page of the shop with the tag, whose load flushes the outbox. The
 * visitor came from an ad click, so each conversion is attributed and billed (CPA 1.00 EUR). Runs go
 * in batches of BATCH per browser context, WORKERS contexts at once, one browser for the file.
 *
 * Asserted: ≥ 99 % of conversions committed before the revisit, 100 % after it; exactly one
 * conversion row per order ID in the store and exactly one ledger group per conversion; the outbox
 * (`_ppo.*` localStorage keys) empty after every revisit and at the end of every batch. Then the same
 * three exits with the first send lost (held while the tab leaves, answered 502 by the front door,
 * never seen by the collector): only the outbox can deliver those. Then `503` + `Retry-After: 2`,
 * twice, then `202`: no attempt before 2 s, delivered once.
 *
 * Seed: `PP_E2E_SEED` (printed at the start). Runs: `PP_E2E_RUNS` (default 200, the issue's number).
 * Contexts at once: `PP_E2E_WORKERS` (default 2; more is slower on a 2-core machine).
 *
 * Bugs this suite found (fixed in sdk/, see git log): a retry after a 5xx or network error often
 * never happened while the page lived (fractional backoff vs setTimeout's integer delay), and an
 * entry left mid-backoff by a page that died was never sent by the next page while it stayed open.
 *
 * Seen failing against deliberately broken builds (never committed): a copy of sdk/src patched and
 * built with rollup into /tmp, served instead of sdk/dist with `PP_E2E_SDK_DIST=/tmp/…/dist`:
 * - no write-before-send (`store.put(entry)` removed from `track` in tracker.ts): the lost-first-send
 *   test fails — every conversion whose tab was closed never arrives (10 of 10, seed 11). Tabs that
 *   navigated away or went offline still lived (bfcache, open tab) when the 502 came, and stored the
 *   failed send: only the closed tab shows the write-before-send, so all three exits are kept;
 * - Retry-After ignored (`retryDelay` without its second term, outbox.ts): the Retry-After test fails
 *   (first retry 1,706 ms after the 503);
 * - main before the two fixes above: the Retry-After test fails (no third attempt within 15 s) and
 *   the lost-first-send test fails (13 of 30 never sent by the revisit page).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seededRng } from '../../collector/src/test-fixtures';
import { launchChromium, newContext, sleep, waitFor } from './support/browser';
import { startE2eServer, type E2eServer } from './support/e2e-server';
import { outboxSize, readStorage } from './support/storage';

const SEED = Number(process.env.PP_E2E_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.PP_E2E_RUNS ?? 200);
const LOST_RUNS = 30;
const WORKERS = Number(process.env.PP_E2E_WORKERS ?? 2);
const BATCH = 10;
/** How long a committed answer may take after the tab's action before it counts as "not before the revisit". */
const GRACE_MS = 1000;
/** How long the revisit may take to flush the outbox. */
const REVISIT_MS = 10_000;

const ACTIONS = ['navigate', 'close', 'offline'] as const;
type Action = (typeof ACTIONS)[number];

interface Plan {
  n: number;
  order: string;
  action: Action;
  delayMs: number;
  /** Every request carrying the conversion is lost until the revisit (held, then answered 502 by the front door). */
  lose: boolean;
}

interface Outcome extends Plan {
  before: boolean;
  after: boolean;
  outboxLeft: number;
  ms: number;
  /** Milliseconds spent: thank-you page load, leaving + waiting for the answer, revisit page load, flush. */
  phases: number[];
}

let server: E2eServer;
let browser: Browser;

beforeAll(async () => {
  console.log(`sdk-delivery: seed ${SEED} (PP_E2E_SEED=${SEED} reproduces the plan), ${RUNS} runs`);
  server = await startE2eServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The seeded plan: actions in turn, each after a random 0–500 ms. */
function plan(prefix: string, count: number, rng: () => number, lose: boolean): Plan[] {
  return Array.from({ length: count }, (_, n) => ({
    n,
    order: `${prefix}-${SEED}-${n}`,
    action: ACTIONS[n % ACTIONS.length]!,
    delayMs: Math.floor(rng() * 501),
    lose,
  }));
}

/** The outbox keys (`_ppo.<event id>`) in the page's localStorage: a cheap check to poll. */
const outboxKeys = (page: Page): Promise<number> => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('_ppo.')).length);

/** Waits until the outbox of the context's shop storage is empty, read from a page without the tag; returns what is left. */
async function outboxLeftAtEnd(context: BrowserContext): Promise<number> {
  const page = await context.newPage();
  try {
    await page.goto(server.site('/blank'));
    await waitFor(async () => (await outboxKeys(page)) === 0, REVISIT_MS, 100);
    return outboxSize(await readStorage(page));
  } finally {
    await page.close();
  }
}

/** One run: convert, leave at the planned moment, come back. */
async function runOnce(context: BrowserContext, p: Plan): Promise<Outcome> {
  const started = Date.now();
  if (p.lose) server.faults.lose.add(p.order);
  const page = await context.newPage();
  const pages: Page[] = [page];
  try {
    const ph = [Date.now()];
    // `load` waits for the async tag, which sends the conversion (fetch, keepalive) as it starts.
    await page.goto(server.site(`/thanks?o=${encodeURIComponent(p.order)}`), { waitUntil: 'load' });
    ph.push(Date.now());
    await sleep(p.delayMs);
    if (p.action === 'navigate') await page.goto(server.away('/next'), { waitUntil: 'commit' });
    else if (p.action === 'close') await page.close();
    else await context.setOffline(true);
    // A lost request is held until its tab is long gone, then refused: wait for that before coming back.
    const before = await waitFor(() => server.committed.has(p.order), p.lose ? server.faults.holdMs + 200 : GRACE_MS);
    server.faults.lose.delete(p.order);
    ph.push(Date.now());
    // The visitor closes what was left open (the offline tab while still offline), comes back online
    // later, and opens the shop again.
    if (!page.isClosed()) await page.close();
    if (p.action === 'offline') await context.setOffline(false);
    const revisit = await context.newPage();
    pages.push(revisit);
    await revisit.goto(server.site('/revisit'), { waitUntil: 'load' });
    ph.push(Date.now());
    await waitFor(async () => server.committed.has(p.order) && (await outboxKeys(revisit)) === 0, REVISIT_MS, 50);
    const outboxLeft = outboxSize(await readStorage(revisit));
    ph.push(Date.now());
    return { ...p, before, after: server.committed.has(p.order), outboxLeft, ms: Date.now() - started, phases: ph.slice(1).map((t, k) => t - ph[k]!) };
  } finally {
    await context.setOffline(false);
    for (const x of pages) if (!x.isClosed()) await x.close();
  }
}

/** Runs `plans` on WORKERS contexts at once, a fresh context per BATCH; returns outcomes and per-batch leftovers. */
async function runAll(plans: Plan[]): Promise<{ outcomes: Outcome[]; batchLeftovers: number[] }> {
  const batches: Plan[][] = [];
  for (let i = 0; i < plans.length; i += BATCH) batches.push(plans.slice(i, i + BATCH));
  const outcomes: Outcome[] = [];
  const batchLeftovers: number[] = [];
  const worker = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      const context = await newContext(browser);
      try {
        // The visitor arrived from an ad: the tag keeps the click ID (cookie + localStorage).
        const landing = await context.newPage();
        await landing.goto(server.site(`/landing?ppclid=${server.clickId}`), { waitUntil: 'load' });
        await waitFor(async () => (await landing.evaluate(() => localStorage.getItem('_ppk'))) !== null, 2000);
        await landing.close();
        for (const p of batch) outcomes.push(await runOnce(context, p));
        // Whatever the closed tabs left must be gone too, not just what the last revisit saw.
        batchLeftovers.push(await outboxLeftAtEnd(context));
      } finally {
        await context.close();
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return { outcomes: outcomes.sort((a, b) => a.n - b.n), batchLeftovers };
}

/** Rows and ledger groups per order in the store (all of them, not just the planned ones). */
async function stored() {
  const range = { from: 0, to: Number.MAX_SAFE_INTEGER };
  const conversions = await server.h.store.reports.conversions({ advertiserId: server.world.advertiserId }, range, 100_000);
  const ledger = await server.h.store.reports.ledger({ advertiserId: server.world.advertiserId }, range, 100_000);
  const rowsPerOrder = new Map<string, number>();
  for (const c of conversions) rowsPerOrder.set(c.orderId ?? '', (rowsPerOrder.get(c.orderId ?? '') ?? 0) + 1);
  const groupsPerConversion = new Map<string, number>();
  for (const g of ledger) if (g.meta.refType === 'conversion') groupsPerConversion.set(g.meta.refId, (groupsPerConversion.get(g.meta.refId) ?? 0) + 1);
  return { conversions, rowsPerOrder, groupsPerConversion };
}

/** Checks the store for `plans`: one row per order, attributed, billed once; returns the double counts. */
async function expectStoredOnce(plans: Plan[]) {
  const { conversions, rowsPerOrder, groupsPerConversion } = await stored();
  const doubleRows = [...rowsPerOrder].filter(([, n]) => n > 1);
  const byOrder = new Map(conversions.map((c) => [c.orderId, c]));
  const doubleBilled = conversions.filter((c) => (groupsPerConversion.get(c.id) ?? 0) > 1);
  expect(doubleRows, 'orders stored more than once').toEqual([]);
  expect(doubleBilled.map((c) => c.orderId), 'conversions billed more than once').toEqual([]);
  for (const p of plans) {
    const c = byOrder.get(p.order);
    expect(c, `order ${p.order} stored`).toBeDefined();
    expect(rowsPerOrder.get(p.order)).toBe(1);
    // Attributed to the ad click the visitor came from, and billed exactly once: CPA 1.00 EUR.
    expect([c!.status, c!.costMicros, c!.clickIds], `order ${p.order}: ${c!.statusReason}`).toEqual(['approved', 1_000_000n, [server.clickId]]);
    expect(groupsPerConversion.get(c!.id), `ledger groups of ${p.order}`).toBe(1);
  }
  return { doubleRows: doubleRows.length, doubleBilled: doubleBilled.length };
}

/** Resends of one conversion the collector absorbed (answered 2xx more than once, stored once). */
function resends(plans: Plan[]): number {
  const ids = new Set(server.arrivals.flatMap((a) => a.events.filter((e) => e.t === 'cv' && plans.some((p) => p.order === e.o)).map((e) => e.i)));
  return [...ids].reduce((n, i) => n + Math.max(0, (server.deliveries.get(i) ?? 0) - 1), 0);
}

function report(title: string, outcomes: Outcome[], ms: number) {
  const rows = ACTIONS.map((a) => {
    const xs = outcomes.filter((o) => o.action === a);
    return `${a.padEnd(8)} runs ${String(xs.length).padStart(3)}  before revisit ${String(xs.filter((o) => o.before).length).padStart(3)}  after ${String(xs.filter((o) => o.after).length).padStart(3)}  mean run ${Math.round(xs.reduce((s, o) => s + o.ms, 0) / Math.max(1, xs.length))} ms`;
  });
  for (const a of ACTIONS) {
    const xs = outcomes.filter((o) => o.action === a);
    console.log(`${a.padEnd(8)} mean ms: thank-you page, leave + wait, revisit page, flush =`, [0, 1, 2, 3].map((k) => Math.round(xs.reduce((s, o) => s + (o.phases[k] ?? 0), 0) / Math.max(1, xs.length))).join(', '));
  }
  const missed = outcomes.filter((o) => !o.before && !o.lose).map((o) => `${o.order} (${o.action} after ${o.delayMs} ms)`);
  console.log(
    [
      `${title} (seed ${SEED}): ${outcomes.length} runs in ${(ms / 1000).toFixed(1)} s`,
      ...rows,
      `received before revisit ${outcomes.filter((o) => o.before).length}/${outcomes.length}, after ${outcomes.filter((o) => o.after).length}/${outcomes.length}`,
      ...(missed.length ? [`not before the revisit: ${missed.slice(0, 20).join(', ')}${missed.length > 20 ? ', …' : ''}`] : []),
    ].join('\n'),
  );
}

describe('SDK delivery in Chromium', () => {
  it(`delivers ${RUNS} conversions exactly once when the tab navigates away, closes or goes offline 0–500 ms after converting`, async () => {
    const plans = plan('D', RUNS, seededRng(SEED), false);
    const t0 = Date.now();
    const { outcomes, batchLeftovers } = await runAll(plans);
    const ms = Date.now() - t0;
    report('delivery', outcomes, ms);
    const { doubleRows, doubleBilled } = await expectStoredOnce(plans);
    const modes = server.arrivals.reduce<Record<string, number>>((m, a) => ((m[`${a.path} ${a.mode}`] = (m[`${a.path} ${a.mode}`] ?? 0) + 1), m), {});
    console.log(`delivery: stored twice ${doubleRows}, billed twice ${doubleBilled}, resends absorbed by event_id ${resends(plans)}, requests by transport ${JSON.stringify(modes)}`);

    expect(outcomes).toHaveLength(RUNS);
    expect(outcomes.filter((o) => o.before).length / RUNS, 'share received before the revisit').toBeGreaterThanOrEqual(0.99);
    expect(outcomes.filter((o) => !o.after).map((o) => o.order), 'not received after the revisit').toEqual([]);
    expect(outcomes.filter((o) => o.outboxLeft !== 0).map((o) => `${o.order}: ${o.outboxLeft}`), 'outbox left after a revisit').toEqual([]);
    expect(batchLeftovers.filter((n) => n !== 0), 'outbox left at the end of a batch').toEqual([]);
    // 200 browser runs take ~1.5 s each on a quiet 2-core machine; a loaded one took more than the
    // suite's 300 s default, so this test has its own bound (a hang still fails it).
  }, 900_000);

  it(`delivers on the next visit, once, a conversion whose only request was lost with its tab (${LOST_RUNS} runs)`, async () => {
    const plans = plan('L', LOST_RUNS, seededRng(SEED ^ 0x5eed), true);
    const t0 = Date.now();
    const { outcomes, batchLeftovers } = await runAll(plans);
    report('lost first send', outcomes, Date.now() - t0);
    // The fault did what it says: nothing arrived before the revisit, so the outbox delivered each one.
    expect(outcomes.filter((o) => o.before).map((o) => o.order), 'committed although its request was lost').toEqual([]);
    expect(outcomes.filter((o) => !o.after).map((o) => `${o.order} (${o.action} after ${o.delayMs} ms)`), 'never delivered').toEqual([]);
    await expectStoredOnce(plans);
    expect(outcomes.filter((o) => o.outboxLeft !== 0).map((o) => o.order), 'outbox left after a revisit').toEqual([]);
    expect(batchLeftovers.filter((n) => n !== 0), 'outbox left at the end of a batch').toEqual([]);
  });

  it('waits as long as Retry-After says after a 503, then delivers once the collector answers 202', async () => {
    const order = `RA-${SEED}`;
    const context = await newContext(browser);
    try {
      server.faults.unavailable = 2;
      const page = await context.newPage();
      await page.goto(server.site(`/thanks?o=${order}`), { waitUntil: 'load' });
      // Two refusals (both answered), then the collector recovers.
      const refused = await waitFor(() => server.arrivalsOf(order).filter((a) => a.answeredAt > 0).length >= 2, 15_000);
      server.faults.unavailable = null;
      expect(refused, 'two attempts refused').toBe(true);
      expect(await waitFor(() => server.committed.has(order), 15_000), 'delivered after the collector recovered').toBe(true);
      const tries = server.arrivalsOf(order);
      const gaps = tries.slice(1).map((t, k) => t.at - tries[k]!.answeredAt);
      console.log(`retry-after: attempts ${tries.map((t) => `${t.status} (${t.mode})`).join(', ')}; gaps after each answer ${gaps.join(', ')} ms`);
      expect(tries.map((t) => t.status)).toEqual([503, 503, 202]);
      // The first retry: max(backoff 1–2 s, Retry-After 2 s) = 2 s. Without the header it would be 1–2 s.
      expect(gaps[0]).toBeGreaterThanOrEqual(1990);
      expect(gaps[0]).toBeLessThan(2500);
      // The second: backoff 2–4 s, never under Retry-After.
      expect(gaps[1]).toBeGreaterThanOrEqual(1990);
      expect(gaps[1]).toBeLessThan(4500);
      expect(await waitFor(async () => outboxSize(await readStorage(page)) === 0, 5000), 'outbox empty').toBe(true);
      const { rowsPerOrder } = await stored();
      expect(rowsPerOrder.get(order)).toBe(1);
    } finally {
      server.faults.unavailable = null;
      await context.close();
    }
  });
});
