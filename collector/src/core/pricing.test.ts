import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clickCost, conversionCost, cpmCost, splitCharge, splitUnder } from './pricing';
import { DEFAULT_TERMS, type CampaignTerms, type CostModel } from './terms';

// Follows the rules table at the top of pricing.ts, row by row.

function terms(over: Partial<CampaignTerms> = {}): CampaignTerms {
  return { ...DEFAULT_TERMS, campaignId: 'c1', advertiserId: 'adv_a', version: 1, currency: 'EUR', costModel: 'cpc', cpcMicros: 0n, viewWindowDays: 1, ...over };
}

/** Bills `n` impressions one by one on a running total and returns each charge and the total. */
function runCpm(from: bigint, n: bigint, rate: bigint) {
  let charged = (from * rate) / 1000n;
  let min = -1n;
  for (let count = from + 1n; count <= from + n; count++) {
    const c = cpmCost(count, rate, charged);
    if (min < 0n || c < min) min = c;
    charged += c;
  }
  return { charged, min };
}

describe('CPC: a valid, non-duplicate click costs the CPC bid', () => {
  it.each([
    ['cpc', 750_000n],
    ['cpm', 0n],
    ['cpa', 0n],
  ] as const)('a click on a %s campaign costs %s micros', (costModel: CostModel, expected) => {
    expect(clickCost(terms({ costModel, cpcMicros: 750_000n }))).toBe(expected);
  });
});

describe('CPM: the n-th impression costs floor(n × rate / 1000) − already charged', () => {
  it.each([
    // rate, count after, already charged, cost
    [2_000_000n, 1n, 0n, 2000n],
    [1_234_567n, 1n, 0n, 1234n],
    [1_234_567n, 2n, 1234n, 1235n],
    [1_234_567n, 1000n, 1_233_333n, 1234n],
    [500n, 1n, 0n, 0n],
    [500n, 2n, 0n, 1n],
    [1n, 1000n, 0n, 1n],
  ])('at %s micros per 1,000 the impression that brings the count to %s after %s charged costs %s', (rate, count, already, cost) => {
    expect(cpmCost(count, rate, already)).toBe(cost);
  });

  it('a non-divisible rate (1,234,567 per 1,000) over 100,000 impressions charges exactly floor(n × rate / 1000), never negative', () => {
    const rate = 1_234_567n;
    let charged = 0n;
    for (let n = 1n; n <= 100_000n; n++) {
      const c = cpmCost(n, rate, charged);
      expect(c === 1234n || c === 1235n).toBe(true);
      charged += c;
      if (n % 997n === 0n) expect(charged).toBe((n * rate) / 1000n);
    }
    expect(charged).toBe(123_456_700n);
  });

  it('running totals stay exact up to 10^7 impressions (closed form at n = 10^7)', () => {
    // 1,234,567 × 10^7 / 1000 is whole; 999,999,999,999 is not, and 10^7 × it passes 2^53.
    for (const rate of [1_234_567n, 999_999_999_999n, 1n, 7n]) {
      const { charged, min } = runCpm(0n, 10_000_000n, rate);
      expect(charged).toBe((10_000_000n * rate) / 1000n);
      expect(min >= 0n).toBe(true);
    }
    expect(runCpm(0n, 10_000_000n, 999_999_999_999n).charged).toBe(9_999_999_999_990_000n);
  });

  it('any stretch of impressions at any rate up to count 10^7 sums to the closed form (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10_000_000n - 200n }),
        fc.bigInt({ min: 1n, max: 200n }),
        (rate, from, n) => {
          const { charged, min } = runCpm(from, n, rate);
          expect(charged).toBe(((from + n) * rate) / 1000n);
          expect(min >= 0n).toBe(true);
          // Each impression costs floor(rate / 1000) or one micro more.
          expect(min >= rate / 1000n).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('CPA: flat, share of value, or both', () => {
  it.each([
    ['flat', 2_000_000n, 0, 49_900_000n, { costMicros: 2_000_000n, flatMicros: 2_000_000n, shareMicros: 0n }],
    ['share', 0n, 1000, 49_900_000n, { costMicros: 4_990_000n, flatMicros: 0n, shareMicros: 4_990_000n }],
    ['share rounded down', 0n, 333, 10_000_001n, { costMicros: 333_000n, flatMicros: 0n, shareMicros: 333_000n }],
    ['flat + share', 2_000_000n, 1000, 49_900_000n, { costMicros: 6_990_000n, flatMicros: 2_000_000n, shareMicros: 4_990_000n }],
    ['flat + share of no value', 2_000_000n, 1000, 0n, { costMicros: 2_000_000n, flatMicros: 2_000_000n, shareMicros: 0n }],
  ])('CPA %s (flat %s, %s bps) of a %s-micro sale', (_name, cpaFlatMicros, cpaBps, value, expected) => {
    expect(conversionCost(terms({ costModel: 'cpa', cpaFlatMicros, cpaBps }), value, 'EUR')).toEqual({ ok: true, ...expected });
  });

  it('holds a share of a value in another currency (no exchange rate)', () => {
    expect(conversionCost(terms({ costModel: 'cpa', cpaBps: 1000 }), 49_900_000n, 'USD')).toEqual({ ok: false, reason: 'currency_mismatch' });
    expect(conversionCost(terms({ costModel: 'cpa', cpaFlatMicros: 1n, cpaBps: 1000 }), 49_900_000n, 'USD')).toEqual({ ok: false, reason: 'currency_mismatch' });
  });

  it('charges a flat-only CPA whatever the currency of the value', () => {
    expect(conversionCost(terms({ costModel: 'cpa', cpaFlatMicros: 3_000_000n }), 49_900_000n, 'USD')).toEqual({
      ok: true,
      costMicros: 3_000_000n,
      flatMicros: 3_000_000n,
      shareMicros: 0n,
    });
  });

  it('takes a value without a currency as the campaign currency', () => {
    expect(conversionCost(terms({ costModel: 'cpa', cpaBps: 1000 }), 10_000_000n, null)).toMatchObject({ ok: true, costMicros: 1_000_000n });
  });

  it('holds a share-only CPA conversion that carries no value', () => {
    expect(conversionCost(terms({ costModel: 'cpa', cpaBps: 1000 }), 0n, 'EUR')).toEqual({ ok: false, reason: 'missing_value' });
  });

  it.each(['cpc', 'cpm'] as const)('charges nothing for a conversion on a %s campaign', (costModel) => {
    expect(conversionCost(terms({ costModel, cpaFlatMicros: 5n, cpaBps: 1000 }), 49_900_000n, 'USD')).toEqual({
      ok: true,
      costMicros: 0n,
      flatMicros: 0n,
      shareMicros: 0n,
    });
  });
});

describe('split: publisher earning and platform margin', () => {
  it.each([
    // cost, payout, publisher, platform
    ['a 70 % share of an even cost', 1_000_000n, { kind: 'share', bps: 7000 }, 700_000n, 300_000n],
    ['a 70 % share that does not divide evenly (remainder to the platform)', 1_000_001n, { kind: 'share', bps: 7000 }, 700_000n, 300_001n],
    ['a 33.33 % share of 1 micro', 1n, { kind: 'share', bps: 3333 }, 0n, 1n],
    ['a 0 % share', 1_234n, { kind: 'share', bps: 0 }, 0n, 1_234n],
    ['a 100 % share', 1_234n, { kind: 'share', bps: 10_000 }, 1_234n, 0n],
    ['a fixed payout below cost', 2_000_000n, { kind: 'fixed', micros: 1_500_000n }, 1_500_000n, 500_000n],
    ['a fixed payout above cost is capped at the cost (margin 0, never negative)', 500_000n, { kind: 'fixed', micros: 800_000n }, 500_000n, 0n],
    ['an advertiser-sized payout of 5.00 on a 1 µ click pays 1 µ', 1n, { kind: 'fixed', micros: 5_000_000n }, 1n, 0n],
  ] as const)('%s', (_name, cost, payout, publisher, platform) => {
    const split = splitCharge(cost, payout);
    expect(split).toEqual({ costMicros: cost, publisherMicros: publisher, platformMicros: platform });
    expect(split.publisherMicros + split.platformMicros).toBe(split.costMicros);
  });

  it('pays a fixed payout above the cost in full only under an operator-recorded subsidy (negative margin)', () => {
    expect(splitCharge(500_000n, { kind: 'fixed', micros: 800_000n }, true)).toEqual({ costMicros: 500_000n, publisherMicros: 800_000n, platformMicros: -300_000n });
    expect(splitUnder({ payout: { kind: 'fixed', micros: 800_000n }, subsidy: true }, 500_000n).platformMicros).toBe(-300_000n);
    expect(splitUnder({ payout: { kind: 'fixed', micros: 800_000n } }, 500_000n).platformMicros).toBe(0n);
  });

  it('cost = earning + margin for any cost and payout, and a share never pays more than the cost (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.oneof(
          fc.record({ kind: fc.constant('share' as const), bps: fc.integer({ min: 0, max: 10_000 }) }),
          fc.record({ kind: fc.constant('fixed' as const), micros: fc.bigInt({ min: 0n, max: 10n ** 12n }) }),
        ),
        (cost, payout) => {
          const s = splitCharge(cost, payout);
          expect(s.costMicros).toBe(cost);
          expect(s.publisherMicros + s.platformMicros).toBe(cost);
          // Without a subsidy the platform's leg is never negative (SPEC §3.8), whatever the payout.
          expect(s.platformMicros >= 0n).toBe(true);
          expect(s.publisherMicros <= cost).toBe(true);
          if (payout.kind === 'share') expect(s.publisherMicros).toBe((cost * BigInt(payout.bps)) / 10_000n);
          else expect(s.publisherMicros).toBe(payout.micros < cost ? payout.micros : cost);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
