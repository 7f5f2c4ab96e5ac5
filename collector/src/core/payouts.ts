/**
 * Publisher payouts (issue 14): which part of a publisher's balance may be paid out as of a time,
 * and the entry group that records a payout. Pure: the sums come in from the store, the time and
 * the key from the caller.
 *
 * | state    | what it is                                                                                  |
 * |----------|---------------------------------------------------------------------------------------------|
 * | balance  | what the platform owes the publisher: its earnings net of every clawback, minus what was paid |
 * | payable  | the part of it earned before the reversal window: `min(balance, matured − paid)`, never < 0  |
 * | pending  | the rest of the balance (`balance − payable`): still inside the window an advertiser may reverse in |
 * | paid     | Σ payout groups                                                                             |
 *
 * A clawback posted today of a charge that had matured lowers the balance at once, so `min(balance, …)`
 * keeps a payout from ever paying what has been given back. A payout is refused (4xx, never posted)
 * when it is above the payable amount or below the threshold the operator set for the currency.
 *
 * The payout group: **D publisher:<id> · C payouts**, kind `payout`, key `payout:<publisherId>:<key>`
 * (one group per idempotency key), balanced like every other group; the `payouts` account holds what
 * left the platform as cash.
 */
import { assertBalanced, type Account, type EntryGroup } from './ledger';
import type { Micros } from './money';

const DAY_MS = 86_400_000;

/** What the operator sets per currency: how long a charge stays pending, and the smallest payout. */
export interface PayoutPolicy {
  /** Days after a charge during which it may still be reversed, so it is not yet payable. */
  reversalWindowDays: number;
  /** The smallest amount paid out at once, micros. */
  thresholdMicros: Micros;
}

/** Without a policy for a currency: 30 days (a common affiliate-network lock period), no threshold. */
export const DEFAULT_PAYOUT_POLICY: PayoutPolicy = { reversalWindowDays: 30, thresholdMicros: 0n };

/** The publisher's sums in one currency, as the store reads them from its account's legs. */
export interface PublisherSums {
  /** Earnings net of clawbacks (credits − debits of every group but payouts). */
  earnedMicros: Micros;
  /** The same over groups booked at or before the end of the reversal window (`maturedBefore`). */
  maturedMicros: Micros;
  /** Σ payouts. */
  paidMicros: Micros;
}

/** A publisher's balance in one currency, split into its states. */
export interface PayoutBalance {
  balanceMicros: Micros;
  pendingMicros: Micros;
  payableMicros: Micros;
  paidMicros: Micros;
}

/** Groups booked at or before this time are out of the reversal window as of `asOf`. */
export function maturedBefore(asOf: number, policy: PayoutPolicy): number {
  return asOf - policy.reversalWindowDays * DAY_MS;
}

/** Splits a publisher's sums into balance, pending, payable and paid (the table above). */
export function payoutBalance(s: PublisherSums): PayoutBalance {
  const balance = s.earnedMicros - s.paidMicros;
  let payable = s.maturedMicros - s.paidMicros;
  if (payable > balance) payable = balance;
  if (payable < 0n) payable = 0n;
  return { balanceMicros: balance, pendingMicros: balance - payable, payableMicros: payable, paidMicros: s.paidMicros };
}

/** The facts a payout group records: what was payable and the policy, so it can be checked again. */
export interface PayoutFacts {
  rule: 'payout';
  payableMicros: Micros;
  thresholdMicros: Micros;
  reversalWindowDays: number;
}

/** What is asked: who, in which currency, how much (default: all that is payable), under which key. */
export interface PayoutRequest {
  publisherId: string;
  currency: string;
  /** Client-chosen idempotency key: the same key never pays twice. */
  key: string;
  amountMicros?: Micros;
  /** The operator's reference (bank transfer ID, note). */
  reference: string | null;
  at: number;
}

/** The planned payout group, or why none may be posted. */
export type PayoutPlan =
  | { ok: true; group: EntryGroup; amountMicros: Micros }
  | { ok: false; code: 'nothing_payable' | 'below_threshold' | 'above_payable' | 'not_positive'; reason: string };

/** The idempotency key of a payout group. */
export function payoutKey(publisherId: string, key: string): string {
  return `payout:${publisherId}:${key}`;
}

/** The account that holds what was paid out in cash. */
export const PAYOUTS_ACCOUNT: Account = 'payouts';

/** Plans a payout against a balance and a policy: the group to post, or a refusal with its reason. */
export function planPayout(req: PayoutRequest, balance: PayoutBalance, policy: PayoutPolicy): PayoutPlan {
  const amount = req.amountMicros ?? balance.payableMicros;
  const cur = req.currency;
  if (req.amountMicros !== undefined && amount <= 0n) return { ok: false, code: 'not_positive', reason: 'a payout amount must be positive' };
  if (amount <= 0n) return { ok: false, code: 'nothing_payable', reason: `nothing is payable in ${cur} yet (pending ${balance.pendingMicros} micros inside the ${policy.reversalWindowDays}-day reversal window)` };
  if (amount > balance.payableMicros) {
    return { ok: false, code: 'above_payable', reason: `${amount} micros is above the payable balance of ${balance.payableMicros} micros ${cur}` };
  }
  if (amount < policy.thresholdMicros) {
    return { ok: false, code: 'below_threshold', reason: `${amount} micros is below the payout threshold of ${policy.thresholdMicros} micros ${cur}` };
  }
  const facts: PayoutFacts = { rule: 'payout', payableMicros: balance.payableMicros, thresholdMicros: policy.thresholdMicros, reversalWindowDays: policy.reversalWindowDays };
  const group: EntryGroup = {
    key: payoutKey(req.publisherId, req.key),
    kind: 'payout',
    meta: {
      refType: 'payout',
      refId: `${req.publisherId}:${req.key}`,
      campaignId: '',
      advertiserId: '',
      publisherId: req.publisherId,
      slotId: null,
      termsVersion: 0,
      currency: cur,
      at: req.at,
      reason: req.reference,
    },
    legs: [
      { account: `publisher:${req.publisherId}`, side: 'debit', micros: amount },
      { account: PAYOUTS_ACCOUNT, side: 'credit', micros: amount },
    ],
    facts,
  };
  assertBalanced(group);
  return { ok: true, group, amountMicros: amount };
}

/**
 * Re-checks a recorded payout group from its facts (the statement verifier): the amount within what
 * was payable and at or above the threshold, and the legs exactly the planned ones. Null when it
 * checks out, else the reason.
 */
export function checkPayout(g: EntryGroup, facts: PayoutFacts): string | null {
  const debit = g.legs.find((l) => l.side === 'debit');
  if (!debit || !debit.account.startsWith('publisher:')) return 'a payout debits a publisher';
  const publisherId = debit.account.slice('publisher:'.length);
  const plan = planPayout(
    { publisherId, currency: g.meta.currency, key: g.key.slice(payoutKey(publisherId, '').length), amountMicros: debit.micros, reference: g.meta.reason, at: g.meta.at },
    { balanceMicros: facts.payableMicros, pendingMicros: 0n, payableMicros: facts.payableMicros, paidMicros: 0n },
    { reversalWindowDays: facts.reversalWindowDays, thresholdMicros: facts.thresholdMicros },
  );
  if (!plan.ok) return plan.reason;
  if (plan.group.key !== g.key || plan.group.legs.length !== g.legs.length) return 'the payout legs are not the planned ones';
  for (const want of plan.group.legs) {
    if (!g.legs.some((l) => l.account === want.account && l.side === want.side && l.micros === want.micros)) return `the payout has no ${want.side} of ${want.micros} on ${want.account}`;
  }
  return null;
}
