import { describe, expect, it } from 'vitest';
import { readableSummary } from './feed-view';

describe('readableSummary', () => {
  it('writes micros as money and campaign IDs as names', () => {
    const names = new Map([['nw-brand', 'Northwind brand']]);
    expect(readableSummary('viewable impression · nw-brand in daily-mrec · charged 4000 µ', 'EUR', names)).toBe('viewable impression · Northwind brand in daily-mrec · charged €0.004');
  });
});
