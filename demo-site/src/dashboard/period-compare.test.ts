import { describe, expect, it } from 'vitest';
import { change, previousPeriod, versus } from './period-compare';

describe('period comparison', () => {
  it('compares with the period of the same length just before', () => {
    expect(previousPeriod(1_000, 1_600)).toEqual({ from: 400, to: 1_000 });
  });

  it.each([
    [120, 100, '+20.0 %'],
    [80, 100, '-20.0 %'],
    [100, 100, 'no change'],
    [5, 0, 'new'],
    [0, 7, '-100.0 %'],
    [1n, 3n, '-66.7 %'],
    [10_000_000_000_000_000_001n, 10_000_000_000_000_000_000n, '+0.0 %'],
  ])('says %s against %s is %s', (now, before, want) => {
    expect(change(now, before)).toBe(want);
  });

  it('names the previous period', () => {
    expect(versus(3, 2, 14)).toBe('+50.0 % vs the previous 14 days');
  });
});
