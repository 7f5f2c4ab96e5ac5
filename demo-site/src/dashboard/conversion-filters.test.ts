// @vitest-environment happy-dom
/** The conversions list's filters live in the URL and become the collector's query parameters. */
import { describe, expect, it } from 'vitest';
import { filtersHash, filtersQuery, readFilters } from './conversion-filters';

describe('conversion filters', () => {
  it('round-trips every filter through the hash', () => {
    const f = { status: 'held', campaignId: 'cmp_1', publisherId: 'pub_1', action: 'purchase', orderId: 'A-1 &x', fromDay: '2026-11-01', toDay: '2026-11-30' };
    expect(readFilters(filtersHash(f))).toEqual(f);
    expect(filtersHash({})).toBe('#conversions');
  });

  it('drops empty and malformed values', () => {
    expect(readFilters('#conversions?status=&fromDay=yesterday&orderId=%20A-2%20&x=1')).toEqual({ orderId: 'A-2' });
    expect(readFilters('#conversions')).toEqual({});
  });

  it('turns UTC days into an inclusive [from, to) range and keeps the range picker otherwise', () => {
    const q = filtersQuery({ fromDay: '2026-11-01', toDay: '2026-11-02', orderId: 'A-1' }, 123);
    expect(q).toMatchObject({ from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 10, 3), orderId: 'A-1' });
    expect(filtersQuery({ status: 'held' }, 123)).toMatchObject({ from: 123, to: undefined, status: 'held' });
  });
});
