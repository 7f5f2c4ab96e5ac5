/** How domain records look in API answers: money as decimal strings of micros, times as epoch ms. What each role sees of them: role-view.ts. */
import type { Advertiser, Campaign, ConversionRecord, Creative, PostedGroup, Publisher } from '../store/store';
import type { CampaignTerms } from '../core/terms';

const str = (v: bigint | null) => (v === null ? null : v.toString());

/** Terms with money as strings. */
export function termsJson(t: CampaignTerms) {
  return {
    version: t.version,
    currency: t.currency,
    costModel: t.costModel,
    cpcMicros: str(t.cpcMicros),
    cpmMicros: str(t.cpmMicros),
    cpmBasis: t.cpmBasis,
    cpaFlatMicros: str(t.cpaFlatMicros),
    cpaBps: t.cpaBps,
    payout: t.payout.kind === 'share' ? t.payout : { kind: 'fixed', micros: t.payout.micros.toString() },
    subsidy: t.subsidy === true,
    totalBudgetMicros: str(t.totalBudgetMicros),
    dailyBudgetMicros: str(t.dailyBudgetMicros),
    publisherDailyCapMicros: str(t.publisherDailyCapMicros),
    clickWindowDays: t.clickWindowDays,
    viewWindowDays: t.viewWindowDays,
    minConversionDelayMs: t.minConversionDelayMs,
    duplicateClickWindowMs: t.duplicateClickWindowMs,
    priority: t.priority,
  };
}

export function campaignJson(c: Campaign) {
  const { terms, ...rest } = c;
  return { ...rest, terms: termsJson(terms) };
}

export function advertiserJson(a: Advertiser, showSecrets: boolean) {
  const { s2sSecrets, ...rest } = a;
  return { ...rest, s2sSecrets: showSecrets ? s2sSecrets : s2sSecrets.map((s) => `${s.slice(0, 4)}…`) };
}

export function publisherJson(p: Publisher) {
  return p;
}

export function creativeJson(c: Creative) {
  return c;
}

export function conversionJson(c: ConversionRecord) {
  return { ...c, valueMicros: c.valueMicros.toString(), costMicros: c.costMicros.toString() };
}

export function groupJson(g: PostedGroup) {
  return { ...g, legs: g.legs.map((l) => ({ ...l, micros: l.micros.toString() })) };
}
