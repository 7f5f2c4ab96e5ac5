import { describe, expect, it } from 'vitest';
import type { PerformanceRow } from './api';
import { costPerConversion, ctr, ecpm, grandTotal, roas, totalsByDay, totalsByKey } from './report-math';
import { daysBetween, rangeStart, utcDay } from './format-time';

const row = (key: string, day: string | undefined, o: Partial<PerformanceRow> = {}): PerformanceRow => ({
  key,
  ...(day ? { day } : {}),
  currency: 'EUR',
  served: 0,
  viewable: 0,
  clicks: 0,
  invalidImpressions: 0,
  invalidClicks: 0,
  conversions: 0,
  valueMicros: '0',
  costMicros: '0',
  earningMicros: '0',
  ...o,
});

describe('report math', () => {
  it('sums money exactly, however many rows', () => {
    const rows = Array.from({ length: 10 }, (_, i) => row('c', undefined, { costMicros: '100000', served: i }));
    const t = grandTotal(rows);
    expect(t.costMicros).toBe(1_000_000n);
    expect(t.served).toBe(45);
  });

  it('groups by key in first-seen order', () => {
    const t = totalsByKey([row('b', '2026-11-01', { clicks: 1 }), row('a', '2026-11-01', { clicks: 2 }), row('b', '2026-11-02', { clicks: 3 })]);
    expect([...t.keys()]).toEqual(['b', 'a']);
    expect(t.get('b')!.clicks).toBe(4);
  });

  it('zero-fills days without rows', () => {
    const days = ['2026-11-01', '2026-11-02', '2026-11-03'];
    const t = totalsByDay([row('a', '2026-11-01', { costMicros: '5' }), row('b', '2026-11-03', { costMicros: '7' })], days);
    expect(t.map((x) => x.costMicros)).toEqual([5n, 0n, 7n]);
    expect(totalsByDay([row('a', '2026-11-01', { costMicros: '5' }), row('b', '2026-11-01', { costMicros: '7' })], days, 'b')[0]!.costMicros).toBe(7n);
  });

  it('derives CTR, cost per conversion, ROAS and eCPM', () => {
    const t = grandTotal([row('a', undefined, { served: 7924, clicks: 196, conversions: 24, costMicros: '266292000', valueMicros: '2728650000' })]);
    expect(ctr(t)).toBe('2.47 %');
    expect(costPerConversion(t)).toBe(11_095_500n);
    expect(roas(t)).toBe('10.25×');
    expect(ecpm(t, 266_292_000n)).toBe(33_605_755n); // 33,605,754.67 rounds up;
  });

  it('shows a dash for ratios without a base', () => {
    const t = grandTotal([]);
    expect(roas(t)).toBe('–');
    expect(costPerConversion(t)).toBeNull();
    expect(ctr(t)).toBe('–');
  });
});

describe('days', () => {
  it('lists UTC days of a range, inclusive', () => {
    const now = Date.parse('2026-11-29T10:00:00Z');
    const from = rangeStart(now, 7);
    expect(utcDay(from)).toBe('2026-11-23');
    expect(daysBetween(from, now)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29']);
  });
});
