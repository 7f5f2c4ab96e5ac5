/**
 * The explain record: why a conversion was credited the way it was and what it cost (SPEC §3.3
 * "Explain"). One type for everyone who reads it — the pipeline writes it, the store keeps it as
 * JSON, the API serves it and the dashboard draws it — so nobody keeps a hand copy. It is
 * JSON-safe: money is strings of micros, times are epoch ms.
 *
 * | part        | what it says                                                                   |
 * |-------------|--------------------------------------------------------------------------------|
 * | outcome     | attributed, unattributed, held, duplicate, not_counted — or `invalid` (refused traffic) |
 * | candidates  | every touch looked at and its verdict (attribution.ts), `over_cap` for a winner not charged |
 * | credits     | the billing model's credit and the reporting models' splits                     |
 * | charge      | price, split, terms version, caps — or null when nothing was priced           |
 * | history     | each later change (approved, rejected, reversed, restated, merged) with the net cost after it |
 */
import type { AttributionDecision, AttributionOutcome, CandidateVerdict } from './attribution';
import type { CapHit } from './caps';
import type { ChargeSplit } from './pricing';
import type { Micros } from './money';

/** One candidate touch as the explain record keeps it (a verdict of attribution.ts, or `over_cap`). */
export type ExplainCandidate = Omit<CandidateVerdict, 'verdict'> & { verdict: CandidateVerdict['verdict'] | 'over_cap' };

/** The money part of an explain record. */
export interface ExplainCharge {
  /** `charged`, `no_charge`, `not_billable`, `over_cap` or `held`. */
  outcome: string;
  reason: string | null;
  termsVersion: number | null;
  costMicros: string;
  flatMicros: string;
  shareMicros: string;
  publisherMicros: string;
  platformMicros: string;
  capHit: CapHit | null;
  valueMicros: string;
  /** The currency the conversion's value was reported in. */
  currency: string | null;
  /** The currency of the charge: the campaign's. */
  chargeCurrency: string | null;
}

/** One later change to a conversion (the ledger holds the money; this says why). */
export interface ExplainHistoryEntry {
  at: number;
  action: 'approved' | 'rejected' | 'reversed' | 'restated' | 'merged' | 'disputed';
  reason: string | null;
  /** The advertiser's net cost for the conversion after the change. */
  netCostMicros: string;
  valueMicros: string;
}

/** The explain record of a conversion. */
export interface ExplainRecord {
  outcome: AttributionOutcome | 'invalid';
  model?: string;
  reason: string | null;
  winner?: { touchId: string; kind: 'click' | 'view'; campaignId: string; publisherId: string; creativeId: string; slotId: string | null; at: number } | null;
  candidates: ExplainCandidate[];
  credits?: { model: string; shares: { touchId: string; conversionMicros: string; valueMicros: string }[] }[];
  charge?: ExplainCharge | null;
  history?: ExplainHistoryEntry[];
}

/** What billing decided for an attributed conversion, as the explain record needs it. */
export interface ChargeOutcome {
  outcome: string;
  reason: string | null;
  split: ChargeSplit | null;
  capHit: CapHit | null;
  flatMicros: Micros;
  shareMicros: Micros;
  termsVersion: number | null;
  chargeCurrency: string | null;
}

/** The record of a conversion refused as invalid traffic (nothing was attributed). */
export function invalidRecord(reason: string): ExplainRecord {
  return { outcome: 'invalid', reason, candidates: [] };
}

/** The money block for a charge outcome and the conversion's value. */
export function chargeBlock(s: ChargeOutcome, value: { valueMicros: Micros; currency: string | null }): ExplainCharge {
  return {
    outcome: s.outcome,
    reason: s.reason,
    termsVersion: s.termsVersion,
    costMicros: String(s.split?.costMicros ?? 0n),
    flatMicros: String(s.flatMicros),
    shareMicros: String(s.shareMicros),
    publisherMicros: String(s.split?.publisherMicros ?? 0n),
    platformMicros: String(s.split?.platformMicros ?? 0n),
    capHit: s.capHit,
    valueMicros: String(value.valueMicros),
    currency: value.currency,
    chargeCurrency: s.chargeCurrency,
  };
}

/** The record of an attribution decision and, when it was priced, its charge. */
export function decisionRecord(d: AttributionDecision, charge: ChargeOutcome | null, value: { valueMicros: Micros; currency: string | null }): ExplainRecord {
  // A winner whose charge would pass a cap is not charged: say so on its line.
  const candidates: ExplainCandidate[] = d.candidates.map((x) => (charge?.outcome === 'over_cap' && x.verdict === 'won' ? { ...x, verdict: 'over_cap', detail: charge.capHit } : x));
  return {
    outcome: d.outcome,
    model: d.model,
    reason: d.reason,
    winner: d.winner
      ? { touchId: d.winner.id, kind: d.winner.kind, campaignId: d.winner.campaignId, publisherId: d.winner.publisherId, creativeId: d.winner.creativeId, slotId: d.winner.slotId, at: d.winner.at }
      : null,
    candidates,
    credits: d.credits.map((m) => ({ model: m.model, shares: m.shares.map((x) => ({ touchId: x.touchId, conversionMicros: String(x.conversionMicros), valueMicros: String(x.valueMicros) })) })),
    charge: charge ? chargeBlock(charge, value) : null,
    history: [],
  };
}

/** The record after a held winner was approved on review: it won, and here is what it cost. */
export function approvedRecord(r: ExplainRecord | null, touchId: string | null, charge: ChargeOutcome, value: { valueMicros: Micros; currency: string | null }, note: string): ExplainRecord {
  const base = r ?? { outcome: 'attributed', reason: null, candidates: [] };
  return {
    ...base,
    outcome: 'attributed',
    candidates: base.candidates.map((x) => (x.touchId === touchId ? { ...x, verdict: charge.outcome === 'over_cap' ? 'over_cap' : 'won', detail: note } : x)),
    charge: chargeBlock(charge, value),
  };
}

/** The record with one touch marked invalid (a click found invalid after it won). */
export function withInvalidTouch(r: ExplainRecord | null, touchId: string, reason: string): ExplainRecord {
  const base = r ?? { outcome: 'attributed', reason: null, candidates: [] };
  return { ...base, candidates: base.candidates.map((x) => (x.touchId === touchId ? { ...x, verdict: 'invalid', detail: reason } : x)) };
}

/** The record with one more history entry. */
export function withHistory(r: ExplainRecord | null, e: ExplainHistoryEntry): ExplainRecord {
  const base = r ?? { outcome: 'unattributed', reason: null, candidates: [] };
  return { ...base, history: [...(base.history ?? []), e] };
}
