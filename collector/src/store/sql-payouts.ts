/**
 * Payouts in SQL (payouts.ts), for both dialects: sums over the publisher's legs (split so they
 * cannot overflow, sum-micros.ts), the payout policies (schema V8) and the account statement.
 *
 * ```ts
 * const w = { ...createSqlPayoutWrites(tx) };   // part of createSqlWriteTx
 * const r = { ...createSqlPayoutReports(db) };  // part of createSqlReports
 * ```
 */
import type { PayoutPolicy, PublisherSums } from '../core/payouts';
import { big, num, type Db } from './db';
import type { AccountStatement, PayoutRecord, PayoutReports, PayoutWrites, StatementLine } from './payouts';
import { readSum, sumMicros } from './sum-micros';

type Row = Record<string, unknown>;

/** The publisher's movement on its account in a leg, from its side (credit = +). */
const OWED = "CASE WHEN l.side = 'credit' THEN l.micros ELSE -l.micros END";

async function sums(db: Db, publisherId: string, currency: string, maturedBefore: number): Promise<PublisherSums> {
  const r = await db.get<Row>(
    `SELECT ${sumMicros(`CASE WHEN g.kind <> 'payout' THEN ${OWED} ELSE 0 END`, 'earned')},
       ${sumMicros(`CASE WHEN g.kind <> 'payout' AND g.at <= ? THEN ${OWED} ELSE 0 END`, 'matured')},
       ${sumMicros(`CASE WHEN g.kind = 'payout' THEN -(${OWED}) ELSE 0 END`, 'paid')}
     FROM ledger_groups g JOIN ledger_legs l ON l.group_id = g.id
     WHERE l.account = ? AND g.currency = ?`,
    // The placeholder inside the select list comes first in the parameter order.
    [maturedBefore, maturedBefore, `publisher:${publisherId}`, currency],
  );
  return { earnedMicros: readSum(r, 'earned'), maturedMicros: readSum(r, 'matured'), paidMicros: readSum(r, 'paid') };
}

function toPayout(r: Row): PayoutRecord {
  const publisherId = String(r.publisher_id);
  return {
    groupId: num(r.id),
    publisherId,
    key: String(r.ref_id).slice(publisherId.length + 1),
    currency: String(r.currency),
    amountMicros: big(r.micros),
    reference: r.reason === null || r.reason === undefined ? null : String(r.reason),
    at: num(r.at),
  };
}

const PAYOUT_SELECT = `SELECT g.id, g.publisher_id, g.ref_id, g.currency, g.reason, g.at, l.micros
  FROM ledger_groups g JOIN ledger_legs l ON l.group_id = g.id AND l.side = 'debit' WHERE g.kind = 'payout'`;

const toPolicy = (r: Row): PayoutPolicy => ({ reversalWindowDays: num(r.reversal_window_days), thresholdMicros: big(r.threshold_micros) });

/** The payout writes over a transaction handle. */
export function createSqlPayoutWrites(tx: Db): PayoutWrites {
  return {
    async lockPublisherPayouts(publisherId) {
      if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(hashtext(?))', [`perfpixel:payout:${publisherId}`]);
    },
    publisherSums: (p, c, m) => sums(tx, p, c, m),
    async payoutPolicy(currency) {
      const r = await tx.get<Row>('SELECT reversal_window_days, threshold_micros FROM payout_policies WHERE currency = ?', [currency]);
      return r ? toPolicy(r) : null;
    },
    async setPayoutPolicy(currency, policy, at) {
      await tx.run(
        `INSERT INTO payout_policies (currency, reversal_window_days, threshold_micros, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (currency) DO UPDATE SET reversal_window_days = excluded.reversal_window_days, threshold_micros = excluded.threshold_micros, updated_at = excluded.updated_at`,
        [currency, policy.reversalWindowDays, policy.thresholdMicros, at],
      );
    },
    async payoutByKey(groupKey) {
      const r = await tx.get<Row>(`${PAYOUT_SELECT} AND g.idem_key = ?`, [groupKey]);
      return r ? toPayout(r) : null;
    },
  };
}

/** The payout reads over a Db. */
export function createSqlPayoutReports(db: Db): PayoutReports {
  /** Σ of the publisher's movements in a currency over groups matching `where`. */
  const balance = async (account: string, currency: string, where: string, params: (string | number)[]) =>
    readSum(await db.get<Row>(`SELECT ${sumMicros(OWED, 's')} FROM ledger_groups g JOIN ledger_legs l ON l.group_id = g.id WHERE l.account = ? AND g.currency = ? AND ${where}`, [account, currency, ...params]), 's');
  return {
    publisherSums: (p, c, m) => sums(db, p, c, m),
    async publisherCurrencies(publisherId) {
      const rows = await db.all<Row>('SELECT DISTINCT g.currency FROM ledger_groups g WHERE g.publisher_id = ? ORDER BY g.currency', [publisherId]);
      return rows.map((r) => String(r.currency));
    },
    async payoutPolicies() {
      const rows = await db.all<Row>('SELECT currency, reversal_window_days, threshold_micros FROM payout_policies ORDER BY currency');
      return new Map(rows.map((r) => [String(r.currency), toPolicy(r)]));
    },
    async payouts(filter, limit, beforeId) {
      const rows = await db.all<Row>(
        `${PAYOUT_SELECT} AND (CAST(? AS TEXT) IS NULL OR g.publisher_id = ?)${beforeId === undefined ? '' : ' AND g.id < ?'} ORDER BY g.id DESC LIMIT ?`,
        [filter.publisherId ?? null, filter.publisherId ?? null, ...(beforeId === undefined ? [] : [beforeId]), limit],
      );
      return rows.map(toPayout);
    },
    async accountStatement(publisherId, currency, range, limit, after): Promise<AccountStatement> {
      const account = `publisher:${publisherId}`;
      const opening = after
        ? await balance(account, currency, '(g.at < ? OR (g.at = ? AND g.id <= ?))', [after.at, after.at, after.groupId])
        : await balance(account, currency, 'g.at < ?', [range.from]);
      const closing = await balance(account, currency, 'g.at < ?', [range.to]);
      const rows = await db.all<Row>(
        `SELECT g.id, g.kind, g.at, g.campaign_id, g.slot_id, g.reason, ${sumMicros(OWED, 'm')}
         FROM ledger_groups g JOIN ledger_legs l ON l.group_id = g.id
         WHERE l.account = ? AND g.currency = ? AND g.at >= ? AND g.at < ?${after ? ' AND (g.at > ? OR (g.at = ? AND g.id > ?))' : ''}
         GROUP BY g.id, g.kind, g.at, g.campaign_id, g.slot_id, g.reason ORDER BY g.at, g.id LIMIT ?`,
        [account, currency, range.from, range.to, ...(after ? [after.at, after.at, after.groupId] : []), limit],
      );
      let run = opening;
      const lines: StatementLine[] = rows.map((r) => {
        const amount = readSum(r, 'm');
        run += amount;
        return {
          groupId: num(r.id),
          kind: String(r.kind),
          at: num(r.at),
          campaignId: String(r.campaign_id),
          slotId: r.slot_id === null || r.slot_id === undefined ? null : String(r.slot_id),
          reason: r.reason === null || r.reason === undefined ? null : String(r.reason),
          amountMicros: amount,
          balanceMicros: run,
        };
      });
      const last = lines.at(-1);
      return { currency, openingMicros: opening, closingMicros: closing, lines, next: lines.length === limit && last ? `${last.at}_${last.groupId}` : null };
    },
  };
}
