/**
 * Commands on stored conversions (SPEC §3.4 states, core/conversion-status.ts): approve, reject,
 * reverse, restate. The store reads what the core needs; the money of each correction is decided by
 * core/adjustments.ts (which group to post, which days' spend it moves) and written here.
 *
 * | command  | money                                                                            |
 * |----------|----------------------------------------------------------------------------------|
 * | approve  | a held conversion is priced and charged now, against the caps in force            |
 * | reject   | none                                                                             |
 * | reverse  | a charged one is clawed back; its cost given back to the days it was booked on   |
 * | restate  | the difference to the new value's price; up: booked today within the caps; down: given back |
 * | dispute  | none: held for the operator with the reason; the charge stands until it is approved (dismissed), |
 * |          | reversed or restated                                                              |
 */
import { planRestatement, planReversal, type Correction } from '../core/adjustments';
import { isCharged, nextStatus, type ConversionCommand } from '../core/conversion-status';
import { utcDay } from '../core/day';
import { approvedRecord, withHistory, type ExplainHistoryEntry } from '../core/explain';
import type { EntryMeta } from '../core/ledger';
import type { ConversionRecord, WriteTx } from '../store/store';
import { bill } from './conversion-billing';
import { pricedRef, termsRef } from './recorded-facts';

/** Result of a conversion command; money moved is in `currency` (the charge's). */
export type CommandResult =
  | { ok: true; conversion: ConversionRecord; costDeltaMicros: bigint; currency: string | null }
  | { ok: false; status: 404 | 409 | 422; reason: string };

/** Approves, rejects, reverses or restates a stored conversion (SPEC §3.4 states). */
export async function commandConversion(
  tx: WriteTx,
  id: string,
  command: ConversionCommand,
  opts: { advertiserId?: string; reason?: string; valueMicros?: bigint; at: number },
): Promise<CommandResult> {
  const found = await tx.conversion(id);
  if (!found || (opts.advertiserId && found.advertiserId !== opts.advertiserId)) return { ok: false, status: 404, reason: 'no such conversion' };
  const c: ConversionRecord = { ...found, updatedAt: opts.at };
  const to = nextStatus(c.status, command);
  if (!to) return { ok: false, status: 409, reason: `cannot ${command} a conversion that is ${c.status}` };

  const costBefore = c.costMicros;
  if (command === 'reverse') {
    if (isCharged(c.status)) await clawBack(tx, c, opts.reason ?? 'reversed', opts.at);
    c.status = 'reversed';
    c.statusReason = opts.reason ?? 'reversed';
    noteHistory(c, { at: opts.at, action: 'reversed', reason: c.statusReason });
  } else if (command === 'reject') {
    c.status = 'rejected';
    c.statusReason = opts.reason ?? 'rejected after review';
    noteHistory(c, { at: opts.at, action: 'rejected', reason: c.statusReason });
  } else if (command === 'dispute') {
    // No money moves: the charge stays booked (and counted) until the operator resolves the dispute.
    c.status = 'disputed';
    c.statusReason = opts.reason ?? 'disputed';
    noteHistory(c, { at: opts.at, action: 'disputed', reason: c.statusReason });
  } else if (command === 'approve' && c.status === 'disputed') {
    // Dismissing a dispute: the charge already stands, so nothing is billed again.
    c.status = c.restatements > 0 ? 'restated' : 'approved';
    c.statusReason = `dispute dismissed${opts.reason ? `: ${opts.reason}` : ''}`;
    noteHistory(c, { at: opts.at, action: 'approved', reason: c.statusReason });
  } else if (command === 'approve') {
    if (!c.campaignId || !c.publisherId || c.termsVersion === null) return { ok: false, status: 409, reason: 'nothing to approve: no winning touch' };
    const w = c.decision?.winner;
    const winner = {
      id: c.touchId ?? '',
      kind: c.touchKind ?? 'click',
      at: w?.at ?? c.at,
      advertiserId: c.advertiserId,
      campaignId: c.campaignId,
      publisherId: c.publisherId,
      creativeId: c.creativeId ?? '',
      slotId: c.slotId ?? '',
      termsVersion: c.termsVersion,
      invalidReason: null,
      countedConversionId: null,
    };
    const s = await bill(tx, c, winner, true, null);
    if (s.outcome === 'held') return { ok: false, status: 422, reason: `cannot price it: ${s.reason}` };
    // The explain record now says what was decided on review: the held winner won, and what it cost.
    c.decision = approvedRecord(c.decision, c.touchId, s, c, `approved after review${opts.reason ? `: ${opts.reason}` : ''}`);
    noteHistory(c, { at: opts.at, action: 'approved', reason: opts.reason ?? null });
  } else {
    if (opts.valueMicros === undefined) return { ok: false, status: 422, reason: 'a restatement needs a value' };
    if (c.status === 'unattributed') c.valueMicros = opts.valueMicros;
    else {
      const r = await restate(tx, c, opts.valueMicros, opts.reason ?? 'restated', opts.at);
      if (!r.ok) return { ok: false, status: 409, reason: r.reason };
    }
    noteHistory(c, { at: opts.at, action: 'restated', reason: opts.reason ?? null });
  }
  await tx.updateConversion(c);
  const currency = c.decision?.charge?.chargeCurrency ?? (await tx.groupsFor('conversion', c.id))[0]?.meta.currency ?? null;
  return { ok: true, conversion: c, costDeltaMicros: c.costMicros - costBefore, currency };
}

/** Appends a history entry (with the net cost and value after it) to a conversion's explain record. */
export function noteHistory(c: ConversionRecord, e: Omit<ExplainHistoryEntry, 'netCostMicros' | 'valueMicros'>): void {
  c.decision = withHistory(c.decision, { ...e, netCostMicros: String(c.costMicros), valueMicros: String(c.valueMicros) });
}

/** Posts a correction decided by the core and moves the spend it says; false when its key was posted before. */
export async function postCorrection(tx: WriteTx, x: Correction, on: Pick<EntryMeta, 'campaignId' | 'publisherId'>, postedAt: number): Promise<boolean> {
  if (!x.group || !(await tx.postGroup(x.group, postedAt))) return false;
  for (const [day, delta] of x.spendDeltas) await tx.addSpend(on.campaignId, on.publisherId, day, delta);
  return true;
}

/** Claws a conversion's charge back (core/adjustments.ts planReversal); returns the cost given back. */
export async function clawBack(tx: WriteTx, c: ConversionRecord, reason: string, at: number): Promise<bigint> {
  const groups = await tx.groupsFor('conversion', c.id);
  c.costMicros = 0n;
  const x = planReversal(groups, `conversion:${c.id}:reversal`, 'reversal', reason, at);
  if (x.group) x.group.facts = { rule: 'reversal' };
  return (await postCorrection(tx, x, groups[0]?.meta ?? { campaignId: '', publisherId: '' }, at)) ? x.costMicros : 0n;
}

/** Re-prices a charged conversion at a new value and posts the difference (core/adjustments.ts planRestatement); mutates `c`. */
export async function restate(tx: WriteTx, c: ConversionRecord, valueMicros: bigint, reason: string, at: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!c.campaignId || !c.publisherId || c.termsVersion === null) {
    c.valueMicros = valueMicros;
    return { ok: true };
  }
  const terms = await tx.terms(c.campaignId, c.termsVersion, c.publisherId);
  if (!terms) return { ok: false, reason: 'the terms of this conversion are gone' };
  const today = utcDay(at);
  const groups = await tx.groupsFor('conversion', c.id);
  // Today's spend (its rows locked on PostgreSQL) before the caps in force are read.
  const spendToday = await tx.spend(c.campaignId, c.publisherId, today);
  const now = await tx.campaignNow(c.campaignId);
  const seq = c.restatements + 1;
  const meta: EntryMeta = {
    refType: 'conversion',
    refId: c.id,
    campaignId: c.campaignId,
    advertiserId: c.advertiserId,
    publisherId: c.publisherId,
    slotId: c.slotId,
    termsVersion: terms.version,
    currency: terms.currency,
    at,
    reason,
  };
  const plan = planRestatement(groups, { terms, caps: now?.terms ?? terms, spendToday, today, valueMicros, currency: c.currency, meta, key: `conversion:${c.id}:restate:${seq}` });
  if (!plan.ok) return plan;
  if (plan.group) {
    const stored = (await tx.terms(c.campaignId, c.termsVersion))!;
    plan.group.facts = { rule: 'restatement', valueMicros, currency: c.currency, today, priced: pricedRef(stored, terms), caps: termsRef(now?.terms ?? stored), spend: spendToday };
  }
  await postCorrection(tx, plan, meta, at);
  c.valueMicros = valueMicros;
  c.costMicros = plan.costMicros;
  c.restatements = seq;
  c.status = 'restated';
  c.statusReason = reason;
  return { ok: true };
}
