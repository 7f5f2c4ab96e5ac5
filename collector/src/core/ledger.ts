/**
 * The ledger: append-only, double-entry (SPEC §3.4). One entry group per billable action, keyed by
 * an idempotency key derived from the action; corrections are new groups, never updates.
 *
 * | event                      | legs (D = debit, C = credit)                               | key                     |
 * |----------------------------|------------------------------------------------------------|-------------------------|
 * | charge of cost = E + M     | D advertiser cost · C publisher earning E · C platform M   | `<action>`              |
 * | reversal / invalidation    | the action's net legs, mirrored, so its net becomes 0      | `<action>:reversal` …   |
 * | restatement to a new cost  | the difference between the new split and the action's net  | `<action>:restate:<n>`  |
 * | payout to a publisher      | D publisher · C payouts (cash out; payouts.ts)             | `payout:<pub>:<key>`    |
 *
 * Within every group Σ debits = Σ credits, so the ledger as a whole balances after every step.
 * A fixed payout larger than the cost is capped at the cost unless the operator recorded a subsidy
 * (pricing.ts); a subsidised one debits the platform (a negative margin), still balanced.
 */
import type { Micros } from './money';
import type { ChargeSplit } from './pricing';
import type { GroupFacts } from './facts';

/** Ledger account names. */
/** Ledger account names; `payouts` holds what was paid out to publishers in cash (payouts.ts). */
export type Account = `advertiser:${string}` | `publisher:${string}` | 'platform' | 'payouts';

/** One leg: an amount on one side of one account. Amounts are positive. */
export interface Leg {
  account: Account;
  side: 'debit' | 'credit';
  micros: Micros;
}

/** Kinds of entry group. */
export type EntryKind = 'charge' | 'reversal' | 'invalidation' | 'restatement' | 'payout';

/** What an entry group is about, recorded with it for reports and audits. */
export interface EntryMeta {
  /** What was billed: `click`, `impression` or `conversion`, and its ID; a payout: `payout` and `<publisherId>:<key>`. */
  refType: 'click' | 'impression' | 'conversion' | 'payout';
  refId: string;
  campaignId: string;
  advertiserId: string;
  publisherId: string;
  /** The slot the action came from, for publisher reports (null for actions without one). */
  slotId?: string | null;
  termsVersion: number;
  currency: string;
  at: number;
  /** Why a correction was posted (reversal reason, IVT reason…). */
  reason: string | null;
}

/** Legs that succeed or fail together, under one idempotency key. */
export interface EntryGroup {
  key: string;
  kind: EntryKind;
  meta: EntryMeta;
  legs: Leg[];
  /** The inputs the group was priced from (facts.ts), recorded with it and committed to by the chain. */
  facts?: GroupFacts;
}

/** Net of an account: debits minus credits. */
export type Nets = Map<Account, Micros>;

/** The advertiser's, publisher's and platform's accounts for one action. */
export function accountsFor(meta: Pick<EntryMeta, 'advertiserId' | 'publisherId'>) {
  return {
    advertiser: `advertiser:${meta.advertiserId}` as Account,
    publisher: `publisher:${meta.publisherId}` as Account,
    platform: 'platform' as Account,
  };
}

/** The nets a charge split leaves on the three accounts. */
export function netsOfSplit(split: ChargeSplit, meta: Pick<EntryMeta, 'advertiserId' | 'publisherId'>): Nets {
  const a = accountsFor(meta);
  return new Map<Account, Micros>([
    [a.advertiser, split.costMicros],
    [a.publisher, -split.publisherMicros],
    [a.platform, -split.platformMicros],
  ]);
}

/** Sums legs into nets per account (debit positive). */
export function netsOf(legs: Iterable<Leg>): Nets {
  const nets: Nets = new Map();
  for (const l of legs) nets.set(l.account, (nets.get(l.account) ?? 0n) + (l.side === 'debit' ? l.micros : -l.micros));
  return nets;
}

/** The group that moves the accounts from `current` nets to `target` nets, or null if nothing moves. */
export function adjustmentGroup(key: string, kind: EntryKind, meta: EntryMeta, current: Nets, target: Nets): EntryGroup | null {
  const accounts = [...new Set([...current.keys(), ...target.keys()])].sort();
  const legs: Leg[] = [];
  for (const account of accounts) {
    const delta = (target.get(account) ?? 0n) - (current.get(account) ?? 0n);
    if (delta > 0n) legs.push({ account, side: 'debit', micros: delta });
    else if (delta < 0n) legs.push({ account, side: 'credit', micros: -delta });
  }
  if (legs.length === 0) return null;
  const group = { key, kind, meta, legs };
  assertBalanced(group);
  return group;
}

/** The charge group for a billable action, or null when it costs nothing and pays nothing. */
export function chargeGroup(key: string, meta: EntryMeta, split: ChargeSplit): EntryGroup | null {
  return adjustmentGroup(key, 'charge', meta, new Map(), netsOfSplit(split, meta));
}

/** The group that brings an action's net back to zero (a reversal, refund or later IVT finding). */
export function reversalGroup(key: string, kind: 'reversal' | 'invalidation', meta: EntryMeta, current: Nets): EntryGroup | null {
  return adjustmentGroup(key, kind, meta, current, new Map());
}

/** Σ debits and Σ credits of some legs. */
export function totals(legs: Iterable<Leg>): { debits: Micros; credits: Micros } {
  let debits = 0n;
  let credits = 0n;
  for (const l of legs) {
    if (l.micros <= 0n) throw new RangeError(`leg amounts are positive: ${l.account} ${l.micros}`);
    if (l.side === 'debit') debits += l.micros;
    else credits += l.micros;
  }
  return { debits, credits };
}

/** Throws unless the group's debits equal its credits. */
export function assertBalanced(group: EntryGroup): void {
  const t = totals(group.legs);
  if (t.debits !== t.credits) throw new Error(`unbalanced entry group ${group.key}: ${t.debits} ≠ ${t.credits}`);
}

/** The cost the advertiser carries for an action: its net debit. */
export function advertiserNet(nets: Nets, advertiserId: string): Micros {
  return nets.get(`advertiser:${advertiserId}`) ?? 0n;
}
