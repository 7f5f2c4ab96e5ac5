/**
 * Outlier values (issue 16, defect 1): a browser conversion beacon carries a value the *visitor*
 * controls, and a CPA campaign that pays a share of it would be charged whatever the visitor typed.
 * A value far above what the advertiser usually sees for that action is held for review (`pending`)
 * instead of being charged automatically; approving it charges it, rejecting it moves nothing.
 *
 * | rule                                                                     | outcome        |
 * |--------------------------------------------------------------------------|----------------|
 * | fewer than MIN_HISTORY earlier approved conversions of the action         | not an outlier (no baseline yet) |
 * | value > FACTOR × the mean of the last (up to) 100 approved ones            | outlier: held  |
 * | a signed postback's value (the advertiser's own server)                   | never held     |
 * | a campaign that pays nothing of the value (flat CPA, CPC, CPM)            | never held     |
 */
import type { Micros } from './money';

/** Earlier approved conversions needed before a value can be called an outlier. */
export const OUTLIER_MIN_HISTORY = 20;
/** How many times the usual value makes an outlier. */
export const OUTLIER_FACTOR = 50n;

/** Recent approved values of one advertiser's conversion action. */
export interface ValueHistory {
  count: number;
  totalMicros: Micros;
}

/** Why a value is held as an outlier, or null when it may be charged automatically. */
export function outlierReason(valueMicros: Micros, history: ValueHistory): string | null {
  if (history.count < OUTLIER_MIN_HISTORY || history.totalMicros <= 0n) return null;
  // value > FACTOR × total / count, in integers: value × count > FACTOR × total.
  if (valueMicros * BigInt(history.count) <= OUTLIER_FACTOR * history.totalMicros) return null;
  const mean = history.totalMicros / BigInt(history.count);
  return `outlier_value: ${valueMicros} µ is more than ${OUTLIER_FACTOR}× the mean ${mean} µ of the last ${history.count} approved conversions`;
}
