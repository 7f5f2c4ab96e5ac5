/**
 * Two collector processes on one PostgreSQL (SPEC §3.4, §3.7: "check-and-debit is atomic, also
 * with several collector processes"). Both start at once on a fresh schema, the catalog is made
 * through the admin API, then concurrent click redirects (CPC) and conversion beacons (CPA) hit
 * both processes. Whatever the interleaving: no budget is passed, the charge count is exactly
 * floor(budget / price), Σ debits = Σ credits, and every acknowledged request is stored once.
 *
 * Seen failing against a broken build (`FOR UPDATE` removed from sql-write-tx.ts in a private copy
 * of the tree): the forty-campaign test failed 10 runs of 10 (in the last four, 4–8 of the 40
 * campaigns were charged three times against a budget of two), the single-campaign CPC test 4 of 12
 * (21 clicks charged against a budget of 20), the CPA test 2 of 12 (11 against 10). Without the
 * lock only the first items of two overlapping groups race (each process commits one group at a
 * time), hence the many budget boundaries of the forty-campaign test.
 *
 * Groups that charge several campaigns lock their spend rows in arrival order, so the two
 * processes sometimes deadlock; PostgreSQL breaks it after deadlock_timeout (1 s) and the driver
 * re-runs the group. The forty-campaign test also pins that no click is lost to that.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../collector/src/ingest/keys';
import { openPgDb } from '../../collector/src/store/pg-db';
import type { Db } from '../../collector/src/store/db';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECRET = 'multi-process-test-secret-0123456789abcdef';
const OPERATOR_KEY = 'op_multi_process_test_key_0123456789';

const CPC = 250_000n;
const CPC_BUDGET = 20n * CPC; // 20 clicks
const CPA = 1_000_000n;
const CPA_BUDGET = 10n * CPA; // 10 conversions
const CLICKS = 80; // 40 per process
const CONVERSIONS = 30; // 15 per process
const SMALL = 40; // campaigns with a budget of two clicks: one warm-up click, then a pair racing for the last
const WAVE = 4; // racing pairs of 4 campaigns at a time, each pair on both processes at once

interface Collector {
  port: number;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

const schema = `tst_mp_${randomBytes(5).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'pp-mp-'));
let db: Db;
let a: Collector;
let b: Collector;

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

async function startCollector(): Promise<Collector> {
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'collector/src/server.ts')], {
    cwd: ROOT,
    // Its own process group, so afterAll can stop tsx and the node process it runs together.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: URL,
      DATABASE_SCHEMA: schema,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SECRET,
      OPERATOR_KEY,
      SEED: 'never',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      PP_ENV: 'test',
      TRUSTED_PROXIES: '127.0.0.1/32',
    },
  });
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { port, child, output, exited };
}

async function waitReady(c: Collector, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void c.exited.then((code) => (exitCode = code));
  while (Date.now() < until) {
    if (exitCode !== undefined) throw new Error(`collector on ${c.port} exited with ${exitCode}:\n${c.output.join('')}`);
    try {
      const res = await fetch(`http://127.0.0.1:${c.port}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`collector on ${c.port} not ready after ${timeoutMs} ms:\n${c.output.join('')}`);
}

async function stop(c: Collector | undefined): Promise<void> {
  if (!c || c.child.exitCode !== null || c.child.pid === undefined) return;
  const group = -c.child.pid;
  try {
    process.kill(group, 'SIGTERM');
  } catch {
    return;
  }
  const stopped = await Promise.race([c.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
  if (!stopped) {
    try {
      process.kill(group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** An admin API call with the operator key; answers the parsed JSON after checking the status. */
async function admin(c: Collector, method: string, path: string, body?: unknown, expected = 201): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${c.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${OPERATOR_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A distinct desktop browser per request: distinct sources, so no request is a duplicate or a flood. */
const browser = (n: number) => `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.${n}.0 Safari/537.36`;
/**
 * A distinct visitor per request: its browser and, through the trusted loopback proxy, its own
 * address — every request comes from 127.0.0.1, and the per-IP click-flood rule (issue 16: 30 a
 * minute from one IP, whatever the user agent) would flag the clicks of this test as invalid.
 */
const visitor = (n: number) => ({ 'user-agent': browser(n), 'x-forwarded-for': `198.18.${(n >> 8) & 255}.${n & 255}` });

/** An ad decision token for a slot, from one collector. */
async function adToken(c: Collector, slot: string, n: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${c.port}/ad?slot=${slot}&p=pv_${n}`, { headers: visitor(n) });
  const { ad } = (await res.json()) as { ad: { tk: string } | null };
  if (!ad) throw new Error(`no ad for ${slot}`);
  return ad.tk;
}

/** Follows nothing: the click redirect's answer and the ppclid it carries (acknowledged) or not. */
async function clickThrough(c: Collector, tk: string, n: number): Promise<{ status: number; clickId: string | null }> {
  const res = await fetch(`http://127.0.0.1:${c.port}/c/${tk}`, { redirect: 'manual', headers: visitor(n) });
  const location = res.headers.get('location');
  return { status: res.status, clickId: location ? new globalThis.URL(location).searchParams.get('ppclid') : null };
}

const q = async <T>(sql: string, params: (string | number)[] = []) => db.all<T>(sql, params);
const one = async (sql: string, params: (string | number)[] = []) => Object.values((await db.get<Record<string, unknown>>(sql, params))!)[0];

beforeAll(async () => {
  db = openPgDb(URL, { schema, max: 2 });
  // Both start at once on a schema nobody created yet: migrations must cope with each other.
  [a, b] = await Promise.all([startCollector(), startCollector()]);
  await Promise.all([waitReady(a, 30_000), waitReady(b, 30_000)]);

  await admin(a, 'POST', '/v1/advertisers', { id: 'adv_mp', name: 'MP Shop', currency: 'EUR' });
  await admin(a, 'POST', '/v1/publishers', { id: 'pub_mp', name: 'MP News', revShareBps: 7000 });
  await admin(a, 'POST', '/v1/sites', { id: 'site_news', name: 'News', ownerType: 'publisher', ownerId: 'pub_mp' });
  await admin(a, 'POST', '/v1/sites', { id: 'site_shop', name: 'Shop', ownerType: 'advertiser', ownerId: 'adv_mp' });
  // Two sizes, so each slot can only show one campaign's creative (a 728x90 does not fit 300x250).
  await admin(a, 'POST', '/v1/slots', { id: 'slot_box', siteId: 'site_news', name: 'Box', size: '300x250' });
  await admin(b, 'POST', '/v1/slots', { id: 'slot_banner', siteId: 'site_news', name: 'Banner', size: '728x90' });
  await admin(a, 'POST', '/v1/campaigns', {
    id: 'cmp_cpc', advertiserId: 'adv_mp', name: 'CPC', landingUrl: 'https://shop.example/landing',
    terms: { costModel: 'cpc', cpcMicros: String(CPC), totalBudgetMicros: String(CPC_BUDGET) },
  });
  await admin(a, 'POST', '/v1/creatives', { id: 'cr_box', campaignId: 'cmp_cpc', size: '300x250', imageUrl: '/img/box.png', alt: 'Box' });
  await admin(b, 'POST', '/v1/campaigns', {
    id: 'cmp_cpa', advertiserId: 'adv_mp', name: 'CPA', landingUrl: 'https://shop.example/offer',
    terms: { costModel: 'cpa', cpaFlatMicros: String(CPA), totalBudgetMicros: String(CPA_BUDGET), minConversionDelayMs: 0 },
  });
  await admin(b, 'POST', '/v1/creatives', { id: 'cr_banner', campaignId: 'cmp_cpa', size: '728x90', imageUrl: '/img/banner.png', alt: 'Banner' });
  // A size no slot has, so the ad decision never picks them; their clicks come with tokens signed below.
  for (let k = 0; k < SMALL; k++) {
    await admin(k % 2 ? a : b, 'POST', '/v1/campaigns', {
      id: `cmp_one_${k}`, advertiserId: 'adv_mp', name: `One click ${k}`, status: 'active', landingUrl: 'https://shop.example/one',
      terms: { costModel: 'cpc', cpcMicros: String(CPC), totalBudgetMicros: String(2n * CPC) },
    });
    await admin(k % 2 ? a : b, 'POST', '/v1/creatives', { id: `cr_one_${k}`, campaignId: `cmp_one_${k}`, size: '160x600', imageUrl: '/img/one.png', alt: 'One' });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([stop(a), stop(b)]);
  if (db) {
    await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

describe('two collector processes on one PostgreSQL', () => {
  it('concurrent CPC clicks on both processes charge exactly the budget, each acknowledged click stored once', async () => {
    // Every click gets its own ad decision; half the tokens come from the other process.
    const tokens = await Promise.all(Array.from({ length: CLICKS }, (_, n) => adToken(n % 2 ? a : b, 'slot_box', n)));
    const answers = await Promise.all(tokens.map((tk, n) => clickThrough(n % 2 ? b : a, tk, n)));

    const acked = answers.filter((r) => r.status === 302 && r.clickId).map((r) => r.clickId!);
    expect(answers.every((r) => r.status === 302)).toBe(true);
    expect(acked).toHaveLength(CLICKS);
    expect(new Set(acked).size).toBe(CLICKS);

    const stored = await q<{ click_id: string; billing: string; cost_micros: bigint; invalid_reason: string | null; duplicate_of: string | null }>(
      "SELECT click_id, billing, cost_micros, invalid_reason, duplicate_of FROM clicks WHERE campaign_id = 'cmp_cpc'",
    );
    expect(stored.map((r) => r.click_id).sort()).toEqual([...acked].sort());
    // All valid and distinct: so the charges stop only at the budget, after exactly floor(budget / price).
    expect(stored.filter((r) => r.invalid_reason !== null || r.duplicate_of !== null)).toEqual([]);
    const charged = stored.filter((r) => r.billing === 'charged');
    expect(charged).toHaveLength(Number(CPC_BUDGET / CPC));
    expect(charged.every((r) => r.cost_micros === CPC)).toBe(true);
    expect(stored.filter((r) => r.billing === 'over_cap')).toHaveLength(CLICKS - Number(CPC_BUDGET / CPC));

    const ledgerDebit = await one(
      "SELECT SUM(l.micros) FROM ledger_legs l JOIN ledger_groups g ON g.id = l.group_id WHERE g.campaign_id = 'cmp_cpc' AND l.account = 'advertiser:adv_mp' AND l.side = 'debit'",
    );
    expect(BigInt(String(ledgerDebit))).toBe(CPC_BUDGET);
    expect(await one("SELECT COUNT(*) FROM ledger_groups WHERE campaign_id = 'cmp_cpc' AND ref_type = 'click'")).toBe(20n);
    expect(await one("SELECT micros FROM spend WHERE campaign_id = 'cmp_cpc' AND scope = 'total'")).toBe(CPC_BUDGET);
  });

  it('concurrent CPA conversions on both processes charge exactly the budget, each stored once, replays deduplicated', async () => {
    // A click on the CPA campaign for each conversion, then all conversions at once.
    const tokens = await Promise.all(Array.from({ length: CONVERSIONS }, (_, n) => adToken(n % 2 ? a : b, 'slot_banner', 1000 + n)));
    const clicks = await Promise.all(tokens.map((tk, n) => clickThrough(n % 2 ? b : a, tk, 1000 + n)));
    expect(clicks.every((r) => r.status === 302 && r.clickId)).toBe(true);

    const events = clicks.map((r, n) => ({ t: 'cv', i: randomUUID(), ts: Date.now(), a: 'purchase', o: `order-${n}`, v: '25.00', c: 'EUR', k: r.clickId! }));
    const send = (c: Collector, e: (typeof events)[number], n: number) =>
      fetch(`http://127.0.0.1:${c.port}/e`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', ...visitor(2000 + n) },
        body: JSON.stringify({ s: 'site_shop', e: [e] }),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as { accepted: number; duplicate: number } }));
    const answers = await Promise.all(events.map((e, n) => send(n % 2 ? a : b, e, n)));
    expect(answers.map((r) => [r.status, r.body.accepted])).toEqual(events.map(() => [202, 1]));

    // The SDK retrying at the other process (load balancer) is an exact replay: nothing new.
    const replays = await Promise.all(events.map((e, n) => send(n % 2 ? b : a, e, n)));
    expect(replays.map((r) => [r.status, r.body.duplicate])).toEqual(events.map(() => [202, 1]));

    const stored = await q<{ order_id: string; event_id: string; status: string; cost_micros: bigint; status_reason: string | null }>(
      "SELECT order_id, event_id, status, cost_micros, status_reason FROM conversions WHERE advertiser_id = 'adv_mp'",
    );
    expect(stored.map((r) => r.event_id).sort()).toEqual(events.map((e) => e.i).sort());
    expect(new Set(stored.map((r) => r.order_id)).size).toBe(CONVERSIONS);
    const charged = stored.filter((r) => r.cost_micros > 0n);
    expect(charged).toHaveLength(Number(CPA_BUDGET / CPA));
    expect(charged.every((r) => r.cost_micros === CPA && r.status === 'approved')).toBe(true);
    expect(stored.filter((r) => r.status_reason === 'over_cap: total_budget')).toHaveLength(CONVERSIONS - Number(CPA_BUDGET / CPA));
    expect(await one("SELECT micros FROM spend WHERE campaign_id = 'cmp_cpa' AND scope = 'total'")).toBe(CPA_BUDGET);
    expect(await one("SELECT COUNT(*) FROM ledger_groups WHERE campaign_id = 'cmp_cpa'")).toBe(10n);
  });

  it('forty campaigns with one click of budget left, each clicked on both processes at the same moment: one charge each', async () => {
    // The test holds the signing secret, so it signs the ad tokens itself (as GET /ad would).
    const keys = createKeys(SECRET);
    const token = (k: number, side: string) =>
      keys.signToken({ d: `d_one_${k}_${side}`, si: 'site_news', s: 'slot_box', p: 'pub_mp', a: 'adv_mp', c: `cmp_one_${k}`, cr: `cr_one_${k}`, v: 1, pv: null, t: Date.now() });
    // A first click each: charged, and the campaign's spend rows now exist. (A row that does not
    // exist yet is created by INSERT … ON CONFLICT, which makes a second process wait anyway.)
    const warm = await Promise.all(Array.from({ length: SMALL }, (_, k) => clickThrough(k % 2 ? a : b, token(k, 'warm'), 5000 + k)));
    expect(warm.every((r) => r.status === 302 && r.clickId)).toBe(true);
    // Then one click of budget left, and two clicks for it at once, one at each process: the case
    // where an unlocked read of spend lets both charge.
    // In waves: each process commits one group at a time, so the race is between the first items of
    // two overlapping groups; every wave is a new pair of groups at new budget boundaries.
    const answers: Awaited<ReturnType<typeof clickThrough>>[] = [];
    for (let wave = 0; wave < SMALL; wave += WAVE) {
      const ks = Array.from({ length: WAVE }, (_, i) => wave + i);
      answers.push(...(await Promise.all(ks.flatMap((k) => [clickThrough(a, token(k, 'a'), 3000 + 2 * k), clickThrough(b, token(k, 'b'), 3001 + 2 * k)]))));
    }
    expect(answers.every((r) => r.status === 302)).toBe(true);
    const acked = [...warm, ...answers].filter((r) => r.clickId).map((r) => r.clickId!);

    const stored = await q<{ click_id: string; campaign_id: string; billing: string; cost_micros: bigint }>(
      "SELECT click_id, campaign_id, billing, cost_micros FROM clicks WHERE campaign_id LIKE 'cmp_one_%'",
    );
    expect(stored.map((r) => r.click_id).sort()).toEqual([...acked].sort());
    const rejected = await q<{ reason: string; detail: string }>("SELECT reason, detail FROM rejected_events WHERE endpoint = 'redirect_click'");
    expect({ acked: acked.length, rejected }).toEqual({ acked: 3 * SMALL, rejected: [] });
    const bills = new Map<string, string[]>();
    for (const r of stored) bills.set(r.campaign_id, [...(bills.get(r.campaign_id) ?? []), r.billing].sort());
    expect(bills.size).toBe(SMALL);
    // Every campaign: the warm-up and one of the pair charged, the other over its cap; none charged thrice.
    expect([...bills].filter(([, b]) => b.join() !== 'charged,charged,over_cap')).toEqual([]);
    expect(BigInt(String(await one("SELECT SUM(micros) FROM spend WHERE campaign_id LIKE 'cmp_one_%' AND scope = 'total'")))).toBe(BigInt(SMALL) * 2n * CPC);
  });

  it('the ledger of both processes balances: Σ debits = Σ credits = what was charged', async () => {
    const charged = BigInt(String(await one('SELECT (SELECT COALESCE(SUM(cost_micros), 0) FROM clicks) + (SELECT COALESCE(SUM(cost_micros), 0) FROM conversions)')));
    const spent = CPC_BUDGET + CPA_BUDGET + BigInt(SMALL) * 2n * CPC;
    expect(charged).toBe(spent);
    const publisher = (spent * 7000n) / 10_000n; // every charge splits exactly: 250,000 and 1,000,000 × 70 %
    for (const c of [a, b]) {
      const balances = { 'advertiser:adv_mp': String(spent), 'publisher:pub_mp': String(-publisher), platform: String(-(spent - publisher)) };
      const groups = 20 + 10 + 2 * SMALL;
      expect(await admin(c, 'GET', '/v1/ledger/totals', undefined, 200)).toEqual({
        debitsMicros: String(spent),
        creditsMicros: String(spent),
        balanced: true,
        groups,
        balances,
        currencies: [{ currency: 'EUR', debitsMicros: String(spent), creditsMicros: String(spent), balanced: true, groups, balances }],
      });
    }
    // Both processes are still healthy after the run.
    for (const c of [a, b]) expect((await fetch(`http://127.0.0.1:${c.port}/readyz`)).status).toBe(200);
  });
});
