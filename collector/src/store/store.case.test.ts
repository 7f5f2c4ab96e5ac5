/**
 * The Store contract: one suite every adapter runs (hono's `common.case.test.ts` idea). This file
 * only defines `runStoreContract`; vitest.config.ts excludes `*.case.test.ts` from collection and
 * the runners call it:
 *
 * ```ts
 * runStoreContract('SQLite file', async ({ clock }) => {
 *   const store = await openStore(`sqlite:${path}`, { clock });
 *   return { store, raw: (sql) => …, isolatedReads: true, cleanup: () => store.close() };
 * });
 * ```
 *
 * Runners: sqlite-store.test.ts (`:memory:` and a file) and pg-store.pg.test.ts (a fresh schema per
 * test). Every test starts from an empty, migrated store and pins domain behaviour with exact values.
 */
import { beforeEach, afterEach, describe, expect, it } from 'vitest';
import { settleClick } from '../core/billing';
import { utcDay } from '../core/day';
import { chargeGroup, reversalGroup, netsOf, type EntryGroup, type EntryMeta } from '../core/ledger';
import { splitCharge } from '../core/pricing';
import { DEFAULT_TERMS, type CampaignTerms } from '../core/terms';
import type { ClickRecord, ConversionRecord, ImpressionRecord, PageViewRecord, RejectedEvent, Store, WriteTx } from './store';

/** What a runner hands the suite for one test. */
export interface StoreFixture {
  store: Store;
  /** Runs raw SQL on the same database (to show the database itself refuses ledger edits). */
  raw(sql: string): Promise<void>;
  /**
   * True when reads outside `write()` see only committed data. SQLite `:memory:` has one
   * connection for reads and writes, so it sees a transaction in flight; files and PostgreSQL do not.
   */
  isolatedReads: boolean;
  cleanup(): Promise<void>;
}

/** Noon UTC on a Monday: far from midnight, so "the same day" stays the same day. */
export const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const DAY = 86_400_000;
const DAY1 = utcDay(T0); // 2026-11-30
const DAY2 = utcDay(T0 + DAY); // 2026-12-01
/** 2^53 + 1: the first integer a JS number cannot hold. */
const BIG = 9_007_199_254_740_993n;

// ---------------------------------------------------------------- record builders

const terms = (over: Partial<CampaignTerms> = {}): CampaignTerms => ({
  ...DEFAULT_TERMS,
  campaignId: 'cmp_cpc',
  advertiserId: 'adv_shop',
  version: 1,
  currency: 'EUR',
  costModel: 'cpc',
  cpcMicros: 250_000n,
  viewWindowDays: 1,
  payoutFromPublisher: false,
  ...over,
});

/** What a click and an impression of the default ad in `slot_top` share. */
const onSlotTop = {
  siteId: 'site_news',
  slotId: 'slot_top',
  publisherId: 'pub_news',
  campaignId: 'cmp_a',
  creativeId: 'cr_a',
  advertiserId: 'adv_shop',
  termsVersion: 1,
  pageViewId: 'pv_1',
  sourceKey: 'src_a',
  at: T0,
  receivedAt: T0,
  invalidReason: null,
} as const;

const click = (over: Partial<ClickRecord> = {}): ClickRecord => ({
  ipKey: 'ip_a',
  clickId: 'clk_1',
  decisionId: 'dec_1',
  via: 'redirect',
  eventId: 'clk_1',
  ...onSlotTop,
  duplicateOf: null,
  billing: 'charged',
  costMicros: 250_000n,
  ...over,
});

const impression = (over: Partial<ImpressionRecord> = {}): ImpressionRecord => ({
  decisionId: 'dec_1',
  kind: 'served',
  eventId: 'ev_imp_1',
  ...onSlotTop,
  billing: 'no_charge',
  costMicros: 0n,
  ...over,
});

const conversion = (over: Partial<ConversionRecord> = {}): ConversionRecord => ({
  id: 'cv_1',
  advertiserId: 'adv_shop',
  siteId: 'site_shop',
  actionKey: 'purchase',
  orderId: 'A-1',
  eventId: 'ev_cv_1',
  origin: 'beacon',
  clickIds: ['clk_1', 'clk_0'],
  otherClickIds: { gclid: 'g-1' },
  utm: { utm_source: 'newsletter', utm_campaign: 'spring' },
  sourceKey: 'src_a',
  valueMicros: 49_900_000n,
  currency: 'EUR',
  at: T0,
  receivedAt: T0,
  status: 'approved',
  statusReason: null,
  campaignId: 'cmp_a',
  publisherId: 'pub_news',
  creativeId: 'cr_a',
  slotId: 'slot_top',
  touchId: 'clk_1',
  touchKind: 'click',
  termsVersion: 1,
  costMicros: 5_000_000n,
  decision: { outcome: 'attributed', reason: null, candidates: [{ touchId: 'clk_1', kind: 'click', at: T0, campaignId: 'cmp_a', publisherId: 'pub_news', verdict: 'won', detail: null }] },
  payloadHash: 'hash_1',
  restatements: 0,
  updatedAt: T0,
  ...over,
});

const pageView = (over: Partial<PageViewRecord> = {}): PageViewRecord => ({
  siteId: 'site_news',
  eventId: 'ev_pv_1',
  pageViewId: 'pv_1',
  url: 'https://news.example/article',
  referrer: null,
  clickIds: [],
  otherClickIds: {},
  cookieless: false,
  invalidReason: null,
  at: T0,
  receivedAt: T0,
  ...over,
});

const rejected = (over: Partial<RejectedEvent> = {}): RejectedEvent => ({
  receivedAt: T0,
  siteId: 'site_news',
  endpoint: '/e',
  eventType: 'pv',
  eventId: 'ev_bad',
  reason: 'invalid_event',
  detail: 'u: expected a string',
  payload: '{"t":"pv"}',
  ...over,
});

const meta = (over: Partial<EntryMeta> = {}): EntryMeta => ({
  refType: 'click',
  refId: 'clk_1',
  campaignId: 'cmp_a',
  advertiserId: 'adv_shop',
  publisherId: 'pub_news',
  slotId: 'slot_top',
  termsVersion: 1,
  currency: 'EUR',
  at: T0,
  reason: null,
  ...over,
});

/** The charge group the pipeline would post for `cost` with a 70 % revenue share. */
const charge = (key: string, cost: bigint, over: Partial<EntryMeta> = {}): EntryGroup =>
  chargeGroup(key, meta(over), splitCharge(cost, { kind: 'share', bps: 7000 }))!;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A group with its legs in account order (the store does not promise an order of legs). */
const sorted = <G extends EntryGroup>(g: G): G => ({ ...g, legs: [...g.legs].sort((x, y) => x.account.localeCompare(y.account) || x.side.localeCompare(y.side)) });

/** Runs the contract against one adapter. */
export function runStoreContract(name: string, makeStore: (options: { clock: () => number }) => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    let now = T0;
    const clock = () => now;
    const write = <T>(fn: (tx: WriteTx) => Promise<T>) => store.write(fn);

    beforeEach(async () => {
      now = T0;
      fx = await makeStore({ clock });
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    /** An advertiser, a publisher (60 % share), their sites, a slot and a CPC campaign. */
    const seedCatalog = async () => {
      await store.catalog.createAdvertiser({ id: 'adv_shop', name: 'Shop', currency: 'EUR', s2sSecrets: ['s2s-one'] }, 'hash_adv_shop');
      await store.catalog.createPublisher({ id: 'pub_news', name: 'News', revShareBps: 6000 }, 'hash_pub_news');
      await store.catalog.createSite({ id: 'site_news', ownerType: 'publisher', ownerId: 'pub_news', name: 'News', origins: ['https://news.example'] });
      await store.catalog.createSite({ id: 'site_shop', ownerType: 'advertiser', ownerId: 'adv_shop', name: 'Shop', origins: [] });
      await store.catalog.createSlot({ id: 'slot_top', siteId: 'site_news', publisherId: 'pub_news', name: 'Top', width: 300, height: 250, status: 'active' });
      return store.catalog.createCampaign({
        id: 'cmp_cpc',
        advertiserId: 'adv_shop',
        name: 'CPC',
        status: 'active',
        landingUrl: 'https://shop.example/landing',
        allowedHosts: ['shop.example'],
        terms: terms(),
      });
    };

    describe('lifecycle', () => {
      it(`reports its kind, answers ping and starts empty`, async () => {
        expect(['sqlite', 'postgres']).toContain(store.kind);
        await expect(store.ping()).resolves.toBeUndefined();
        expect(await store.catalog.isEmpty()).toBe(true);
        expect(await store.reports.counts()).toEqual({
          page_views: 0, impressions: 0, clicks: 0, conversions: 0, ledger_groups: 0, ledger_legs: 0, rejected_events: 0, event_keys: 0, vitals: 0,
        });
      });

      it('migrating again is a no-op that keeps the data', async () => {
        await seedCatalog();
        await write((tx) => tx.insertClick(click()));
        await store.migrate();
        expect(await store.catalog.isEmpty()).toBe(false);
        expect((await store.reports.counts()).clicks).toBe(1);
      });
    });

    // ================================================================ catalog

    describe('catalog', () => {
      it('round-trips an advertiser, keeps createdAt and moves updatedAt on update', async () => {
        const a = await store.catalog.createAdvertiser({ id: 'adv_shop', name: 'Shop', currency: 'EUR', s2sSecrets: ['one'] }, 'h1');
        expect(a).toEqual({ id: 'adv_shop', name: 'Shop', currency: 'EUR', s2sSecrets: ['one'], createdAt: T0, updatedAt: T0 });
        expect(await store.catalog.isEmpty()).toBe(false);
        now = T0 + 5000;
        const b = await store.catalog.updateAdvertiser('adv_shop', { name: 'Shop Inc', s2sSecrets: ['two', 'one'] });
        expect(b).toEqual({ id: 'adv_shop', name: 'Shop Inc', currency: 'EUR', s2sSecrets: ['two', 'one'], createdAt: T0, updatedAt: T0 + 5000 });
        expect(await store.catalog.getAdvertiser('adv_shop')).toEqual(b);
        await store.catalog.createAdvertiser({ id: 'adv_b', name: 'B', currency: 'USD', s2sSecrets: ['x'] }, 'h2');
        expect((await store.catalog.listAdvertisers()).map((x) => x.id)).toEqual(['adv_shop', 'adv_b']);
        expect(await store.catalog.getAdvertiser('adv_none')).toBeNull();
        expect(await store.catalog.updateAdvertiser('adv_none', { name: 'x' })).toBeNull();
      });

      it('round-trips a publisher and its revenue share', async () => {
        const p = await store.catalog.createPublisher({ id: 'pub_news', name: 'News', revShareBps: 6000 }, 'h1');
        expect(p).toEqual({ id: 'pub_news', name: 'News', revShareBps: 6000, createdAt: T0, updatedAt: T0 });
        now = T0 + 1;
        expect(await store.catalog.updatePublisher('pub_news', { revShareBps: 5500 })).toEqual({ ...p, revShareBps: 5500, updatedAt: T0 + 1 });
        expect(await store.catalog.listPublishers()).toHaveLength(1);
        expect(await store.catalog.getPublisher('pub_none')).toBeNull();
        expect(await store.catalog.updatePublisher('pub_none', { name: 'x' })).toBeNull();
      });

      it('finds who holds an API key by its hash, and forgets the old hash after a rotation', async () => {
        await store.catalog.createAdvertiser({ id: 'adv_shop', name: 'Shop', currency: 'EUR', s2sSecrets: ['s'] }, 'hash_a');
        await store.catalog.createPublisher({ id: 'pub_news', name: 'News', revShareBps: 7000 }, 'hash_p');
        expect(await store.catalog.principalByKeyHash('hash_a')).toEqual({ kind: 'advertiser', id: 'adv_shop' });
        expect(await store.catalog.principalByKeyHash('hash_p')).toEqual({ kind: 'publisher', id: 'pub_news' });
        expect(await store.catalog.principalByKeyHash('hash_unknown')).toBeNull();
        await store.catalog.setKeyHash({ kind: 'advertiser', id: 'adv_shop' }, 'hash_a2');
        await store.catalog.setKeyHash({ kind: 'publisher', id: 'pub_news' }, 'hash_p2');
        expect(await store.catalog.principalByKeyHash('hash_a')).toBeNull();
        expect(await store.catalog.principalByKeyHash('hash_p')).toBeNull();
        expect(await store.catalog.principalByKeyHash('hash_a2')).toEqual({ kind: 'advertiser', id: 'adv_shop' });
        expect(await store.catalog.principalByKeyHash('hash_p2')).toEqual({ kind: 'publisher', id: 'pub_news' });
      });

      it('round-trips sites and slots and lists them by owner, publisher and site', async () => {
        await seedCatalog();
        expect(await store.catalog.getSite('site_news')).toEqual({
          id: 'site_news', ownerType: 'publisher', ownerId: 'pub_news', name: 'News', origins: ['https://news.example'], createdAt: T0, updatedAt: T0,
        });
        now = T0 + 9;
        expect(await store.catalog.updateSite('site_shop', { origins: ['https://shop.example', 'https://www.shop.example'] })).toMatchObject({
          name: 'Shop', origins: ['https://shop.example', 'https://www.shop.example'], updatedAt: T0 + 9,
        });
        expect((await store.catalog.listSites({ ownerType: 'advertiser', ownerId: 'adv_shop' })).map((s) => s.id)).toEqual(['site_shop']);
        expect((await store.catalog.listSites()).map((s) => s.id).sort()).toEqual(['site_news', 'site_shop']);
        expect(await store.catalog.updateSite('site_none', { name: 'x' })).toBeNull();

        await store.catalog.createSite({ id: 'site_blog', ownerType: 'publisher', ownerId: 'pub_news', name: 'Blog', origins: [] });
        await store.catalog.createSlot({ id: 'slot_side', siteId: 'site_blog', publisherId: 'pub_news', name: 'Side', width: 160, height: 600, status: 'active' });
        expect(await store.catalog.getSlot('slot_top')).toEqual({
          id: 'slot_top', siteId: 'site_news', publisherId: 'pub_news', name: 'Top', width: 300, height: 250, status: 'active', createdAt: T0, updatedAt: T0,
        });
        expect((await store.catalog.listSlots({ publisherId: 'pub_news' })).map((s) => s.id)).toEqual(['slot_top', 'slot_side']);
        expect((await store.catalog.listSlots({ siteId: 'site_blog' })).map((s) => s.id)).toEqual(['slot_side']);
        expect((await store.catalog.listSlots({ publisherId: 'pub_other' })).map((s) => s.id)).toEqual([]);
        expect(await store.catalog.updateSlot('slot_side', { status: 'paused', width: 300, height: 600 })).toMatchObject({ status: 'paused', width: 300, height: 600 });
        expect(await store.catalog.updateSlot('slot_none', { status: 'paused' })).toBeNull();
      });

      it('keeps campaign money exact as bigint, also above 2^53', async () => {
        await seedCatalog();
        const t = terms({
          campaignId: 'cmp_big',
          cpcMicros: BIG,
          totalBudgetMicros: 2n ** 62n + 7n,
          dailyBudgetMicros: BIG + 2n,
          publisherDailyCapMicros: 1n,
          payout: { kind: 'fixed', micros: BIG - 2n },
          priority: -3,
        });
        const c = await store.catalog.createCampaign({
          id: 'cmp_big', advertiserId: 'adv_shop', name: 'Big', status: 'active', landingUrl: 'https://shop.example/', allowedHosts: ['cdn.shop.example'], terms: t,
        });
        expect(c).toEqual({
          id: 'cmp_big', advertiserId: 'adv_shop', name: 'Big', status: 'active', landingUrl: 'https://shop.example/', allowedHosts: ['cdn.shop.example'], terms: t, createdAt: T0, updatedAt: T0,
        });
        expect(typeof c.terms.cpcMicros).toBe('bigint');
        expect(await store.catalog.getTerms('cmp_big', 1)).toEqual(t);
        expect(await write((tx) => tx.terms('cmp_big', 1))).toEqual(t);
        expect(await write((tx) => tx.campaign('cmp_big'))).toEqual(c);
      });

      it('an update with terms creates version 2 and leaves version 1 readable and unchanged', async () => {
        const v1 = (await seedCatalog()).terms;
        now = T0 + 60_000;
        const { version: _v, ...rest } = v1;
        void _v;
        const updated = await store.catalog.updateCampaign('cmp_cpc', { terms: { ...rest, cpcMicros: 300_000n, totalBudgetMicros: 10_000_000n } });
        expect(updated!.terms).toEqual({ ...v1, version: 2, cpcMicros: 300_000n, totalBudgetMicros: 10_000_000n });
        expect(updated!.updatedAt).toBe(T0 + 60_000);
        expect(await store.catalog.getTerms('cmp_cpc', 1)).toEqual(v1);
        expect(await write((tx) => tx.terms('cmp_cpc', 1))).toEqual(v1);
        expect(await store.catalog.getTerms('cmp_cpc', 2)).toEqual(updated!.terms);
        expect(await store.catalog.getTerms('cmp_cpc', 3)).toBeNull();
        expect(await store.catalog.listTermsVersions('cmp_cpc')).toEqual([
          { ...v1, createdAt: T0 },
          { ...updated!.terms, createdAt: T0 + 60_000 },
        ]);

        // Other fields change without a new version.
        const renamed = await store.catalog.updateCampaign('cmp_cpc', { name: 'Renamed', status: 'paused', allowedHosts: ['a.example'] });
        expect(renamed).toMatchObject({ name: 'Renamed', status: 'paused', allowedHosts: ['a.example'], landingUrl: 'https://shop.example/landing' });
        expect(renamed!.terms.version).toBe(2);
        expect(await store.catalog.updateCampaign('cmp_none', { name: 'x' })).toBeNull();
      });

      it('terms updates at the same moment each get their own version, none lost', async () => {
        const v1 = (await seedCatalog()).terms;
        const { version: _v, ...rest } = v1;
        void _v;
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => store.catalog.updateCampaign('cmp_cpc', { terms: { ...rest, cpcMicros: BigInt(i + 1) } })),
        );
        // Each answer is the campaign as read after its own commit (maybe already a later version).
        expect(results.every((r) => r!.terms.version >= 2)).toBe(true);
        const versions = await store.catalog.listTermsVersions('cmp_cpc');
        expect(versions.map((t) => t.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect(versions.slice(1).map((t) => t.cpcMicros).sort()).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
        const { createdAt: _c, ...latest } = versions[6]!;
        void _c;
        expect((await store.catalog.getCampaign('cmp_cpc'))!.terms).toEqual(latest);
      });

      it('lists campaigns by advertiser and status', async () => {
        await seedCatalog();
        await store.catalog.createAdvertiser({ id: 'adv_b', name: 'B', currency: 'EUR', s2sSecrets: ['s'] }, 'hb');
        const base = { name: 'x', landingUrl: 'https://b.example/', allowedHosts: [] };
        now = T0 + 1; // listed by creation time, not by id
        await store.catalog.createCampaign({ ...base, id: 'cmp_b1', advertiserId: 'adv_b', status: 'paused', terms: terms({ campaignId: 'cmp_b1', advertiserId: 'adv_b' }) });
        now = T0 + 2;
        await store.catalog.createCampaign({ ...base, id: 'cmp_b2', advertiserId: 'adv_b', status: 'active', terms: terms({ campaignId: 'cmp_b2', advertiserId: 'adv_b' }) });
        expect((await store.catalog.listCampaigns()).map((c) => c.id)).toEqual(['cmp_cpc', 'cmp_b1', 'cmp_b2']);
        expect((await store.catalog.listCampaigns({ advertiserId: 'adv_b' })).map((c) => c.id)).toEqual(['cmp_b1', 'cmp_b2']);
        expect((await store.catalog.listCampaigns({ status: 'active' })).map((c) => c.id)).toEqual(['cmp_cpc', 'cmp_b2']);
        expect((await store.catalog.listCampaigns({ advertiserId: 'adv_b', status: 'paused' })).map((c) => c.id)).toEqual(['cmp_b1']);
        expect((await store.catalog.listCampaigns({ advertiserId: 'adv_b' }))[0]!.terms.advertiserId).toBe('adv_b');
      });

      it('tx.terms resolves a publisher-default payout to that publisher’s current share', async () => {
        await seedCatalog();
        await store.catalog.createPublisher({ id: 'pub_blog', name: 'Blog', revShareBps: 8000 }, 'hash_pub_blog');
        const share = terms({ campaignId: 'cmp_share', payout: { kind: 'share', bps: 7000 }, payoutFromPublisher: true });
        await store.catalog.createCampaign({ id: 'cmp_share', advertiserId: 'adv_shop', name: 'S', status: 'active', landingUrl: 'https://shop.example/', allowedHosts: [], terms: share });
        await write(async (tx) => {
          expect((await tx.terms('cmp_share', 1, 'pub_news'))!.payout).toEqual({ kind: 'share', bps: 6000 });
          expect((await tx.terms('cmp_share', 1, 'pub_blog'))!.payout).toEqual({ kind: 'share', bps: 8000 });
          expect(await tx.terms('cmp_share', 1)).toEqual(share);
          expect((await tx.terms('cmp_share', 1, 'pub_unknown'))!.payout).toEqual({ kind: 'share', bps: 7000 });
          // A campaign with a payout of its own keeps it.
          expect((await tx.terms('cmp_cpc', 1, 'pub_news'))!.payout).toEqual(DEFAULT_TERMS.payout);
          expect(await tx.terms('cmp_share', 2, 'pub_news')).toBeNull();
          expect(await tx.terms('cmp_none', 1, 'pub_news')).toBeNull();
        });
        await store.catalog.updatePublisher('pub_news', { revShareBps: 5000 });
        expect((await write((tx) => tx.terms('cmp_share', 1, 'pub_news')))!.payout).toEqual({ kind: 'share', bps: 5000 });
        // The catalog read is the stored version, unresolved.
        expect(await store.catalog.getTerms('cmp_share', 1)).toEqual(share);
      });

      it('round-trips creatives and lists them by campaign and advertiser', async () => {
        await seedCatalog();
        const cr = await store.catalog.createCreative({
          id: 'cr_1', campaignId: 'cmp_cpc', width: 300, height: 250, imageUrl: '/img/a.png', alt: 'A', landingUrl: 'https://shop.example/a', status: 'active',
        });
        expect(cr).toEqual({ id: 'cr_1', campaignId: 'cmp_cpc', width: 300, height: 250, imageUrl: '/img/a.png', alt: 'A', landingUrl: 'https://shop.example/a', status: 'active', createdAt: T0, updatedAt: T0 });
        expect(await write((tx) => tx.creative('cr_1'))).toEqual(cr);
        now = T0 + 3;
        expect(await store.catalog.updateCreative('cr_1', { status: 'paused', alt: 'B' })).toEqual({ ...cr, status: 'paused', alt: 'B', updatedAt: T0 + 3 });
        expect((await store.catalog.listCreatives({ campaignId: 'cmp_cpc' })).map((c) => c.id)).toEqual(['cr_1']);
        expect((await store.catalog.listCreatives({ advertiserId: 'adv_shop' })).map((c) => c.id)).toEqual(['cr_1']);
        expect(await store.catalog.listCreatives({ advertiserId: 'adv_other' })).toEqual([]);
        expect(await store.catalog.listCreatives()).toHaveLength(1);
        expect(await store.catalog.getCreative('cr_none')).toBeNull();
        expect(await store.catalog.updateCreative('cr_none', { alt: 'x' })).toBeNull();
      });

      it('puts a conversion action (an upsert that keeps createdAt) and reads it inside a write', async () => {
        await seedCatalog();
        const a = await store.catalog.putConversionAction({ advertiserId: 'adv_shop', key: 'signup', name: 'Signup', counting: 'one', model: 'last_click', clickWindowDays: 7, viewWindowDays: null });
        expect(a).toEqual({ advertiserId: 'adv_shop', key: 'signup', name: 'Signup', counting: 'one', model: 'last_click', clickWindowDays: 7, viewWindowDays: null, createdAt: T0, updatedAt: T0 });
        now = T0 + 10;
        const b = await store.catalog.putConversionAction({ advertiserId: 'adv_shop', key: 'signup', name: 'Sign-up', counting: 'every', model: 'first_click', clickWindowDays: null, viewWindowDays: 0 });
        expect(b).toEqual({ advertiserId: 'adv_shop', key: 'signup', name: 'Sign-up', counting: 'every', model: 'first_click', clickWindowDays: null, viewWindowDays: 0, createdAt: T0, updatedAt: T0 + 10 });
        expect(await write((tx) => tx.conversionAction('adv_shop', 'signup'))).toEqual(b);
        expect(await write((tx) => tx.conversionAction('adv_shop', 'purchase'))).toBeNull();
        expect(await store.catalog.listConversionActions('adv_shop')).toEqual([b]);
        expect(await store.catalog.listConversionActions('adv_other')).toEqual([]);
      });

      it('reads sites and campaigns inside a write transaction', async () => {
        const c = await seedCatalog();
        await write(async (tx) => {
          expect(await tx.site('site_shop')).toEqual(await store.catalog.getSite('site_shop'));
          expect(await tx.site('site_none')).toBeNull();
          expect(await tx.campaign('cmp_cpc')).toEqual(c);
          expect(await tx.campaign('cmp_none')).toBeNull();
          expect(await tx.creative('cr_none')).toBeNull();
        });
      });
    });

    // ================================================================ events

    describe('event keys', () => {
      it('records an event key once; a second put answers false and keeps the first', async () => {
        await write(async (tx) => {
          expect(await tx.eventKey('site_news', 'pv', 'e1')).toBeNull();
          expect(await tx.putEventKey('site_news', 'pv', 'e1', 'hash_1', '{"status":"accepted"}', T0)).toBe(true);
          expect(await tx.putEventKey('site_news', 'pv', 'e1', 'hash_2', '{"status":"other"}', T0 + 1)).toBe(false);
        });
        await write(async (tx) => {
          expect(await tx.putEventKey('site_news', 'pv', 'e1', 'hash_3', '{}', T0 + 2)).toBe(false);
          expect(await tx.eventKey('site_news', 'pv', 'e1')).toEqual({ payloadHash: 'hash_1', result: '{"status":"accepted"}' });
          // The key is (site, type, event_id): another type or site is another key.
          expect(await tx.putEventKey('site_news', 'cv', 'e1', 'h', '{}', T0)).toBe(true);
          expect(await tx.putEventKey('site_shop', 'pv', 'e1', 'h', '{}', T0)).toBe(true);
        });
        expect((await store.reports.counts()).event_keys).toBe(3);
      });
    });

    describe('impressions', () => {
      it('stores one impression per (decision, kind) and round-trips it', async () => {
        const served = impression({ costMicros: BIG, billing: 'charged', invalidReason: null });
        await write(async (tx) => {
          expect(await tx.insertImpression(served)).toBe(true);
          expect(await tx.insertImpression({ ...served, eventId: 'ev_again', at: T0 + 5 })).toBe(false);
          expect(await tx.insertImpression(impression({ kind: 'viewable', eventId: 'ev_vi', at: T0 + 1000 }))).toBe(true);
        });
        await write(async (tx) => {
          expect(await tx.impression('dec_1', 'served')).toEqual(served);
          expect((await tx.impression('dec_1', 'viewable'))!.eventId).toBe('ev_vi');
          expect(await tx.impression('dec_2', 'served')).toBeNull();
        });
        expect((await store.reports.counts()).impressions).toBe(2);
      });

      it('finds another served impression in the same page view and slot (ad stacking)', async () => {
        await write(async (tx) => {
          await tx.insertImpression(impression({ decisionId: 'd1' }));
          await tx.insertImpression(impression({ decisionId: 'd2' }));
          await tx.insertImpression(impression({ decisionId: 'd3', kind: 'viewable' }));
          await tx.insertImpression(impression({ decisionId: 'd4', slotId: 'slot_side' }));
          await tx.insertImpression(impression({ decisionId: 'd5', pageViewId: 'pv_2' }));
          expect(await tx.otherServedInPageSlot('pv_1', 'slot_top', 'd1')).toBe(true);
          expect(await tx.otherServedInPageSlot('pv_1', 'slot_top', 'd9')).toBe(true);
          expect(await tx.otherServedInPageSlot('pv_2', 'slot_top', 'd5')).toBe(false);
        });
      });

      it('answers the same when the page views’ slots were read ahead for the group (prefetch)', async () => {
        await write(async (tx) => {
          await tx.insertImpression(impression({ decisionId: 'd1' }));
          await tx.insertImpression(impression({ decisionId: 'd2' }));
        });
        await write(async (tx) => {
          await tx.prefetch?.({ eventKeys: [], impressions: ['d3:served'], pageSlots: [['pv_1', 'slot_top'], ['pv_2', 'slot_top']] });
          expect(await tx.otherServedInPageSlot('pv_1', 'slot_top', 'd3')).toBe(true);
          expect(await tx.otherServedInPageSlot('pv_1', 'slot_top', 'd1')).toBe(true);
          expect(await tx.otherServedInPageSlot('pv_2', 'slot_top', 'd6')).toBe(false);
          // Looked up absent, then stored in this transaction (kept until the seal where a store defers it).
          expect(await tx.impression('d3', 'served')).toBeNull();
          expect(await tx.insertImpression(impression({ decisionId: 'd3' }))).toBe(true);
          expect(await tx.otherServedInPageSlot('pv_1', 'slot_top', 'd9')).toBe(true);
          expect(await tx.otherServedInPageSlot('pv_1', 'slot_top', 'd3')).toBe(true);
          // A read of touches writes what the transaction holds: the answers must not lose it.
          await tx.touchesFor('adv_shop', [], 'src_none', 0);
          expect(await tx.otherServedInPageSlot('pv_1', 'slot_top', 'd9')).toBe(true);
          // Stored at once (never looked up first): counted too.
          expect(await tx.insertImpression(impression({ decisionId: 'd4' }))).toBe(true);
          expect(await tx.otherServedInPageSlot('pv_1', 'slot_top', 'd9')).toBe(true);
          expect(await tx.otherServedInPageSlot('pv_2', 'slot_top', 'd6')).toBe(false);
        });
        await write(async (tx) => expect(await tx.otherServedInPageSlot('pv_1', 'slot_top', 'd9')).toBe(true));
      });

      it('answers for each of a pile of impressions in one page view, read ahead or not (the page view ID is the visitor’s)', async () => {
        // A slot with a single served impression answers "no other" for that decision only.
        await write(async (tx) => void (await tx.insertImpression(impression({ decisionId: 'solo', pageViewId: 'pv_solo' }))));
        const ids = Array.from({ length: 40 }, (_, n) => `p${String(n).padStart(2, '0')}`);
        await write(async (tx) => {
          for (const d of ids.slice(0, 30)) await tx.insertImpression(impression({ decisionId: d, pageViewId: 'pv_pile' }));
        });
        for (const ahead of [false, true]) {
          await write(async (tx) => {
            if (ahead) await tx.prefetch?.({ eventKeys: [], impressions: [], pageSlots: [['pv_pile', 'slot_top'], ['pv_solo', 'slot_top']] });
            expect(await tx.otherServedInPageSlot('pv_solo', 'slot_top', 'solo')).toBe(false);
            expect(await tx.otherServedInPageSlot('pv_solo', 'slot_top', 'new')).toBe(true);
            // Every stored decision of the pile, the first and last ones read too, sees another.
            for (const d of [...ids.slice(0, 30), 'new']) expect(await tx.otherServedInPageSlot('pv_pile', 'slot_top', d)).toBe(true);
          });
        }
        // Piled within one transaction, before anything is written: the same answers.
        await write(async (tx) => {
          await tx.prefetch?.({ eventKeys: [], impressions: [], pageSlots: [['pv_new', 'slot_top']] });
          expect(await tx.otherServedInPageSlot('pv_new', 'slot_top', 'p30')).toBe(false);
          await tx.insertImpression(impression({ decisionId: 'p30', pageViewId: 'pv_new' }));
          expect(await tx.otherServedInPageSlot('pv_new', 'slot_top', 'p30')).toBe(false);
          for (const d of ids.slice(31)) await tx.insertImpression(impression({ decisionId: d, pageViewId: 'pv_new' }));
          for (const d of ids.slice(30)) expect(await tx.otherServedInPageSlot('pv_new', 'slot_top', d)).toBe(true);
        });
      });
    });

    describe('clicks', () => {
      it('round-trips a click; a second click with the same ID is refused', async () => {
        const c = click({ costMicros: BIG, via: 'beacon', pageViewId: null, invalidReason: null });
        await write((tx) => tx.insertClick(c));
        expect(await write((tx) => tx.click('clk_1'))).toEqual(c);
        expect(await write((tx) => tx.click('clk_none'))).toBeNull();
        await expect(write((tx) => tx.insertClick({ ...c, decisionId: 'dec_2' }))).rejects.toThrow();
        expect(await write((tx) => tx.click('clk_1'))).toEqual(c);
      });

      it('finds the latest valid click on the decision or from the source on the campaign since a time', async () => {
        await write(async (tx) => {
          // Windows run on receive time (a click beacon may claim any older `at`).
          const when = (t: number) => ({ receivedAt: t, at: t - 7 * DAY });
          await tx.insertClick(click({ clickId: 'k_old', decisionId: 'd0', ...when(T0 - 30_001) }));
          await tx.insertClick(click({ clickId: 'k_src', decisionId: 'd1', ...when(T0 - 30_000) }));
          await tx.insertClick(click({ clickId: 'k_dec', decisionId: 'd2', sourceKey: 'src_b', ...when(T0 - 20_000) }));
          await tx.insertClick(click({ clickId: 'k_bad', decisionId: 'd3', ...when(T0 - 1), invalidReason: 'declared_bot' }));
          await tx.insertClick(click({ clickId: 'k_dup', decisionId: 'd1', ...when(T0 - 2), duplicateOf: 'k_src' }));
          await tx.insertClick(click({ clickId: 'k_other', decisionId: 'd4', campaignId: 'cmp_b', ...when(T0 - 3) }));
        });
        await write(async (tx) => {
          const since = T0 - 30_000;
          // By source: k_src (at exactly `since`, inclusive); invalid, duplicate and other-campaign clicks never count.
          expect((await tx.recentClick('cmp_a', 'd9', 'src_a', since))!.clickId).toBe('k_src');
          // By decision: k_dec from another source, the most recent.
          expect((await tx.recentClick('cmp_a', 'd2', 'src_a', since))!.clickId).toBe('k_dec');
          expect(await tx.recentClick('cmp_a', 'd9', 'src_a', since + 1)).toBeNull();
          expect(await tx.recentClick('cmp_a', 'd9', 'src_c', T0 - DAY)).toBeNull();
          expect((await tx.recentClick('cmp_b', 'd9', 'src_a', since))!.clickId).toBe('k_other');
        });
      });

      it('counts every click received from a source since a time (floods), invalid ones included', async () => {
        await write(async (tx) => {
          for (let i = 0; i < 4; i++) await tx.insertClick(click({ clickId: `k${i}`, receivedAt: T0 - 60_000 + i, invalidReason: i === 3 ? 'click_flood' : null }));
          await tx.insertClick(click({ clickId: 'k_b', sourceKey: 'src_b' }));
          expect(await tx.countClicksFromSource('src_a', T0 - 60_000, 100)).toBe(4);
          expect(await tx.countClicksFromSource('src_a', T0 - 59_999, 100)).toBe(3);
          expect(await tx.countClicksFromSource('src_b', T0 - 60_000, 100)).toBe(1);
          expect(await tx.countClicksFromSource('src_c', 0, 100)).toBe(0);
        });
      });

      it('counts clicks by receive time, not by the time a click beacon claims', async () => {
        await write(async (tx) => {
          for (let i = 0; i < 3; i++) await tx.insertClick(click({ clickId: `old${i}`, at: T0 - 5 * DAY, receivedAt: T0 }));
          expect(await tx.countClicksFromSource('src_a', T0 - 60_000, 100)).toBe(3);
          expect(await tx.countClicksFromIp('ip_a', T0 - 60_000, 100)).toBe(3);
        });
      });

      it('counts clicks from one IP across every user agent, and stops counting at the bound', async () => {
        await write(async (tx) => {
          for (let i = 0; i < 6; i++) await tx.insertClick(click({ clickId: `u${i}`, sourceKey: `src_ua${i}`, ipKey: 'ip_x' }));
          await tx.insertClick(click({ clickId: 'other_ip', sourceKey: 'src_ua0', ipKey: 'ip_y' }));
          expect(await tx.countClicksFromIp('ip_x', T0 - 1, 100)).toBe(6);
          expect(await tx.countClicksFromIp('ip_x', T0 - 1, 4)).toBe(4);
          expect(await tx.countClicksFromIp('ip_y', T0 - 1, 100)).toBe(1);
          expect(await tx.countClicksFromSource('src_ua0', T0 - 1, 1)).toBe(1);
        });
      });

      it('flags a click invalid later, so it no longer counts as a recent valid click', async () => {
        await write((tx) => tx.insertClick(click()));
        await write((tx) => tx.markClickInvalid('clk_1', 'found_later'));
        await write(async (tx) => {
          expect((await tx.click('clk_1'))!.invalidReason).toBe('found_later');
          expect(await tx.recentClick('cmp_a', 'dec_1', 'src_a', 0)).toBeNull();
        });
      });
    });

    describe('conversions', () => {
      it('round-trips a conversion and finds it by id, order and event', async () => {
        const c = conversion({ valueMicros: BIG, costMicros: BIG + 2n });
        await write((tx) => tx.insertConversion(c));
        await write(async (tx) => {
          expect(await tx.conversion('cv_1')).toEqual(c);
          expect(await tx.conversionByOrder('adv_shop', 'purchase', 'A-1')).toEqual(c);
          expect(await tx.conversionByEvent('adv_shop', 'ev_cv_1')).toEqual(c);
          expect(await tx.conversion('cv_none')).toBeNull();
          expect(await tx.conversionByOrder('adv_shop', 'signup', 'A-1')).toBeNull();
          expect(await tx.conversionByOrder('adv_other', 'purchase', 'A-1')).toBeNull();
          expect(await tx.conversionByEvent('adv_other', 'ev_cv_1')).toBeNull();
        });
        expect(await store.reports.conversion('cv_1')).toEqual(c);
      });

      it('keeps a conversion with no attribution and no order (nulls round-trip)', async () => {
        const c = conversion({
          orderId: null, siteId: null, sourceKey: null, currency: null, campaignId: null, publisherId: null, creativeId: null, slotId: null,
          touchId: null, touchKind: null, termsVersion: null, status: 'unattributed', statusReason: 'no_touch', costMicros: 0n, valueMicros: 0n,
          clickIds: [], otherClickIds: {}, utm: {}, decision: null, origin: 's2s',
        });
        await write(async (tx) => {
          await tx.insertConversion(c);
          // Orders are unique only when there is one: two conversions without an order are two.
          await tx.insertConversion({ ...c, id: 'cv_2', eventId: 'ev_cv_2' });
        });
        expect(await write((tx) => tx.conversion('cv_1'))).toEqual(c);
        expect((await store.reports.counts()).conversions).toBe(2);
      });

      it('is unique per (advertiser, action, order): a second insert throws and its whole write rolls back', async () => {
        await write((tx) => tx.insertConversion(conversion()));
        await expect(
          write(async (tx) => {
            await tx.putEventKey('site_shop', 'cv', 'ev_cv_2', 'h2', '{}', T0);
            await tx.insertClick(click({ clickId: 'clk_in_same_write' }));
            await tx.insertConversion(conversion({ id: 'cv_2', eventId: 'ev_cv_2', valueMicros: 1n }));
          }),
        ).rejects.toThrow();
        await write(async (tx) => {
          expect(await tx.eventKey('site_shop', 'cv', 'ev_cv_2')).toBeNull();
          expect(await tx.click('clk_in_same_write')).toBeNull();
          expect(await tx.conversion('cv_2')).toBeNull();
          expect((await tx.conversionByOrder('adv_shop', 'purchase', 'A-1'))!.valueMicros).toBe(49_900_000n);
          // The same order under another action or advertiser is another conversion.
          await tx.insertConversion(conversion({ id: 'cv_3', eventId: 'ev_3', actionKey: 'signup' }));
          await tx.insertConversion(conversion({ id: 'cv_4', eventId: 'ev_4', advertiserId: 'adv_other' }));
        });
        expect((await store.reports.counts()).conversions).toBe(3);
      });

      it('answers the same when the group\'s conversions and clicks were read ahead (prefetch), and sees what the transaction writes after', async () => {
        await write(async (tx) => {
          await tx.insertConversion(conversion({ id: 'cv_old', eventId: 'ev_same', orderId: 'A-old', receivedAt: T0 }));
          await tx.insertConversion(conversion({ id: 'cv_later', eventId: 'ev_same', orderId: 'A-later', receivedAt: T0 + 5, siteId: 'site_shop2' }));
          await tx.insertClick(click({ clickId: 'k_known' }));
        });
        await write(async (tx) => {
          await tx.prefetch?.({
            eventKeys: [], impressions: [],
            conversions: [
              ['adv_shop', 'purchase', 'A-old', 'ev_same', ['k_known', 'k_new']],
              ['adv_shop', 'purchase', 'A-new', 'ev_new', ['k_gone']],
              ['adv_shop', 'purchase', null, 'ev_late', []],
            ],
          });
          // Stored rows, as the lookups read them: the first conversion received of an event ID.
          const got = (await tx.conversionByOrder('adv_shop', 'purchase', 'A-old'))!;
          expect(got.id).toBe('cv_old');
          got.status = 'reversed'; // a caller's change to what it was given is not the stored row
          expect((await tx.conversionByOrder('adv_shop', 'purchase', 'A-old'))?.status).toBe('approved');
          const byEvent = (await tx.conversionByEvent('adv_shop', 'ev_same'))!;
          byEvent.status = 'reversed';
          expect((await tx.conversionByEvent('adv_shop', 'ev_same'))?.status).toBe('approved');
          expect((await tx.conversionByOrder('adv_shop', 'purchase', 'A-later'))?.id).toBe('cv_later'); // not read ahead
          expect((await tx.conversionByEvent('adv_shop', 'ev_same'))?.id).toBe('cv_old');
          expect(await tx.conversionByOrder('adv_shop', 'purchase', 'A-new')).toBeNull();
          expect(await tx.conversionByEvent('adv_shop', 'ev_new')).toBeNull();
          expect(await tx.conversionByOrder('adv_shop', 'signup', 'A-old')).toBeNull(); // another action's order is another key
          expect((await tx.click('k_known'))?.clickId).toBe('k_known');
          expect(await tx.click('k_new')).toBeNull();
          // Written in this transaction after the read-ahead: every lookup sees it.
          await tx.insertConversion(conversion({ id: 'cv_new', eventId: 'ev_new', orderId: 'A-new', status: 'pending' }));
          expect((await tx.conversionByOrder('adv_shop', 'purchase', 'A-new'))?.id).toBe('cv_new');
          expect((await tx.conversionByEvent('adv_shop', 'ev_new'))?.id).toBe('cv_new');
          await tx.insertConversion(conversion({ id: 'cv_late', eventId: 'ev_late', orderId: null, status: 'unattributed' }));
          await tx.updateConversion(conversion({ id: 'cv_late', eventId: 'ev_late', orderId: 'A-late', status: 'approved' })); // the order a merge brings
          expect((await tx.conversionByOrder('adv_shop', 'purchase', 'A-late'))?.status).toBe('approved');
          expect((await tx.conversionByEvent('adv_shop', 'ev_late'))?.status).toBe('approved');
          await tx.updateConversion(conversion({ id: 'cv_old', eventId: 'ev_same', orderId: 'A-old', status: 'reversed' }));
          expect((await tx.conversionByOrder('adv_shop', 'purchase', 'A-old'))?.status).toBe('reversed');
          expect((await tx.conversionByEvent('adv_shop', 'ev_same'))?.status).toBe('reversed');
          await tx.insertClick(click({ clickId: 'k_new', decisionId: 'dec_new' }));
          expect((await tx.click('k_new'))?.decisionId).toBe('dec_new');
          await tx.markClickInvalid('k_known', 'click_flood');
          expect((await tx.click('k_known'))?.invalidReason).toBe('click_flood');
          const touches = await tx.touchesFor('adv_shop', ['k_known', 'k_new', 'k_gone'], null, 0);
          expect(touches.map((t) => [t.id, t.invalidReason])).toEqual([['k_known', 'click_flood'], ['k_new', null]]);
        });
      });

      it('sees the conversions its own transaction wrote, by every lookup, before and after other reads of the table', async () => {
        await write((tx) => tx.insertConversion(conversion({ id: 'cv_s', eventId: 'e_s', orderId: 'o_s', touchId: 't1', receivedAt: T0 + 10, valueMicros: 10n })));
        await write(async (tx) => {
          await tx.prefetch?.({ eventKeys: [], impressions: [], conversions: [['adv_shop', 'purchase', 'o_p1', 'e_p1', ['t1']], ['adv_shop', 'purchase', 'o_p2', 'e_p2', ['t2']]] });
          await tx.insertConversion(conversion({ id: 'cv_p1', eventId: 'e_p1', orderId: 'o_p1', touchId: 't1', receivedAt: T0 + 5, valueMicros: 20n }));
          expect((await tx.conversion('cv_p1'))?.orderId).toBe('o_p1');
          expect((await tx.conversionByOrder('adv_shop', 'purchase', 'o_p1'))?.id).toBe('cv_p1');
          expect((await tx.conversionByEvent('adv_shop', 'e_p1'))?.id).toBe('cv_p1');
          // Received before the stored one: it is the touch's first counted conversion now.
          expect(Object.fromEntries(await tx.countedConversions(['t1'], 'purchase', 'cv_new'))).toEqual({ t1: 'cv_p1' });
          expect(Object.fromEntries(await tx.countedConversions(['t1'], 'purchase', 'cv_p1'))).toEqual({ t1: 'cv_s' });
          await tx.insertConversion(conversion({ id: 'cv_p2', eventId: 'e_s', orderId: 'o_p2', touchId: 't2', receivedAt: T0 + 10, valueMicros: 30n }));
          // The same event ID as a stored conversion received at the same time: the stored one is first.
          expect((await tx.conversionByEvent('adv_shop', 'e_s'))?.id).toBe('cv_s');
          await tx.updateConversion(conversion({ id: 'cv_p1', eventId: 'e_p1', orderId: 'o_p1', touchId: 't1', receivedAt: T0 + 5, valueMicros: 20n, status: 'reversed' }));
          expect((await tx.conversion('cv_p1'))?.status).toBe('reversed');
          expect(Object.fromEntries(await tx.countedConversions(['t1'], 'purchase', 'cv_new'))).toEqual({ t1: 'cv_s' }); // reversed no longer counts
          expect((await tx.conversionsWonBy('t1')).map((c) => c.id)).toEqual(['cv_s']);
          expect((await tx.conversionsWonBy('t2')).map((c) => c.id)).toEqual(['cv_p2']);
          // After a read that wrote them, more are held again and still seen.
          await tx.insertConversion(conversion({ id: 'cv_p3', eventId: 'e_p3', orderId: 'o_p3', touchId: 't1', receivedAt: T0 + 1, valueMicros: 5n }));
          await tx.insertConversion(conversion({ id: 'cv_p4', eventId: 'e_p4', orderId: 'o_p4', touchId: 't2', receivedAt: T0 + 10, valueMicros: 7n }));
          // cv_p4 ties with cv_p2, now stored: the stored one is first.
          expect(Object.fromEntries(await tx.countedConversions(['t1', 't2', 't3'], 'purchase', 'cv_new'))).toEqual({ t1: 'cv_p3', t2: 'cv_p2' });
          expect((await tx.recentValues('adv_shop', 'purchase', 10)).totalMicros).toBe(52n); // 10 + 30 + 5 + 7: the reversed one is not a recent value
          expect((await tx.conversionByOrder('adv_shop', 'purchase', 'o_p2'))?.id).toBe('cv_p2');
        });
        expect((await store.reports.counts()).conversions).toBe(5);
        expect((await write((tx) => tx.conversion('cv_p1')))?.status).toBe('reversed');
      });

      it('answers the first counted conversion of a touch read ahead, leaving out the one asked about and one changed since', async () => {
        await write(async (tx) => {
          await tx.insertConversion(conversion({ id: 'cv_a', eventId: 'e_a', orderId: 'o_a', touchId: 't9', receivedAt: T0 + 1 }));
          await tx.insertConversion(conversion({ id: 'cv_b', eventId: 'e_b', orderId: 'o_b', touchId: 't9', receivedAt: T0 + 2 }));
          await tx.insertConversion(conversion({ id: 'cv_c', eventId: 'e_c', orderId: 'o_c', touchId: 't9', receivedAt: T0 + 3 }));
        });
        await write(async (tx) => {
          await tx.prefetch?.({ eventKeys: [], impressions: [], conversions: [['adv_shop', 'purchase', 'o_new', 'e_new', ['t9']]] });
          expect(Object.fromEntries(await tx.countedConversions(['t9'], 'purchase', 'cv_new'))).toEqual({ t9: 'cv_a' });
          expect(Object.fromEntries(await tx.countedConversions(['t9'], 'purchase', 'cv_a'))).toEqual({ t9: 'cv_b' }); // cv_a re-attributed: not its own
          await tx.updateConversion(conversion({ id: 'cv_a', eventId: 'e_a', orderId: 'o_a', touchId: 't9', receivedAt: T0 + 1, status: 'reversed' }));
          await tx.updateConversion(conversion({ id: 'cv_b', eventId: 'e_b', orderId: 'o_b', touchId: 't8', receivedAt: T0 + 2 }));
          expect(Object.fromEntries(await tx.countedConversions(['t9'], 'purchase', 'cv_new'))).toEqual({ t9: 'cv_c' });
        });
      });

      it('refuses, at the latest when its transaction ends, a second conversion of an order stored before — the whole write rolls back', async () => {
        await write((tx) => tx.insertConversion(conversion()));
        await expect(
          write(async (tx) => {
            await tx.prefetch?.({ eventKeys: [], impressions: [], conversions: [['adv_shop', 'purchase', 'A-2', 'ev_x', []]] });
            await tx.insertConversion(conversion({ id: 'cv_x', eventId: 'ev_x', orderId: 'A-2' }));
            await tx.insertConversion(conversion({ id: 'cv_dup', eventId: 'ev_dup' })); // order A-1 again: not looked up first
          }),
        ).rejects.toThrow();
        expect((await store.reports.counts()).conversions).toBe(1);
      });

      it('updates every field of a conversion but its id', async () => {
        await write((tx) => tx.insertConversion(conversion()));
        const changed = conversion({
          origin: 'both', clickIds: ['clk_1', 'clk_2'], otherClickIds: { fbclid: 'f' }, utm: { utm_source: 'ads', utm_medium: 'cpc' }, valueMicros: BIG, status: 'restated', statusReason: 'signed postback value',
          costMicros: 7_500_000n, restatements: 2, updatedAt: T0 + 99, decision: { outcome: 'attributed', reason: 'changed', candidates: [], history: [{ at: T0 + 99, action: 'approved', reason: null, netCostMicros: '7500000', valueMicros: '1' }] }, siteId: 'site_shop2',
        });
        await write((tx) => tx.updateConversion(changed));
        expect(await write((tx) => tx.conversion('cv_1'))).toEqual(changed);
      });
    });

    describe('touches', () => {
      it('finds clicks by ID and viewable impressions of the advertiser from the source within the window', async () => {
        await write(async (tx) => {
          await tx.insertClick(click({ clickId: 'k_ok', decisionId: 'd1', at: T0 - 5000 }));
          await tx.insertClick(click({ clickId: 'k_dup', decisionId: 'd1', at: T0 - 4000, duplicateOf: 'k_ok', billing: 'not_billable', costMicros: 0n }));
          await tx.insertClick(click({ clickId: 'k_bot', decisionId: 'd2', at: T0 - 3000, invalidReason: 'declared_bot' }));
          await tx.insertImpression(impression({ decisionId: 'v_edge', kind: 'viewable', at: T0 - DAY }));
          await tx.insertImpression(impression({ decisionId: 'v_old', kind: 'viewable', at: T0 - DAY - 1 }));
          await tx.insertImpression(impression({ decisionId: 'v_new', kind: 'viewable', at: T0 - 10, campaignId: 'cmp_b', termsVersion: 3, invalidReason: 'prefetch' }));
          await tx.insertImpression(impression({ decisionId: 'v_served', kind: 'served', at: T0 - 10 }));
          await tx.insertImpression(impression({ decisionId: 'v_src', kind: 'viewable', at: T0 - 10, sourceKey: 'src_b' }));
          await tx.insertImpression(impression({ decisionId: 'v_adv', kind: 'viewable', at: T0 - 10, advertiserId: 'adv_other' }));
        });
        const touches = await write((tx) => tx.touchesFor('adv_shop', ['k_ok', 'k_dup', 'k_bot', 'k_missing'], 'src_a', T0 - DAY));
        const base = { advertiserId: 'adv_shop', publisherId: 'pub_news', creativeId: 'cr_a', slotId: 'slot_top' };
        expect(touches).toEqual([
          { ...base, id: 'k_ok', kind: 'click', at: T0 - 5000, campaignId: 'cmp_a', termsVersion: 1, invalidReason: null },
          { ...base, id: 'k_dup', kind: 'click', at: T0 - 4000, campaignId: 'cmp_a', termsVersion: 1, invalidReason: 'duplicate_click:k_ok' },
          { ...base, id: 'k_bot', kind: 'click', at: T0 - 3000, campaignId: 'cmp_a', termsVersion: 1, invalidReason: 'declared_bot' },
          { ...base, id: 'v_new:viewable', kind: 'view', at: T0 - 10, campaignId: 'cmp_b', termsVersion: 3, invalidReason: 'prefetch' },
          { ...base, id: 'v_edge:viewable', kind: 'view', at: T0 - DAY, campaignId: 'cmp_a', termsVersion: 1, invalidReason: null },
        ]);
        // Without a source (cookieless, S2S) only the click IDs can be touches.
        expect((await write((tx) => tx.touchesFor('adv_shop', ['k_ok'], null, 0))).map((t) => t.id)).toEqual(['k_ok']);
      });

      it('maps touches to the conversion of the same action already counted on them', async () => {
        await write(async (tx) => {
          const on = (id: string, touchId: string, status: ConversionRecord['status'], actionKey = 'purchase') =>
            tx.insertConversion(conversion({ id, eventId: `e_${id}`, orderId: `o_${id}`, touchId, status, actionKey }));
          await on('cv_a', 't1', 'approved');
          await on('cv_b', 't2', 'pending');
          await on('cv_c', 't3', 'rejected');
          await on('cv_d', 't3', 'approved', 'signup');
          await on('cv_e', 't4', 'restated');
          await on('cv_f', 't5', 'reversed');
          await on('cv_g', 't5', 'unattributed');
        });
        await write(async (tx) => {
          const all = ['t1', 't2', 't3', 't4', 't5', 't6'];
          expect(Object.fromEntries(await tx.countedConversions(all, 'purchase', 'cv_new'))).toEqual({ t1: 'cv_a', t2: 'cv_b', t4: 'cv_e' });
          expect(Object.fromEntries(await tx.countedConversions(all, 'purchase', 'cv_a'))).toEqual({ t2: 'cv_b', t4: 'cv_e' });
          expect(Object.fromEntries(await tx.countedConversions(all, 'signup', 'cv_new'))).toEqual({ t3: 'cv_d' });
          expect((await tx.countedConversions([], 'purchase', 'x')).size).toBe(0);
        });
      });

      it('names the first counted conversion of a touch that has piled up many, in the order they were received', async () => {
        // 40 on one touch, inserted out of time order; the earliest ones do not count (rejected,
        // reversed) or are of another action — the first one that counts is cv_p17.
        const order = Array.from({ length: 40 }, (_, n) => (n * 17) % 40);
        await write(async (tx) => {
          for (const n of order) {
            const status: ConversionRecord['status'] = n < 5 ? (n % 2 ? 'rejected' : 'reversed') : n < 8 ? 'approved' : n % 3 ? 'pending' : 'disputed';
            await tx.insertConversion(conversion({ id: `cv_p${n + 10}`, eventId: `e_p${n}`, orderId: `o_p${n}`, touchId: 't_pile', status, actionKey: n >= 5 && n < 7 ? 'signup' : 'purchase', receivedAt: T0 + n }));
          }
        });
        await write(async (tx) => {
          expect(Object.fromEntries(await tx.countedConversions(['t_pile', 't_none', 't_pile'], 'purchase', 'cv_new'))).toEqual({ t_pile: 'cv_p17' });
          expect(Object.fromEntries(await tx.countedConversions(['t_pile'], 'purchase', 'cv_p17'))).toEqual({ t_pile: 'cv_p18' });
          expect(Object.fromEntries(await tx.countedConversions(['t_pile'], 'signup', 'cv_new'))).toEqual({ t_pile: 'cv_p15' });
        });
      });

      it('lists the conversions a touch won that still count, of every action, oldest first', async () => {
        await write(async (tx) => {
          const on = (id: string, touchId: string, status: ConversionRecord['status'], receivedAt: number, actionKey = 'purchase') =>
            tx.insertConversion(conversion({ id, eventId: `e_${id}`, orderId: `o_${id}`, touchId, status, actionKey, receivedAt }));
          await on('cv_late', 'k1', 'restated', T0 + 30);
          await on('cv_early', 'k1', 'approved', T0 + 10);
          await on('cv_held', 'k1', 'pending', T0 + 20, 'signup');
          await on('cv_gone', 'k1', 'reversed', T0 + 5);
          await on('cv_no', 'k1', 'rejected', T0 + 6);
          await on('cv_other', 'k2', 'approved', T0 + 1);
        });
        await write(async (tx) => {
          expect((await tx.conversionsWonBy('k1')).map((c) => [c.id, c.status])).toEqual([
            ['cv_early', 'approved'],
            ['cv_held', 'pending'],
            ['cv_late', 'restated'],
          ]);
          expect(await tx.conversionsWonBy('k_none')).toEqual([]);
        });
      });
    });

    // ================================================================ money

    describe('spend and CPM totals', () => {
      it('adds spend to the total, the day and the publisher-day, and reads each back', async () => {
        await write(async (tx) => {
          expect(await tx.spend('cmp_a', 'pub_news', DAY1)).toEqual({ totalMicros: 0n, dayMicros: 0n, publisherDayMicros: 0n });
          await tx.addSpend('cmp_a', 'pub_news', DAY1, 300n);
          await tx.addSpend('cmp_a', 'pub_blog', DAY1, 200n);
          await tx.addSpend('cmp_a', 'pub_news', DAY2, 50n);
          await tx.addSpend('cmp_b', 'pub_news', DAY1, 7n);
        });
        await write(async (tx) => {
          expect(await tx.spend('cmp_a', 'pub_news', DAY1)).toEqual({ totalMicros: 550n, dayMicros: 500n, publisherDayMicros: 300n });
          expect(await tx.spend('cmp_a', 'pub_blog', DAY2)).toEqual({ totalMicros: 550n, dayMicros: 50n, publisherDayMicros: 0n });
          expect(await tx.spend('cmp_c', 'pub_news', DAY1)).toEqual({ totalMicros: 0n, dayMicros: 0n, publisherDayMicros: 0n });
          // A reversal gives budget back.
          await tx.addSpend('cmp_a', 'pub_news', DAY1, -100n);
          expect(await tx.spend('cmp_a', 'pub_news', DAY1)).toEqual({ totalMicros: 450n, dayMicros: 400n, publisherDayMicros: 200n });
        });
        const day1 = await store.reports.campaignSpend(DAY1);
        expect(day1.get('cmp_a')).toEqual({ totalMicros: 450n, dayMicros: 400n });
        expect(day1.get('cmp_b')).toEqual({ totalMicros: 7n, dayMicros: 7n });
        // Reading a campaign's spend may leave zero rows behind (something to lock on); they report as zero.
        expect(day1.get('cmp_c') ?? { totalMicros: 0n, dayMicros: 0n }).toEqual({ totalMicros: 0n, dayMicros: 0n });
        expect((await store.reports.campaignSpend(DAY2)).get('cmp_a')).toEqual({ totalMicros: 450n, dayMicros: 50n });
        // Per publisher on a day (per-publisher caps when serving).
        const byPublisher = await store.reports.publisherSpend(DAY1);
        expect(byPublisher.get('cmp_a')?.get('pub_news')).toBe(200n);
        expect(byPublisher.get('cmp_a')?.get('pub_blog')).toBe(200n);
        expect(byPublisher.get('cmp_b')?.get('pub_news')).toBe(7n);
        expect((await store.reports.publisherSpend(DAY2)).get('cmp_a')?.get('pub_news')).toBe(50n);
      });

      it('keeps CPM running totals per campaign and terms version', async () => {
        await write(async (tx) => {
          expect(await tx.cpmTotals('cmp_a', 1)).toEqual({ billableCount: 0n, chargedMicros: 0n });
          await tx.setCpmTotals('cmp_a', 1, { billableCount: 3n, chargedMicros: 7n });
          await tx.setCpmTotals('cmp_a', 1, { billableCount: 4n, chargedMicros: 9n });
          await tx.setCpmTotals('cmp_a', 2, { billableCount: BIG, chargedMicros: BIG * 2n });
        });
        await write(async (tx) => {
          expect(await tx.cpmTotals('cmp_a', 1)).toEqual({ billableCount: 4n, chargedMicros: 9n });
          expect(await tx.cpmTotals('cmp_a', 2)).toEqual({ billableCount: BIG, chargedMicros: BIG * 2n });
          expect(await tx.cpmTotals('cmp_b', 1)).toEqual({ billableCount: 0n, chargedMicros: 0n });
        });
      });

      it('never overspends a budget under concurrent check-and-debit writes', async () => {
        const price = 300_000n;
        const budget = price * 7n + 123n; // room for exactly 7 charges
        const t = terms({ campaignId: 'cmp_a', cpcMicros: price, totalBudgetMicros: budget });
        const charged = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            write(async (tx) => {
              const spend = await tx.spend('cmp_a', 'pub_news', DAY1);
              await sleep(1); // keep the transaction open so that, without a lock, others would read the same spend
              const s = settleClick(t, { invalidReason: null, duplicateOf: null }, spend, `click:k${i}`, meta({ refId: `k${i}` }));
              if (!s.group) return false;
              expect(await tx.postGroup(s.group, T0)).toBe(true);
              await tx.addSpend('cmp_a', 'pub_news', DAY1, s.split!.costMicros);
              return true;
            }),
          ),
        );
        expect(charged.filter(Boolean)).toHaveLength(7);
        expect(await write((tx) => tx.spend('cmp_a', 'pub_news', DAY1))).toEqual({ totalMicros: price * 7n, dayMicros: price * 7n, publisherDayMicros: price * 7n });
        expect(await store.reports.ledgerTotals()).toEqual({ debits: price * 7n, credits: price * 7n, groups: 7 });
      });
    });

    describe('ledger', () => {
      it('posts a group once per key: a second post answers false and writes nothing', async () => {
        const g = charge('click:clk_1', 1_000_000n);
        await write(async (tx) => {
          expect(await tx.postGroup(g, T0 + 1)).toBe(true);
          expect(await tx.postGroup(g, T0 + 2)).toBe(false);
        });
        // Even with other legs and in another transaction, the key wins.
        expect(await write((tx) => tx.postGroup(charge('click:clk_1', 9_999n), T0 + 3))).toBe(false);
        expect(await store.reports.counts()).toMatchObject({ ledger_groups: 1, ledger_legs: 3 });
        const [posted] = (await write((tx) => tx.groupsFor('click', 'clk_1'))).map(sorted);
        expect(posted).toEqual({ ...sorted(g), id: posted!.id, postedAt: T0 + 1 });
        expect(posted!.legs).toEqual([
          { account: 'advertiser:adv_shop', side: 'debit', micros: 1_000_000n },
          { account: 'platform', side: 'credit', micros: 300_000n },
          { account: 'publisher:pub_news', side: 'credit', micros: 700_000n },
        ]);
      });

      it('lists every group of one action, oldest first', async () => {
        const first = charge('conversion:cv_1', 5_000_000n, { refType: 'conversion', refId: 'cv_1' });
        const back = reversalGroup('conversion:cv_1:reversal', 'reversal', meta({ refType: 'conversion', refId: 'cv_1', reason: 'refund', at: T0 + 10 }), netsOf(first.legs))!;
        await write(async (tx) => {
          await tx.postGroup(first, T0);
          await tx.postGroup(charge('conversion:cv_2', 1n, { refType: 'conversion', refId: 'cv_2' }), T0);
          await tx.postGroup(back, T0 + 10);
          await tx.postGroup(charge('click:cv_1', 3n, { refType: 'click', refId: 'cv_1' }), T0);
        });
        const groups = await write((tx) => tx.groupsFor('conversion', 'cv_1'));
        expect(groups.map((g) => g.key)).toEqual(['conversion:cv_1', 'conversion:cv_1:reversal']);
        expect(groups[1]).toMatchObject({ kind: 'reversal', postedAt: T0 + 10, meta: { reason: 'refund', at: T0 + 10, slotId: 'slot_top' } });
        expect(netsOf(groups.flatMap((g) => g.legs))).toEqual(new Map([['advertiser:adv_shop', 0n], ['platform', 0n], ['publisher:pub_news', 0n]]));
        expect(await write((tx) => tx.groupsFor('impression', 'cv_1'))).toEqual([]);
      });

      it('is append-only in the database itself: UPDATE and DELETE of ledger rows are refused', async () => {
        await write((tx) => tx.postGroup(charge('click:clk_1', 1_000_000n), T0));
        await expect(fx.raw('UPDATE ledger_legs SET micros = 1')).rejects.toThrow(/append-only/);
        await expect(fx.raw('DELETE FROM ledger_legs')).rejects.toThrow(/append-only/);
        await expect(fx.raw("UPDATE ledger_groups SET reason = 'edited'")).rejects.toThrow(/append-only/);
        await expect(fx.raw('DELETE FROM ledger_groups')).rejects.toThrow(/append-only/);
        expect(await store.reports.ledgerTotals()).toEqual({ debits: 1_000_000n, credits: 1_000_000n, groups: 1 });
        expect((await write((tx) => tx.groupsFor('click', 'clk_1')))[0]!.meta.reason).toBeNull();
      });

      it('keeps money above 2^53 exact in legs, totals and balances', async () => {
        await write(async (tx) => {
          await tx.postGroup(charge('click:k1', BIG), T0);
          await tx.postGroup(charge('click:k2', BIG + 2n, { refId: 'k2' }), T0);
        });
        const pub1 = (BIG * 7000n) / 10_000n;
        const pub2 = ((BIG + 2n) * 7000n) / 10_000n;
        expect(await store.reports.ledgerTotals()).toEqual({ debits: 2n * BIG + 2n, credits: 2n * BIG + 2n, groups: 2 });
        expect(await store.reports.balances()).toEqual(
          new Map([
            ['advertiser:adv_shop', 2n * BIG + 2n],
            ['platform', -(2n * BIG + 2n - pub1 - pub2)],
            ['publisher:pub_news', -(pub1 + pub2)],
          ]),
        );
        expect((await write((tx) => tx.groupsFor('click', 'k2')))[0]!.legs).toContainEqual({ account: 'advertiser:adv_shop', side: 'debit', micros: BIG + 2n });
        await write((tx) => tx.addSpend('cmp_a', 'pub_news', DAY1, BIG));
        await write((tx) => tx.addSpend('cmp_a', 'pub_news', DAY1, BIG));
        expect((await write((tx) => tx.spend('cmp_a', 'pub_news', DAY1))).totalMicros).toBe(2n * BIG);
      });
    });

    // ================================================================ transactions

    describe('transactions', () => {
      it('a write that throws rolls back every one of its writes', async () => {
        await expect(
          write(async (tx) => {
            await tx.putEventKey('site_news', 'clk', 'e1', 'h', '{}', T0);
            await tx.insertPageView(pageView());
            await tx.insertImpression(impression());
            await tx.insertClick(click());
            await tx.insertConversion(conversion());
            await tx.postGroup(charge('click:clk_1', 250_000n), T0);
            await tx.addSpend('cmp_a', 'pub_news', DAY1, 250_000n);
            await tx.setCpmTotals('cmp_a', 1, { billableCount: 1n, chargedMicros: 1n });
            await tx.insertRejected(rejected());
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(Object.values(await store.reports.counts()).every((n) => n === 0)).toBe(true);
        await write(async (tx) => {
          expect(await tx.spend('cmp_a', 'pub_news', DAY1)).toEqual({ totalMicros: 0n, dayMicros: 0n, publisherDayMicros: 0n });
          expect(await tx.cpmTotals('cmp_a', 1)).toEqual({ billableCount: 0n, chargedMicros: 0n });
          expect(await tx.eventKey('site_news', 'clk', 'e1')).toBeNull();
        });
        // The store is still usable afterwards.
        await write((tx) => tx.insertClick(click()));
        expect((await store.reports.counts()).clicks).toBe(1);
      });

      it('returns what the transaction returns, after it committed', async () => {
        expect(await write(async (tx) => (await tx.putEventKey('s', 'pv', 'e', 'h', '{}', T0)) && 'done')).toBe('done');
      });

      it('a savepoint that throws undoes only its own writes', async () => {
        await write(async (tx) => {
          await tx.insertClick(click({ clickId: 'before' }));
          await expect(
            tx.savepoint(async () => {
              await tx.insertClick(click({ clickId: 'inside' }));
              await tx.postGroup(charge('click:inside', 5n, { refId: 'inside' }), T0);
              throw new Error('item failed');
            }),
          ).rejects.toThrow('item failed');
          expect(await tx.click('inside')).toBeNull();
          await tx.insertClick(click({ clickId: 'after' }));
          expect(await tx.savepoint(async () => (await tx.insertClick(click({ clickId: 'kept' })), 42))).toBe(42);
        });
        await write(async (tx) => {
          expect(await tx.click('before')).not.toBeNull();
          expect(await tx.click('inside')).toBeNull();
          expect(await tx.click('after')).not.toBeNull();
          expect(await tx.click('kept')).not.toBeNull();
        });
        expect(await store.reports.counts()).toMatchObject({ clicks: 3, ledger_groups: 0 });
      });

      it('a savepoint recovers from a statement the database refused, and the transaction commits', async () => {
        await write((tx) => tx.insertConversion(conversion()));
        await write(async (tx) => {
          await tx.insertClick(click({ clickId: 'a' }));
          // A unique violation aborts a PostgreSQL transaction; rolling back to the savepoint must recover it.
          await expect(tx.savepoint(() => tx.insertConversion(conversion({ id: 'cv_2', eventId: 'e2' })))).rejects.toThrow();
          await tx.insertClick(click({ clickId: 'b' }));
        });
        expect(await store.reports.counts()).toMatchObject({ clicks: 2, conversions: 1 });
      });

      it('nested savepoints: an inner failure leaves the outer savepoint’s writes', async () => {
        await write(async (tx) => {
          await tx.savepoint(async () => {
            await tx.insertClick(click({ clickId: 'outer' }));
            await tx.savepoint(async () => {
              await tx.insertClick(click({ clickId: 'inner' }));
              throw new Error('inner');
            }).catch(() => undefined);
          });
        });
        await write(async (tx) => {
          expect(await tx.click('outer')).not.toBeNull();
          expect(await tx.click('inner')).toBeNull();
        });
      });

      it('reads outside a write see only committed data', async (ctx) => {
        if (!fx.isolatedReads) ctx.skip();
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let written!: () => void;
        const didWrite = new Promise<void>((r) => (written = r));
        const w = write(async (tx) => {
          await tx.insertClick(click());
          await tx.postGroup(charge('click:clk_1', 10n), T0);
          written();
          await gate;
        });
        await didWrite;
        expect((await store.reports.counts()).clicks).toBe(0);
        expect(await store.reports.ledgerTotals()).toEqual({ debits: 0n, credits: 0n, groups: 0 });
        release();
        await w;
        expect((await store.reports.counts()).clicks).toBe(1);
      });
    });

    // ================================================================ reports

    describe('reports', () => {
      /**
       * Two days of traffic for adv_shop (cmp_a in slot_top of pub_news, cmp_b in slot_side of
       * pub_blog) and one impression of adv_other, with valid, invalid and duplicate events and a
       * ledger of charges and one reversal.
       */
      const seedTraffic = async () => {
        // Touches happen on the publishers' sites, conversions on the advertiser's (site_shop).
        const a = { campaignId: 'cmp_a', creativeId: 'cr_a', slotId: 'slot_top', publisherId: 'pub_news' };
        const b = { campaignId: 'cmp_b', creativeId: 'cr_b', slotId: 'slot_side', publisherId: 'pub_blog' };
        const onA = { ...a, siteId: 'site_news' };
        const onB = { ...b, siteId: 'site_blog' };
        const x = { campaignId: 'cmp_x', creativeId: 'cr_x', slotId: 'slot_top', publisherId: 'pub_news', siteId: 'site_news', advertiserId: 'adv_other' };
        // The shop pays in euros, the other advertiser in dollars: money must never be summed across them.
        await store.catalog.createAdvertiser({ id: 'adv_shop', name: 'Shop', currency: 'EUR', s2sSecrets: ['s'] }, 'hash_shop');
        await store.catalog.createAdvertiser({ id: 'adv_other', name: 'Other', currency: 'USD', s2sSecrets: ['s'] }, 'hash_other');
        await write(async (tx) => {
          await tx.insertPageView(pageView({ eventId: 'pv_a', at: T0, receivedAt: T0 }));
          await tx.insertPageView(pageView({ eventId: 'pv_b', at: T0 + 1, receivedAt: T0 + 1, invalidReason: 'declared_bot' }));
          await tx.insertImpression(impression({ ...onA, decisionId: 'i1', at: T0, receivedAt: T0 + 2 }));
          await tx.insertImpression(impression({ ...onA, decisionId: 'i1', kind: 'viewable', at: T0 + 1, receivedAt: T0 + 3 }));
          await tx.insertImpression(impression({ ...onA, decisionId: 'i2', at: T0 + DAY, receivedAt: T0 + DAY }));
          await tx.insertImpression(impression({ ...onA, decisionId: 'i3', at: T0, receivedAt: T0 + 4, invalidReason: 'declared_bot', billing: 'not_billable' }));
          await tx.insertImpression(impression({ ...onB, decisionId: 'i4', at: T0, receivedAt: T0 + 5 }));
          await tx.insertImpression(impression({ ...x, decisionId: 'i5', at: T0, receivedAt: T0 + 6 }));
          await tx.insertImpression(impression({ ...onA, decisionId: 'i_old', at: T0 - 40 * DAY, receivedAt: T0 - 40 * DAY }));
          await tx.insertClick(click({ ...onA, clickId: 'k1', decisionId: 'i1', at: T0 + 10, receivedAt: T0 + 10 }));
          await tx.insertClick(click({ ...onA, clickId: 'k2', decisionId: 'i1', at: T0 + 20, receivedAt: T0 + 20, duplicateOf: 'k1', billing: 'not_billable', costMicros: 0n }));
          await tx.insertClick(click({ ...onA, clickId: 'k3', decisionId: 'i3', at: T0 + 30, receivedAt: T0 + 30, invalidReason: 'click_flood', billing: 'not_billable', costMicros: 0n }));
          await tx.insertClick(click({ ...onB, clickId: 'k4', decisionId: 'i4', at: T0 + DAY, receivedAt: T0 + DAY + 1 }));
          const cv = (id: string, over: Partial<ConversionRecord>) => tx.insertConversion(conversion({ ...a, id, eventId: `e_${id}`, orderId: `o_${id}`, ...over }));
          await cv('cv1', { at: T0 + 100, receivedAt: T0 + 100, valueMicros: 10_000_000n, status: 'approved' });
          await cv('cv2', { at: T0 + DAY, receivedAt: T0 + DAY + 2, valueMicros: 5_000_000n, status: 'restated' });
          await cv('cv3', { at: T0 + 200, receivedAt: T0 + 200, valueMicros: 1n, status: 'pending' });
          await cv('cv4', { at: T0 + 300, receivedAt: T0 + 300, status: 'unattributed', campaignId: null, publisherId: null, creativeId: null, slotId: null, touchId: null });
          await cv('cv5', { ...b, at: T0 + 400, receivedAt: T0 + 400, status: 'rejected', statusReason: 'invalid: declared_bot' });
          const k1 = charge('click:k1', 250_000n, { refId: 'k1', at: T0 + 10 });
          await tx.postGroup(k1, T0 + 10);
          await tx.postGroup(charge('conversion:cv1', 1_000_000n, { refType: 'conversion', refId: 'cv1', at: T0 + 100 }), T0 + 100);
          await tx.postGroup(charge('conversion:cv2', 500_000n, { refType: 'conversion', refId: 'cv2', at: T0 + DAY }), T0 + DAY);
          await tx.postGroup(reversalGroup('click:k1:invalidation', 'invalidation', meta({ refId: 'k1', at: T0 + DAY + 5, reason: 'ivt' }), netsOf(k1.legs))!, T0 + DAY + 5);
          await tx.insertRejected(rejected({ receivedAt: T0 + 7, eventId: 'r1' }));
          await tx.insertRejected(rejected({ receivedAt: T0 + 8, eventId: 'r2' }));
          await tx.insertRejected(rejected({ receivedAt: T0 + 9, siteId: 'site_shop', reason: 'unknown_site', eventId: 'r3' }));
          await tx.insertRejected(rejected({ receivedAt: T0 - 5 * DAY, siteId: null, reason: 'malformed_json', eventType: null, eventId: null, detail: null, payload: null }));
        });
      };
      const RANGE = { from: T0, to: T0 + 2 * DAY };
      const zero = { currency: 'EUR', served: 0, viewable: 0, clicks: 0, invalidImpressions: 0, invalidServed: 0, invalidViewable: 0, invalidClicks: 0, conversions: 0, valueMicros: 0n, costMicros: 0n, earningMicros: 0n, platformMicros: 0n };

      it('sums money past int64 exactly in every report (no SQL sum can overflow)', async () => {
        // 1,000 conversion values and ledger legs of 10^16 micros: each sum is 10^19, past int64's 9.2 × 10^18.
        const N = 1000;
        const V = 10n ** 16n;
        await store.catalog.createAdvertiser({ id: 'adv_shop', name: 'Shop', currency: 'EUR', s2sSecrets: ['s'] }, 'hash_shop');
        await write(async (tx) => {
          for (let i = 0; i < N; i++) {
            await tx.insertConversion(conversion({ id: `big${i}`, eventId: `e_big${i}`, orderId: `o_big${i}`, at: T0 + i, receivedAt: T0 + i, valueMicros: V, status: 'approved' }));
            await tx.postGroup(charge(`conversion:big${i}`, V, { refType: 'conversion', refId: `big${i}`, at: T0 + i }), T0 + i);
          }
        });
        const total = BigInt(N) * V;
        const [row] = await store.reports.performance({ advertiserId: 'adv_shop' }, RANGE, 'campaign', false);
        expect(row).toMatchObject({ conversions: N, valueMicros: total, costMicros: total, earningMicros: (total * 7n) / 10n });
        expect(await store.reports.ledgerTotals()).toEqual({ debits: total, credits: total, groups: N });
        expect((await store.reports.balances()).get('advertiser:adv_shop')).toBe(total);
        expect((await store.reports.ledgerByCurrency())[0]).toMatchObject({ currency: 'EUR', debits: total, credits: total });
        expect((await store.reports.campaignStats(0)).get('cmp_a')).toMatchObject({ conversions: N, valueMicros: total });
      });

      it('performance by campaign: gross, invalid, conversions, value, net cost and earnings', async () => {
        await seedTraffic();
        expect(await store.reports.performance({ advertiserId: 'adv_shop' }, RANGE, 'campaign', false)).toEqual([
          {
            key: 'cmp_a', currency: 'EUR', served: 2, viewable: 1, clicks: 1, invalidImpressions: 1, invalidServed: 1, invalidViewable: 0, invalidClicks: 2, conversions: 2,
            valueMicros: 15_000_000n, costMicros: 1_500_000n, earningMicros: 1_050_000n, platformMicros: 450_000n,
          },
          { ...zero, key: 'cmp_b', served: 1, clicks: 1 },
        ]);
        expect((await store.reports.performance({ campaignId: 'cmp_b' }, RANGE, 'campaign', false)).map((r) => r.key)).toEqual(['cmp_b']);
      });

      it('performance per UTC day, with `from` inclusive and `to` exclusive', async () => {
        await seedTraffic();
        expect(await store.reports.performance({ advertiserId: 'adv_shop' }, RANGE, 'campaign', true)).toEqual([
          {
            key: 'cmp_a', day: DAY1, currency: 'EUR', served: 1, viewable: 1, clicks: 1, invalidImpressions: 1, invalidServed: 1, invalidViewable: 0, invalidClicks: 2, conversions: 1,
            valueMicros: 10_000_000n, costMicros: 1_250_000n, earningMicros: 875_000n, platformMicros: 375_000n,
          },
          { ...zero, key: 'cmp_b', day: DAY1, served: 1 },
          { ...zero, key: 'cmp_a', day: DAY2, served: 1, conversions: 1, valueMicros: 5_000_000n, costMicros: 250_000n, earningMicros: 175_000n, platformMicros: 75_000n },
          { ...zero, key: 'cmp_b', day: DAY2, clicks: 1 },
        ]);
        // Everything at T0 + DAY or later is outside [T0, T0 + DAY); T0 itself is inside.
        const day1 = await store.reports.performance({ advertiserId: 'adv_shop' }, { from: T0, to: T0 + DAY }, 'campaign', false);
        expect(day1.find((r) => r.key === 'cmp_a')).toMatchObject({ served: 1, conversions: 1, costMicros: 1_250_000n });
        expect(day1.find((r) => r.key === 'cmp_b')).toMatchObject({ served: 1, clicks: 0 });
        const fromLater = await store.reports.performance({ advertiserId: 'adv_shop' }, { from: T0 + 1, to: T0 + DAY }, 'campaign', false);
        expect(fromLater.find((r) => r.key === 'cmp_a')).toMatchObject({ served: 0, viewable: 1, invalidImpressions: 0 });
      });

      it('performance by slot (publisher view), by publisher and by creative', async () => {
        await seedTraffic();
        const slots = await store.reports.performance({ publisherId: 'pub_news' }, RANGE, 'slot', false);
        expect(slots).toEqual([
          {
            key: 'slot_top', currency: 'EUR', served: 2, viewable: 1, clicks: 1, invalidImpressions: 1, invalidServed: 1, invalidViewable: 0, invalidClicks: 2, conversions: 2,
            valueMicros: 15_000_000n, costMicros: 1_500_000n, earningMicros: 1_050_000n, platformMicros: 450_000n,
          },
          // adv_other's impression in the same slot is in dollars: a row of its own.
          { ...zero, key: 'slot_top', currency: 'USD', served: 1 },
        ]);
        const pubs = await store.reports.performance({}, RANGE, 'publisher', false);
        expect(pubs.map((r) => [r.key, r.currency, r.served, r.clicks])).toEqual([
          ['pub_blog', 'EUR', 1, 1],
          ['pub_news', 'EUR', 2, 1],
          ['pub_news', 'USD', 1, 0],
        ]);
        const creatives = await store.reports.performance({ advertiserId: 'adv_shop' }, RANGE, 'creative', false);
        expect(creatives).toEqual([
          {
            key: 'cr_a', currency: 'EUR', served: 2, viewable: 1, clicks: 1, invalidImpressions: 1, invalidServed: 1, invalidViewable: 0, invalidClicks: 2, conversions: 2,
            valueMicros: 15_000_000n, costMicros: 1_500_000n, earningMicros: 1_050_000n, platformMicros: 450_000n,
          },
          { ...zero, key: 'cr_b', served: 1, clicks: 1 },
        ]);
        const creativeDays = await store.reports.performance({ advertiserId: 'adv_shop', campaignId: 'cmp_a' }, RANGE, 'creative', true);
        expect(creativeDays.map((r) => [r.key, r.day, r.costMicros])).toEqual([
          ['cr_a', DAY1, 1_250_000n],
          ['cr_a', DAY2, 250_000n],
        ]);
      });

      it('never adds up two currencies: one row per currency, a value in the currency it was reported in', async () => {
        await seedTraffic();
        await write(async (tx) => {
          // A dollar charge for adv_other in the slot where adv_shop pays in euros…
          await tx.postGroup(charge('impression:i5', 700_000n, { refType: 'impression', refId: 'i5', advertiserId: 'adv_other', campaignId: 'cmp_x', currency: 'USD', at: T0 + 50 }), T0 + 50);
          // …and a euro advertiser's sale whose shop reported its value in pounds.
          await tx.insertConversion(
            conversion({ id: 'cv_gbp', eventId: 'e_gbp', orderId: 'o_gbp', campaignId: 'cmp_a', publisherId: 'pub_news', slotId: 'slot_top', at: T0 + 60, receivedAt: T0 + 60, status: 'approved', valueMicros: 3_000_000n, currency: 'GBP' }),
          );
        });
        const slots = await store.reports.performance({ publisherId: 'pub_news' }, RANGE, 'slot', false);
        expect(slots.map((r) => [r.currency, r.served, r.conversions, r.valueMicros, r.costMicros, r.earningMicros])).toEqual([
          ['EUR', 2, 3, 15_000_000n, 1_500_000n, 1_050_000n], // the pound sale counts here…
          ['GBP', 0, 0, 3_000_000n, 0n, 0n], // …and its value is kept in pounds
          ['USD', 1, 0, 0n, 700_000n, 490_000n],
        ]);
      });

      it('conversions: newest first, filtered by advertiser, campaign, status and received time, limited', async () => {
        await seedTraffic();
        const ids = async (f: Parameters<Store['reports']['conversions']>[0], range = RANGE, limit = 100) =>
          (await store.reports.conversions(f, range, limit)).map((c) => c.id);
        expect(await ids({ advertiserId: 'adv_shop' })).toEqual(['cv2', 'cv5', 'cv4', 'cv3', 'cv1']);
        expect(await ids({ advertiserId: 'adv_shop' }, RANGE, 2)).toEqual(['cv2', 'cv5']);
        expect(await ids({ campaignId: 'cmp_b' })).toEqual(['cv5']);
        expect(await ids({ status: 'approved' })).toEqual(['cv1']);
        expect(await ids({ advertiserId: 'adv_other' })).toEqual([]);
        expect(await ids({}, { from: T0 + 100, to: T0 + 300 })).toEqual(['cv3', 'cv1']);
        const [cv1] = await store.reports.conversions({ status: 'approved' }, RANGE, 1);
        expect(cv1).toEqual(await store.reports.conversion('cv1'));
        expect(await store.reports.conversion('cv_none')).toBeNull();
      });

      it('conversions page by keyset: every row once, in order, also across equal received times', async () => {
        await seedTraffic();
        // Two more received in the same millisecond as cv3: the id breaks the tie.
        await write(async (tx) => {
          for (const id of ['cv3b', 'cv3a']) await tx.insertConversion(conversion({ id, eventId: `e_${id}`, orderId: `o_${id}`, advertiserId: 'adv_shop', at: T0 + 200, receivedAt: T0 + 200 }));
        });
        const whole = (await store.reports.conversions({ advertiserId: 'adv_shop' }, RANGE, 100)).map((c) => c.id);
        expect(whole).toEqual(['cv2', 'cv5', 'cv4', 'cv3', 'cv3a', 'cv3b', 'cv1']);
        for (const size of [1, 2, 3]) {
          const seen: string[] = [];
          let before: { receivedAt: number; id: string } | undefined;
          for (;;) {
            const page = await store.reports.conversions({ advertiserId: 'adv_shop' }, RANGE, size, before);
            seen.push(...page.map((c) => c.id));
            if (page.length < size) break;
            before = { receivedAt: page.at(-1)!.receivedAt, id: page.at(-1)!.id };
          }
          expect(seen, `pages of ${size}`).toEqual(whole);
        }
      });

      it('ledger: newest groups first, whole groups only, whatever the limit', async () => {
        await seedTraffic();
        const all = await store.reports.ledger({}, RANGE, 100);
        expect(all.map((g) => g.key)).toEqual(['click:k1:invalidation', 'conversion:cv2', 'conversion:cv1', 'click:k1']);
        for (const g of all) expect(g.legs).toHaveLength(3);
        const two = await store.reports.ledger({ advertiserId: 'adv_shop' }, RANGE, 2);
        expect(two.map(sorted)).toEqual(all.slice(0, 2).map(sorted));
        expect((await store.reports.ledger({ campaignId: 'cmp_a' }, { from: T0, to: T0 + DAY }, 100)).map((g) => g.key)).toEqual(['conversion:cv1', 'click:k1']);
        expect(await store.reports.ledger({ publisherId: 'pub_blog' }, RANGE, 100)).toEqual([]);
        expect(await store.reports.ledger({ advertiserId: 'adv_other' }, RANGE, 100)).toEqual([]);
        // Keyset pages: groups older than the last one seen, whole, none twice.
        const next = await store.reports.ledger({ advertiserId: 'adv_shop' }, RANGE, 2, two.at(-1)!.id);
        expect(next.map(sorted)).toEqual(all.slice(2, 4).map(sorted));
        expect(await store.reports.ledger({}, RANGE, 2, all.at(-1)!.id)).toEqual([]);
      });

      it('ledger totals balance, and balances are debits minus credits per account', async () => {
        await seedTraffic();
        expect(await store.reports.ledgerTotals()).toEqual({ debits: 2_000_000n, credits: 2_000_000n, groups: 4 });
        expect(await store.reports.balances()).toEqual(
          new Map([
            ['advertiser:adv_shop', 1_500_000n],
            ['platform', -450_000n],
            ['publisher:pub_news', -1_050_000n],
          ]),
        );
        expect(await store.reports.balances(['platform', 'publisher:pub_none'])).toEqual(new Map([['platform', -450_000n]]));
        // Per currency: a dollar charge to the same publisher and platform stays out of the euros.
        await write((tx) => tx.postGroup(charge('impression:i5', 1_000_000n, { refType: 'impression', refId: 'i5', advertiserId: 'adv_other', campaignId: 'cmp_x', currency: 'USD', at: T0 + 50 }), T0 + 50));
        expect(await store.reports.ledgerByCurrency()).toEqual([
          {
            currency: 'EUR', debits: 2_000_000n, credits: 2_000_000n, groups: 4,
            balances: new Map([['advertiser:adv_shop', 1_500_000n], ['platform', -450_000n], ['publisher:pub_news', -1_050_000n]]),
          },
          {
            currency: 'USD', debits: 1_000_000n, credits: 1_000_000n, groups: 1,
            balances: new Map([['advertiser:adv_other', 1_000_000n], ['platform', -300_000n], ['publisher:pub_news', -700_000n]]),
          },
        ]);
      });

      it('rejected events newest first, filtered by site and time, and counted by reason', async () => {
        await seedTraffic();
        const news = await store.reports.rejected({ siteId: 'site_news' }, RANGE, 10);
        expect(news).toEqual([rejected({ receivedAt: T0 + 8, eventId: 'r2' }), rejected({ receivedAt: T0 + 7, eventId: 'r1' })]);
        expect((await store.reports.rejected({}, RANGE, 2)).map((r) => r.eventId)).toEqual(['r3', 'r2']);
        expect(await store.reports.rejected({}, { from: 0, to: T0 }, 10)).toEqual([
          { receivedAt: T0 - 5 * DAY, siteId: null, endpoint: '/e', eventType: null, eventId: null, reason: 'malformed_json', detail: null, payload: null },
        ]);
        expect(await store.reports.rejectedCounts({}, RANGE)).toEqual([
          { reason: 'invalid_event', count: 2 },
          { reason: 'unknown_site', count: 1 },
        ]);
        expect(await store.reports.rejectedCounts({ siteId: 'site_shop' }, RANGE)).toEqual([{ reason: 'unknown_site', count: 1 }]);
      });

      it('feed: newest first, scoped to the caller, after a time, limited', async () => {
        await seedTraffic();
        const shop = await store.reports.feed({ advertiserId: 'adv_shop' }, 100);
        expect(shop.map((i) => i.type)).not.toContain('pageview');
        expect(shop.map((i) => i.type)).not.toContain('rejected');
        expect(shop.every((i, k) => k === 0 || shop[k - 1]!.at >= i.at)).toBe(true);
        expect(shop.filter((i) => i.type === 'served')).toHaveLength(5); // i1 i2 i3 i4 i_old; not adv_other's i5
        expect(shop.filter((i) => i.type === 'click').map((i) => i.invalidReason)).toEqual([null, 'click_flood', 'duplicate_click', null]);
        expect(shop.find((i) => i.type === 'conversion' && i.invalidReason === 'invalid: declared_bot')).toBeDefined();

        const blog = await store.reports.feed({ publisherId: 'pub_blog' }, 100);
        expect(blog.map((i) => i.type).sort()).toEqual(['click', 'served']); // publishers see no conversions

        const everything = await store.reports.feed({}, 100);
        expect(everything.filter((i) => i.type === 'pageview')).toHaveLength(2);
        expect(everything.filter((i) => i.type === 'rejected')).toHaveLength(4);

        const later = await store.reports.feed({ advertiserId: 'adv_shop' }, 100, T0 + DAY);
        expect(later.map((i) => [i.type, i.at])).toEqual([
          ['conversion', T0 + DAY + 2],
          ['click', T0 + DAY + 1],
        ]);
        expect(await store.reports.feed({ advertiserId: 'adv_shop' }, 3)).toEqual(shop.slice(0, 3));
        const site = await store.reports.feed({ siteId: 'site_shop' }, 100);
        expect(site.map((i) => i.type)).toEqual(['conversion', 'conversion', 'conversion', 'conversion', 'conversion', 'rejected']);
      });

      it('site activity counts beacons by type with the last one seen', async () => {
        await seedTraffic();
        expect(await store.reports.siteActivity('site_news', RANGE)).toEqual([
          { type: 'pageview', count: 2, lastAt: T0 + 1 },
          { type: 'served', count: 4, lastAt: T0 + DAY },
          { type: 'viewable', count: 1, lastAt: T0 + 3 },
          { type: 'click', count: 3, lastAt: T0 + 30 },
          { type: 'conversion', count: 0, lastAt: null },
          { type: 'rejected', count: 2, lastAt: T0 + 8 },
        ]);
        expect((await store.reports.siteActivity('site_shop', RANGE)).find((a) => a.type === 'conversion')).toEqual({ type: 'conversion', count: 5, lastAt: T0 + DAY + 2 });
      });

      it('campaign stats count valid served impressions, clicks and counted conversions since a time', async () => {
        await seedTraffic();
        expect(await store.reports.campaignStats(T0)).toEqual(
          new Map([
            ['cmp_a', { impressions: 2, clicks: 1, conversions: 2, valueMicros: 15_000_000n }],
            ['cmp_b', { impressions: 1, clicks: 1, conversions: 0, valueMicros: 0n }],
            ['cmp_x', { impressions: 1, clicks: 0, conversions: 0, valueMicros: 0n }],
          ]),
        );
        expect((await store.reports.campaignStats(T0 + 1)).get('cmp_a')).toEqual({ impressions: 1, clicks: 1, conversions: 2, valueMicros: 15_000_000n });
        expect((await store.reports.campaignStats(T0 - 41 * DAY)).get('cmp_a')!.impressions).toBe(3);
      });

      it('counts rows of every event table', async () => {
        await seedTraffic();
        await write((tx) => tx.insertVital({ siteId: 'site_news', pageViewId: 'pv_1', name: 'LCP', value: 1234.5, at: T0, receivedAt: T0 }));
        await write((tx) => tx.putEventKey('site_news', 'pv', 'pv_a', 'h', '{}', T0));
        expect(await store.reports.counts()).toEqual({
          page_views: 2, impressions: 7, clicks: 4, conversions: 5, ledger_groups: 4, ledger_legs: 12, rejected_events: 4, event_keys: 1, vitals: 1,
        });
      });
    });
  });
}
