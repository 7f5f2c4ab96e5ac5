import { describe, expect, it } from 'vitest';
import { OUTLIER_FACTOR, OUTLIER_MIN_HISTORY, outlierReason } from './outliers';

// Follows the rules table at the top of outliers.ts, row by row (the last two rows are the
// pipeline's: see ingest/hostile-money.test.ts).

const history = (count: number, meanMicros: bigint) => ({ count, totalMicros: meanMicros * BigInt(count) });

describe('outlierReason', () => {
  it('calls nothing an outlier before the action has a baseline', () => {
    expect(outlierReason(10n ** 16n, history(OUTLIER_MIN_HISTORY - 1, 50_000_000n))).toBeNull();
  });

  it('holds a value one micro above the factor times the mean, and passes one at it', () => {
    const h = history(OUTLIER_MIN_HISTORY, 50_000_000n);
    expect(outlierReason(OUTLIER_FACTOR * 50_000_000n, h)).toBeNull();
    expect(outlierReason(OUTLIER_FACTOR * 50_000_000n + 1n, h)).toMatch(/^outlier_value: /);
  });

  it('compares exactly, without rounding the mean', () => {
    // Mean 1/3 µ: 50 × 1/3 = 16.67, so 16 passes and 17 is held.
    const h = { count: 30, totalMicros: 10n };
    expect(outlierReason(16n, h)).toBeNull();
    expect(outlierReason(17n, h)).not.toBeNull();
  });

  it('never calls anything an outlier when every earlier value was zero', () => {
    expect(outlierReason(1n, history(100, 0n))).toBeNull();
  });
});
