/**
 * Campaign terms: one immutable version of a campaign's money settings. Every decision and every
 * charge records the version it used, so editing a campaign never changes past money.
 *
 * Windows (SPEC §3.3):
 * | setting                | range   | default                     |
 * |------------------------|---------|-----------------------------|
 * | click window           | 1–90 d  | 30 d                        |
 * | view-through window    | 0–30 d  | 1 d; 0 = off; 0 for CPA     |
 * | conversion action      | may shorten either window, never lengthen it |
 * | min click→conversion   | ≥ 0 ms  | 3,000 ms (faster is held for review) |
 */
import { MAX_BUDGET_MICROS, MAX_PRICE_MICROS, type Micros } from './money';

/** How the advertiser pays. */
export type CostModel = 'cpc' | 'cpm' | 'cpa';

/** Which touch the billing model credits. */
export type AttributionModel = 'last_click' | 'first_click';

/** How the publisher is paid out of a charge. */
export type PublisherPayout = { kind: 'share'; bps: number } | { kind: 'fixed'; micros: Micros };

/** One immutable version of a campaign's money settings. */
export interface CampaignTerms {
  campaignId: string;
  advertiserId: string;
  version: number;
  currency: string;
  costModel: CostModel;
  /** CPC: price of one billable click. */
  cpcMicros: Micros;
  /** CPM: price of 1,000 billable impressions. */
  cpmMicros: Micros;
  /** Which impressions CPM bills: MRC viewable (default) or served. */
  cpmBasis: 'viewable' | 'served';
  /** CPA: flat price per attributed conversion. */
  cpaFlatMicros: Micros;
  /** CPA: share of the conversion value, in basis points (100 = 1 %). */
  cpaBps: number;
  /** Set by the operator only (SPEC §3.8): what the publisher earns of each charge. */
  payout: PublisherPayout;
  /**
   * Operator-recorded subsidy: a fixed payout above the charge is paid in full, the platform
   * covering the difference. Without it a fixed payout is capped at the charge, so the platform's
   * leg of an entry group is never negative (SPEC §3.8).
   */
  subsidy?: boolean;
  /**
   * True when the campaign set no payout of its own: the publisher's revenue share applies, and
   * the store resolves `payout` from the publisher when terms are read for a billable action.
   */
  payoutFromPublisher?: boolean;
  totalBudgetMicros: Micros | null;
  dailyBudgetMicros: Micros | null;
  /** Optional hard cap per publisher × campaign × day. */
  publisherDailyCapMicros: Micros | null;
  clickWindowDays: number;
  viewWindowDays: number;
  minConversionDelayMs: number;
  /** A repeat click by the same source on the same campaign within this window is not billable. */
  duplicateClickWindowMs: number;
  /** Higher wins between touches of the same kind (ties then go to the most recent). */
  priority: number;
}

/** What a conversion action (purchase, signup…) may set for itself. */
export interface ConversionAction {
  key: string;
  /** `every` counts each conversion (purchases); `one` counts one per winning touch (leads). */
  counting: 'every' | 'one';
  /** Shortens the campaign's click window for this action; never lengthens it. */
  clickWindowDays: number | null;
  viewWindowDays: number | null;
  /** The billing model for this action (Google sets it per conversion action too). */
  model: AttributionModel;
}

export const DAY_MS = 86_400_000;

/** Defaults a new campaign starts from (SPEC §3.3 and §3.4). */
export const DEFAULT_TERMS = {
  cpmBasis: 'viewable',
  cpcMicros: 0n,
  cpmMicros: 0n,
  cpaFlatMicros: 0n,
  cpaBps: 0,
  payout: { kind: 'share', bps: 7000 },
  totalBudgetMicros: null,
  dailyBudgetMicros: null,
  publisherDailyCapMicros: null,
  clickWindowDays: 30,
  minConversionDelayMs: 3000,
  duplicateClickWindowMs: 30_000,
  priority: 0,
} as const satisfies Partial<CampaignTerms>;

/** The default view-through window for a cost model: off for CPA billing, 1 day otherwise. */
export function defaultViewWindowDays(costModel: CostModel): number {
  return costModel === 'cpa' ? 0 : 1;
}

/** Lists what is wrong with a set of terms (empty when they are valid). */
export function checkTerms(t: CampaignTerms): string[] {
  const problems: string[] = [];
  const intIn = (name: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) problems.push(`${name} must be an integer from ${lo} to ${hi}`);
  };
  const inRange = (name: string, v: Micros | null, max: Micros) => {
    if (v !== null && v < 0n) problems.push(`${name} must not be negative`);
    else if (v !== null && v > max) problems.push(`${name} must be at most ${max} micros`);
  };
  intIn('clickWindowDays', t.clickWindowDays, 1, 90);
  intIn('viewWindowDays', t.viewWindowDays, 0, 30);
  intIn('minConversionDelayMs', t.minConversionDelayMs, 0, 86_400_000);
  intIn('duplicateClickWindowMs', t.duplicateClickWindowMs, 0, 86_400_000);
  intIn('cpaBps', t.cpaBps, 0, 10_000);
  intIn('priority', t.priority, -1000, 1000);
  // Bounds (money.ts "Value bounds"): prices and budgets stay far below int64.
  for (const [k, v] of [
    ['cpcMicros', t.cpcMicros],
    ['cpmMicros', t.cpmMicros],
    ['cpaFlatMicros', t.cpaFlatMicros],
  ] as const) inRange(k, v, MAX_PRICE_MICROS);
  for (const [k, v] of [
    ['totalBudgetMicros', t.totalBudgetMicros],
    ['dailyBudgetMicros', t.dailyBudgetMicros],
    ['publisherDailyCapMicros', t.publisherDailyCapMicros],
  ] as const) inRange(k, v, MAX_BUDGET_MICROS);
  if (t.costModel === 'cpc' && t.cpcMicros <= 0n) problems.push('a CPC campaign needs cpcMicros > 0');
  if (t.costModel === 'cpm' && t.cpmMicros <= 0n) problems.push('a CPM campaign needs cpmMicros > 0');
  if (t.costModel === 'cpa' && t.cpaFlatMicros <= 0n && t.cpaBps <= 0) {
    problems.push('a CPA campaign needs cpaFlatMicros > 0 or cpaBps > 0');
  }
  if (t.payout.kind === 'share') intIn('payout.bps', t.payout.bps, 0, 10_000);
  else {
    inRange('payout.micros', t.payout.micros, MAX_PRICE_MICROS);
    // A fixed payout per 1,000 impressions would need its own running total; CPM pays a share.
    if (t.costModel === 'cpm') problems.push('a CPM campaign pays publishers a share, not a fixed payout');
  }
  return problems;
}

/** Effective windows for one touch's campaign and one conversion action, in ms. */
export function effectiveWindows(t: CampaignTerms, action: ConversionAction): { clickMs: number; viewMs: number } {
  // An action may only shorten a campaign's window (SPEC §3.3).
  const click = action.clickWindowDays === null ? t.clickWindowDays : Math.min(t.clickWindowDays, action.clickWindowDays);
  const view = action.viewWindowDays === null ? t.viewWindowDays : Math.min(t.viewWindowDays, action.viewWindowDays);
  return { clickMs: click * DAY_MS, viewMs: view * DAY_MS };
}
