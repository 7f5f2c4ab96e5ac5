/**
 * The store's side of publisher payouts (core/payouts.ts; issue 14): the payout policy per
 * currency, a publisher's sums (earned, matured, paid) read from its account's legs, its payouts,
 * and its account statement with a running balance. `PayoutWrites` is part of `WriteTx` (a payout
 * is posted in the transaction that read the balance), `PayoutReports` part of `Reports`.
 *
 * ```ts
 * const sums = await tx.publisherSums('pub_1', 'EUR', maturedBefore(now, policy));
 * ```
 */
import type { PayoutPolicy, PublisherSums } from '../core/payouts';
import type { ReportRange } from './store';

/** One line of a publisher's account statement: one entry group, its movement on the account and the balance after it. */
export interface StatementLine {
  groupId: number;
  kind: string;
  at: number;
  campaignId: string;
  slotId: string | null;
  reason: string | null;
  /** What the group moved on the publisher's account, from its side: + earned, − clawed back or paid out. */
  amountMicros: bigint;
  /** The balance owed to the publisher after this line. */
  balanceMicros: bigint;
}

/** A publisher's account statement in one currency for a period. */
export interface AccountStatement {
  currency: string;
  openingMicros: bigint;
  closingMicros: bigint;
  lines: StatementLine[];
  /** Cursor of the next page (`<at>_<groupId>` of the last line), or null. */
  next: string | null;
}

/** A payout as recorded: its group's ID, key, amount and reference. */
export interface PayoutRecord {
  groupId: number;
  publisherId: string;
  /** The idempotency key the operator chose. */
  key: string;
  currency: string;
  amountMicros: bigint;
  reference: string | null;
  at: number;
}

/** Reads and writes inside the transaction that posts a payout. */
export interface PayoutWrites {
  /** Serializes payouts of one publisher (PostgreSQL: a transaction-scoped advisory lock; SQLite has one writer). */
  lockPublisherPayouts(publisherId: string): Promise<void>;
  /** The publisher's sums in a currency; `maturedBefore`: groups booked at or before it are out of the window. */
  publisherSums(publisherId: string, currency: string, maturedBefore: number): Promise<PublisherSums>;
  /** The policy set for a currency, or null (the default applies). */
  payoutPolicy(currency: string): Promise<PayoutPolicy | null>;
  setPayoutPolicy(currency: string, policy: PayoutPolicy, at: number): Promise<void>;
  /** The payout posted under this group key, or null. */
  payoutByKey(groupKey: string): Promise<PayoutRecord | null>;
}

/** Read-only payout queries for the dashboard and exports. */
export interface PayoutReports {
  publisherSums(publisherId: string, currency: string, maturedBefore: number): Promise<PublisherSums>;
  /** Currencies the publisher's account has legs in. */
  publisherCurrencies(publisherId: string): Promise<string[]>;
  payoutPolicies(): Promise<Map<string, PayoutPolicy>>;
  /** Payouts newest first (group ID DESC), of one publisher or all; `beforeId` continues a page. */
  payouts(filter: { publisherId?: string }, limit: number, beforeId?: number): Promise<PayoutRecord[]>;
  /**
   * The publisher's entries in one currency booked in the range, oldest first (at, group ID), with
   * the opening balance (everything booked before `from`) and a running balance; `after` continues a page.
   */
  accountStatement(publisherId: string, currency: string, range: ReportRange, limit: number, after?: { at: number; groupId: number }): Promise<AccountStatement>;
}
