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
 * `planReversal` and `planRestatement` decide the whole correction — the entry group and the spend
 * it moves per day — from the action's posted groups and the terms and caps read by the caller, so
 * the pipeline only reads and writes.
 *
 * Giving back to the day the money was booked on — never to the day of the correction — is what
 * keeps a reversal from lending today's daily budget an amount that was spent yesterday.
 */
import { capHit, type Caps, type Spend } from './caps';
import { utcDay } from './day';
import { adjustmentGroup, netsOf, netsOfSplit, reversalGroup, type EntryGroup, type EntryMeta } from './ledger';
import { conversionCost, splitUnder } from './pricing';
import type { CampaignTerms } from './terms';
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

/** A correction to post: its entry group (null when nothing moves) and the spend to move per UTC day. */
export interface Correction {
  group: EntryGroup | null;
  /** Spend to add per day of booking (negative: given back). */
  spendDeltas: Map<string, Micros>;
}

/**
 * A reversal (refund, cancellation) or an invalidation (IVT found later) of an action: the group
 * that brings the action's net back to 0, and its cost given back to the days it was booked on.
 * `groups` are every group posted for the action so far, oldest first.
 */
export function planReversal(groups: readonly EntryGroup[], key: string, kind: 'reversal' | 'invalidation', reason: string, at: number): Correction & { costMicros: Micros } {
  if (groups.length === 0) return { group: null, spendDeltas: new Map(), costMicros: 0n };
  const first = groups[0]!.meta;
  const nets = netsOf(groups.flatMap((g) => g.legs));
  const group = reversalGroup(key, kind, { ...first, reason, at }, nets);
  const costMicros = nets.get(`advertiser:${first.advertiserId}`) ?? 0n;
  if (!group) return { group: null, spendDeltas: new Map(), costMicros: 0n };
  return { group, spendDeltas: giveBack(spendByDay(bookedGroups(groups, first.advertiserId)), costMicros), costMicros };
}

/** What a restatement needs to know besides the action's groups. */
export interface RestatementInput {
  /** The terms the conversion was priced on (its winner's version, payout resolved). */
  terms: CampaignTerms;
  /** The caps in force now, and today's spend (an increase is a new charge). */
  caps: Caps;
  spendToday: Spend;
  today: string;
  valueMicros: Micros;
  currency: string | null;
  /** The meta of the restatement group (its `at` is the booking time). */
  meta: EntryMeta;
  key: string;
}

/**
 * A restatement of a charged conversion to a new value: the difference between the new split and
 * the action's net as one group. An increase is checked against the caps in force and booked today;
 * a decrease gives back to the days the money was booked on. Restated to nothing, it is a full
 * clawback, so a fixed payout is never paid out of the platform's pocket.
 */
export function planRestatement(groups: readonly EntryGroup[], i: RestatementInput): (Correction & { ok: true; costMicros: Micros; deltaMicros: Micros }) | { ok: false; reason: string } {
  const price = conversionCost(i.terms, i.valueMicros, i.currency);
  if (!price.ok) return { ok: false, reason: `cannot price the new value: ${price.reason}` };
  const current = netsOf(groups.flatMap((g) => g.legs));
  const currentCost = current.get(`advertiser:${i.meta.advertiserId}`) ?? 0n;
  const deltaMicros = price.costMicros - currentCost;
  if (deltaMicros > 0n) {
    const hit = capHit(i.caps, i.spendToday, deltaMicros);
    if (hit) return { ok: false, reason: `the higher value would pass the ${hit}` };
  }
  const target = price.costMicros === 0n ? new Map() : netsOfSplit(splitUnder(i.terms, price.costMicros), i.meta);
  const group = adjustmentGroup(i.key, 'restatement', i.meta, current, target);
  const spendDeltas =
    !group || deltaMicros === 0n
      ? new Map<string, Micros>()
      : deltaMicros > 0n
        ? new Map([[i.today, deltaMicros]])
        : giveBack(spendByDay(bookedGroups(groups, i.meta.advertiserId)), -deltaMicros);
  return { ok: true, group, spendDeltas, costMicros: price.costMicros, deltaMicros };
}
