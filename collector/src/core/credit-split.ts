/**
 * Integer credit splits for reporting models (SPEC §3.3). Weights may be fractional; the split of
 * an integer total is exact: shares are floored and the remainder goes, one unit each, to the
 * largest fractional parts (largest-remainder / Hamilton method), ties to the earlier position.
 *
 * | model          | weights (touches oldest → newest)                             |
 * |----------------|---------------------------------------------------------------|
 * | linear         | equal                                                         |
 * | time_decay     | 2^(−age / half-life), half-life 7 days, age = conversion − touch |
 * | position_based | 40 % first, 40 % last, 20 % shared by the middle; 1 → 100 %; 2 → 50/50 |
 */
import { DAY_MS } from './terms';

/** Reporting models whose credits are split over several touches. */
export type MultiTouchModel = 'linear' | 'time_decay' | 'position_based';

/** Half-life of the time-decay model. */
export const TIME_DECAY_HALF_LIFE_MS = 7 * DAY_MS;

// Fractional weights become integers at this scale before the exact split.
const WEIGHT_SCALE = 1_000_000_000;

/** Splits `total` by non-negative `weights` so the shares are integers that sum to `total` exactly. */
export function splitByLargestRemainder(total: bigint, weights: readonly number[]): bigint[] {
  if (weights.length === 0) return [];
  for (const w of weights) {
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError('weights must be finite and non-negative');
  }
  // A negative total (a refunded value) splits like its magnitude: remainders only ever add units,
  // so splitting a negative amount directly would leave the shares short of the total.
  if (total < 0n) return splitByLargestRemainder(-total, weights).map((s) => -s);
  // Scale against the largest weight so that only the ratios matter: tiny weights (1e-12) keep
  // their proportions instead of rounding to 0, and huge ones (1e300) do not overflow to Infinity.
  const max = Math.max(...weights);
  const ints = weights.map((w) => (max > 0 ? BigInt(Math.round((w / max) * WEIGHT_SCALE)) : 0n));
  let sum = ints.reduce((a, b) => a + b, 0n);
  if (sum === 0n) {
    // Every weight is zero: fall back to equal shares.
    ints.fill(1n);
    sum = BigInt(ints.length);
  }
  const shares = ints.map((w) => (total * w) / sum);
  const remainders = ints.map((w, i) => ({ i, r: (total * w) % sum }));
  let left = total - shares.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (let k = 0; left > 0n; k = (k + 1) % remainders.length, left--) shares[remainders[k]!.i]! += 1n;
  return shares;
}

/** Weights of a reporting model for touches at `touchAts` (oldest first) and a conversion at `conversionAt`. */
export function modelWeights(model: MultiTouchModel, touchAts: readonly number[], conversionAt: number): number[] {
  const n = touchAts.length;
  switch (model) {
    case 'linear':
      return touchAts.map(() => 1);
    case 'time_decay':
      return touchAts.map((at) => Math.pow(2, -Math.max(0, conversionAt - at) / TIME_DECAY_HALF_LIFE_MS));
    case 'position_based':
      if (n === 1) return [1];
      if (n === 2) return [1, 1];
      return touchAts.map((_, i) => (i === 0 || i === n - 1 ? 0.4 : 0.2 / (n - 2)));
  }
}

/** Splits `total` across touches (oldest first) by a reporting model. */
export function splitCredit(model: MultiTouchModel, total: bigint, touchAts: readonly number[], conversionAt: number): bigint[] {
  return splitByLargestRemainder(total, modelWeights(model, touchAts, conversionAt));
}
