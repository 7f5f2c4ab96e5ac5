/**
 * Billing: turns one recorded action plus the terms in force and the spend so far into the entry
 * group to post (or the reason nothing is posted). Pure: the caller reads spend and running totals
 * inside its store transaction, calls one of these, and writes what comes back.
 *
 * | action      | not billed when                                     | cost                    |
 * |-------------|-----------------------------------------------------|-------------------------|
 * | click       | invalid traffic, duplicate click, not a CPC campaign, over a cap | CPC bid      |
 * | impression  | invalid, campaign paused, not a CPM campaign, not the billed basis, over a cap | running-total CPM |
 * | conversion  | not attributed, held, not a CPA campaign, currency mismatch, over a cap | CPA flat + share |
 */
import { capHit, type CapHit, type Caps, type Spend } from './caps';
import type { AttributionDecision } from './attribution';
import { chargeGroup, type EntryGroup, type EntryMeta } from './ledger';
import type { Micros } from './money';
import { clickCost, conversionCost, cpmCost, splitUnder, type ChargeSplit } from './pricing';
import type { CampaignTerms } from './terms';

/** What billing decided for one action. */
export interface Settlement {
  /** `charged`, `no_charge` (billable but costs nothing), or why it is not billed. */
  outcome: 'charged' | 'no_charge' | 'not_billable' | 'over_cap' | 'held';
  reason: string | null;
  split: ChargeSplit | null;
  group: EntryGroup | null;
  capHit: CapHit | null;
}

const none = (outcome: Settlement['outcome'], reason: string | null, hit: CapHit | null = null): Settlement => ({
  outcome,
  reason,
  split: null,
  group: null,
  capHit: hit,
});

function post(key: string, meta: EntryMeta, terms: CampaignTerms, cost: Micros, spend: Spend, caps: Caps): Settlement {
  if (cost <= 0n) return none('no_charge', 'costs nothing under these terms');
  const hit = capHit(caps, spend, cost);
  if (hit) return none('over_cap', hit, hit);
  const split = splitUnder(terms, cost);
  return { outcome: 'charged', reason: null, split, group: chargeGroup(key, meta, split), capHit: null };
}

/**
 * Bills a recorded click. `key` is the click's idempotency key (`click:<clickId>`). `terms` price it
 * (the version its ad token carries); `caps` are those in force now (defaults to the same terms).
 */
export function settleClick(
  terms: CampaignTerms,
  facts: { invalidReason: string | null; duplicateOf: string | null },
  spend: Spend,
  key: string,
  meta: EntryMeta,
  caps: Caps = terms,
): Settlement {
  if (facts.invalidReason) return none('not_billable', `invalid: ${facts.invalidReason}`);
  if (facts.duplicateOf) return none('not_billable', `duplicate click of ${facts.duplicateOf}`);
  if (terms.costModel !== 'cpc') return none('no_charge', `${terms.costModel} campaign: clicks are not billed`);
  return post(key, meta, terms, clickCost(terms), spend, caps);
}

/** Running CPM totals of one campaign terms version. */
export interface CpmTotals {
  billableCount: bigint;
  chargedMicros: Micros;
}

/** Bills an impression of kind `kind`; returns the settlement and the running totals to store. `caps` as for clicks. */
export function settleImpression(
  terms: CampaignTerms,
  facts: { kind: 'served' | 'viewable'; invalidReason: string | null; campaignStatus?: 'active' | 'paused' | 'archived' },
  totals: CpmTotals,
  spend: Spend,
  key: string,
  meta: EntryMeta,
  caps: Caps = terms,
): { settlement: Settlement; totals: CpmTotals } {
  const same = (s: Settlement) => ({ settlement: s, totals });
  if (facts.invalidReason) return same(none('not_billable', `invalid: ${facts.invalidReason}`));
  // A paused or archived campaign stops spending at once, whatever ads are still on screen.
  if (facts.campaignStatus && facts.campaignStatus !== 'active') return same(none('not_billable', `campaign ${facts.campaignStatus}`));
  if (terms.costModel !== 'cpm') return same(none('no_charge', `${terms.costModel} campaign: impressions are not billed`));
  if (facts.kind !== terms.cpmBasis) return same(none('no_charge', `this campaign bills ${terms.cpmBasis} impressions`));
  const count = totals.billableCount + 1n;
  const cost = cpmCost(count, terms.cpmMicros, totals.chargedMicros);
  if (cost === 0n) return { settlement: none('no_charge', 'rounds to zero until the running total reaches a micro'), totals: { billableCount: count, chargedMicros: totals.chargedMicros } };
  const s = post(key, meta, terms, cost, spend, caps);
  // An impression over a cap is not counted, so the running total stays exact for those that are.
  if (s.outcome !== 'charged') return same(s);
  return { settlement: s, totals: { billableCount: count, chargedMicros: totals.chargedMicros + cost } };
}

/** Bills an attributed conversion (CPA campaigns). `caps` as for clicks. */
export function settleConversion(
  decision: AttributionDecision,
  terms: CampaignTerms | null,
  facts: { valueMicros: Micros; currency: string | null },
  spend: Spend,
  key: string,
  meta: EntryMeta | null,
  caps: Caps | null = terms,
): Settlement & { flatMicros: Micros; shareMicros: Micros } {
  const zero = { flatMicros: 0n, shareMicros: 0n };
  if (decision.outcome === 'held') return { ...none('held', decision.reason), ...zero };
  if (decision.outcome !== 'attributed' || !terms || !meta) return { ...none('not_billable', decision.reason ?? decision.outcome), ...zero };
  const price = conversionCost(terms, facts.valueMicros, facts.currency);
  if (!price.ok) return { ...none('held', price.reason), ...zero };
  if (terms.costModel !== 'cpa') return { ...none('no_charge', `${terms.costModel} campaign: conversions are not billed`), ...zero };
  return { ...post(key, meta, terms, price.costMicros, spend, caps ?? terms), flatMicros: price.flatMicros, shareMicros: price.shareMicros };
}
