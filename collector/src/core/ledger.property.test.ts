/**
 * Model-based property test of the money core (SPEC §3.4, §5 "ledger property test").
 *
 * A tiny in-test engine composes only the pure core functions the way the collector's ingest
 * pipeline will (attribute → settle → post inside one transaction), over an append-only list of
 * entry groups with an idempotency-key set, spend counters and CPM running totals. fast-check
 * drives it with random command sequences (impressions, clicks, conversions, replays, reversals,
 * restatements, late IVT findings, time passing, budgets running out) and after EVERY step the
 * money invariants are checked. On failure fast-check prints the seed, the path and the shrunk
 * command list; re-run with that seed to reproduce.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeConversion, type AttributionDecision, type RejectedClickId, type Touch } from './attribution';
import { settleClick, settleConversion, settleImpression, type CpmTotals } from './billing';
import { capHit, type Spend } from './caps';
import { nextStatus, type ConversionStatus } from './conversion-status';
import { utcDay } from './day';
import { accountsFor, adjustmentGroup, netsOf, netsOfSplit, reversalGroup, totals, type EntryGroup, type EntryMeta, type Nets } from './ledger';
import { conversionCost, splitCharge } from './pricing';
import { checkTerms, DAY_MS, DEFAULT_TERMS, type CampaignTerms, type ConversionAction, type PublisherPayout } from './terms';

const SEED = 20_251_129;
const NUM_RUNS = 10_000;
const START_AT = Date.UTC(2025, 0, 1, 21, 30); // two and a half hours before a UTC midnight

const ADVERTISERS = ['adv_a', 'adv_b'] as const;
const PUBLISHERS = ['pub_1', 'pub_2', 'pub_3'] as const;
const ACTIONS: ConversionAction[] = [
  { key: 'purchase', counting: 'every', clickWindowDays: null, viewWindowDays: null, model: 'last_click' },
  { key: 'lead', counting: 'one', clickWindowDays: 7, viewWindowDays: 0, model: 'last_click' },
  { key: 'signup', counting: 'every', clickWindowDays: null, viewWindowDays: 1, model: 'first_click' },
];

// ---------------------------------------------------------------------------------------------
// World: five campaigns covering CPC / CPM / CPA, share and fixed payouts, small budgets.

const budget = (max: bigint) => fc.option(fc.bigInt({ min: 0n, max }), { nil: null, freq: 2 });
const share = fc.integer({ min: 0, max: 10_000 }).map((bps): PublisherPayout => ({ kind: 'share', bps }));
const shareOrFixed = (maxFixed: bigint) =>
  fc.oneof(share, fc.bigInt({ min: 0n, max: maxFixed }).map((micros): PublisherPayout => ({ kind: 'fixed', micros })));

/** Windows, priority and caps of one campaign; budgets are small so they run out. */
const setup = (caps: [total: bigint, daily: bigint, publisherDay: bigint], viewWindowDays = fc.integer({ min: 0, max: 2 })) =>
  fc.record({
    clickWindowDays: fc.integer({ min: 1, max: 30 }),
    viewWindowDays,
    priority: fc.integer({ min: -1, max: 1 }),
    totalBudgetMicros: budget(caps[0]),
    dailyBudgetMicros: budget(caps[1]),
    publisherDailyCapMicros: budget(caps[2]),
  });

const cpcArb = (payout: fc.Arbitrary<PublisherPayout>) =>
  fc.tuple(setup([12_000_000n, 6_000_000n, 4_000_000n]), fc.bigInt({ min: 1n, max: 3_000_000n }), payout).map(
    ([s, cpcMicros, p]): Partial<CampaignTerms> => ({ ...s, costModel: 'cpc', cpcMicros, payout: p }),
  );

const cpmArb = fc
  .tuple(setup([20_000n, 12_000n, 8_000n]), fc.oneof(fc.constant(1_234_567n), fc.bigInt({ min: 1n, max: 5_000_000n })), fc.constantFrom('viewable' as const, 'served' as const), share)
  .map(([s, cpmMicros, cpmBasis, p]): Partial<CampaignTerms> => ({ ...s, costModel: 'cpm', cpmMicros, cpmBasis, payout: p }));

const cpaArb = (viewWindowDays: fc.Arbitrary<number>) =>
  fc
    .tuple(
      setup([60_000_000n, 30_000_000n, 25_000_000n], viewWindowDays),
      fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 20_000_000n })),
      fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })),
      shareOrFixed(25_000_000n),
    )
    .map(([s, cpaFlatMicros, cpaBps, p]): Partial<CampaignTerms> => ({
      ...s,
      costModel: 'cpa',
      cpaFlatMicros,
      // A CPA campaign needs a flat price or a share (checkTerms); fall back to a 15 % share.
      cpaBps: cpaFlatMicros === 0n && cpaBps === 0 ? 1500 : cpaBps,
      payout: p,
    }));

const campaign = (campaignId: string, advertiserId: string, over: Partial<CampaignTerms>): CampaignTerms => ({
  ...DEFAULT_TERMS,
  campaignId,
  advertiserId,
  version: 1,
  currency: 'EUR',
  costModel: 'cpc',
  viewWindowDays: 1,
  ...over,
});

const worldArb = fc
  .tuple(cpcArb(share), cpcArb(shareOrFixed(4_000_000n)), cpmArb, cpaArb(fc.integer({ min: 0, max: 1 })), cpaArb(fc.constant(0)))
  .map(([cpcShare, cpcFixed, cpm, cpaA, cpaB]) => [
    campaign('c_cpc_share', 'adv_a', cpcShare),
    campaign('c_cpc_fixed', 'adv_a', cpcFixed),
    campaign('c_cpm', 'adv_b', cpm),
    campaign('c_cpa_a', 'adv_a', cpaA),
    campaign('c_cpa_b', 'adv_b', cpaB),
  ]);

// ---------------------------------------------------------------------------------------------
// Commands. Indices into earlier entities are taken modulo their count when the step runs.

type Cmd =
  | { t: 'impression'; campaign: number; publisher: number; browser: number; invalid: boolean }
  | { t: 'viewable'; impression: number }
  | { t: 'click'; campaign: number; publisher: number; browser: number; invalid: boolean }
  | { t: 'double_click'; click: number }
  | { t: 'conversion'; follow: boolean; advertiser: number; browser: number; action: number; order: number; value: bigint; currency: string | null; forged: boolean }
  | { t: 'replay'; event: number }
  | { t: 'replay_order'; conversion: number; value: bigint | null }
  | { t: 'reverse'; conversion: number; billedOnly: boolean }
  | { t: 'restate'; conversion: number; billedOnly: boolean; value: bigint }
  | { t: 'review'; conversion: number; approve: boolean }
  | { t: 'invalidate'; kind: 'click' | 'impression'; index: number }
  | { t: 'advance'; ms: number };

type Step = Cmd & { gap: number };

const idx = fc.nat({ max: 63 });
const rarely = fc.nat({ max: 5 }).map((n) => n === 0);
const value = fc.oneof(fc.constant(0n), fc.constant(49_900_000n), fc.bigInt({ min: 1n, max: 200_000_000n }));
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('impression' as const), campaign: fc.constantFrom(2, 2, 2, 0, 3, 4), publisher: fc.nat({ max: 2 }), browser: fc.nat({ max: 2 }), invalid: rarely }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('viewable' as const), impression: idx }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('click' as const), campaign: fc.constantFrom(0, 1, 2, 3, 3, 4, 4), publisher: fc.nat({ max: 2 }), browser: fc.nat({ max: 2 }), invalid: rarely }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('double_click' as const), click: idx }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('conversion' as const),
      follow: fc.nat({ max: 3 }).map((n) => n > 0),
      advertiser: fc.nat({ max: 1 }),
      browser: fc.nat({ max: 2 }),
      action: fc.nat({ max: 2 }),
      order: fc.nat({ max: 5 }),
      value,
      currency: fc.constantFrom('EUR' as const, 'EUR' as const, 'USD' as const, null),
      forged: rarely,
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('replay' as const), event: idx }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('replay_order' as const), conversion: idx, value: fc.option(value, { nil: null }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reverse' as const), conversion: idx, billedOnly: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('restate' as const), conversion: idx, billedOnly: fc.boolean(), value }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('review' as const), conversion: idx, approve: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('invalidate' as const), kind: fc.constantFrom('click' as const, 'impression' as const), index: idx }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('advance' as const),
      ms: fc.constantFrom(1_000, 2_500, 20_000, 45_000, 3_600_000, 3_600_000, 6 * 3_600_000, 6 * 3_600_000, DAY_MS, 8 * DAY_MS, 31 * DAY_MS),
    }),
  },
);

// Events arrive a little apart: sometimes at once (a too-fast conversion, a double click),
// sometimes seconds or minutes later.
const stepArb: fc.Arbitrary<Step> = fc
  .tuple(fc.constantFrom(0, 1_000, 4_000, 4_000, 90_000, 90_000, 1_200_000), cmdArb)
  .map(([gap, c]) => ({ ...c, gap }));

// ---------------------------------------------------------------------------------------------
// The engine: what the collector's pipeline does inside one store transaction, minus the store.

/** A billable action (click, impression, conversion) and what it currently costs. */
interface Action {
  meta: EntryMeta;
  /** What the engine believes the advertiser now carries for this action. */
  costMicros: bigint;
  restatements: number;
}

interface Impression {
  id: string;
  campaignId: string;
  publisherId: string;
  browser: number;
  at: number;
  viewable: boolean;
  invalidReason: string | null;
}

interface Click {
  id: string;
  campaignId: string;
  publisherId: string;
  browser: number;
  at: number;
  invalidReason: string | null;
  duplicateOf: string | null;
}

interface Conversion {
  id: string;
  /** (advertiser, action, order_id): unique for ever. */
  orderKey: string;
  advertiserId: string;
  action: ConversionAction;
  at: number;
  valueMicros: bigint;
  currency: string | null;
  status: ConversionStatus;
  decision: AttributionDecision;
}

type EventResult = { kind: 'impression' | 'viewable' | 'click' | 'conversion'; ref: string; group: EntryGroup | null };

class Engine {
  now = START_AT;
  readonly terms: Map<string, CampaignTerms>;
  readonly groups: EntryGroup[] = [];
  readonly keys = new Set<string>();
  readonly spendTotal = new Map<string, bigint>();
  readonly spendDay = new Map<string, bigint>();
  readonly spendPubDay = new Map<string, bigint>();
  readonly cpm = new Map<string, CpmTotals>();
  readonly actions = new Map<string, Action>();
  readonly events = new Map<string, EventResult>();
  readonly eventIds: string[] = [];
  readonly impressions: Impression[] = [];
  readonly clicks: Click[] = [];
  readonly conversions: Conversion[] = [];
  readonly orders = new Map<string, string>();
  readonly counted = new Map<string, string>();
  /** Actions that must never carry money (replayed orders, held or uncounted conversions, IVT at ingest…). */
  readonly unbillable = new Set<string>();
  /** How often each path was taken, so the test can show it exercised them. */
  readonly seen = new Map<string, number>();
  private seq = 0;

  note(label: string) {
    this.seen.set(label, (this.seen.get(label) ?? 0) + 1);
  }

  constructor(readonly campaigns: CampaignTerms[]) {
    this.terms = new Map(campaigns.map((t) => [t.campaignId, t]));
  }

  private nextId(prefix: string): string {
    return `${prefix}${++this.seq}`;
  }

  spendFor(campaignId: string, publisherId: string, day: string): Spend {
    return {
      totalMicros: this.spendTotal.get(campaignId) ?? 0n,
      dayMicros: this.spendDay.get(`${campaignId}|${day}`) ?? 0n,
      publisherDayMicros: this.spendPubDay.get(`${campaignId}|${publisherId}|${day}`) ?? 0n,
    };
  }

  /** Posts a group under its idempotency key; a key already posted is a no-op, as in the store. */
  post(group: EntryGroup): boolean {
    if (this.keys.has(group.key)) return false;
    const m = group.meta;
    const actionKey = `${m.refType}:${m.refId}`;
    const action = this.actions.get(actionKey) ?? { meta: m, costMicros: 0n, restatements: 0 };
    this.actions.set(actionKey, action);
    const delta = netsOf(group.legs).get(accountsFor(m).advertiser) ?? 0n;
    const day = utcDay(action.meta.at);
    const add = (map: Map<string, bigint>, k: string) => map.set(k, (map.get(k) ?? 0n) + delta);
    add(this.spendTotal, m.campaignId);
    add(this.spendDay, `${m.campaignId}|${day}`);
    add(this.spendPubDay, `${m.campaignId}|${m.publisherId}|${day}`);
    action.costMicros += delta;
    this.keys.add(group.key);
    this.groups.push(group);
    return true;
  }

  /** The nets an action's groups leave on each account. */
  netsOfAction(actionKey: string): Nets {
    return netsOf(this.groups.filter((g) => `${g.meta.refType}:${g.meta.refId}` === actionKey).flatMap((g) => g.legs));
  }

  private metaFor(refType: EntryMeta['refType'], refId: string, t: CampaignTerms, publisherId: string): EntryMeta {
    return { refType, refId, campaignId: t.campaignId, advertiserId: t.advertiserId, publisherId, termsVersion: t.version, currency: t.currency, at: this.now, reason: null };
  }

  private record(eventId: string, result: EventResult) {
    this.events.set(eventId, result);
    this.eventIds.push(eventId);
  }

  private billImpression(imp: Impression, kind: 'served' | 'viewable'): EntryGroup | null {
    const t = this.terms.get(imp.campaignId)!;
    const key = `impression:${imp.id}`;
    const before = this.cpm.get(t.campaignId) ?? { billableCount: 0n, chargedMicros: 0n };
    const r = settleImpression(t, { kind, invalidReason: imp.invalidReason }, before, this.spendFor(t.campaignId, imp.publisherId, utcDay(this.now)), key, this.metaFor('impression', imp.id, t, imp.publisherId));
    const posted = r.settlement.group ? this.post(r.settlement.group) : true;
    // The running totals move with the post, in the same transaction, or not at all.
    if (posted) this.cpm.set(t.campaignId, r.totals);
    if (r.settlement.outcome === 'charged') {
      expectThat(r.settlement.split!.costMicros > 0n, () => `impression ${imp.id} charged ${r.settlement.split!.costMicros}`);
    }
    if (imp.invalidReason) this.unbillable.add(key);
    this.note(`impression:${r.settlement.outcome}`);
    if (r.settlement.capHit) this.note(`over_cap:${r.settlement.capHit}`);
    return r.settlement.group;
  }

  impression(c: Extract<Cmd, { t: 'impression' }>) {
    const t = this.campaigns[c.campaign]!;
    const imp: Impression = {
      id: this.nextId('i'),
      campaignId: t.campaignId,
      publisherId: PUBLISHERS[c.publisher]!,
      browser: c.browser,
      at: this.now,
      viewable: false,
      invalidReason: c.invalid ? 'stacked' : null,
    };
    this.impressions.push(imp);
    this.record(this.nextId('ev'), { kind: 'impression', ref: imp.id, group: this.billImpression(imp, 'served') });
  }

  viewable(c: Extract<Cmd, { t: 'viewable' }>) {
    const imp = pick(this.impressions, c.impression);
    if (!imp || imp.viewable) return; // the `vi` event of this impression was already taken
    imp.viewable = true;
    this.record(this.nextId('ev'), { kind: 'viewable', ref: imp.id, group: this.billImpression(imp, 'viewable') });
  }

  click(campaignId: string, publisherId: string, browser: number, invalid: boolean) {
    const t = this.terms.get(campaignId)!;
    const earlier = [...this.clicks]
      .reverse()
      .find((k) => k.browser === browser && k.campaignId === campaignId && this.now - k.at <= t.duplicateClickWindowMs);
    const k: Click = { id: this.nextId('k'), campaignId, publisherId, browser, at: this.now, invalidReason: invalid ? 'isbot' : null, duplicateOf: earlier?.id ?? null };
    this.clicks.push(k);
    const key = `click:${k.id}`;
    const s = settleClick(t, { invalidReason: k.invalidReason, duplicateOf: k.duplicateOf }, this.spendFor(campaignId, publisherId, utcDay(this.now)), key, this.metaFor('click', k.id, t, publisherId));
    if (s.group) this.post(s.group);
    if (s.outcome === 'charged') expectThat(s.split!.costMicros === t.cpcMicros, () => `click ${k.id} charged ${s.split!.costMicros}, bid ${t.cpcMicros}`);
    if (k.invalidReason || k.duplicateOf) {
      expectThat(s.outcome === 'not_billable', () => `invalid or duplicate click ${k.id} was ${s.outcome}`);
      this.unbillable.add(key);
    }
    this.note(`click:${s.outcome}`);
    if (s.capHit) this.note(`over_cap:${s.capHit}`);
    if (s.split && s.split.platformMicros < 0n) this.note('charge:negative_margin');
    this.record(this.nextId('ev'), { kind: 'click', ref: k.id, group: s.group });
  }

  private touchesOf(browser: number, action: ConversionAction): Touch[] {
    const touch = (kind: 'click' | 'view', x: Impression | Click, invalidReason: string | null): Touch => {
      const t = this.terms.get(x.campaignId)!;
      return {
        id: x.id,
        kind,
        at: x.at,
        advertiserId: t.advertiserId,
        campaignId: x.campaignId,
        publisherId: x.publisherId,
        creativeId: `cr_${x.campaignId}`,
        slotId: `slot_${x.publisherId}`,
        termsVersion: t.version,
        invalidReason,
        countedConversionId: this.counted.get(`${x.id}|${action.key}`) ?? null,
      };
    };
    // The browser presents its five newest click IDs; its viewable impressions are looked up.
    const clicks = this.clicks
      .filter((k) => k.browser === browser)
      .slice(-5)
      .map((k) => touch('click', k, k.invalidReason ?? (k.duplicateOf ? `duplicate of ${k.duplicateOf}` : null)));
    const views = this.impressions.filter((i) => i.browser === browser && i.viewable).map((i) => touch('view', i, i.invalidReason));
    return [...clicks, ...views];
  }

  conversion(c: Extract<Cmd, { t: 'conversion' }>, orderKeyOverride?: string) {
    // Most conversions follow the browser's last click to that advertiser's shop; some come without one.
    const lastClick = c.follow ? this.clicks.filter((k) => k.browser === c.browser).at(-1) : undefined;
    const advertiserId = lastClick ? this.terms.get(lastClick.campaignId)!.advertiserId : ADVERTISERS[c.advertiser]!;
    const action = ACTIONS[c.action]!;
    const id = this.nextId('cv');
    const orderKey = orderKeyOverride ?? `${advertiserId}|${action.key}|o${c.order}`;
    const duplicateOf = this.orders.get(orderKey) ?? null;
    if (!duplicateOf) this.orders.set(orderKey, id);
    const rejected: RejectedClickId[] = c.forged ? [{ clickId: `forged_${id}`, reason: 'forged' }] : [];
    const decision = attributeConversion({
      conversion: { id, advertiserId, at: this.now, valueMicros: c.value, action },
      touches: this.touchesOf(c.browser, action),
      termsByCampaign: this.terms,
      rejectedClickIds: rejected,
      duplicateOf,
    });
    if (duplicateOf) expectThat(decision.outcome === 'duplicate' && decision.winner === null, () => `replayed order ${orderKey} got ${decision.outcome}`);
    for (const r of rejected) {
      expectThat(decision.candidates.some((v) => v.touchId === r.clickId && v.verdict === 'forged'), () => `forged click ID missing from the explain record`);
    }
    const winner = decision.winner;
    const countedBefore = winner ? this.counted.get(`${winner.id}|${action.key}`) : undefined;
    if (action.counting === 'one' && countedBefore) {
      expectThat(decision.outcome !== 'attributed', () => `counting one: ${winner!.id} counted ${countedBefore} and now ${id} too`);
    }
    const t = winner ? this.terms.get(winner.campaignId)! : null;
    const key = `conversion:${id}`;
    const meta = winner && t ? this.metaFor('conversion', id, t, winner.publisherId) : null;
    const s = settleConversion(decision, t, { valueMicros: c.value, currency: c.currency }, t && winner ? this.spendFor(t.campaignId, winner.publisherId, utcDay(this.now)) : zeroSpend, key, meta);
    if (s.group) this.post(s.group);
    if (decision.outcome === 'attributed' && winner && !countedBefore) {
      this.counted.set(`${winner.id}|${action.key}`, id);
    }
    let status: ConversionStatus;
    if (decision.outcome === 'unattributed') status = 'unattributed';
    else if (s.outcome === 'held') status = 'pending';
    else if (s.outcome === 'charged' || s.outcome === 'no_charge') status = 'approved';
    else status = 'rejected'; // duplicate, not counted, over a cap: kept with the reason, never billed
    if (status !== 'approved') this.unbillable.add(key);
    this.note(`conversion:${decision.outcome}:${s.outcome}`);
    if (s.capHit) this.note(`over_cap:${s.capHit}`);
    if (s.outcome === 'charged') this.note(`conversion:charged_to_${decision.winner!.kind}`);
    if (s.split && s.split.platformMicros < 0n) this.note('charge:negative_margin');
    this.conversions.push({ id, orderKey, advertiserId, action, at: this.now, valueMicros: c.value, currency: c.currency, status, decision });
    this.record(this.nextId('ev'), { kind: 'conversion', ref: id, group: s.group });
  }

  replay(c: Extract<Cmd, { t: 'replay' }>) {
    const eventId = pick(this.eventIds, c.event);
    if (!eventId) return;
    const stored = this.events.get(eventId)!;
    const before = this.groups.length;
    // Idempotency on event_id answers the stored result. Should a retry still reach the ledger,
    // posting the same group again must change nothing.
    if (stored.group) {
      expectThat(!this.post(stored.group), () => `replayed group ${stored.group!.key} was posted twice`);
      this.note('replay:group_refused');
    }
    if (stored.kind === 'click') {
      const k = this.clicks.find((x) => x.id === stored.ref)!;
      const t = this.terms.get(k.campaignId)!;
      const again = settleClick(t, { invalidReason: k.invalidReason, duplicateOf: k.duplicateOf }, this.spendFor(t.campaignId, k.publisherId, utcDay(this.now)), `click:${k.id}`, this.metaFor('click', k.id, t, k.publisherId));
      if (again.group && this.actions.has(`click:${k.id}`)) expectThat(!this.post(again.group), () => `re-settled click ${k.id} was charged twice`);
      else if (again.group) this.unbillable.add(`click:${k.id}`); // first settled over a cap: a replay must not charge it now
    }
    expectThat(this.groups.length === before, () => `replay of ${eventId} added ${this.groups.length - before} groups`);
  }

  replayOrder(c: Extract<Cmd, { t: 'replay_order' }>) {
    const cv = pick(this.conversions, c.conversion);
    if (!cv) return;
    // The same order again under a new event ID (the S2S copy of a browser conversion, or a
    // thank-you page reloaded), with the same or another amount.
    const before = this.groups.length;
    this.conversion(
      {
        t: 'conversion',
        follow: false,
        advertiser: ADVERTISERS.indexOf(cv.advertiserId as 'adv_a'),
        browser: 0,
        action: ACTIONS.indexOf(cv.action),
        order: 0,
        value: c.value ?? cv.valueMicros,
        currency: cv.currency,
        forged: false,
      },
      cv.orderKey,
    );
    expectThat(this.groups.length === before, () => `a replayed order ${cv.orderKey} was charged`);
    expectThat(this.conversions.at(-1)!.decision.outcome === 'duplicate', () => `a replayed order ${cv.orderKey} was not a duplicate`);
  }

  /** A conversion to correct: any of them, or (half the time) one that carries money. */
  private correctable(i: number, billedOnly: boolean): Conversion | undefined {
    const billed = billedOnly ? this.conversions.filter((cv) => this.actions.has(`conversion:${cv.id}`)) : [];
    return pick(billed.length > 0 ? billed : this.conversions, i);
  }

  reverse(c: Extract<Cmd, { t: 'reverse' }>) {
    const cv = this.correctable(c.conversion, c.billedOnly);
    if (!cv) return;
    const to = nextStatus(cv.status, 'reverse');
    if (!to) return; // 409 with the current state
    const key = `conversion:${cv.id}`;
    const action = this.actions.get(key);
    if (action) {
      const g = reversalGroup(`${key}:reversal`, 'reversal', { ...action.meta, reason: 'refund' }, this.netsOfAction(key));
      if (g && this.post(g)) this.note('reverse:clawback');
    }
    cv.status = to;
    this.unbillable.add(key);
  }

  restate(c: Extract<Cmd, { t: 'restate' }>) {
    const cv = this.correctable(c.conversion, c.billedOnly);
    if (!cv) return;
    const to = nextStatus(cv.status, 'restate');
    if (!to) return;
    const winner = cv.decision.winner;
    if (cv.status === 'unattributed' || !winner) {
      cv.valueMicros = c.value; // value recorded, nothing to charge
      cv.status = to;
      return;
    }
    const t = this.terms.get(winner.campaignId)!;
    const price = conversionCost(t, c.value, cv.currency);
    if (!price.ok) return; // refused: the restated value cannot be priced
    const key = `conversion:${cv.id}`;
    const action = this.actions.get(key);
    const meta = action?.meta ?? this.metaFor('conversion', cv.id, t, winner.publisherId);
    const current = this.netsOfAction(key);
    const currentCost = current.get(accountsFor(meta).advertiser) ?? 0n;
    // A restatement to nothing pays nothing, like a charge that costs nothing (no payout on 0).
    const target = price.costMicros > 0n ? netsOfSplit(splitCharge(price.costMicros, t.payout), meta) : new Map();
    const delta = price.costMicros - currentCost;
    if (delta > 0n && capHit(t, this.spendFor(t.campaignId, meta.publisherId, utcDay(meta.at)), delta)) {
      this.note('restate:over_cap');
      return; // refused: the restated cost would pass a cap
    }
    const n = (action?.restatements ?? 0) + 1;
    const g = adjustmentGroup(`${key}:restate:${n}`, 'restatement', { ...meta, reason: 'restated' }, current, target);
    if (g) {
      this.post(g);
      this.actions.get(key)!.restatements = n;
    }
    this.note(delta > 0n ? 'restate:up' : delta < 0n ? 'restate:down' : 'restate:same');
    cv.valueMicros = c.value;
    cv.status = to;
    this.unbillable.delete(key);
  }

  review(c: Extract<Cmd, { t: 'review' }>) {
    const cv = pick(this.conversions, c.conversion);
    if (!cv) return;
    const to = nextStatus(cv.status, c.approve ? 'approve' : 'reject');
    if (!to) return;
    if (to === 'rejected') {
      cv.status = to;
      return;
    }
    // A reviewer approves a held conversion: it is billed now, as if it had been attributed.
    const winner = cv.decision.winner!;
    const t = this.terms.get(winner.campaignId)!;
    const key = `conversion:${cv.id}`;
    const meta = this.metaFor('conversion', cv.id, t, winner.publisherId);
    const s = settleConversion({ ...cv.decision, outcome: 'attributed', reason: null }, t, { valueMicros: cv.valueMicros, currency: cv.currency }, this.spendFor(t.campaignId, winner.publisherId, utcDay(this.now)), key, meta);
    this.note(`approve:${s.outcome}`);
    if (s.outcome !== 'charged' && s.outcome !== 'no_charge') return; // still cannot be billed: stays pending
    if (s.group) this.post(s.group);
    cv.status = to;
    this.unbillable.delete(key);
  }

  invalidate(c: Extract<Cmd, { t: 'invalidate' }>) {
    const x = c.kind === 'click' ? pick(this.clicks, c.index) : pick(this.impressions, c.index);
    if (!x) return;
    x.invalidReason ??= 'ivt_found_later';
    const key = `${c.kind}:${x.id}`;
    const action = this.actions.get(key);
    if (action) {
      const g = reversalGroup(`${key}:invalidation`, 'invalidation', { ...action.meta, reason: 'ivt_found_later' }, this.netsOfAction(key));
      if (g) this.post(g);
    }
    this.unbillable.add(key);
  }

  run(c: Step) {
    const day = utcDay(this.now);
    this.now += c.t === 'advance' ? c.ms : c.gap;
    if (utcDay(this.now) !== day) this.note('time:new_utc_day');
    switch (c.t) {
      case 'impression':
        return this.impression(c);
      case 'viewable':
        return this.viewable(c);
      case 'click':
        return this.click(this.campaigns[c.campaign]!.campaignId, PUBLISHERS[c.publisher]!, c.browser, c.invalid);
      case 'double_click': {
        const k = pick(this.clicks, c.click);
        if (k) this.click(k.campaignId, k.publisherId, k.browser, false);
        return;
      }
      case 'conversion':
        return this.conversion(c);
      case 'replay':
        return this.replay(c);
      case 'replay_order':
        return this.replayOrder(c);
      case 'reverse':
        return this.reverse(c);
      case 'restate':
        return this.restate(c);
      case 'review':
        return this.review(c);
      case 'invalidate':
        return this.invalidate(c);
      case 'advance':
        return;
    }
  }
}

const zeroSpend: Spend = { totalMicros: 0n, dayMicros: 0n, publisherDayMicros: 0n };

function pick<T>(xs: readonly T[], i: number): T | undefined {
  return xs.length === 0 ? undefined : xs[i % xs.length];
}

function expectThat(ok: boolean, message: () => string): void {
  if (!ok) throw new Error(message());
}

const stringify = (g: EntryGroup) => JSON.stringify(g, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

// ---------------------------------------------------------------------------------------------
// Invariants, checked after every step against the ledger itself.

function checkInvariants(e: Engine, snapshot: string[]): void {
  // The ledger is append-only: every group seen before is still there, unchanged.
  expectThat(e.groups.length >= snapshot.length, () => `ledger shrank from ${snapshot.length} to ${e.groups.length} groups`);
  for (let i = 0; i < snapshot.length; i++) expectThat(stringify(e.groups[i]!) === snapshot[i], () => `group ${i} changed: ${snapshot[i]} → ${stringify(e.groups[i]!)}`);
  for (let i = snapshot.length; i < e.groups.length; i++) snapshot.push(stringify(e.groups[i]!));

  // Σ debits = Σ credits over the whole ledger (totals() also refuses a leg that is not positive).
  const all = totals(e.groups.flatMap((g) => g.legs));
  expectThat(all.debits === all.credits, () => `ledger unbalanced: debits ${all.debits} ≠ credits ${all.credits}`);

  const keys = new Set<string>();
  const byAction = new Map<string, EntryGroup[]>();
  const spendTotal = new Map<string, bigint>();
  const spendDay = new Map<string, bigint>();
  const spendPubDay = new Map<string, bigint>();
  const cpmCharged = new Map<string, bigint>();
  for (const g of e.groups) {
    expectThat(!keys.has(g.key), () => `idempotency key ${g.key} posted twice`);
    keys.add(g.key);
    const t = totals(g.legs);
    expectThat(t.debits === t.credits, () => `group ${g.key} unbalanced: ${t.debits} ≠ ${t.credits}`);
    const a = accountsFor(g.meta);
    for (const l of g.legs) expectThat(l.account === a.advertiser || l.account === a.publisher || l.account === a.platform, () => `group ${g.key} touches ${l.account}`);
    const nets = netsOf(g.legs);
    const adv = nets.get(a.advertiser) ?? 0n;
    const pub = nets.get(a.publisher) ?? 0n;
    const plat = nets.get(a.platform) ?? 0n;
    if (g.kind === 'charge') {
      // cost = earning + margin: the advertiser's debit is the publisher's and platform's credit.
      expectThat(adv > 0n && pub <= 0n && adv === -(pub + plat), () => `charge ${g.key}: cost ${adv} ≠ earning ${-pub} + margin ${-plat}`);
      const payout = e.terms.get(g.meta.campaignId)!.payout;
      const earning = payout.kind === 'share' ? (adv * BigInt(payout.bps)) / 10_000n : payout.micros;
      expectThat(-pub === earning, () => `charge ${g.key}: publisher got ${-pub} of ${adv}, terms say ${earning}`);
      if (g.meta.refType === 'impression') cpmCharged.set(g.meta.campaignId, (cpmCharged.get(g.meta.campaignId) ?? 0n) + adv);
    }
    const actionKey = `${g.meta.refType}:${g.meta.refId}`;
    const list = byAction.get(actionKey) ?? [];
    list.push(g);
    byAction.set(actionKey, list);
    // Spend is booked on the action's UTC day (the day of its first group).
    const day = utcDay(list[0]!.meta.at);
    const add = (map: Map<string, bigint>, k: string) => map.set(k, (map.get(k) ?? 0n) + adv);
    add(spendTotal, g.meta.campaignId);
    add(spendDay, `${g.meta.campaignId}|${day}`);
    add(spendPubDay, `${g.meta.campaignId}|${g.meta.publisherId}|${day}`);
  }

  for (const [actionKey, groups] of byAction) {
    // At most one charge per billable action.
    const charges = groups.filter((g) => g.kind === 'charge').length;
    expectThat(charges <= 1, () => `${actionKey} has ${charges} charge groups`);
    // All groups of one action are about the same campaign, advertiser, publisher and time.
    const m0 = groups[0]!.meta;
    for (const g of groups) {
      expectThat(
        g.meta.campaignId === m0.campaignId && g.meta.advertiserId === m0.advertiserId && g.meta.publisherId === m0.publisherId && g.meta.at === m0.at,
        () => `${g.key} is about another action than ${groups[0]!.key}`,
      );
    }
    // Per action: advertiser net = publisher net + platform net, i.e. the nets sum to zero.
    const nets = netsOf(groups.flatMap((g) => g.legs));
    const a = accountsFor(m0);
    const adv = nets.get(a.advertiser) ?? 0n;
    const pub = -(nets.get(a.publisher) ?? 0n);
    const plat = -(nets.get(a.platform) ?? 0n);
    expectThat(adv === pub + plat, () => `${actionKey}: advertiser net ${adv} ≠ publisher ${pub} + platform ${plat}`);
    expectThat(adv >= 0n, () => `${actionKey}: advertiser net ${adv} is negative`);
    // The engine's view of what the action costs matches the ledger.
    expectThat(e.actions.get(actionKey)?.costMicros === adv, () => `${actionKey}: engine says ${e.actions.get(actionKey)?.costMicros}, ledger ${adv}`);
    // Actions that must not carry money (replayed orders, reversed, invalid, held…) carry none.
    if (e.unbillable.has(actionKey)) expectThat(adv === 0n && pub === 0n && plat === 0n, () => `${actionKey} should carry no money but nets ${adv}/${pub}/${plat}`);
  }

  for (const t of e.campaigns) {
    const total = spendTotal.get(t.campaignId) ?? 0n;
    expectThat(total === (e.spendTotal.get(t.campaignId) ?? 0n), () => `${t.campaignId}: engine spend ${e.spendTotal.get(t.campaignId)} ≠ ledger ${total}`);
    expectThat(total >= 0n, () => `${t.campaignId}: negative spend ${total}`);
    if (t.totalBudgetMicros !== null) expectThat(total <= t.totalBudgetMicros, () => `${t.campaignId}: spend ${total} above total budget ${t.totalBudgetMicros}`);
    if (t.costModel === 'cpm') {
      const tot = e.cpm.get(t.campaignId) ?? { billableCount: 0n, chargedMicros: 0n };
      expectThat(tot.chargedMicros === (tot.billableCount * t.cpmMicros) / 1000n, () => `${t.campaignId}: CPM total ${tot.chargedMicros} ≠ floor(${tot.billableCount} × ${t.cpmMicros} / 1000)`);
      expectThat(tot.chargedMicros === (cpmCharged.get(t.campaignId) ?? 0n), () => `${t.campaignId}: CPM total ${tot.chargedMicros} ≠ charged ${cpmCharged.get(t.campaignId) ?? 0n}`);
    }
  }
  for (const [k, v] of spendDay) {
    expectThat(v === (e.spendDay.get(k) ?? 0n), () => `${k}: engine day spend ${e.spendDay.get(k)} ≠ ledger ${v}`);
    const t = e.terms.get(k.split('|')[0]!)!;
    if (t.dailyBudgetMicros !== null) expectThat(v <= t.dailyBudgetMicros, () => `${k}: day spend ${v} above daily budget ${t.dailyBudgetMicros}`);
  }
  for (const [k, v] of spendPubDay) {
    expectThat(v === (e.spendPubDay.get(k) ?? 0n), () => `${k}: engine publisher-day spend ${e.spendPubDay.get(k)} ≠ ledger ${v}`);
    const t = e.terms.get(k.split('|')[0]!)!;
    if (t.publisherDailyCapMicros !== null) expectThat(v <= t.publisherDailyCapMicros, () => `${k}: publisher-day spend ${v} above cap ${t.publisherDailyCapMicros}`);
  }
}

// ---------------------------------------------------------------------------------------------

describe('ledger property: money is conserved after every step', () => {
  it('generates valid campaign terms', () => {
    fc.assert(
      fc.property(worldArb, (campaigns) => {
        for (const t of campaigns) expect(checkTerms(t)).toEqual([]);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it(`holds every invariant over ${NUM_RUNS.toLocaleString('en')} random command sequences`, () => {
    const stats = { steps: 0, groups: 0, charges: 0, reversals: 0, invalidations: 0, restatements: 0 };
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(worldArb, fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }), (campaigns, cmds) => {
        const e = new Engine(campaigns);
        const snapshot: string[] = [];
        for (const c of cmds) {
          e.run(c);
          checkInvariants(e, snapshot);
          stats.steps++;
        }
        stats.groups += e.groups.length;
        for (const [k, v] of e.seen) seen.set(k, (seen.get(k) ?? 0) + v);
        for (const g of e.groups) {
          if (g.kind === 'charge') stats.charges++;
          else if (g.kind === 'reversal') stats.reversals++;
          else if (g.kind === 'invalidation') stats.invalidations++;
          else stats.restatements++;
        }
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
    // The runs exercised every path, so the invariants were not checked on an empty ledger.
    const n = (label: string) => seen.get(label) ?? 0;
    expect(stats.steps).toBeGreaterThan(NUM_RUNS * 10);
    expect(stats.charges).toBeGreaterThan(5000);
    expect(stats.reversals).toBeGreaterThan(100);
    expect(stats.invalidations).toBeGreaterThan(500);
    expect(stats.restatements).toBeGreaterThan(50);
    expect(n('restate:up')).toBeGreaterThan(20);
    expect(n('restate:down')).toBeGreaterThan(20);
    expect(n('restate:over_cap')).toBeGreaterThan(10);
    expect(n('impression:charged')).toBeGreaterThan(1000);
    expect(n('over_cap:total_budget')).toBeGreaterThan(200);
    expect(n('over_cap:daily_budget')).toBeGreaterThan(200);
    expect(n('over_cap:publisher_daily_cap')).toBeGreaterThan(200);
    expect(n('time:new_utc_day')).toBeGreaterThan(NUM_RUNS / 2);
    expect(n('conversion:attributed:charged')).toBeGreaterThan(1000);
    expect(n('conversion:charged_to_view')).toBeGreaterThan(0);
    expect(n('conversion:duplicate:not_billable')).toBeGreaterThan(1000);
    expect(n('conversion:held:held')).toBeGreaterThan(100);
    expect(n('conversion:not_counted:not_billable')).toBeGreaterThan(50);
    expect(n('charge:negative_margin')).toBeGreaterThan(100);
    expect(n('replay:group_refused')).toBeGreaterThan(100);
  });
});
