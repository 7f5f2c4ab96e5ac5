import { describe, expect, it } from 'vitest';
import { budgetLeft, capHit, type Spend } from './caps';
import { DEFAULT_TERMS, type CampaignTerms } from './terms';
import { MAX_CAMPAIGN_SPEND_MICROS } from './money';

// Follows the rules table at the top of caps.ts, row by row.

function terms(over: Partial<CampaignTerms> = {}): CampaignTerms {
  return { ...DEFAULT_TERMS, campaignId: 'c1', advertiserId: 'adv_a', version: 1, currency: 'EUR', costModel: 'cpc', cpcMicros: 1n, viewWindowDays: 1, ...over };
}

const spend = (totalMicros: bigint, dayMicros = 0n, publisherDayMicros = 0n): Spend => ({ totalMicros, dayMicros, publisherDayMicros });

describe('totalBudgetMicros: campaign spend, all time', () => {
  it.each([
    ['reaching the cap exactly is allowed', 9_000_000n, 1_000_000n, null],
    ['one micro over the cap is over_cap', 9_000_001n, 1_000_000n, 'total_budget'],
    ['a charge larger than the whole budget is over_cap', 0n, 10_000_001n, 'total_budget'],
    ['a charge on an exhausted budget is over_cap', 10_000_000n, 1n, 'total_budget'],
  ] as const)('%s', (_name, spent, charge, expected) => {
    expect(capHit(terms({ totalBudgetMicros: 10_000_000n }), spend(spent), charge)).toBe(expected);
  });
});

describe('dailyBudgetMicros: campaign spend on the UTC day', () => {
  it.each([
    ['reaching the daily cap exactly is allowed', 4_000_000n, 1_000_000n, null],
    ['one micro over the daily cap is over_cap', 4_000_001n, 1_000_000n, 'daily_budget'],
  ] as const)('%s', (_name, dayMicros, charge, expected) => {
    expect(capHit(terms({ dailyBudgetMicros: 5_000_000n }), spend(50_000_000n, dayMicros), charge)).toBe(expected);
  });
});

describe('publisherDailyCapMicros: campaign spend with this publisher today', () => {
  it.each([
    ['reaching the publisher cap exactly is allowed', 999_999n, 1n, null],
    ['one micro over the publisher cap is over_cap', 1_000_000n, 1n, 'publisher_daily_cap'],
  ] as const)('%s', (_name, publisherDayMicros, charge, expected) => {
    expect(capHit(terms({ publisherDailyCapMicros: 1_000_000n }), spend(50_000_000n, 50_000_000n, publisherDayMicros), charge)).toBe(expected);
  });
});

describe('which cap and when', () => {
  it('names the total budget first, then the daily budget, then the publisher cap', () => {
    const all = terms({ totalBudgetMicros: 10n, dailyBudgetMicros: 10n, publisherDailyCapMicros: 10n });
    expect(capHit(all, spend(10n, 10n, 10n), 1n)).toBe('total_budget');
    expect(capHit(all, spend(0n, 10n, 10n), 1n)).toBe('daily_budget');
    expect(capHit(all, spend(0n, 0n, 10n), 1n)).toBe('publisher_daily_cap');
    expect(capHit(all, spend(0n, 0n, 0n), 10n)).toBeNull();
  });

  it('never stops a campaign without caps below the lifetime bound', () => {
    expect(capHit(terms(), spend(10n ** 17n, 10n ** 17n, 10n ** 17n), 10n ** 12n)).toBeNull();
  });

  it('stops a campaign without a total budget at MAX_CAMPAIGN_SPEND_MICROS, so its spend cannot overflow', () => {
    expect(capHit(terms(), spend(MAX_CAMPAIGN_SPEND_MICROS - 10n), 10n)).toBeNull();
    expect(capHit(terms(), spend(MAX_CAMPAIGN_SPEND_MICROS - 10n), 11n)).toBe('total_budget');
  });

  it('never stops a charge of zero, even on an exhausted budget', () => {
    expect(capHit(terms({ totalBudgetMicros: 0n }), spend(0n), 0n)).toBeNull();
    expect(capHit(terms({ totalBudgetMicros: 5n }), spend(9n), 0n)).toBeNull();
  });

  it('a zero budget refuses any positive charge', () => {
    expect(capHit(terms({ totalBudgetMicros: 0n }), spend(0n), 1n)).toBe('total_budget');
  });
});

describe('budgetLeft', () => {
  it.each([
    ['no cap', null, null, 5n, 5n, null],
    ['only a total budget', 100n, null, 30n, 5n, 70n],
    ['only a daily budget', null, 50n, 30n, 5n, 45n],
    ['the daily budget is tighter', 100n, 50n, 30n, 20n, 30n],
    ['the total budget is tighter', 100n, 50n, 80n, 0n, 20n],
    ['an overspent budget', 100n, null, 120n, 0n, -20n],
  ] as const)('with %s', (_name, totalBudgetMicros, dailyBudgetMicros, totalMicros, dayMicros, expected) => {
    expect(budgetLeft(terms({ totalBudgetMicros, dailyBudgetMicros }), { totalMicros, dayMicros })).toBe(expected);
  });
});
