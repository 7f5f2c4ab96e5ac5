/**
 * Ad events inside the group commit: served and viewable impressions (CPM running totals) and clicks
 * (CPC), with the stateful invalid-traffic rules that need the store — stacked impressions, double
 * clicks, floods per source and per IP. Money is booked on the collector's clock and checked against
 * the caps in force (README "Money rules a user can count on").
 *
 * | action     | not billable when                                                | price        |
 * |------------|------------------------------------------------------------------|--------------|
 * | impression | invalid traffic, stacked, campaign paused, not the CPM basis, over a cap | CPM running total of the token's terms version |
 * | click      | invalid traffic, expired token, flood, duplicate, campaign paused, over a cap | CPC of the token's terms version |
 */
import { settleClick, settleImpression } from '../core/billing';
import { utcDay } from '../core/day';
import type { EntryMeta } from '../core/ledger';
import type { CampaignTerms } from '../core/terms';
import type { ClickRecord, WriteTx } from '../store/store';
import { billed, type IvtLimits, type PipelineDeps } from './deps';
import type { ItemResult, RequestContext } from './items';
import type { AdToken } from './keys';
import { pricedRef, termsRef } from './recorded-facts';

/** Where an ad event happened and on which terms, as its token says: the same fields on impressions and clicks. */
function placementOf(token: AdToken, terms: CampaignTerms) {
  return { decisionId: token.d, siteId: token.si, slotId: token.s, publisherId: token.p, campaignId: token.c, creativeId: token.cr, advertiserId: token.a, termsVersion: terms.version, pageViewId: token.pv };
}

/** The ledger meta of an action on an ad decision; `at` is its booking time (the collector's clock). */
function metaOf(token: AdToken, terms: CampaignTerms, refType: EntryMeta['refType'], refId: string, at: number): EntryMeta {
  return {
    refType,
    refId,
    campaignId: token.c,
    advertiserId: token.a,
    publisherId: token.p,
    slotId: token.s,
    termsVersion: terms.version,
    currency: terms.currency,
    at,
    reason: null,
  };
}

export async function recordImpression(
  tx: WriteTx,
  token: AdToken,
  kind: 'served' | 'viewable',
  eventId: string,
  at: number,
  ctx: RequestContext,
): Promise<ItemResult> {
  // One served and one viewable impression per decision: the SDK sends each once per slot per page view.
  if (await tx.impression(token.d, kind)) return { i: eventId, status: 'duplicate', reason: `${kind} impression already recorded for this ad` };
  const terms = await tx.terms(token.c, token.v, token.p);
  if (!terms) return unknownCampaign(tx, token, kind === 'served' ? 'imp' : 'vi', eventId, ctx);

  let invalid = ctx.ivt;
  if (!invalid && kind === 'served' && token.pv && (await tx.otherServedInPageSlot(token.pv, token.s, token.d))) invalid = 'stacked_impression';
  if (!invalid && kind === 'viewable') invalid = (await tx.impression(token.d, 'served'))?.invalidReason ?? null;

  // Money is booked on the collector's clock and its UTC day, whatever time the event claims (SPEC §3.8).
  const day = utcDay(ctx.receivedAt);
  // Only the billed kind of a CPM campaign touches (and, on PostgreSQL, locks) totals and budgets.
  const billable = terms.costModel === 'cpm' && kind === terms.cpmBasis && !invalid;
  // Budget rows first, then the running total: the order every process takes them in (WriteTx.prefetch).
  const spend = billable ? await tx.spend(token.c, token.p, day) : ZERO_SPEND;
  const totals = billable ? await tx.cpmTotals(token.c, terms.version) : ZERO_TOTALS;
  // Read after the budget rows are locked: the caps and status in force now, not the token's (SPEC §3.8).
  const now = billable ? await tx.campaignNow(token.c) : null;
  const key = `impression:${token.d}:${kind}`;
  const { settlement, totals: next } = settleImpression(
    terms,
    { kind, invalidReason: invalid, campaignStatus: now?.status ?? 'active' },
    totals,
    spend,
    key,
    metaOf(token, terms, 'impression', `${token.d}:${kind}`, ctx.receivedAt),
    now?.terms ?? terms,
  );
  if (next !== totals) await tx.setCpmTotals(token.c, terms.version, next);
  if (settlement.group) {
    // The inputs it was priced from, recorded with it (core/facts.ts) so a statement can re-run it.
    const stored = (await tx.terms(token.c, token.v))!;
    settlement.group.facts = { rule: 'impression', kind, totals, priced: pricedRef(stored, terms), caps: termsRef(now?.terms ?? stored), spend };
    if (await tx.postGroup(settlement.group, ctx.receivedAt)) await tx.addSpend(token.c, token.p, day, settlement.split!.costMicros);
  }
  await tx.insertImpression({
    ...placementOf(token, terms),
    kind,
    eventId,
    sourceKey: ctx.sourceKey,
    at,
    receivedAt: ctx.receivedAt,
    invalidReason: invalid,
    billing: settlement.outcome,
    costMicros: settlement.split?.costMicros ?? 0n,
  });
  return { i: eventId, status: 'accepted', ...(invalid ? { reason: `invalid: ${invalid}` } : {}), ...billed(settlement.split?.costMicros, terms.currency) };
}

/**
 * A validly signed token whose campaign terms version does not exist: refused, and kept in
 * rejected_events like every other refusal (it was counted as rejected but never kept).
 */
async function unknownCampaign(tx: WriteTx, token: AdToken, type: string, eventId: string, ctx: RequestContext): Promise<ItemResult> {
  await tx.insertRejected({
    receivedAt: ctx.receivedAt,
    siteId: typeof token.si === 'string' ? token.si : null,
    endpoint: ctx.endpoint,
    eventType: type,
    eventId,
    reason: 'unknown_campaign',
    detail: `no terms version ${String(token.v)} of campaign ${String(token.c)}`,
    payload: JSON.stringify(token).slice(0, 2048),
  });
  return { i: eventId, status: 'rejected', reason: 'unknown_campaign' };
}

const ZERO_SPEND = { totalMicros: 0n, dayMicros: 0n, publisherDayMicros: 0n };
const ZERO_TOTALS = { billableCount: 0n, chargedMicros: 0n };

/** Records a click (from the redirect or a beacon) and bills it if it is a valid CPC click. */
export async function recordClick(
  tx: WriteTx,
  deps: PipelineDeps,
  c: {
    token: AdToken;
    clickId: string;
    eventId: string;
    via: ClickRecord['via'];
    at: number;
    preInvalid: string | null;
    ctx: RequestContext;
  },
): Promise<ItemResult> {
  const { token, ctx } = c;
  const terms = await tx.terms(token.c, token.v, token.p);
  if (!terms) return unknownCampaign(tx, token, 'clk', c.eventId, ctx);

  let invalid = c.preInvalid ?? ctx.ivt;
  // Money is booked on the collector's clock and its UTC day, whatever time the beacon claims (SPEC §3.8).
  const received = ctx.receivedAt;
  const day = utcDay(received);
  // Take the campaign's budget rows (locked on PostgreSQL) before looking for an earlier click, so
  // two processes receiving the same double click serialize here and the second sees the first.
  const spend = terms.costModel === 'cpc' && !invalid ? await tx.spend(token.c, token.p, day) : ZERO_SPEND;
  // Read after the lock: the status and caps in force now, not those of the token's terms version.
  const now = await tx.campaignNow(token.c);
  if (!invalid && now && now.status !== 'active') invalid = `campaign_${now.status}`;
  if (!invalid) invalid = await clickFlood(tx, deps.limits, ctx);
  // A repeat click on the same ad (same decision, or same source on the same campaign) within the
  // duplicate window is recorded but not billable (SPEC §3.4).
  const first = invalid ? null : await tx.recentClick(token.c, token.d, ctx.sourceKey, received - terms.duplicateClickWindowMs);
  const duplicateOf = first?.clickId ?? null;

  const s = settleClick(terms, { invalidReason: invalid, duplicateOf }, spend, `click:${c.clickId}`, metaOf(token, terms, 'click', c.clickId, received), now?.terms ?? terms);
  if (s.group) {
    const stored = (await tx.terms(token.c, token.v))!;
    s.group.facts = { rule: 'click', priced: pricedRef(stored, terms), caps: termsRef(now?.terms ?? stored), spend };
    if (await tx.postGroup(s.group, ctx.receivedAt)) await tx.addSpend(token.c, token.p, day, s.split!.costMicros);
  }
  await tx.insertClick({
    clickId: c.clickId,
    ...placementOf(token, terms),
    via: c.via,
    eventId: c.eventId,
    sourceKey: ctx.sourceKey,
    ipKey: ctx.ipKey ?? null,
    at: c.at,
    receivedAt: ctx.receivedAt,
    invalidReason: invalid,
    duplicateOf,
    billing: s.outcome,
    costMicros: s.split?.costMicros ?? 0n,
  });
  const reason = invalid ? `invalid: ${invalid}` : duplicateOf ? `duplicate click of ${duplicateOf}` : undefined;
  return { i: c.eventId, status: 'accepted', clickId: c.clickId, ...(reason ? { reason } : {}), ...billed(s.split?.costMicros, terms.currency) };
}

/** `click_flood` (one source) or `ip_click_flood` (one IP, any user agent) when the click is past a limit. */
async function clickFlood(tx: WriteTx, l: IvtLimits, ctx: RequestContext): Promise<string | null> {
  const now = ctx.receivedAt;
  if ((await tx.countClicksFromSource(ctx.sourceKey, now - l.clickFloodWindowMs, l.clickFloodLimit)) >= l.clickFloodLimit) return 'click_flood';
  if (!ctx.ipKey) return null;
  if ((await tx.countClicksFromIp(ctx.ipKey, now - l.clickFloodWindowMs, l.ipClickFloodLimit)) >= l.ipClickFloodLimit) return 'ip_click_flood';
  if ((await tx.countClicksFromIp(ctx.ipKey, now - l.ipClickHourWindowMs, l.ipClickHourLimit)) >= l.ipClickHourLimit) return 'ip_click_flood';
  return null;
}
