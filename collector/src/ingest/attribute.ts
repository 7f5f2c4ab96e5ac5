/**
 * Attribution of one conversion inside the group commit: the store finds the candidate touches
 * (the clicks the conversion carries, verified as minted for its advertiser, and the viewable
 * impressions of its source), the pure core decides (core/attribution.ts), and an attributed
 * conversion is billed (conversion-billing.ts). Nothing here decides money.
 *
 * | candidate                                             | looked up by                                    |
 * |-------------------------------------------------------|-------------------------------------------------|
 * | a click ID that verifies for the advertiser           | its ID, within the longest click window (90 d)  |
 * | a click ID that does not verify                       | kept as `forged` or `other_advertiser`, never a touch |
 * | a viewable impression                                 | the source key, within the longest view window (30 d) |
 */
import { attributeConversion, type RejectedClickId, type Touch } from '../core/attribution';
import { decisionRecord } from '../core/explain';
import type { CampaignTerms } from '../core/terms';
import { DAY_MS } from '../core/terms';
import type { ConversionRecord, WriteTx } from '../store/store';
import { bill } from './conversion-billing';
import { defaultAction } from './default-action';
import type { PipelineDeps } from './deps';

export { defaultAction } from './default-action';

/** The longest window any touch can have (90-day clicks), for the touch query. */
const LOOKBACK_MS = 90 * DAY_MS;
/** Views are matched by source only within the longest view window. */
const VIEW_LOOKBACK_MS = 30 * DAY_MS;

/** Runs attribution for a (new or re-opened) conversion and bills the winner; mutates `c`. */
export async function attributeAndBill(tx: WriteTx, c: ConversionRecord, deps: PipelineDeps): Promise<void> {
  const action = (await tx.conversionAction(c.advertiserId, c.actionKey)) ?? defaultAction(c.actionKey);
  const rejected: RejectedClickId[] = [];
  const verified: string[] = [];
  for (const id of c.clickIds) {
    if (deps.keys.verifyClickId(id, c.advertiserId)) verified.push(id);
    // Tell apart a real click of another advertiser (cross-tenant) from a made-up ID, for the explain view.
    else rejected.push({ clickId: id, reason: (await tx.click(id)) ? 'other_advertiser' : 'forged' });
  }
  const found = await tx.touchesFor(c.advertiserId, verified, c.sourceKey, c.at - VIEW_LOOKBACK_MS);
  for (const id of verified) if (!found.some((t) => t.id === id)) rejected.push({ clickId: id, reason: 'unknown' });
  const touches = found.filter((t) => t.kind === 'view' || t.at >= c.at - LOOKBACK_MS);

  const termsByCampaign = new Map<string, CampaignTerms>();
  for (const t of touches) {
    const have = termsByCampaign.get(t.campaignId);
    if (have && have.version >= t.termsVersion) continue;
    const terms = await tx.terms(t.campaignId, t.termsVersion);
    if (terms) termsByCampaign.set(t.campaignId, terms);
  }
  const counted = await tx.countedConversions(
    touches.map((t) => t.id),
    c.actionKey,
    c.id,
  );
  const coreTouches: Touch[] = touches.map((t) => ({ ...t, countedConversionId: counted.get(t.id) ?? null }));
  const decision = attributeConversion({
    conversion: { id: c.id, advertiserId: c.advertiserId, at: c.at, valueMicros: c.valueMicros, action },
    touches: coreTouches,
    termsByCampaign,
    rejectedClickIds: rejected,
  });
  const winner = decision.winner;
  if (winner) {
    c.campaignId = winner.campaignId;
    c.publisherId = winner.publisherId;
    c.creativeId = winner.creativeId;
    c.slotId = winner.slotId;
    c.touchId = winner.id;
    c.touchKind = winner.kind;
    c.termsVersion = winner.termsVersion;
  }
  if (decision.outcome === 'attributed' && winner) {
    const s = await bill(tx, c, winner, false, { action, touches: coreTouches, termsByCampaign, rejected });
    c.decision = decisionRecord(decision, s, c);
    return;
  }
  c.status = decision.outcome === 'held' ? 'pending' : decision.outcome === 'not_counted' ? 'rejected' : 'unattributed';
  c.statusReason = decision.outcome === 'not_counted' ? 'counting_one' : decision.reason;
  c.decision = decisionRecord(decision, null, c);
}
