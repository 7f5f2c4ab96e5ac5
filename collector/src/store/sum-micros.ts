/**
 * Money sums that cannot overflow (README "Value bounds"). SQLite's SUM() of 64-bit integers
 * raises "integer overflow" past 9.2 × 10^18 — ten conversions at 10^18 micros each once made every
 * report and the ad decider fail for every tenant. So every money sum is taken in two parts, the
 * quotient and the remainder of 10^9 micros, and put together exactly as bigint in JS:
 *
 *   Σ v = 10^9 × Σ (v / 10^9) + Σ (v % 10^9)        (truncating division, so exact for negatives too)
 *
 * Every stored amount is at most 10^18 micros (money.ts), so each part of a row is at most 10^9 in
 * magnitude and a sum of parts overflows only past 9.2 × 10^9 rows in one group. PostgreSQL's
 * SUM(bigint) is already numeric; the same split keeps the SQL one text for both dialects.
 */
import { big } from './db';

const SPLIT = 1_000_000_000n;

/** `SUM(expr)` as two columns `<alias>_hi` and `<alias>_lo`; read them back with `readSum`. */
export function sumMicros(expr: string, alias: string): string {
  return `SUM((${expr}) / ${SPLIT}) AS ${alias}_hi, SUM((${expr}) % ${SPLIT}) AS ${alias}_lo`;
}

/** The exact sum from the two columns `sumMicros` selected (0n for an empty group). */
export function readSum(row: Record<string, unknown> | undefined, alias: string): bigint {
  if (!row) return 0n;
  return big(row[`${alias}_hi`]) * SPLIT + big(row[`${alias}_lo`]);
}
