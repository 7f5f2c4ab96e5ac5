import { describe, expect, it } from 'vitest';
import { DAY_MS, DEFAULT_TERMS, checkTerms, defaultViewWindowDays, effectiveWindows, type CampaignTerms, type ConversionAction } from './terms';

// Follows the windows table at the top of terms.ts, row by row.

function terms(over: Partial<CampaignTerms> = {}): CampaignTerms {
  return { ...DEFAULT_TERMS, campaignId: 'c1', advertiserId: 'adv_a', version: 1, currency: 'EUR', costModel: 'cpc', cpcMicros: 1n, viewWindowDays: 1, ...over };
}
const action = (clickWindowDays: number | null, viewWindowDays: number | null): ConversionAction => ({
  key: 'purchase',
  counting: 'every',
  clickWindowDays,
  viewWindowDays,
  model: 'last_click',
});

describe('defaults', () => {
  it('starts with a 30-day click window, a 3 s minimum delay and a 70 % publisher share', () => {
    expect(DEFAULT_TERMS).toMatchObject({ clickWindowDays: 30, minConversionDelayMs: 3000, payout: { kind: 'share', bps: 7000 } });
  });

  it.each([
    ['cpc', 1],
    ['cpm', 1],
    ['cpa', 0],
  ] as const)('a %s campaign starts with a %s-day view-through window', (model, days) => {
    expect(defaultViewWindowDays(model)).toBe(days);
  });
});

describe('effectiveWindows: an action may shorten a window, never lengthen it', () => {
  it.each([
    [30, 1, null, null, 30, 1],
    [30, 1, 7, 0, 7, 0],
    [7, 1, 30, 30, 7, 1],
    [90, 30, 90, 30, 90, 30],
  ])('campaign %s/%s d with action %s/%s d gives %s/%s d', (click, view, aClick, aView, eClick, eView) => {
    expect(effectiveWindows(terms({ clickWindowDays: click, viewWindowDays: view }), action(aClick, aView))).toEqual({
      clickMs: eClick * DAY_MS,
      viewMs: eView * DAY_MS,
    });
  });
});

describe('checkTerms', () => {
  it('accepts the defaults of a CPC campaign', () => {
    expect(checkTerms(terms())).toEqual([]);
  });

  it.each([
    ['a click window of 0 days', { clickWindowDays: 0 }, 'clickWindowDays must be an integer from 1 to 90'],
    ['a click window of 91 days', { clickWindowDays: 91 }, 'clickWindowDays must be an integer from 1 to 90'],
    ['a view window of 31 days', { viewWindowDays: 31 }, 'viewWindowDays must be an integer from 0 to 30'],
    ['a fractional view window', { viewWindowDays: 0.5 }, 'viewWindowDays must be an integer from 0 to 30'],
    ['a negative minimum delay', { minConversionDelayMs: -1 }, 'minConversionDelayMs must be an integer from 0 to 86400000'],
    ['a share above 100 %', { payout: { kind: 'share', bps: 10_001 } }, 'payout.bps must be an integer from 0 to 10000'],
    ['a negative budget', { totalBudgetMicros: -1n }, 'totalBudgetMicros must not be negative'],
    ['a CPC campaign without a bid', { cpcMicros: 0n }, 'a CPC campaign needs cpcMicros > 0'],
    ['a CPM campaign without a rate', { costModel: 'cpm' }, 'a CPM campaign needs cpmMicros > 0'],
    ['a CPA campaign without a price', { costModel: 'cpa' }, 'a CPA campaign needs cpaFlatMicros > 0 or cpaBps > 0'],
    ['a CPM campaign with a fixed payout', { costModel: 'cpm', cpmMicros: 1n, payout: { kind: 'fixed', micros: 1n } }, 'a CPM campaign pays publishers a share, not a fixed payout'],
  ] as const)('refuses %s', (_name, over, problem) => {
    expect(checkTerms(terms(over as Partial<CampaignTerms>))).toContain(problem);
  });
});
