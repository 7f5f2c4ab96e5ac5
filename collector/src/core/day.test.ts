import { describe, expect, it } from 'vitest';
import { dayShare, utcDay } from './day';

const MIDNIGHT = Date.UTC(2025, 0, 1);

describe('utcDay: daily budgets reset at 00:00 UTC', () => {
  it.each([
    [MIDNIGHT - 1, '2024-12-31'],
    [MIDNIGHT, '2025-01-01'],
    [MIDNIGHT + 86_399_999, '2025-01-01'],
    [MIDNIGHT + 86_400_000, '2025-01-02'],
    [Date.UTC(2024, 1, 29, 13), '2024-02-29'],
    [0, '1970-01-01'],
    [-1, '1969-12-31'],
  ])('at %s the UTC day is %s', (at, day) => {
    expect(utcDay(at)).toBe(day);
  });
});

describe('dayShare', () => {
  it.each([
    [MIDNIGHT, 0],
    [MIDNIGHT + 43_200_000, 0.5],
    [MIDNIGHT - 21_600_000, 0.75],
    [-21_600_000, 0.75],
  ])('at %s the share of the day elapsed is %s', (at, share) => {
    expect(dayShare(at)).toBe(share);
  });

  it('stays below 1 just before midnight', () => {
    expect(dayShare(MIDNIGHT - 1)).toBeLessThan(1);
  });
});
