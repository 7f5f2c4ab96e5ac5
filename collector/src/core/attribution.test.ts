import { describe, expect, it } from 'vitest';
import {
  CONVERSION_CREDIT_UNITS,
  attributeConversion,
  type AttributionInput,
  type RejectedClickId,
  type Touch,
  type Verdict,
} from './attribution';
import { DAY_MS, DEFAULT_TERMS, type CampaignTerms, type ConversionAction } from './terms';

// Follows the rules table at the top of attribution.ts, row by row.

const CONV_AT = Date.UTC(2025, 5, 1, 12);
const H = 3_600_000;

function terms(campaignId: string, over: Partial<CampaignTerms> = {}): CampaignTerms {
  return {
    ...DEFAULT_TERMS,
    campaignId,
    advertiserId: 'adv_a',
    version: 1,
    currency: 'EUR',
    costModel: 'cpc',
    cpcMicros: 500_000n,
    viewWindowDays: 1,
    ...over,
  };
}

const purchase: ConversionAction = { key: 'purchase', counting: 'every', clickWindowDays: null, viewWindowDays: null, model: 'last_click' };

function touch(id: string, kind: 'click' | 'view', at: number, over: Partial<Touch> = {}): Touch {
  return {
    id,
    kind,
    at,
    advertiserId: 'adv_a',
    campaignId: 'c1',
    publisherId: 'pub_1',
    creativeId: 'cr_1',
    slotId: 'slot_1',
    termsVersion: 1,
    invalidReason: null,
    countedConversionId: null,
    ...over,
  };
}

function attribute(
  touches: Touch[],
  opts: {
    action?: Partial<ConversionAction>;
    terms?: CampaignTerms[];
    rejected?: RejectedClickId[];
    duplicateOf?: string | null;
    valueMicros?: bigint;
  } = {},
) {
  const all = opts.terms ?? [terms('c1')];
  const input: AttributionInput = {
    conversion: { id: 'cv_1', advertiserId: 'adv_a', at: CONV_AT, valueMicros: opts.valueMicros ?? 49_900_000n, action: { ...purchase, ...opts.action } },
    touches,
    termsByCampaign: new Map(all.map((t) => [t.campaignId, t])),
    rejectedClickIds: opts.rejected ?? [],
    duplicateOf: opts.duplicateOf ?? null,
  };
  return attributeConversion(input);
}

const verdicts = (d: ReturnType<typeof attribute>): Record<string, Verdict> =>
  Object.fromEntries(d.candidates.map((c) => [c.touchId, c.verdict]));

describe('rule 1: a conversion of an order already converted is a duplicate', () => {
  it('a replayed order (duplicateOf) wins nothing, even for a perfect click', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - H), touch('v1', 'view', CONV_AT - 60_000)], { duplicateOf: 'cv_0' });
    expect(d.outcome).toBe('duplicate');
    expect(d.winner).toBeNull();
    expect(d.reason).toBe('duplicate of conversion cv_0');
    expect(verdicts(d)).toEqual({ k1: 'duplicate', v1: 'duplicate' });
    expect(d.candidates.every((c) => c.detail === 'cv_0')).toBe(true);
    expect(d.credits).toEqual([]);
  });

  it('still lists rejected click IDs with their own verdict on a duplicate', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - H)], { duplicateOf: 'cv_0', rejected: [{ clickId: 'bad', reason: 'forged' }] });
    expect(verdicts(d)).toEqual({ k1: 'duplicate', bad: 'forged' });
  });
});

describe('rule 2: click IDs that did not resolve to one of our clicks', () => {
  it.each(['forged', 'unknown', 'other_advertiser'] as const)('lists a click ID refused as %s with that verdict and lets it win nothing', (reason) => {
    const d = attribute([], { rejected: [{ clickId: 'ppclid_x', reason }] });
    expect(d.outcome).toBe('unattributed');
    expect(d.winner).toBeNull();
    expect(d.candidates).toEqual([
      { touchId: 'ppclid_x', kind: 'click', at: null, campaignId: null, publisherId: null, verdict: reason, detail: null },
    ]);
  });

  it('lists forged IDs after the real touches and lets a real click win', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - H)], {
      rejected: [
        { clickId: 'f1', reason: 'forged' },
        { clickId: 'u1', reason: 'unknown' },
      ],
    });
    expect(d.outcome).toBe('attributed');
    expect(d.winner?.id).toBe('k1');
    expect(d.candidates.map((c) => [c.touchId, c.verdict])).toEqual([
      ['k1', 'won'],
      ['f1', 'forged'],
      ['u1', 'unknown'],
    ]);
  });
});

describe('rule 3: a touch of another advertiser', () => {
  it('is listed as other_advertiser and cannot win even when it is the only touch', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - H, { advertiserId: 'adv_b' })]);
    expect(d.outcome).toBe('unattributed');
    expect(verdicts(d)).toEqual({ k1: 'other_advertiser' });
  });
});

describe('rule 4: a touch flagged as invalid traffic', () => {
  it('is listed as invalid with its reason and loses to a valid older click', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - 2 * H), touch('k2', 'click', CONV_AT - H, { invalidReason: 'bot' })]);
    expect(d.winner?.id).toBe('k1');
    expect(verdicts(d)).toEqual({ k1: 'won', k2: 'invalid' });
    expect(d.candidates.find((c) => c.touchId === 'k2')?.detail).toBe('bot');
  });
});

describe('a touch whose campaign terms are unknown', () => {
  it('is listed as unknown_campaign and cannot win', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - H, { campaignId: 'gone' })]);
    expect(d.outcome).toBe('unattributed');
    expect(verdicts(d)).toEqual({ k1: 'unknown_campaign' });
  });
});

describe('rule 5: a touch after the conversion', () => {
  it('one millisecond after the conversion is after_conversion', () => {
    const d = attribute([touch('k1', 'click', CONV_AT + 1)]);
    expect(d.outcome).toBe('unattributed');
    expect(verdicts(d)).toEqual({ k1: 'after_conversion' });
  });

  it('at the same millisecond as the conversion is still a candidate', () => {
    const d = attribute([touch('k1', 'click', CONV_AT)], { terms: [terms('c1', { minConversionDelayMs: 0 })] });
    expect(d.outcome).toBe('attributed');
  });
});

describe('rule 6: click window (age == window is inside)', () => {
  it.each([
    ['30 d (exactly the window)', 30, 'won', 30 * DAY_MS],
    ['30 d + 1 ms', 30, 'outside_click_window', 30 * DAY_MS + 1],
    ['1 d (exactly the window)', 1, 'won', DAY_MS],
    ['1 d + 1 ms', 1, 'outside_click_window', DAY_MS + 1],
    ['90 d (exactly the window)', 90, 'won', 90 * DAY_MS],
    ['90 d + 1 ms', 90, 'outside_click_window', 90 * DAY_MS + 1],
  ] as const)('a click %s old with a %s-day window is %s', (_age, days, verdict, age) => {
    const d = attribute([touch('k1', 'click', CONV_AT - age)], { terms: [terms('c1', { clickWindowDays: days })] });
    expect(verdicts(d)).toEqual({ k1: verdict });
    expect(d.outcome).toBe(verdict === 'won' ? 'attributed' : 'unattributed');
  });

  it('says by how much a click missed its window', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - 30 * DAY_MS - 1)]);
    expect(d.candidates[0]!.detail).toBe(`${30 * DAY_MS + 1} ms > ${30 * DAY_MS} ms`);
  });
});

describe('rule 7: view-through off (0 days)', () => {
  it('a view is view_through_off when the campaign window is 0 days, even a second old', () => {
    const d = attribute([touch('v1', 'view', CONV_AT - 1000)], { terms: [terms('c1', { viewWindowDays: 0 })] });
    expect(d.outcome).toBe('unattributed');
    expect(verdicts(d)).toEqual({ v1: 'view_through_off' });
  });

  it('a view is view_through_off when the action turns view-through off', () => {
    const d = attribute([touch('v1', 'view', CONV_AT - 1000)], { action: { viewWindowDays: 0 } });
    expect(verdicts(d)).toEqual({ v1: 'view_through_off' });
  });
});

describe('rule 8: view window (age == window is inside)', () => {
  it.each([
    ['1 d (exactly the window)', 1, 'won', DAY_MS],
    ['1 d + 1 ms', 1, 'outside_view_window', DAY_MS + 1],
    ['30 d (exactly the window)', 30, 'won', 30 * DAY_MS],
    ['30 d + 1 ms', 30, 'outside_view_window', 30 * DAY_MS + 1],
  ] as const)('a view %s old with a %s-day window is %s', (_age, days, verdict, age) => {
    const d = attribute([touch('v1', 'view', CONV_AT - age)], { terms: [terms('c1', { viewWindowDays: days })] });
    expect(verdicts(d)).toEqual({ v1: verdict });
  });

  it('a view is never held as too fast (the minimum delay is about clicks)', () => {
    const d = attribute([touch('v1', 'view', CONV_AT - 1)]);
    expect(d.outcome).toBe('attributed');
    expect(verdicts(d)).toEqual({ v1: 'won' });
  });
});

describe('windows: an action may shorten a window but never lengthen it', () => {
  it.each([
    ['click', 30, 7, 7 * DAY_MS, 'won'],
    ['click', 30, 7, 7 * DAY_MS + 1, 'outside_click_window'],
    ['click', 7, 30, 7 * DAY_MS + 1, 'outside_click_window'],
    ['click', 7, 30, 7 * DAY_MS, 'won'],
    ['view', 2, 1, DAY_MS + 1, 'outside_view_window'],
    ['view', 1, 2, DAY_MS + 1, 'outside_view_window'],
    ['view', 1, 2, DAY_MS, 'won'],
  ] as const)('a %s with a %s-day campaign window and a %s-day action window, %s ms old, is %s', (kind, campaignDays, actionDays, age, verdict) => {
    const d = attribute([touch('t1', kind, CONV_AT - age)], {
      terms: [terms('c1', kind === 'click' ? { clickWindowDays: campaignDays } : { viewWindowDays: campaignDays })],
      action: kind === 'click' ? { clickWindowDays: actionDays } : { viewWindowDays: actionDays },
    });
    expect(verdicts(d)).toEqual({ t1: verdict });
  });

  it('windows are per touch: each touch uses its own campaign window', () => {
    const d = attribute(
      [touch('k1', 'click', CONV_AT - 10 * DAY_MS, { campaignId: 'short' }), touch('k2', 'click', CONV_AT - 20 * DAY_MS, { campaignId: 'long' })],
      { terms: [terms('short', { clickWindowDays: 7 }), terms('long', { clickWindowDays: 30 })] },
    );
    expect(verdicts(d)).toEqual({ k2: 'won', k1: 'outside_click_window' });
  });
});

describe('rule 9: clicks always beat views', () => {
  it('a view inside its window loses to an older click', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - 10 * DAY_MS), touch('v1', 'view', CONV_AT - H)]);
    expect(d.winner?.id).toBe('k1');
    expect(verdicts(d)).toEqual({ k1: 'won', v1: 'lost_to_click' });
  });

  it('a view of a higher-priority campaign still loses to a click', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - 2 * H), touch('v1', 'view', CONV_AT - H, { campaignId: 'c2' })], {
      terms: [terms('c1'), terms('c2', { priority: 100 })],
    });
    expect(verdicts(d)).toEqual({ k1: 'won', v1: 'lost_to_click' });
  });

  it('a view wins when the only click is outside its window', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - 31 * DAY_MS), touch('v1', 'view', CONV_AT - H)]);
    expect(d.winner?.id).toBe('v1');
    expect(verdicts(d)).toEqual({ k1: 'outside_click_window', v1: 'won' });
  });
});

describe('rule 10: higher campaign priority wins among the remaining kind', () => {
  it('priority beats recency: an older high-priority click beats a newer one', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - 5 * DAY_MS, { campaignId: 'hi' }), touch('k2', 'click', CONV_AT - H, { campaignId: 'lo' })], {
      terms: [terms('hi', { priority: 5 }), terms('lo', { priority: 0 })],
    });
    expect(d.winner?.id).toBe('k1');
    expect(verdicts(d)).toEqual({ k1: 'won', k2: 'lower_priority' });
  });

  it('priority also ranks views among themselves', () => {
    const d = attribute([touch('v1', 'view', CONV_AT - 2 * H, { campaignId: 'hi' }), touch('v2', 'view', CONV_AT - H, { campaignId: 'lo' })], {
      terms: [terms('hi', { priority: 1 }), terms('lo', { priority: -1 })],
    });
    expect(verdicts(d)).toEqual({ v1: 'won', v2: 'lower_priority' });
  });
});

describe('rule 11: then the most recent (last click) or the oldest (first click)', () => {
  const three = [touch('k1', 'click', CONV_AT - 3 * H), touch('k2', 'click', CONV_AT - 2 * H), touch('k3', 'click', CONV_AT - H)];

  it('last click: the most recent click wins, the others are older', () => {
    const d = attribute(three);
    expect(d.model).toBe('last_click');
    expect(verdicts(d)).toEqual({ k1: 'older', k2: 'older', k3: 'won' });
  });

  it('first click: the oldest click wins, the others are newer', () => {
    const d = attribute(three, { action: { model: 'first_click' } });
    expect(d.model).toBe('first_click');
    expect(verdicts(d)).toEqual({ k1: 'won', k2: 'newer', k3: 'newer' });
  });
});

describe('rule 12: then the smaller touch ID (deterministic)', () => {
  it('a tie on time and priority goes to the smaller ID, whatever the input order', () => {
    const a = touch('k_a', 'click', CONV_AT - H);
    const b = touch('k_b', 'click', CONV_AT - H);
    for (const input of [
      [a, b],
      [b, a],
    ]) {
      const d = attribute(input);
      expect(d.winner?.id).toBe('k_a');
      expect(verdicts(d)).toEqual({ k_a: 'won', k_b: 'tie_break' });
      expect(d.candidates.map((c) => c.touchId)).toEqual(['k_a', 'k_b']);
    }
  });

  it('gives the same decision for any order of the same touches', () => {
    const ts = [touch('k3', 'click', CONV_AT - H), touch('v1', 'view', CONV_AT - 2 * H), touch('k1', 'click', CONV_AT - H), touch('k2', 'click', CONV_AT - 5 * H)];
    const first = attribute(ts);
    expect(attribute([...ts].reverse())).toEqual(first);
    expect(attribute([ts[2]!, ts[0]!, ts[3]!, ts[1]!])).toEqual(first);
    expect(first.winner?.id).toBe('k1');
  });
});

describe('rule 13: a winning click faster than the minimum delay is held for review', () => {
  it.each([
    [2999, 'held', 'too_fast'],
    [3000, 'attributed', 'won'],
  ] as const)('a click %s ms before the conversion is %s', (age, outcome, verdict) => {
    const d = attribute([touch('k1', 'click', CONV_AT - age)]);
    expect(d.outcome).toBe(outcome);
    expect(verdicts(d)).toEqual({ k1: verdict });
    if (outcome === 'held') expect(d.reason).toBe('too_fast: 2999 ms after the click < 3000 ms');
    else expect(d.reason).toBeNull();
  });

  it('uses the winning campaign’s minimum delay', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - 10_000)], { terms: [terms('c1', { minConversionDelayMs: 60_000 })] });
    expect(d.outcome).toBe('held');
  });

  it('a held conversion gets no billing credit, only reporting credits', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - 1000)]);
    expect(d.credits.map((c) => c.model)).toEqual(['linear', 'time_decay', 'position_based']);
  });
});

describe('rule 14: counting `one`', () => {
  it('does not count a second conversion on the same winning touch', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - H, { countedConversionId: 'cv_0' })], { action: { counting: 'one' } });
    expect(d.outcome).toBe('not_counted');
    expect(d.reason).toBe('counting one: already counted as conversion cv_0');
    expect(d.candidates[0]).toMatchObject({ touchId: 'k1', verdict: 'duplicate', detail: 'cv_0' });
  });

  it('counts the first conversion on a touch', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - H)], { action: { counting: 'one' } });
    expect(d.outcome).toBe('attributed');
  });

  it('counting `every` counts a second conversion on the same touch', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - H, { countedConversionId: 'cv_0' })], { action: { counting: 'every' } });
    expect(d.outcome).toBe('attributed');
  });
});

describe('otherwise', () => {
  it('the winner is `won` and the conversion attributed', () => {
    const d = attribute([touch('k1', 'click', CONV_AT - H)]);
    expect(d).toMatchObject({ outcome: 'attributed', reason: null, winner: { id: 'k1' } });
    expect(d.candidates).toEqual([
      { touchId: 'k1', kind: 'click', at: CONV_AT - H, campaignId: 'c1', publisherId: 'pub_1', verdict: 'won', detail: null },
    ]);
  });

  it('a conversion without touches is unattributed, with an empty explain record', () => {
    const d = attribute([]);
    expect(d).toMatchObject({ outcome: 'unattributed', winner: null, reason: null, candidates: [], credits: [] });
  });
});

describe('explain record and reporting credits', () => {
  it('lists every touch once, oldest first, with a verdict each', () => {
    const d = attribute([
      touch('late', 'click', CONV_AT + 5),
      touch('k1', 'click', CONV_AT - 2 * H),
      touch('old', 'click', CONV_AT - 40 * DAY_MS),
      touch('v1', 'view', CONV_AT - H),
      touch('bot', 'click', CONV_AT - 3 * H, { invalidReason: 'isbot' }),
    ]);
    expect(d.candidates.map((c) => [c.touchId, c.verdict])).toEqual([
      ['old', 'outside_click_window'],
      ['bot', 'invalid'],
      ['k1', 'won'],
      ['v1', 'lost_to_click'],
      ['late', 'after_conversion'],
    ]);
  });

  it('credits the billing winner in full and splits reporting models over the eligible touches only', () => {
    const d = attribute(
      [touch('old', 'click', CONV_AT - 40 * DAY_MS), touch('k1', 'click', CONV_AT - 2 * H), touch('v1', 'view', CONV_AT - H), touch('k2', 'click', CONV_AT - 3 * H)],
      { valueMicros: 100_000_001n },
    );
    expect(d.credits[0]).toEqual({ model: 'last_click', shares: [{ touchId: 'k1', conversionMicros: CONVERSION_CREDIT_UNITS, valueMicros: 100_000_001n }] });
    for (const c of d.credits.slice(1)) {
      expect(c.shares.map((s) => s.touchId)).toEqual(['k2', 'k1', 'v1']);
      expect(c.shares.reduce((a, s) => a + s.conversionMicros, 0n)).toBe(CONVERSION_CREDIT_UNITS);
      expect(c.shares.reduce((a, s) => a + s.valueMicros, 0n)).toBe(100_000_001n);
    }
    const linear = d.credits.find((c) => c.model === 'linear')!;
    expect(linear.shares.map((s) => s.conversionMicros)).toEqual([333_334n, 333_333n, 333_333n]);
    const position = d.credits.find((c) => c.model === 'position_based')!;
    expect(position.shares.map((s) => s.conversionMicros)).toEqual([400_000n, 200_000n, 400_000n]);
  });
});
