/**
 * Check-and-debit is atomic on PostgreSQL (SPEC §3.4, §3.8): many write transactions at once, each doing
 * what the pipeline does for a click — read `tx.spend` (which locks the budget rows), settle with
 * the pure core (`settleClick` → `capHit`), `postGroup`, `addSpend` — never charge past a budget.
 *
 * Seen failing against a broken build: with `FOR UPDATE` removed from sql-write-tx.ts (reverted
 * afterwards), the first test charged 29–30 clicks against a budget of 15 and the second 37–47
 * against a budget of 20, over two runs each. With the budget-row lock of a terms change removed
 * from sql-catalog.ts (reverted afterwards), the lowered-budget test failed: the change committed
 * while a charge that had read the old caps was still open.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settleClick } from '../../collector/src/core/billing';
import { utcDay } from '../../collector/src/core/day';
import { DEFAULT_TERMS, type CampaignTerms } from '../../collector/src/core/terms';
import { openPgDb } from '../../collector/src/store/pg-db';
import { openStore } from '../../collector/src/store/open-store';
import type { Db } from '../../collector/src/store/db';
import type { Store } from '../../collector/src/store/store';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const DAY = utcDay(T0);
const PRICE = 300_000n;

let schema: string;
let admin: Db;
const stores: Store[] = [];
const open = async () => {
  const s = await openStore(URL, { clock: () => T0, pgSchema: schema, pgPoolSize: 20 });
  stores.push(s);
  return s;
};

beforeEach(() => {
  schema = `tst_${randomBytes(6).toString('hex')}`;
  admin = openPgDb(URL, { schema, max: 2 });
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
});

/** Creates the advertiser, publishers and the CPC campaign with `budget` terms. */
async function seed(store: Store, budget: Partial<CampaignTerms>): Promise<void> {
  await store.catalog.createAdvertiser({ id: 'adv_shop', name: 'Shop', currency: 'EUR', s2sSecrets: ['s'] }, 'h_adv');
  for (const id of ['pub_a', 'pub_b', 'pub_c']) await store.catalog.createPublisher({ id, name: id, revShareBps: 7000 }, `h_${id}`);
  await store.catalog.createCampaign({
    id: 'cmp_cpc',
    advertiserId: 'adv_shop',
    name: 'CPC',
    status: 'active',
    landingUrl: 'https://shop.example/',
    allowedHosts: [],
    terms: { ...DEFAULT_TERMS, campaignId: 'cmp_cpc', advertiserId: 'adv_shop', version: 1, currency: 'EUR', costModel: 'cpc', cpcMicros: PRICE, viewWindowDays: 1, ...budget },
  });
}

/** One click's transaction, as recordClick runs it: true when it was charged. */
function chargeClick(store: Store, clickId: string, publisherId: string): Promise<boolean> {
  return store.write(async (tx) => {
    const terms = (await tx.terms('cmp_cpc', 1, publisherId))!;
    const spend = await tx.spend('cmp_cpc', publisherId, DAY);
    // The caps in force, read after the budget rows were locked (ingest/ad-events.ts does the same).
    const now = (await tx.campaignNow('cmp_cpc'))!;
    // Hold the transaction open a little, so that without the lock the others would read the same spend.
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    const meta = { refType: 'click' as const, refId: clickId, campaignId: 'cmp_cpc', advertiserId: 'adv_shop', publisherId, slotId: null, termsVersion: 1, currency: 'EUR', at: T0, reason: null };
    const s = settleClick(terms, { invalidReason: null, duplicateOf: null }, spend, `click:${clickId}`, meta, now.terms);
    const charged = !!s.group && (await tx.postGroup(s.group, T0));
    if (charged) await tx.addSpend('cmp_cpc', publisherId, DAY, s.split!.costMicros);
    await tx.insertClick({
      clickId, decisionId: `d_${clickId}`, via: 'redirect', eventId: clickId, siteId: 'site', slotId: 'slot', publisherId, campaignId: 'cmp_cpc',
      creativeId: 'cr', advertiserId: 'adv_shop', termsVersion: 1, pageViewId: null, sourceKey: clickId, ipKey: null, at: T0, receivedAt: T0,
      invalidReason: null, duplicateOf: null, billing: s.outcome, costMicros: charged ? s.split!.costMicros : 0n,
    });
    return charged;
  });
}

/** What the database holds: charges per publisher, Σ charged, spend rows and ledger totals. */
async function booked(store: Store) {
  const rows = await admin.all<{ publisher_id: string; n: bigint; micros: string }>(
    "SELECT publisher_id, COUNT(*) AS n, SUM(cost_micros) AS micros FROM clicks WHERE billing = 'charged' GROUP BY publisher_id ORDER BY publisher_id",
  );
  const debits = await admin.get<{ micros: string }>("SELECT SUM(micros) AS micros FROM ledger_legs WHERE account = 'advertiser:adv_shop' AND side = 'debit'");
  return {
    perPublisher: Object.fromEntries(rows.map((r) => [r.publisher_id, Number(r.n)])),
    chargedMicros: rows.reduce((sum, r) => sum + BigInt(r.micros), 0n),
    advertiserDebits: BigInt(debits?.micros ?? 0),
    spend: await store.write((tx) => tx.spend('cmp_cpc', 'pub_a', DAY)),
    totals: await store.reports.ledgerTotals(),
  };
}

describe('atomic check-and-debit on PostgreSQL', () => {
  it('a budget change waits for a charge that read the old caps, and every later charge sees the new ones (SPEC §3.8)', async () => {
    const [one, two] = [await open(), await open()];
    await seed(one, { totalBudgetMicros: PRICE * 1000n });
    expect(await chargeClick(one, 'k0', 'pub_a')).toBe(true);
    // Charge A takes the budget rows and reads the caps in force (version 1), then is held open.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let readCaps = -1;
    const a = one.write(async (tx) => {
      await tx.spend('cmp_cpc', 'pub_a', DAY);
      readCaps = (await tx.campaignNow('cmp_cpc'))!.terms.version;
      await held;
    });
    while (readCaps < 0) await new Promise((r) => setTimeout(r, 5));
    // Another process lowers the budget below what is spent.
    const cur = (await one.catalog.getCampaign('cmp_cpc'))!;
    const { version: _v, ...terms } = cur.terms;
    void _v;
    let patched = false;
    const patch = two.catalog.updateCampaign('cmp_cpc', { terms: { ...terms, totalBudgetMicros: PRICE / 2n } }).then(() => (patched = true));
    await new Promise((r) => setTimeout(r, 300));
    // It cannot commit while A, which read the old caps, is still open: A would commit after it.
    expect(patched).toBe(false);
    release();
    await a;
    await patch;
    expect(readCaps).toBe(1);
    // Every charge from now on sees the lowered budget.
    expect(await chargeClick(two, 'k1', 'pub_a')).toBe(false);
    expect(await chargeClick(one, 'k2', 'pub_b')).toBe(false);
    expect((await booked(one)).chargedMicros).toBe(PRICE);
  });

  it('100 concurrent charges against a budget of 15 clicks charge exactly 15', async () => {
    const store = await open();
    const budget = PRICE * 15n + 1n; // one micro more than 15 clicks: floor(budget / price) = 15
    await seed(store, { totalBudgetMicros: budget });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => chargeClick(store, `k${i}`, 'pub_a')));

    expect(results.filter(Boolean)).toHaveLength(15);
    const b = await booked(store);
    expect(b.perPublisher).toEqual({ pub_a: 15 });
    expect(b.chargedMicros).toBe(PRICE * 15n);
    expect(b.chargedMicros <= budget).toBe(true);
    expect(b.advertiserDebits).toBe(PRICE * 15n);
    expect(b.spend).toEqual({ totalMicros: PRICE * 15n, dayMicros: PRICE * 15n, publisherDayMicros: PRICE * 15n });
    expect(b.totals).toEqual({ debits: PRICE * 15n, credits: PRICE * 15n, groups: 15 });
    expect((await store.reports.counts()).clicks).toBe(100);
  });

  it('two stores (two pools, like two processes) hit the total budget exactly and no publisher-day cap', async () => {
    const [one, two] = [await open(), await open()];
    // 20 clicks in total, at most 8 per publisher and day; three publishers could take 24, so the
    // total binds: exactly 20 charges, none of the publishers above 8.
    await seed(one, { totalBudgetMicros: PRICE * 20n, publisherDailyCapMicros: PRICE * 8n });
    const pubs = ['pub_a', 'pub_b', 'pub_c'];
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => chargeClick(i % 2 ? one : two, `k${i}`, pubs[i % 3]!)));

    expect(results.filter(Boolean)).toHaveLength(20);
    const b = await booked(one);
    expect(Object.values(b.perPublisher).reduce((x, y) => x + y, 0)).toBe(20);
    for (const p of pubs) expect(b.perPublisher[p] ?? 0).toBeLessThanOrEqual(8);
    expect(b.chargedMicros).toBe(PRICE * 20n);
    expect(b.advertiserDebits).toBe(PRICE * 20n);
    expect(b.totals).toEqual({ debits: PRICE * 20n, credits: PRICE * 20n, groups: 20 });
    for (const p of pubs) {
      const spend = await two.write((tx) => tx.spend('cmp_cpc', p, DAY));
      expect(spend).toEqual({ totalMicros: PRICE * 20n, dayMicros: PRICE * 20n, publisherDayMicros: PRICE * BigInt(b.perPublisher[p] ?? 0) });
    }
  });
});
