/**
 * The payout and account-statement API (collector/src/http/payout-routes.ts) as the dashboard uses
 * it: typed wrappers over the plain calls of api.ts. Money as strings of micros, times epoch ms.
 *
 *     const { balances } = await payoutBalance(api);
 *     const s = await accountStatement(api, { currency: 'EUR', from });
 */
import type { Api } from './api';

/** A publisher's balance in one currency. */
export interface PayoutBalance {
  currency: string;
  balanceMicros: string;
  pendingMicros: string;
  payableMicros: string;
  paidMicros: string;
  reversalWindowDays: number;
  thresholdMicros: string;
}

/** One recorded payout. */
export interface Payout {
  groupId: number;
  publisherId: string;
  key: string;
  currency: string;
  amountMicros: string;
  reference: string | null;
  at: number;
}

/** One line of the account statement: + earned, − clawed back or paid out, and the balance after it. */
export interface StatementLine {
  groupId: number;
  kind: string;
  at: number;
  campaignId: string;
  slotId: string | null;
  reason: string | null;
  amountMicros: string;
  balanceMicros: string;
}

/** `GET /v1/account-statement`. */
export interface AccountStatement {
  publisherId: string;
  currency: string;
  from: number;
  to: number;
  openingMicros: string;
  closingMicros: string;
  lines: StatementLine[];
  next: string | null;
}

const qs = (q: Record<string, string | number | undefined>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

/** The publisher's balances (a publisher: its own; the operator names one). */
export const payoutBalance = (api: Api, publisherId?: string) => api.get<{ publisherId: string; asOf: number; balances: PayoutBalance[] }>(`/v1/payouts/balance${qs({ publisherId })}`);

/** Payouts, newest first. */
export const payouts = (api: Api, q: { publisherId?: string; before?: string; limit?: number } = {}) => api.get<{ payouts: Payout[]; next: string | null }>(`/v1/payouts${qs(q)}`);

/** One page of the account statement. */
export const accountStatement = (api: Api, q: { currency: string; from?: number; to?: number; publisherId?: string; limit?: number; after?: string }) =>
  api.get<AccountStatement>(`/v1/account-statement${qs(q)}`);

/** The operator records a payout; answers the payout (201, or 200 for a replayed key). */
export const recordPayout = (api: Api, body: { publisherId: string; currency: string; idempotencyKey: string; amountMicros?: string; reference?: string }) =>
  api.post<{ payout: Payout }>('/v1/payouts', body);

/** The operator sets a currency's reversal window and threshold. */
export const setPayoutPolicy = (api: Api, currency: string, body: { reversalWindowDays: number; thresholdMicros: string }) =>
  api.put<{ currency: string; reversalWindowDays: number; thresholdMicros: string }>(`/v1/payout-policies/${encodeURIComponent(currency)}`, body);

/** The statement or the payouts as a CSV Blob. */
export const statementCsv = (api: Api, q: { currency: string; from?: number; publisherId?: string }) => api.file(`/v1/account-statement.csv${qs(q)}`);
export const payoutsCsv = (api: Api, publisherId?: string) => api.file(`/v1/payouts.csv${qs({ publisherId })}`);
