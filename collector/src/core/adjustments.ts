/**
 * Corrections to money already booked (SPEC §3.4 "corrections are new entries"; §3.8 "money is
 * booked on the collector's clock"): which UTC days' spend a reversal, a downward restatement or a
 * later invalidation gives back to.
 *
 * | correction                      | spend given back                                         |
 * |---------------------------------|----------------------------------------------------------|
 * | reversal, invalidation          | each day exactly what was booked on it for the action    |
 * | restatement down by d           | d, taken from the latest booked days first               |
 * | restatement up by d             | nothing given back: d is a new charge, booked on its own day and checked against the caps in force |
 *
 * Giving back to the day the money was booked on — never to the day of the correction — is what
 * keeps a reversal from lending today's daily budget an amount that was spent yesterday.
 */
import { utcDay } from './day';
import { netsOf, type EntryGroup } from './ledger';
import type { Micros } from './money';

/** One booked entry group of an action, as far as spend is concerned. */
export interface BookedGroup {
  /** When the group was booked (the collector's clock), epoch ms. */
  at: number;
  /** The advertiser's net cost moved by the group (debit positive). */
  costMicros: Micros;
}

/**
 * What an action has cost per UTC day of booking, net of its corrections so far: a group that adds
 * cost books it on its own day; a group that takes cost away gives it back by `giveBack` (latest
 * day first) — the same rule the pipeline applied when it was posted, so the result is what the
 * spend rows hold for the action.
 */
export function spendByDay(groups: readonly BookedGroup[]): Map<string, Micros> {
  const out = new Map<string, Micros>();
  for (const g of [...groups].sort((a, b) => a.at - b.at)) {
    if (g.costMicros >= 0n) {
      const day = utcDay(g.at);
      out.set(day, (out.get(day) ?? 0n) + g.costMicros);
    } else {
      for (const [day, delta] of giveBack(out, -g.costMicros)) out.set(day, out.get(day)! + delta);
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Spreads giving back `amount` over the days an action's money was booked on, latest day first,
 * never giving a day back more than was booked on it. Returns negative deltas per day; their sum is
 * −min(amount, what was booked).
 */
export function giveBack(byDay: ReadonlyMap<string, Micros>, amount: Micros): Map<string, Micros> {
  const out = new Map<string, Micros>();
  let left = amount;
  for (const day of [...byDay.keys()].sort().reverse()) {
    if (left <= 0n) break;
    const booked = byDay.get(day)!;
    if (booked <= 0n) continue;
    const take = booked < left ? booked : left;
    out.set(day, -take);
    left -= take;
  }
  return out;
}

/** The booked groups of an action as spend sees them: each group's booking time and advertiser net. */
export function bookedGroups(groups: readonly EntryGroup[], advertiserId: string): BookedGroup[] {
  return groups.map((g) => ({ at: g.meta.at, costMicros: netsOf(g.legs).get(`advertiser:${advertiserId}`) ?? 0n }));
}
