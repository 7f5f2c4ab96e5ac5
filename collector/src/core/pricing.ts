/**
 * Pricing: what one billable action costs the advertiser and how that cost is split.
 *
 * | cost model | billable action                | cost                                                   |
 * |------------|--------------------------------|--------------------------------------------------------|
 * | CPC        | a valid, non-duplicate click   | `cpcMicros`                                            |
 * | CPM        | the n-th billable impression   | `floor(n × cpmMicros / 1000) − already charged` (running total, so fractions never drift) |
 * | CPA flat   | an attributed conversion       | `cpaFlatMicros`                                        |
 * | CPA share  | an attributed conversion       | `floor(value × cpaBps / 10,000)` (value in the campaign currency) |
 * | CPA both   | an attributed conversion       | flat + share                                           |
 *
 * Split (SPEC §3.4): publisher earning = `floor(cost × bps / 10,000)` for a revenue share, or the fixed
 * payout; the platform margin is the rest, so cost = earning + margin exactly and the rounding
 * remainder always goes to the platform. A fixed payout above the cost is capped at the cost (margin
 * 0) unless the operator recorded a subsidy (SPEC §3.8: the platform's leg is never negative
 * otherwise), so no advertiser setting can make the platform pay out more than it charged.
 */
import type { Micros } from './money';
import { applyBps } from './money';
import type { CampaignTerms, PublisherPayout } from './terms';

/** A cost and who gets what of it. Invariant: costMicros = publisherMicros + platformMicros. */
export interface ChargeSplit {
  costMicros: Micros;
  publisherMicros: Micros;
  platformMicros: Micros;
}

/** Splits a cost between publisher and platform; the rounding remainder goes to the platform. */
export function splitCharge(costMicros: Micros, payout: PublisherPayout, subsidy = false): ChargeSplit {
  let publisherMicros = payout.kind === 'share' ? applyBps(costMicros, payout.bps) : payout.micros;
  if (!subsidy && publisherMicros > costMicros) publisherMicros = costMicros;
  return { costMicros, publisherMicros, platformMicros: costMicros - publisherMicros };
}

/** Splits a cost under a campaign's terms (its payout, and the operator's subsidy if any). */
export function splitUnder(terms: Pick<CampaignTerms, 'payout' | 'subsidy'>, costMicros: Micros): ChargeSplit {
  return splitCharge(costMicros, terms.payout, terms.subsidy === true);
}

/** Cost of one billable click: the CPC bid for CPC campaigns, nothing otherwise. */
export function clickCost(terms: CampaignTerms): Micros {
  return terms.costModel === 'cpc' ? terms.cpcMicros : 0n;
}

/**
 * Cost of the impression that brings the billable count to `countAfter`, given what the running
 * total has already charged. Exact for any count: bigint all the way.
 */
export function cpmCost(countAfter: bigint, cpmMicros: Micros, alreadyChargedMicros: Micros): Micros {
  return (countAfter * cpmMicros) / 1000n - alreadyChargedMicros;
}

/** Cost of an attributed conversion, or why it cannot be priced automatically. */
export type ConversionPrice =
  | { ok: true; costMicros: Micros; flatMicros: Micros; shareMicros: Micros }
  | { ok: false; reason: 'currency_mismatch' | 'missing_value' };

/** Prices an attributed conversion under CPA terms; other cost models charge nothing for it. */
export function conversionCost(terms: CampaignTerms, valueMicros: Micros, currency: string | null): ConversionPrice {
  if (terms.costModel !== 'cpa') return { ok: true, costMicros: 0n, flatMicros: 0n, shareMicros: 0n };
  let shareMicros = 0n;
  if (terms.cpaBps > 0) {
    // A share of a value in another currency would need an exchange rate we do not have: hold it.
    if (valueMicros > 0n && currency !== null && currency !== terms.currency) return { ok: false, reason: 'currency_mismatch' };
    if (valueMicros === 0n && terms.cpaFlatMicros === 0n) return { ok: false, reason: 'missing_value' };
    shareMicros = applyBps(valueMicros, terms.cpaBps);
  }
  return { ok: true, costMicros: terms.cpaFlatMicros + shareMicros, flatMicros: terms.cpaFlatMicros, shareMicros };
}
