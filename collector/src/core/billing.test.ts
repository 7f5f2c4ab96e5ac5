import { describe, expect, it } from 'vitest';
import { attributeConversion, type AttributionDecision, type Touch } from './attribution';
import { settleClick, settleConversion, settleImpression, type CpmTotals } from './billing';
import type { Spend } from './caps';
import { netsOf, totals, type EntryMeta } from './ledger';
import { DEFAULT_TERMS, type CampaignTerms, type ConversionAction } from './terms';

// Follows the rules table at the top of billing.ts, row by row.

const AT = Date.UTC(2025, 5, 1, 12);

function terms(over: Partial<CampaignTerms> = {}): CampaignTerms {
  return { ...DEFAULT_TERMS, campaignId: 'c1', advertiserId: 'adv_a', version: 3, currency: 'EUR', costModel: 'cpc', cpcMicros: 1_000_000n, viewWindowDays: 1, ...over };
}

const noSpend: Spend = { totalMicros: 0n, dayMicros: 0n, publisherDayMicros: 0n };
const zero: CpmTotals = { billableCount: 0n, chargedMicros: 0n };

function meta(refType: EntryMeta['refType'], refId: string): EntryMeta {
  return { refType, refId, campaignId: 'c1', advertiserId: 'adv_a', publisherId: 'pub_1', termsVersion: 3, currency: 'EUR', at: AT, reason: null };
}

const validClick = { invalidReason: null, duplicateOf: null };

describe('click', () => {
  it('a valid click on a CPC campaign is charged the CPC bid, split by the revenue share', () => {
    const s = settleClick(terms(), validClick, noSpend, 'click:k1', meta('click', 'k1'));
    expect(s.outcome).toBe('charged');
    expect(s.split).toEqual({ costMicros: 1_000_000n, publisherMicros: 700_000n, platformMicros: 300_000n });
    expect(s.group).toEqual({
      key: 'click:k1',
      kind: 'charge',
      meta: meta('click', 'k1'),
      legs: [
        { account: 'advertiser:adv_a', side: 'debit', micros: 1_000_000n },
        { account: 'platform', side: 'credit', micros: 300_000n },
        { account: 'publisher:pub_1', side: 'credit', micros: 700_000n },
      ],
    });
  });

  it.each([
    ['invalid traffic', { invalidReason: 'isbot', duplicateOf: null }, 'not_billable', 'invalid: isbot'],
    ['a duplicate click', { invalidReason: null, duplicateOf: 'k0' }, 'not_billable', 'duplicate click of k0'],
  ] as const)('%s is not billed', (_name, facts, outcome, reason) => {
    const s = settleClick(terms(), facts, noSpend, 'click:k1', meta('click', 'k1'));
    expect(s).toEqual({ outcome, reason, split: null, group: null, capHit: null });
  });

  it.each(['cpm', 'cpa'] as const)('a click on a %s campaign costs nothing', (costModel) => {
    const s = settleClick(terms({ costModel, cpmMicros: 1n, cpaFlatMicros: 1n }), validClick, noSpend, 'click:k1', meta('click', 'k1'));
    expect(s.outcome).toBe('no_charge');
    expect(s.group).toBeNull();
  });

  it('a click that reaches the budget exactly is charged', () => {
    const s = settleClick(terms({ totalBudgetMicros: 5_000_000n }), validClick, { ...noSpend, totalMicros: 4_000_000n }, 'click:k1', meta('click', 'k1'));
    expect(s.outcome).toBe('charged');
  });

  it('a click one micro over the budget is kept as over_cap and posts nothing', () => {
    const s = settleClick(terms({ totalBudgetMicros: 5_000_000n }), validClick, { ...noSpend, totalMicros: 4_000_001n }, 'click:k1', meta('click', 'k1'));
    expect(s).toEqual({ outcome: 'over_cap', reason: 'total_budget', split: null, group: null, capHit: 'total_budget' });
  });

  it('a click over the publisher daily cap is over_cap', () => {
    const s = settleClick(terms({ publisherDailyCapMicros: 1_500_000n }), validClick, { ...noSpend, publisherDayMicros: 600_000n }, 'click:k1', meta('click', 'k1'));
    expect(s.capHit).toBe('publisher_daily_cap');
  });

  it('a fixed payout above the CPC bid is capped at the bid: the platform never pays out of pocket', () => {
    const s = settleClick(terms({ cpcMicros: 500_000n, payout: { kind: 'fixed', micros: 800_000n } }), validClick, noSpend, 'click:k1', meta('click', 'k1'));
    expect(s.split).toEqual({ costMicros: 500_000n, publisherMicros: 500_000n, platformMicros: 0n });
    expect(s.group!.legs).toEqual([
      { account: 'advertiser:adv_a', side: 'debit', micros: 500_000n },
      { account: 'publisher:pub_1', side: 'credit', micros: 500_000n },
    ]);
  });

  it('a fixed payout above the CPC bid under an operator subsidy debits the platform (negative margin) and still balances', () => {
    const s = settleClick(terms({ cpcMicros: 500_000n, payout: { kind: 'fixed', micros: 800_000n }, subsidy: true }), validClick, noSpend, 'click:k1', meta('click', 'k1'));
    expect(s.split).toEqual({ costMicros: 500_000n, publisherMicros: 800_000n, platformMicros: -300_000n });
    expect(s.group!.legs).toEqual([
      { account: 'advertiser:adv_a', side: 'debit', micros: 500_000n },
      { account: 'platform', side: 'debit', micros: 300_000n },
      { account: 'publisher:pub_1', side: 'credit', micros: 800_000n },
    ]);
    expect(totals(s.group!.legs)).toEqual({ debits: 800_000n, credits: 800_000n });
  });
});

describe('impression', () => {
  const cpm = (over: Partial<CampaignTerms> = {}) => terms({ costModel: 'cpm', cpcMicros: 0n, cpmMicros: 2_000_000n, ...over });
  const viewable = { kind: 'viewable' as const, invalidReason: null };

  it('a billable impression is charged its running-total increment and advances the totals', () => {
    const r = settleImpression(cpm(), viewable, zero, noSpend, 'impression:i1', meta('impression', 'i1'));
    expect(r.settlement.outcome).toBe('charged');
    expect(r.settlement.split).toEqual({ costMicros: 2000n, publisherMicros: 1400n, platformMicros: 600n });
    expect(r.settlement.group?.key).toBe('impression:i1');
    expect(r.totals).toEqual({ billableCount: 1n, chargedMicros: 2000n });
  });

  it('invalid traffic is not billed and does not count', () => {
    const r = settleImpression(cpm(), { kind: 'viewable', invalidReason: 'stacked' }, zero, noSpend, 'impression:i1', meta('impression', 'i1'));
    expect(r.settlement).toMatchObject({ outcome: 'not_billable', reason: 'invalid: stacked', group: null });
    expect(r.totals).toBe(zero);
  });

  it.each(['cpc', 'cpa'] as const)('an impression of a %s campaign costs nothing and does not count', (costModel) => {
    const r = settleImpression(terms({ costModel, cpaFlatMicros: 1n }), viewable, zero, noSpend, 'impression:i1', meta('impression', 'i1'));
    expect(r.settlement.outcome).toBe('no_charge');
    expect(r.totals).toBe(zero);
  });

  it.each([
    ['viewable', 'served', 'no_charge'],
    ['viewable', 'viewable', 'charged'],
    ['served', 'viewable', 'no_charge'],
    ['served', 'served', 'charged'],
  ] as const)('a campaign billing %s impressions bills a %s one: %s', (basis, kind, outcome) => {
    const r = settleImpression(cpm({ cpmBasis: basis }), { kind, invalidReason: null }, zero, noSpend, 'impression:i1', meta('impression', 'i1'));
    expect(r.settlement.outcome).toBe(outcome);
    expect(r.totals.billableCount).toBe(outcome === 'charged' ? 1n : 0n);
  });

  it('an impression over a cap is over_cap and not counted, so the running total stays exact', () => {
    const totalsBefore = { billableCount: 10n, chargedMicros: 20_000n };
    const r = settleImpression(cpm({ dailyBudgetMicros: 21_999n }), viewable, totalsBefore, { ...noSpend, dayMicros: 20_000n }, 'impression:i11', meta('impression', 'i11'));
    expect(r.settlement).toMatchObject({ outcome: 'over_cap', capHit: 'daily_budget', group: null });
    expect(r.totals).toBe(totalsBefore);
  });

  it('an impression that rounds to zero is counted without a charge, so the next one picks up the micro', () => {
    const t = cpm({ cpmMicros: 500n });
    const first = settleImpression(t, viewable, zero, noSpend, 'impression:i1', meta('impression', 'i1'));
    expect(first.settlement.outcome).toBe('no_charge');
    expect(first.totals).toEqual({ billableCount: 1n, chargedMicros: 0n });
    const second = settleImpression(t, viewable, first.totals, noSpend, 'impression:i2', meta('impression', 'i2'));
    expect(second.settlement.split?.costMicros).toBe(1n);
    expect(second.totals).toEqual({ billableCount: 2n, chargedMicros: 1n });
  });

  it('a non-divisible rate (1,234,567 per 1,000) over 20,000 impressions totals floor(n × rate / 1000) and never charges a negative amount', () => {
    const t = cpm({ cpmMicros: 1_234_567n });
    let tot = zero;
    let posted = 0n;
    for (let i = 1; i <= 20_000; i++) {
      const r = settleImpression(t, viewable, tot, noSpend, `impression:i${i}`, meta('impression', `i${i}`));
      const cost = r.settlement.split?.costMicros ?? 0n;
      expect(cost > 0n).toBe(true);
      posted += cost;
      tot = r.totals;
    }
    expect(tot).toEqual({ billableCount: 20_000n, chargedMicros: (20_000n * 1_234_567n) / 1000n });
    expect(posted).toBe(24_691_340n);
  });
});

describe('conversion', () => {
  const purchase: ConversionAction = { key: 'purchase', counting: 'every', clickWindowDays: null, viewWindowDays: null, model: 'last_click' };
  const cpa = (over: Partial<CampaignTerms> = {}) => terms({ costModel: 'cpa', cpcMicros: 0n, cpaFlatMicros: 2_000_000n, viewWindowDays: 0, ...over });
  const click: Touch = {
    id: 'k1',
    kind: 'click',
    at: AT - 3_600_000,
    advertiserId: 'adv_a',
    campaignId: 'c1',
    publisherId: 'pub_1',
    creativeId: 'cr',
    slotId: 'slot',
    termsVersion: 3,
    invalidReason: null,
    countedConversionId: null,
  };

  function decide(t: CampaignTerms, over: { touches?: Touch[]; duplicateOf?: string; at?: number; counting?: 'every' | 'one' } = {}): AttributionDecision {
    return attributeConversion({
      conversion: { id: 'cv1', advertiserId: 'adv_a', at: over.at ?? AT, valueMicros: 49_900_000n, action: { ...purchase, counting: over.counting ?? 'every' } },
      touches: over.touches ?? [click],
      termsByCampaign: new Map([[t.campaignId, t]]),
      duplicateOf: over.duplicateOf ?? null,
    });
  }

  const eur = { valueMicros: 49_900_000n, currency: 'EUR' };

  it.each([
    ['flat', { cpaFlatMicros: 2_000_000n, cpaBps: 0 }, 2_000_000n, 2_000_000n, 0n],
    ['bps', { cpaFlatMicros: 0n, cpaBps: 1000 }, 4_990_000n, 0n, 4_990_000n],
    ['both', { cpaFlatMicros: 2_000_000n, cpaBps: 1000 }, 6_990_000n, 2_000_000n, 4_990_000n],
  ] as const)('an attributed conversion on a CPA %s campaign is charged', (_name, over, cost, flat, share) => {
    const t = cpa(over);
    const s = settleConversion(decide(t), t, eur, noSpend, 'conversion:cv1', meta('conversion', 'cv1'));
    expect(s).toMatchObject({ outcome: 'charged', flatMicros: flat, shareMicros: share, capHit: null });
    expect(s.split?.costMicros).toBe(cost);
    expect(netsOf(s.group!.legs).get('advertiser:adv_a')).toBe(cost);
  });

  it('a replayed order (duplicateOf) wins nothing and posts nothing', () => {
    const t = cpa();
    const s = settleConversion(decide(t, { duplicateOf: 'cv0' }), t, eur, noSpend, 'conversion:cv1', meta('conversion', 'cv1'));
    expect(s).toMatchObject({ outcome: 'not_billable', reason: 'duplicate of conversion cv0', group: null, split: null });
  });

  it('an unattributed conversion is stored, not charged', () => {
    const t = cpa();
    const s = settleConversion(decide(t, { touches: [] }), null, eur, noSpend, 'conversion:cv1', null);
    expect(s).toMatchObject({ outcome: 'not_billable', reason: 'unattributed', group: null });
  });

  it('a second conversion on a counting-one touch is not charged', () => {
    const t = cpa();
    const d = decide(t, { touches: [{ ...click, countedConversionId: 'cv0' }], counting: 'one' });
    expect(d.outcome).toBe('not_counted');
    const s = settleConversion(d, t, eur, noSpend, 'conversion:cv1', meta('conversion', 'cv1'));
    expect(s).toMatchObject({ outcome: 'not_billable', group: null });
  });

  it('a too-fast click holds the conversion for review without charging', () => {
    const t = cpa();
    const s = settleConversion(decide(t, { at: click.at + 1000 }), t, eur, noSpend, 'conversion:cv1', meta('conversion', 'cv1'));
    expect(s.outcome).toBe('held');
    expect(s.reason).toMatch(/^too_fast/);
    expect(s.group).toBeNull();
  });

  it('a currency mismatch on a share is held, not charged', () => {
    const t = cpa({ cpaBps: 1000 });
    const s = settleConversion(decide(t), t, { valueMicros: 49_900_000n, currency: 'USD' }, noSpend, 'conversion:cv1', meta('conversion', 'cv1'));
    expect(s).toMatchObject({ outcome: 'held', reason: 'currency_mismatch', group: null });
  });

  it('an attributed conversion on a CPC campaign costs nothing', () => {
    const t = terms({ viewWindowDays: 0 });
    const s = settleConversion(decide(t), t, eur, noSpend, 'conversion:cv1', meta('conversion', 'cv1'));
    expect(s).toMatchObject({ outcome: 'no_charge', group: null });
  });

  it('a share that rounds to zero costs nothing', () => {
    const t = cpa({ cpaFlatMicros: 0n, cpaBps: 1 });
    const s = settleConversion(decide(t), t, { valueMicros: 9_999n, currency: 'EUR' }, noSpend, 'conversion:cv1', meta('conversion', 'cv1'));
    expect(s).toMatchObject({ outcome: 'no_charge', group: null });
  });

  it('a conversion that would pass the daily budget is over_cap; exactly reaching it is charged', () => {
    const t = cpa({ dailyBudgetMicros: 10_000_000n });
    const at = settleConversion(decide(t), t, eur, { ...noSpend, dayMicros: 8_000_000n }, 'conversion:cv1', meta('conversion', 'cv1'));
    expect(at.outcome).toBe('charged');
    const over = settleConversion(decide(t), t, eur, { ...noSpend, dayMicros: 8_000_001n }, 'conversion:cv1', meta('conversion', 'cv1'));
    expect(over).toMatchObject({ outcome: 'over_cap', capHit: 'daily_budget', group: null });
  });

  it('a fixed payout above the CPA cost is capped at the cost without a subsidy', () => {
    const t = cpa({ payout: { kind: 'fixed', micros: 3_000_000n } });
    const s = settleConversion(decide(t), t, eur, noSpend, 'conversion:cv1', meta('conversion', 'cv1'));
    expect(s.split).toEqual({ costMicros: 2_000_000n, publisherMicros: 2_000_000n, platformMicros: 0n });
  });

  it('a fixed payout above the CPA cost under a subsidy still balances with a negative margin', () => {
    const t = cpa({ payout: { kind: 'fixed', micros: 3_000_000n }, subsidy: true });
    const s = settleConversion(decide(t), t, eur, noSpend, 'conversion:cv1', meta('conversion', 'cv1'));
    expect(s.split).toEqual({ costMicros: 2_000_000n, publisherMicros: 3_000_000n, platformMicros: -1_000_000n });
    const { debits, credits } = totals(s.group!.legs);
    expect(debits).toBe(credits);
  });
});
