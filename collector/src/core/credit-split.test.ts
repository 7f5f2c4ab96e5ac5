import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIME_DECAY_HALF_LIFE_MS, modelWeights, splitByLargestRemainder, splitCredit } from './credit-split';
import { DAY_MS } from './terms';

// Follows the rules table at the top of credit-split.ts, row by row.

const AT = Date.UTC(2025, 5, 1, 12);
const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);

describe('linear: equal weights', () => {
  it.each([
    [100n, 1, [100n]],
    [100n, 2, [50n, 50n]],
    [100n, 3, [34n, 33n, 33n]],
    [2n, 3, [1n, 1n, 0n]],
    [1_000_000n, 7, [142_858n, 142_857n, 142_857n, 142_857n, 142_857n, 142_857n, 142_857n]],
  ])('splits %s over %s touches as [%s], the remainder to the earlier positions', (total, n, expected) => {
    const ats = Array.from({ length: n }, (_, i) => AT - (n - i) * 1000);
    expect(modelWeights('linear', ats, AT)).toEqual(Array(n).fill(1));
    expect(splitCredit('linear', total, ats, AT)).toEqual(expected);
  });
});

describe('time_decay: weight 2^(−age / 7 days)', () => {
  it('halves the weight every 7 days of age and never weighs a touch above 1', () => {
    expect(TIME_DECAY_HALF_LIFE_MS).toBe(7 * DAY_MS);
    expect(modelWeights('time_decay', [AT - 14 * DAY_MS, AT - 7 * DAY_MS, AT, AT + 5000], AT)).toEqual([0.25, 0.5, 1, 1]);
  });

  it('gives the newer touch the larger share (700 over 14 d, 7 d and 0 d old)', () => {
    expect(splitCredit('time_decay', 700n, [AT - 14 * DAY_MS, AT - 7 * DAY_MS, AT], AT)).toEqual([100n, 200n, 400n]);
  });

  it('still splits exactly when every touch is very old', () => {
    const shares = splitCredit('time_decay', 1_000_000n, [AT - 400 * DAY_MS, AT - 399 * DAY_MS], AT);
    expect(sum(shares)).toBe(1_000_000n);
    expect(shares[1]! >= shares[0]!).toBe(true);
  });
});

describe('position_based: 40 % first, 40 % last, 20 % shared by the middle', () => {
  it.each([
    [1, [1_000_000n]],
    [2, [500_000n, 500_000n]],
    [3, [400_000n, 200_000n, 400_000n]],
    [4, [400_000n, 100_000n, 100_000n, 400_000n]],
    [5, [400_000n, 66_667n, 66_667n, 66_666n, 400_000n]],
  ])('splits 1,000,000 over %s touches as [%s]', (n, expected) => {
    const ats = Array.from({ length: n }, (_, i) => AT - (n - i) * 1000);
    expect(splitCredit('position_based', 1_000_000n, ats, AT)).toEqual(expected);
  });
});

describe('splitByLargestRemainder', () => {
  it('gives the remainder to the largest fractional parts first', () => {
    // 10 × 1/3 = 3.33…, 10 × 2/3 = 6.66…: the larger fraction gets the spare unit.
    expect(splitByLargestRemainder(10n, [1, 2])).toEqual([3n, 7n]);
    expect(splitByLargestRemainder(10n, [2, 1])).toEqual([7n, 3n]);
  });

  it('breaks equal fractional parts toward the earlier position', () => {
    expect(splitByLargestRemainder(1n, [1, 1, 1])).toEqual([1n, 0n, 0n]);
    expect(splitByLargestRemainder(5n, [1, 1, 1, 1])).toEqual([2n, 1n, 1n, 1n]);
  });

  it('returns nothing for no weights', () => {
    expect(splitByLargestRemainder(100n, [])).toEqual([]);
  });

  it('falls back to equal shares when every weight is zero', () => {
    expect(splitByLargestRemainder(10n, [0, 0, 0])).toEqual([4n, 3n, 3n]);
  });

  it('gives a zero weight nothing when another weight is positive', () => {
    expect(splitByLargestRemainder(10n, [0, 1, 0])).toEqual([0n, 10n, 0n]);
  });

  it.each([[[-1, 1]], [[Number.NaN]], [[Number.POSITIVE_INFINITY, 1]]])('refuses the weights %j', (weights) => {
    expect(() => splitByLargestRemainder(10n, weights)).toThrow(RangeError);
  });

  it('keeps the proportions of very small weights instead of treating them as zero', () => {
    expect(splitByLargestRemainder(400n, [1e-12, 3e-12])).toEqual([100n, 300n]);
  });

  it('accepts very large finite weights', () => {
    expect(splitByLargestRemainder(400n, [1e300, 3e300])).toEqual([100n, 300n]);
  });

  it('splits a negative total so the shares still sum to it', () => {
    expect(splitByLargestRemainder(-10n, [1, 2])).toEqual([-3n, -7n]);
    expect(splitByLargestRemainder(-1n, [1, 1, 1])).toEqual([-1n, 0n, 0n]);
  });

  const weight = fc.oneof(
    fc.constant(0),
    fc.double({ min: 0, max: 1e6, noNaN: true }),
    fc.double({ min: 1e-12, max: 1, noNaN: true }),
    fc.integer({ min: 0, max: 1000 }),
  );

  it('always sums exactly to the total, for any weights and total (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.array(weight, { minLength: 1, maxLength: 12 }), (total, weights) => {
        const shares = splitByLargestRemainder(total, weights);
        expect(shares).toHaveLength(weights.length);
        expect(sum(shares)).toBe(total);
      }),
      { numRuns: 3000 },
    );
  });

  it('is deterministic and keeps every share within one unit of its exact proportion (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10_000_000n }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 10 }).filter((ws) => ws.some((w) => w > 0)),
        (total, weights) => {
          const shares = splitByLargestRemainder(total, weights);
          expect(splitByLargestRemainder(total, [...weights])).toEqual(shares);
          const w = weights.reduce((a, b) => a + b, 0);
          weights.forEach((wi, i) => {
            const exact = (Number(total) * wi) / w;
            // Weights become integers at a 10^-9 scale, so allow that quantisation on top of one unit.
            expect(Math.abs(Number(shares[i]!) - exact)).toBeLessThan(1 + Number(total) * weights.length * 1e-9);
            expect(shares[i]! >= 0n).toBe(true);
          });
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('splits reporting models over random touches so the credits sum exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('linear' as const, 'time_decay' as const, 'position_based' as const),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.array(fc.integer({ min: 0, max: 90 * DAY_MS }), { minLength: 1, maxLength: 8 }),
        (model, total, ages) => {
          const ats = ages.map((a) => AT - a).sort((a, b) => a - b);
          const shares = splitCredit(model, total, ats, AT);
          expect(sum(shares)).toBe(total);
          expect(splitCredit(model, total, ats, AT)).toEqual(shares);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
