/**
 * Bulk adjustments (issue 14): the lines of a bulk-adjustment file (bulk-adjust-csv.ts) run as the
 * same conversion commands one request runs (conversion-commands.ts → core/adjustments.ts
 * planReversal / planRestatement), so a preview and the real thing cannot disagree:
 *
 * - dry run: every line in one transaction, in file order (a later line sees an earlier one), then
 *   rolled back — nothing is written, the answer is the money each line would move;
 * - apply: one transaction per line, so one refused line does not hold the others back.
 *
 * A line is idempotent by the state it asks for: a conversion already reversed, disputed,
 * approved, rejected — or already at the restated value — is `unchanged`, so re-uploading a file
 * moves no money twice (the parser allows one line per conversion).
 */
import type { ConversionCommand } from '../core/conversion-status';
import { parseConversionValue } from '../core/money';
import { rolledBack } from '../store/rolled-back';
import type { ConversionRecord, Store, WriteTx } from '../store/store';
import type { BulkLine } from './bulk-adjust-csv';
import { commandConversion } from './conversion-commands';

/** What happened (or would happen) to one line. */
export interface BulkOutcome {
  line: number;
  orderId: string;
  command: ConversionCommand | null;
  conversionId: string | null;
  /** `applied` (or, in a dry run, `would_apply`), `unchanged` (already so), or `error`. */
  outcome: 'applied' | 'would_apply' | 'unchanged' | 'error';
  reason: string | null;
  /** The conversion's state after the line (as it was when unchanged or refused). */
  status: string | null;
  /** The advertiser's cost moved by the line (negative: given back), in `currency`. */
  costDeltaMicros: bigint;
  currency: string | null;
}

/** The state each command leaves a conversion in: finding it there already means the line is done. */
const DONE: Partial<Record<ConversionCommand, string>> = { reverse: 'reversed', dispute: 'disputed', approve: 'approved', reject: 'rejected' };

/** Runs (or previews) the lines of a file for one advertiser. */
export async function runBulkAdjustments(store: Store, advertiserId: string, lines: readonly BulkLine[], o: { dryRun: boolean; at: number }): Promise<BulkOutcome[]> {
  // Which conversion each line names (IDs never change, so they are read before any transaction).
  const found = await Promise.all(lines.map((l) => (l.error ? null : findConversion(store, advertiserId, l))));
  if (o.dryRun) {
    return rolledBack(store, async (tx) => {
      const out: BulkOutcome[] = [];
      for (const [i, l] of lines.entries()) out.push(await runLine(l, found[i] ?? null, (fn) => fn(tx), true, advertiserId, o.at));
      return out;
    });
  }
  const out: BulkOutcome[] = [];
  for (const [i, l] of lines.entries()) out.push(await runLine(l, found[i] ?? null, (fn) => store.write(fn), false, advertiserId, o.at));
  return out;
}

type Found = { ok: true; id: string } | { ok: false; reason: string };

async function findConversion(store: Store, advertiserId: string, l: BulkLine): Promise<Found> {
  const all = { from: 0, to: Number.MAX_SAFE_INTEGER };
  const list = await store.reports.conversions({ advertiserId, orderId: l.orderId, ...(l.actionKey ? { actionKey: l.actionKey } : {}) }, all, 3);
  if (list.length === 0) return { ok: false, reason: `no conversion with order ID ${l.orderId}${l.actionKey ? ` and action ${l.actionKey}` : ''}` };
  if (list.length > 1) return { ok: false, reason: `${list.length} conversions have order ID ${l.orderId} (${list.map((c) => c.actionKey).join(', ')}): add a conversion_action column` };
  return { ok: true, id: list[0]!.id };
}

type InTx = <T>(fn: (tx: WriteTx) => Promise<T>) => Promise<T>;

async function runLine(l: BulkLine, found: Found | null, inTx: InTx, dryRun: boolean, advertiserId: string, at: number): Promise<BulkOutcome> {
  const base = { line: l.line, orderId: l.orderId, command: l.command, costDeltaMicros: 0n, currency: null };
  if (l.error || !l.command) return { ...base, conversionId: null, outcome: 'error', reason: l.error ?? 'no action', status: null };
  let valueMicros: bigint | undefined;
  if (l.command === 'restate') {
    const v = parseConversionValue(l.amount);
    if (!v.ok) return { ...base, conversionId: null, outcome: 'error', reason: `amount: ${v.reason}`, status: null };
    valueMicros = v.micros;
  }
  if (!found || !found.ok) return { ...base, conversionId: null, outcome: 'error', reason: found?.reason ?? 'not found', status: null };
  const command = l.command;
  return inTx(async (tx) => {
    const before: ConversionRecord | null = await tx.conversion(found.id);
    if (!before) return { ...base, conversionId: found.id, outcome: 'error', reason: 'not found', status: null };
    // A restatement is done when the value is already the one asked for — in a state a restatement
    // leaves (a disputed one restated at its value still settles the dispute; a held one cannot be).
    const restatedAlready = command === 'restate' && valueMicros === before.valueMicros && ['approved', 'restated', 'unattributed'].includes(before.status);
    const unchanged = DONE[command] === before.status || restatedAlready;
    if (unchanged) return { ...base, conversionId: found.id, outcome: 'unchanged', reason: `already ${before.status}${command === 'restate' ? ' at this value' : ''}`, status: before.status };
    const res = await commandConversion(tx, found.id, command, { advertiserId, reason: l.reason, valueMicros, at });
    if (!res.ok) return { ...base, conversionId: found.id, outcome: 'error', reason: res.reason, status: before.status };
    return {
      ...base,
      conversionId: found.id,
      outcome: dryRun ? 'would_apply' : 'applied',
      reason: null,
      status: res.conversion.status,
      costDeltaMicros: res.costDeltaMicros,
      currency: res.currency,
    };
  });
}
