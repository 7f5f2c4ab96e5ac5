/**
 * A click found invalid later (SPEC §3.4: "IVT found later" is corrected by new entries). Its CPC
 * charge is reversed, and so is every conversion it won: attribution only counts touches "not
 * flagged invalid" (§3.3), so a sale credited to a fraudulent click must not stay billed.
 *
 * | what the click had                 | correction                                                  |
 * |------------------------------------|-------------------------------------------------------------|
 * | a CPC charge                       | an invalidation group; the cost given back to the day it was booked on |
 * | a charged conversion it won        | a clawback (reversal) of that conversion                    |
 * | a held conversion it won           | rejected, nothing to give back                              |
 *
 * The conversion is not re-attributed to the runner-up touch: its state machine ends at `reversed`,
 * and a second charge under a new key is a decision for a person, not for this command.
 */
import { planReversal } from '../core/adjustments';
import type { ConversionStatus } from '../core/conversion-status';
import { withInvalidTouch } from '../core/explain';
import type { ConversionRecord, WriteTx } from '../store/store';
import { clawBack, noteHistory, postCorrection } from './conversion-commands';

/** What invalidating a click gave back. */
export interface InvalidationResult {
  ok: boolean;
  /** The click's own charge (CPC) given back. */
  clickMicros: bigint;
  /** The conversions the click had won, each reversed (charged) or rejected (held), and what each gave back. */
  conversions: { id: string; status: ConversionStatus; reversedMicros: bigint }[];
  currency: string | null;
}

/** Invalidates a click and every conversion it won (see the table above). */
export async function invalidateClick(tx: WriteTx, clickId: string, reason: string, at: number): Promise<InvalidationResult> {
  const click = await tx.click(clickId);
  if (!click) return { ok: false, clickMicros: 0n, conversions: [], currency: null };
  const groups = await tx.groupsFor('click', clickId);
  await tx.markClickInvalid(clickId, reason);
  const x = planReversal(groups, `click:${clickId}:invalidation`, 'invalidation', reason, at);
  if (x.group) x.group.facts = { rule: 'invalidation' };
  const clickMicros = (await postCorrection(tx, x, click, at)) ? x.costMicros : 0n;
  const conversions: InvalidationResult['conversions'] = [];
  let currency = groups[0]?.meta.currency ?? null;
  const why = `winning click ${clickId} invalidated: ${reason}`;
  for (const found of await tx.conversionsWonBy(clickId)) {
    const c: ConversionRecord = { ...found, updatedAt: at };
    let reversedMicros = 0n;
    if (c.status === 'pending') {
      c.status = 'rejected';
    } else {
      currency ??= (await tx.groupsFor('conversion', c.id))[0]?.meta.currency ?? null;
      reversedMicros = await clawBack(tx, c, why, at);
      c.status = 'reversed';
    }
    c.statusReason = why;
    c.decision = withInvalidTouch(c.decision, clickId, reason);
    noteHistory(c, { at, action: c.status === 'rejected' ? 'rejected' : 'reversed', reason: why });
    await tx.updateConversion(c);
    conversions.push({ id: c.id, status: c.status, reversedMicros });
  }
  return { ok: true, clickMicros, conversions, currency };
}
