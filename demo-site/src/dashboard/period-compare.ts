/**
 * A period against the one before it (issue 14; Plausible's comparison): the same number of days
 * just before the range, and each headline figure's change in words — "+12.5 % vs the previous 14
 * days", "no change", "new" when the previous period had none. Exact: counts and BigInt micros.
 *
 *     change(120n, 100n)   // "+20.0 %"
 */
import { ratio } from './format-money';

/** The previous period of a range `[from, now)`: as long, ending where the range starts. */
export function previousPeriod(from: number, now: number): { from: number; to: number } {
  return { from: from - (now - from), to: from };
}

/** The change from `before` to `now` as a signed percentage with one decimal, or "new" / "no change". */
export function change(now: number | bigint, before: number | bigint): string {
  const a = BigInt(now);
  const b = BigInt(before);
  if (a === b) return 'no change';
  if (b === 0n) return 'new';
  const r = ratio((a - b) * 100n, b < 0n ? -b : b, 1)!;
  return `${r.startsWith('-') ? '' : '+'}${r} %`;
}

/** "+20.0 % vs the previous 14 days". */
export function versus(now: number | bigint, before: number | bigint, days: number): string {
  return `${change(now, before)} vs the previous ${days} days`;
}
