/**
 * Attribution: which touch earned a conversion, and why every other candidate did not.
 *
 * Rules, applied in this order (SPEC §3.3; Google Ads and Meta bill the same way):
 * | # | rule                                                                 | verdict for the touch |
 * |---|----------------------------------------------------------------------|-----------------------|
 * | 1 | the order was already converted (advertiser, action, order_id)       | `duplicate` (no winner) |
 * | 2 | the click ID was forged, altered, never issued or from another tenant | `forged` / `unknown` / `other_advertiser` |
 * | 3 | the touch belongs to another advertiser                              | `other_advertiser`    |
 * | 4 | the touch was flagged as invalid traffic                             | `invalid`             |
 * | 5 | the touch happened after the conversion                              | `after_conversion`    |
 * | 6 | click older than its click window (age ≤ window is inside)           | `outside_click_window`|
 * | 7 | view with the view window off (0 days)                               | `view_through_off`    |
 * | 8 | view older than its view window                                      | `outside_view_window` |
 * | 9 | any eligible click exists: clicks always beat views                  | `lost_to_click`       |
 * |10 | among the remaining kind: higher campaign priority wins              | `lower_priority`      |
 * |11 | then the most recent (last click) or the oldest (first click)        | `older` / `newer`     |
 * |12 | then the smaller touch ID (deterministic)                            | `tie_break`           |
 * |13 | the winning click came faster than the minimum delay: held for review| `too_fast`            |
 * |14 | counting `one` and the winner already counted this action           | `duplicate` (not counted) |
 * |   | otherwise                                                            | `won`                 |
 *
 * Windows are per touch: the touch's campaign window, shortened (never lengthened) by the action.
 * Multi-touch credits (linear, time-decay, position-based) are computed over the touches that
 * passed rules 3–8, for reporting only.
 */
import type { AttributionModel, CampaignTerms, ConversionAction } from './terms';
import { effectiveWindows } from './terms';
import { splitCredit, type MultiTouchModel } from './credit-split';

/** A click or viewable impression that may earn a conversion. */
export interface Touch {
  id: string;
  kind: 'click' | 'view';
  at: number;
  advertiserId: string;
  campaignId: string;
  publisherId: string;
  creativeId: string;
  slotId: string;
  termsVersion: number;
  /** Why the touch was flagged as invalid traffic, or null. */
  invalidReason: string | null;
  /** For counting `one`: a conversion of this action already counted on this touch. */
  countedConversionId: string | null;
}

/** A click ID presented with the conversion that did not resolve to one of our clicks. */
export interface RejectedClickId {
  clickId: string;
  reason: 'forged' | 'unknown' | 'other_advertiser';
}

/** Why a candidate won or lost. */
export type Verdict =
  | 'won'
  | 'duplicate'
  | 'forged'
  | 'unknown'
  | 'other_advertiser'
  | 'invalid'
  | 'after_conversion'
  | 'outside_click_window'
  | 'view_through_off'
  | 'outside_view_window'
  | 'unknown_campaign'
  | 'lost_to_click'
  | 'lower_priority'
  | 'older'
  | 'newer'
  | 'tie_break'
  | 'too_fast'
  | 'over_cap';

/** One line of the explain record. */
export interface CandidateVerdict {
  touchId: string;
  kind: 'click' | 'view';
  at: number | null;
  campaignId: string | null;
  publisherId: string | null;
  verdict: Verdict;
  detail: string | null;
}

/** The attribution outcome before pricing. */
export type AttributionOutcome = 'attributed' | 'unattributed' | 'held' | 'duplicate' | 'not_counted';

/** Credit shares of one reporting model, per eligible touch. */
export interface ModelCredits {
  model: MultiTouchModel | AttributionModel;
  shares: { touchId: string; conversionMicros: bigint; valueMicros: bigint }[];
}

/** The attribution decision: the winner (if any) and a verdict for every candidate. */
export interface AttributionDecision {
  outcome: AttributionOutcome;
  model: AttributionModel;
  winner: Touch | null;
  /** Why the conversion is held, not counted or a duplicate; null when attributed/unattributed. */
  reason: string | null;
  candidates: CandidateVerdict[];
  credits: ModelCredits[];
}

/** Everything attribution looks at; nothing else. */
export interface AttributionInput {
  conversion: { id: string; advertiserId: string; at: number; valueMicros: bigint; action: ConversionAction };
  touches: readonly Touch[];
  termsByCampaign: ReadonlyMap<string, CampaignTerms>;
  rejectedClickIds?: readonly RejectedClickId[];
  /** Set when (advertiser, action, order_id) was already converted: the ID of that conversion. */
  duplicateOf?: string | null;
  /** False to leave out the reporting credits (`credits: []`): the statement verifier needs only the winner. */
  credits?: boolean;
}

/** One conversion = 1,000,000 credit micro-units, so fractional credit stays an integer. */
export const CONVERSION_CREDIT_UNITS = 1_000_000n;

/** Decides which touch earned a conversion under the action's billing model. */
export function attributeConversion(input: AttributionInput): AttributionDecision {
  const { conversion, termsByCampaign } = input;
  const model = conversion.action.model;
  const verdicts = new Map<string, CandidateVerdict>();
  const line = (t: Touch, verdict: Verdict, detail: string | null = null): CandidateVerdict => ({
    touchId: t.id,
    kind: t.kind,
    at: t.at,
    campaignId: t.campaignId,
    publisherId: t.publisherId,
    verdict,
    detail,
  });
  const rejected = (input.rejectedClickIds ?? []).map(
    (r): CandidateVerdict => ({ touchId: r.clickId, kind: 'click', at: null, campaignId: null, publisherId: null, verdict: r.reason, detail: null }),
  );
  // Stable input order: by time then ID, so the explain record reads oldest first.
  const touches = [...input.touches].sort((a, b) => a.at - b.at || cmp(a.id, b.id));

  if (input.duplicateOf) {
    return {
      outcome: 'duplicate',
      model,
      winner: null,
      reason: `duplicate of conversion ${input.duplicateOf}`,
      candidates: [...touches.map((t) => line(t, 'duplicate', input.duplicateOf ?? null)), ...rejected],
      credits: [],
    };
  }

  const eligible: Touch[] = [];
  for (const t of touches) {
    const terms = termsByCampaign.get(t.campaignId);
    const age = conversion.at - t.at;
    let v: CandidateVerdict | null = null;
    if (t.advertiserId !== conversion.advertiserId) v = line(t, 'other_advertiser');
    else if (t.invalidReason) v = line(t, 'invalid', t.invalidReason);
    else if (!terms) v = line(t, 'unknown_campaign');
    else if (age < 0) v = line(t, 'after_conversion');
    else {
      const w = effectiveWindows(terms, conversion.action);
      if (t.kind === 'click' && age > w.clickMs) v = line(t, 'outside_click_window', `${age} ms > ${w.clickMs} ms`);
      else if (t.kind === 'view' && w.viewMs === 0) v = line(t, 'view_through_off');
      else if (t.kind === 'view' && age > w.viewMs) v = line(t, 'outside_view_window', `${age} ms > ${w.viewMs} ms`);
    }
    if (v) verdicts.set(t.id, v);
    else eligible.push(t);
  }

  const clicks = eligible.filter((t) => t.kind === 'click');
  const pool = clicks.length > 0 ? clicks : eligible;
  if (clicks.length > 0) for (const t of eligible) if (t.kind === 'view') verdicts.set(t.id, line(t, 'lost_to_click'));

  const prio = (t: Touch) => termsByCampaign.get(t.campaignId)?.priority ?? 0;
  const ranked = [...pool].sort(
    (a, b) => prio(b) - prio(a) || (model === 'last_click' ? b.at - a.at : a.at - b.at) || cmp(a.id, b.id),
  );
  const winner = ranked[0] ?? null;
  for (const t of ranked.slice(1)) {
    if (!winner) break;
    if (prio(t) < prio(winner)) verdicts.set(t.id, line(t, 'lower_priority'));
    else if (t.at !== winner.at) verdicts.set(t.id, line(t, model === 'last_click' ? 'older' : 'newer'));
    else verdicts.set(t.id, line(t, 'tie_break'));
  }

  let outcome: AttributionOutcome = 'unattributed';
  let reason: string | null = null;
  if (winner) {
    const terms = termsByCampaign.get(winner.campaignId)!;
    const age = conversion.at - winner.at;
    if (winner.kind === 'click' && age < terms.minConversionDelayMs) {
      outcome = 'held';
      reason = `too_fast: ${age} ms after the click < ${terms.minConversionDelayMs} ms`;
      verdicts.set(winner.id, line(winner, 'too_fast', reason));
    } else if (conversion.action.counting === 'one' && winner.countedConversionId) {
      outcome = 'not_counted';
      reason = `counting one: already counted as conversion ${winner.countedConversionId}`;
      verdicts.set(winner.id, line(winner, 'duplicate', winner.countedConversionId));
    } else {
      outcome = 'attributed';
      verdicts.set(winner.id, line(winner, 'won'));
    }
  }

  return {
    outcome,
    model,
    winner,
    reason,
    candidates: [...touches.map((t) => verdicts.get(t.id)!), ...rejected],
    credits: input.credits === false ? [] : creditsFor(eligible, outcome === 'attributed' ? winner : null, model, conversion.at, conversion.valueMicros),
  };
}

/** Reporting credits over the eligible touches (oldest first) for every model. */
function creditsFor(
  eligible: readonly Touch[],
  winner: Touch | null,
  billing: AttributionModel,
  at: number,
  valueMicros: bigint,
): ModelCredits[] {
  if (eligible.length === 0) return [];
  const ats = eligible.map((t) => t.at);
  const models: MultiTouchModel[] = ['linear', 'time_decay', 'position_based'];
  const out: ModelCredits[] = models.map((model) => {
    const units = splitCredit(model, CONVERSION_CREDIT_UNITS, ats, at);
    const value = splitCredit(model, valueMicros, ats, at);
    return {
      model,
      shares: eligible.map((t, i) => ({ touchId: t.id, conversionMicros: units[i]!, valueMicros: value[i]! })),
    };
  });
  if (winner) {
    out.unshift({ model: billing, shares: [{ touchId: winner.id, conversionMicros: CONVERSION_CREDIT_UNITS, valueMicros }] });
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
