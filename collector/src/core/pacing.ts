/**
 * Pacing (SPEC §3.5): spread a daily budget over the day instead of spending it in the first hour.
 * A campaign is throttled while today's spend is ahead of `daily budget × elapsed share of the day`
 * plus a small slack (the larger of 2 % of the budget and one bid), so it can always start.
 *
 * | spend today vs. target (budget × share + slack) | served? |
 * |-------------------------------------------------|---------|
 * | no daily budget                                 | yes     |
 * | spend ≥ daily budget                            | no      |
 * | spend > target                                  | no (ahead of pace) |
 * | otherwise                                       | yes     |
 */
import type { Micros } from './money';

/** Whether a campaign may be served now. */
export function pacingAllows(dailyBudgetMicros: Micros | null, spentTodayMicros: Micros, dayShare: number, bidMicros: Micros): boolean {
  if (dailyBudgetMicros === null) return true;
  if (spentTodayMicros >= dailyBudgetMicros) return false;
  return spentTodayMicros <= pacingTarget(dailyBudgetMicros, dayShare, bidMicros);
}

/** Spend allowed by now: budget × share of the day elapsed, plus the slack. */
export function pacingTarget(dailyBudgetMicros: Micros, dayShare: number, bidMicros: Micros): Micros {
  const share = BigInt(Math.floor(Math.min(1, Math.max(0, dayShare)) * 1_000_000));
  const twoPercent = dailyBudgetMicros / 50n;
  const slack = twoPercent > bidMicros ? twoPercent : bidMicros;
  return (dailyBudgetMicros * share) / 1_000_000n + slack;
}
