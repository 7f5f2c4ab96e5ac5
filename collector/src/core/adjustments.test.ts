import { describe, expect, it } from 'vitest';
import { giveBack, spendByDay } from './adjustments';

// Follows the rules table at the top of adjustments.ts, row by row.

const DAY1 = Date.UTC(2026, 10, 30, 12);
const DAY2 = DAY1 + 86_400_000;
const DAY3 = DAY2 + 86_400_000;

describe('spendByDay: what an action cost per day of booking', () => {
  it('gives a correction back by the same rule, so a second correction sees what the first left', () => {
    // 5.00 on day 1, +2.00 restated up on day 2, −3.00 restated down on day 3 (taken from day 2, then day 1).
    const byDay = spendByDay([
      { at: DAY1, costMicros: 5_000_000n },
      { at: DAY2, costMicros: 2_000_000n },
      { at: DAY3, costMicros: -3_000_000n },
    ]);
    expect([...byDay]).toEqual([
      ['2026-11-30', 4_000_000n],
      ['2026-12-01', 0n],
    ]);
    // A full reversal then gives back exactly what each day still holds.
    expect([...giveBack(byDay, 4_000_000n)]).toEqual([['2026-11-30', -4_000_000n]]);
  });

  it('books each group on the UTC day of its own booking time', () => {
    const byDay = spendByDay([
      { at: DAY1, costMicros: 5_000_000n },
      { at: DAY2, costMicros: 2_000_000n },
      { at: DAY2 + 1000, costMicros: -500_000n },
    ]);
    expect([...byDay]).toEqual([
      ['2026-11-30', 5_000_000n],
      ['2026-12-01', 1_500_000n],
    ]);
  });

  it('puts a group booked one millisecond before midnight on the earlier day', () => {
    const midnight = Date.UTC(2026, 11, 1);
    expect([...spendByDay([{ at: midnight - 1, costMicros: 1n }, { at: midnight, costMicros: 2n }])]).toEqual([
      ['2026-11-30', 1n],
      ['2026-12-01', 2n],
    ]);
  });
});

describe('giveBack: a reversal or a downward restatement', () => {
  const booked = spendByDay([
    { at: DAY1, costMicros: 5_000_000n },
    { at: DAY3, costMicros: 2_000_000n },
  ]);

  it('gives a full reversal back to every day exactly what was booked on it', () => {
    expect([...giveBack(booked, 7_000_000n)].sort()).toEqual([
      ['2026-11-30', -5_000_000n],
      ['2026-12-02', -2_000_000n],
    ]);
  });

  it('takes a partial give-back from the latest booked day first', () => {
    expect([...giveBack(booked, 3_000_000n)]).toEqual([
      ['2026-12-02', -2_000_000n],
      ['2026-11-30', -1_000_000n],
    ]);
  });

  it('never gives back more than was booked', () => {
    const out = giveBack(booked, 9_000_000n);
    expect([...out.values()].reduce((a, b) => a + b, 0n)).toBe(-7_000_000n);
  });

  it('gives nothing back to a day whose money was already given back', () => {
    const net = spendByDay([
      { at: DAY1, costMicros: 5_000_000n },
      { at: DAY1 + 10, costMicros: -5_000_000n },
      { at: DAY2, costMicros: 1_000_000n },
    ]);
    expect([...giveBack(net, 1_000_000n)]).toEqual([['2026-12-01', -1_000_000n]]);
  });
});
