/**
 * Billing an attributed conversion inside the group commit: read what the core needs (the winner's
 * terms, spend on the collector's day, the caps in force, the advertiser's usual value), let the
 * core decide (core/billing.ts, core/outliers.ts), post what it decided.
 *
 * | conversion                                          | outcome                                      |
 * |-----------------------------------------------------|----------------------------------------------|
 * | a beacon value far above the usual (share of value) | held for review (`pending`, `outlier_value`) |
 * | cannot be priced (currency, missing value)          | held (`pending`)                             |
 * | would pass a cap in force                           | approved, not charged (`over_cap`)           |
 * | otherwise                                           | charged and approved                         |
 */
import type { AttributionDecision, RejectedClickId, Touch } from '../core/attribution';
import { settleConversion } from '../core/billing';
import { utcDay } from '../core/day';
import type { ChargeOutcome } from '../core/explain';
import type { EntryMeta } from '../core/ledger';
import { outlierReason } from '../core/outliers';
import type { CampaignTerms, ConversionAction } from '../core/terms';
import type { ConversionRecord, WriteTx } from '../store/store';
import { defaultAction } from './default-action';
import { pricedRef, termsRef } from './recorded-facts';

/** The attribution a charge came from, recorded with it (core/facts.ts); an approval records its held winner only. */
export interface AttributionInputs {
  action: ConversionAction;
  touches: Touch[];
  termsByCampaign: ReadonlyMap<string, CampaignTerms>;
  rejected: RejectedClickId[];
}

/** Bills an attributed conversion on its winner's terms; sets status, reason and cost on `c`. */
export async function bill(
  tx: WriteTx,
  c: ConversionRecord,
  winner: Touch,
  approving: boolean,
  attribution: AttributionInputs | null,
): Promise<ChargeOutcome> {
  const terms = await tx.terms(winner.campaignId, winner.termsVersion, winner.publisherId);
  // Booked on the collector's clock (receipt, or the approval): the claimed conversion time only
  // decides attribution, never which day's budget pays (SPEC §3.8).
  const bookedAt = c.updatedAt;
  const day = utcDay(bookedAt);
  const cpa = terms?.costModel === 'cpa';
  const spend = cpa ? await tx.spend(winner.campaignId, winner.publisherId, day) : { totalMicros: 0n, dayMicros: 0n, publisherDayMicros: 0n };
  // The caps in force now, read after the budget rows were locked (SPEC §3.8).
  const now = cpa ? await tx.campaignNow(winner.campaignId) : null;
  const meta: EntryMeta | null = terms
    ? {
        refType: 'conversion',
        refId: c.id,
        campaignId: winner.campaignId,
        advertiserId: c.advertiserId,
        publisherId: winner.publisherId,
        slotId: winner.slotId,
        termsVersion: terms.version,
        currency: terms.currency,
        at: bookedAt,
        reason: approving ? 'approved after review' : null,
      }
    : null;
  const priced = { termsVersion: terms?.version ?? null, chargeCurrency: terms?.currency ?? null };
  // A value the visitor typed, far above the advertiser's usual one, is held for review (core/outliers.ts).
  if (!approving && c.origin === 'beacon' && cpa && terms!.cpaBps > 0) {
    const held = outlierReason(c.valueMicros, await tx.recentValues(c.advertiserId, c.actionKey, 100));
    if (held) {
      c.costMicros = 0n;
      c.status = 'pending';
      c.statusReason = held;
      return { outcome: 'held', reason: held, split: null, capHit: null, flatMicros: 0n, shareMicros: 0n, ...priced };
    }
  }
  const attributed = { outcome: 'attributed' } as AttributionDecision;
  const s = settleConversion(attributed, terms, { valueMicros: c.valueMicros, currency: c.currency }, spend, `conversion:${c.id}`, meta, now?.terms ?? terms);
  if (s.group) {
    // The inputs it was priced from, recorded with it (core/facts.ts) so a statement can re-run it.
    const stored = (await tx.terms(winner.campaignId, winner.termsVersion))!;
    s.group.facts = {
      rule: 'conversion',
      approving,
      conversion: { id: c.id, advertiserId: c.advertiserId, at: c.at, valueMicros: c.valueMicros, currency: c.currency, action: attribution?.action ?? defaultAction(c.actionKey) },
      touches: attribution?.touches ?? [winner],
      attributionTerms: attribution ? [...attribution.termsByCampaign.values()].map(termsRef) : [],
      rejected: attribution?.rejected ?? [],
      priced: pricedRef(stored, terms!),
      caps: termsRef(now?.terms ?? stored),
      spend,
    };
    if (await tx.postGroup(s.group, c.updatedAt)) await tx.addSpend(winner.campaignId, winner.publisherId, day, s.split!.costMicros);
  }
  c.costMicros = s.split?.costMicros ?? 0n;
  if (s.outcome === 'held') {
    c.status = 'pending';
    c.statusReason = s.reason;
  } else {
    c.status = 'approved';
    c.statusReason = s.outcome === 'over_cap' ? `over_cap: ${s.capHit}` : s.outcome === 'no_charge' ? s.reason : null;
  }
  return { outcome: s.outcome, reason: s.reason, split: s.split, capHit: s.capHit, flatMicros: s.flatMicros, shareMicros: s.shareMicros, ...priced };
}
