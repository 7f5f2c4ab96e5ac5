/**
 * Budgets and caps (SPEC §3.4): a charge that would take spend past a hard cap is not posted and
 * the action is kept as `over_cap`. Reaching a cap exactly is allowed.
 *
 * | cap                          | compared with                          |
 * |------------------------------|----------------------------------------|
 * | totalBudgetMicros            | campaign spend, all time               |
 * | dailyBudgetMicros            | campaign spend on the UTC day          |
 * | publisherDailyCapMicros      | campaign spend with this publisher today |
 * | (no total budget)            | MAX_CAMPAIGN_SPEND_MICROS: spend can never overflow its column |
 */
import { MAX_CAMPAIGN_SPEND_MICROS, type Micros } from './money';
import type { CampaignTerms } from './terms';

/**
 * The caps a charge is checked against: those of the campaign's terms *in force when it is charged*
 * (SPEC §3.8), whatever terms version priced it — a budget lowered after an ad was served binds the
 * clicks and impressions of that ad too.
 */
export type Caps = Pick<CampaignTerms, 'totalBudgetMicros' | 'dailyBudgetMicros' | 'publisherDailyCapMicros'>;

/** What a campaign has spent so far (net of reversals). */
export interface Spend {
  totalMicros: Micros;
  dayMicros: Micros;
  publisherDayMicros: Micros;
}

/** Which cap a charge would break. */
export type CapHit = 'total_budget' | 'daily_budget' | 'publisher_daily_cap';

/** The first cap that `chargeMicros` would take spend past, or null when it fits. */
export function capHit(terms: Caps, spend: Spend, chargeMicros: Micros): CapHit | null {
  if (chargeMicros <= 0n) return null;
  if (spend.totalMicros + chargeMicros > (terms.totalBudgetMicros ?? MAX_CAMPAIGN_SPEND_MICROS)) return 'total_budget';
  if (terms.dailyBudgetMicros !== null && spend.dayMicros + chargeMicros > terms.dailyBudgetMicros) return 'daily_budget';
  if (terms.publisherDailyCapMicros !== null && spend.publisherDayMicros + chargeMicros > terms.publisherDailyCapMicros) {
    return 'publisher_daily_cap';
  }
  return null;
}

/** Budget left before the tightest cap, or null when the campaign has no cap. */
export function budgetLeft(terms: Caps, spend: Omit<Spend, 'publisherDayMicros'>): Micros | null {
  const left: Micros[] = [];
  if (terms.totalBudgetMicros !== null) left.push(terms.totalBudgetMicros - spend.totalMicros);
  if (terms.dailyBudgetMicros !== null) left.push(terms.dailyBudgetMicros - spend.dayMicros);
  if (left.length === 0) return null;
  return left.reduce((a, b) => (a < b ? a : b));
}
