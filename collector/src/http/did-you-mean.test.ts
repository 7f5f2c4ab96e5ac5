import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from './did-you-mean';

describe('did you mean', () => {
  it.each([
    ['shop-site', 'shop-site', 0],
    ['shop-stie', 'shop-site', 1],
    ['shop_site', 'shop-site', 0],
    ['Shop-Site', 'shop-site', 0],
    ['shopsite', 'shop-site', 1],
    ['shop-site2', 'shop-site', 1],
    ['news-site', 'shop-site', 4],
  ])('counts %s as %i edits from %s', (a, b, n) => {
    expect(editDistance(a, b)).toBe(n);
    expect(editDistance(b, a)).toBe(n);
  });

  it('suggests the close IDs, closest first, never the ID itself nor one that is merely short', () => {
    expect(didYouMean('shop-stie', ['daily-site', 'shop-site', 'shop-sites', 'shop-stie'])).toEqual(['shop-site', 'shop-sites']);
    expect(didYouMean('ab', ['ac', 'abc'])).toEqual([]);
    expect(didYouMean('nothing-close', ['shop-site'])).toEqual([]);
  });
});
