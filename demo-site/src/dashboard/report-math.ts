/**
 * Sums and derived metrics of performance rows, all exact: counts as numbers, money as BigInt
 * micros. The chart and the tables read from here, so a total in the footer equals the sum of
 * the rows above it and the chart's points equal the days in the table.
 */
import type { PerformanceRow } from './api';
import { divideRounded, percent, ratio, toMicros } from './format-money';

/** Performance figures with money as BigInt micros. */
export interface Totals {
  served: number;
  viewable: number;
  clicks: number;
  invalidImpressions: number;
  invalidClicks: number;
  conversions: number;
  valueMicros: bigint;
  costMicros: bigint;
  earningMicros: bigint;
}

/** All zeros. */
export function zeroTotals(): Totals {
  return { served: 0, viewable: 0, clicks: 0, invalidImpressions: 0, invalidClicks: 0, conversions: 0, valueMicros: 0n, costMicros: 0n, earningMicros: 0n };
}

/** Adds one API row into a running total (mutates and returns `t`). */
export function addRow(t: Totals, r: PerformanceRow): Totals {
  t.served += r.served;
  t.viewable += r.viewable;
  t.clicks += r.clicks;
  t.invalidImpressions += r.invalidImpressions;
  t.invalidClicks += r.invalidClicks;
  // A publisher's rows carry no conversions, value or cost (the role table): they count as zero.
  t.conversions += r.conversions ?? 0;
  t.valueMicros += toMicros(r.valueMicros ?? '0');
  t.costMicros += toMicros(r.costMicros ?? '0');
  t.earningMicros += toMicros(r.earningMicros);
  return t;
}

/** Rows summed per key (campaign, slot, publisher…), in first-seen order. */
export function totalsByKey(rows: readonly PerformanceRow[]): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const r of rows) {
    let t = out.get(r.key);
    if (!t) out.set(r.key, (t = zeroTotals()));
    addRow(t, r);
  }
  return out;
}

/** The sum of all rows. */
export function grandTotal(rows: readonly PerformanceRow[]): Totals {
  return rows.reduce(addRow, zeroTotals());
}

/** Per-day totals over `days` (zero-filled, so a quiet day is a zero, not a gap), optionally for one key. */
export function totalsByDay(rows: readonly PerformanceRow[], days: readonly string[], key?: string): Totals[] {
  const byDay = new Map(days.map((d) => [d, zeroTotals()]));
  for (const r of rows) {
    if (key !== undefined && r.key !== key) continue;
    const t = r.day ? byDay.get(r.day) : undefined;
    if (t) addRow(t, r);
  }
  return days.map((d) => byDay.get(d)!);
}

/** Click-through rate: clicks per served impression. */
export const ctr = (t: Totals) => percent(t.clicks, t.served);
/** Conversion rate: conversions per click. */
export const convRate = (t: Totals) => percent(t.conversions, t.clicks);
/** Viewability: viewable per served impression. */
export const viewability = (t: Totals) => percent(t.viewable, t.served, 1);
/** Cost per conversion in micros, or null without conversions. */
export const costPerConversion = (t: Totals) => divideRounded(t.costMicros, BigInt(t.conversions));
/** Return on ad spend as "10.25×", or "–" without cost. */
export const roas = (t: Totals) => {
  // No conversion value (signups, leads): a ROAS of 0× would read as a failure, so say nothing.
  if (t.valueMicros === 0n) return '–';
  const r = ratio(t.valueMicros, t.costMicros, 2);
  return r === null ? '–' : `${r}×`;
};
/** Effective earnings per thousand served impressions, in micros (null when nothing was served). */
export const ecpm = (t: Totals, micros: bigint) => divideRounded(micros * 1000n, BigInt(t.served));
/** Invalid traffic removed (impressions + clicks). */
export const invalidRemoved = (t: Totals) => t.invalidImpressions + t.invalidClicks;
