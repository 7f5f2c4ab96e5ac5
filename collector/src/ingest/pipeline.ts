/**
 * The ingest pipeline: one item, inside the group commit's write transaction. It checks
 * idempotency, applies the stateful invalid-traffic rules, records the fact, runs the pure core
 * (billing, attribution) and posts ledger groups — all in the same transaction, so an acknowledged
 * event and its money commit together or not at all.
 *
 * | item                 | idempotency key                     | billing                          |
 * |----------------------|-------------------------------------|----------------------------------|
 * | page view, vital     | (site, type, event_id)              | none                             |
 * | served / viewable    | (site, type, event_id); one per decision and kind | CPM running total |
 * | click (redirect/beacon) | click ID; one billable per decision / source in the duplicate window | CPC |
 * | conversion           | (site, cv, event_id) and (advertiser, action, order_id) | CPA (conversion-pipeline.ts) |
 */
import { settleClick, settleImpression } from '../core/billing';
import { utcDay } from '../core/day';
import type { EntryMeta } from '../core/ledger';
import type { CampaignTerms } from '../core/terms';
import type { ClickRecord, WriteTx } from '../store/store';
import { processBeaconConversion, processS2sConversion } from './conversion-pipeline';
import { UTM_KEYS } from './beacon-schema';
import type { IngestItem, ItemResult, RequestContext } from './items';
import type { AdToken, Keys } from './keys';

/** Limits of the stateful invalid-traffic rules. */
export interface IvtLimits {
  /** Clicks from one source in `clickFloodWindowMs` above which the rest are flagged. */
  clickFloodLimit: number;
  clickFloodWindowMs: number;
  /** Tokens older than this no longer bill (an ad left open for a week). */
  tokenMaxAgeMs: number;
}

export const DEFAULT_IVT_LIMITS: IvtLimits = { clickFloodLimit: 10, clickFloodWindowMs: 60_000, tokenMaxAgeMs: 7 * 86_400_000 };

/** What the pipeline needs besides the transaction. */
export interface PipelineDeps {
  keys: Keys;
  /** Random bytes (click IDs). */
  random: (bytes: number) => Uint8Array;
  /** A new unique ID with a prefix (conversions). */
  newId: (prefix: string) => string;
  limits: IvtLimits;
}

/** Thrown when another process recorded the same key first: the item is re-run and sees it. */
export class RaceLost extends Error {}

/** Processes one item; throws only on store failure (the caller's savepoint undoes its writes). */
export async function processItem(tx: WriteTx, item: IngestItem, deps: PipelineDeps): Promise<ItemResult> {
  switch (item.kind) {
    case 'rejected':
      await tx.insertRejected(item.rejected);
      return { i: item.rejected.eventId ?? '', status: 'rejected', reason: item.rejected.reason };
    case 'redirect_click':
      return recordClick(tx, deps, {
        token: item.token,
        clickId: item.clickId,
        eventId: item.eventId,
        via: 'redirect',
        at: item.ctx.receivedAt,
        preInvalid: item.invalidReason,
        ctx: item.ctx,
      });
    case 's2s':
      return processS2sConversion(tx, item, deps);
    case 'beacon':
      return processBeacon(tx, item, deps);
  }
}

async function processBeacon(tx: WriteTx, item: Extract<IngestItem, { kind: 'beacon' }>, deps: PipelineDeps): Promise<ItemResult> {
  const { event: e, siteId, ctx } = item;
  const reject = async (reason: string, detail: string | null = null): Promise<ItemResult> => {
    await tx.insertRejected({
      receivedAt: ctx.receivedAt,
      siteId,
      endpoint: ctx.endpoint,
      eventType: e.t,
      eventId: e.i,
      reason,
      detail,
      payload: JSON.stringify(e).slice(0, 2048),
    });
    return { i: e.i, status: 'rejected', reason };
  };

  const seen = await tx.eventKey(siteId, e.t, e.i);
  if (seen) {
    if (seen.payloadHash !== item.payloadHash) return { i: e.i, status: 'conflict', reason: 'event_id reused with a different payload' };
    return { ...(JSON.parse(seen.result) as ItemResult), status: 'duplicate' };
  }
  const site = item.site ?? (await tx.site(siteId));
  if (!site) return reject('unknown_site', `no site ${siteId}`);

  let result: ItemResult;
  switch (e.t) {
    case 'pv':
      await tx.insertPageView({
        siteId,
        eventId: e.i,
        pageViewId: e.p ?? null,
        url: e.u ?? null,
        referrer: e.r ?? null,
        clickIds: e.k ? e.k.split(',') : [],
        otherClickIds: otherIds(e),
        utm: utmOf(e),
        cookieless: e.cl === '1',
        invalidReason: ctx.ivt,
        at: item.at,
        receivedAt: ctx.receivedAt,
      });
      result = { i: e.i, status: 'accepted' };
      break;
    case 'wv':
      await tx.insertVital({ siteId, pageViewId: e.p ?? null, name: e.mn, value: e.mv, at: item.at, receivedAt: ctx.receivedAt });
      result = { i: e.i, status: 'accepted' };
      break;
    case 'imp':
    case 'vi':
    case 'clk': {
      const v = deps.keys.verifyToken(e.tk);
      if (!v.ok) return reject(v.reason);
      if (v.token.si !== siteId) return reject('site_mismatch', `token is for site ${v.token.si}`);
      const expired = ctx.receivedAt - v.token.t > deps.limits.tokenMaxAgeMs ? 'expired_token' : null;
      if (e.t === 'clk') {
        result = await recordClick(tx, deps, {
          token: v.token,
          clickId: deps.keys.mintClickId(v.token.a, deps.random(12)),
          eventId: e.i,
          via: 'beacon',
          at: item.at,
          preInvalid: expired,
          ctx,
        });
      } else {
        if (expired) return reject('expired_token');
        result = await recordImpression(tx, v.token, e.t === 'imp' ? 'served' : 'viewable', e.i, item.at, ctx);
      }
      break;
    }
    case 'uc':
      // The tag warned in the console and carried on; the owner sees it on the verify page.
      return reject('unknown_command', `pp(${JSON.stringify(e.a ?? '')}) is not a command of the tag`);
    case 'cv':
      if (site.ownerType !== 'advertiser') return reject('not_a_conversion_site', 'conversions come from an advertiser site');
      result = await processBeaconConversion(tx, { ...item, event: e }, site.ownerId, deps);
      if (result.status === 'conflict' || result.status === 'duplicate') return result;
      break;
  }
  if (!(await tx.putEventKey(siteId, e.t, e.i, item.payloadHash, JSON.stringify(result), ctx.receivedAt))) throw new RaceLost();
  return result;
}

function otherIds(e: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid']) if (typeof e[k] === 'string') out[k] = e[k] as string;
  return out;
}

/** The UTM parameters an event carried (reporting only). */
export function utmOf(e: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of UTM_KEYS) if (typeof e[k] === 'string') out[k] = e[k] as string;
  return out;
}

/** The ledger meta of an action on an ad decision. */
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

async function recordImpression(
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
  if (!invalid && kind === 'served' && token.pv && (await tx.countServedInPageSlot(token.pv, token.s, token.d)) > 0) invalid = 'stacked_impression';
  if (!invalid && kind === 'viewable') invalid = (await tx.impression(token.d, 'served'))?.invalidReason ?? null;

  const day = utcDay(at);
  // Only the billed kind of a CPM campaign touches (and, on PostgreSQL, locks) totals and budgets.
  const billable = terms.costModel === 'cpm' && kind === terms.cpmBasis && !invalid;
  const totals = billable ? await tx.cpmTotals(token.c, terms.version) : ZERO_TOTALS;
  const spend = billable ? await tx.spend(token.c, token.p, day) : ZERO_SPEND;
  const key = `impression:${token.d}:${kind}`;
  const { settlement, totals: next } = settleImpression(terms, { kind, invalidReason: invalid }, totals, spend, key, metaOf(token, terms, 'impression', `${token.d}:${kind}`, at));
  if (next !== totals) await tx.setCpmTotals(token.c, terms.version, next);
  if (settlement.group && (await tx.postGroup(settlement.group, ctx.receivedAt))) await tx.addSpend(token.c, token.p, day, settlement.split!.costMicros);
  await tx.insertImpression({
    decisionId: token.d,
    kind,
    eventId,
    siteId: token.si,
    slotId: token.s,
    publisherId: token.p,
    campaignId: token.c,
    creativeId: token.cr,
    advertiserId: token.a,
    termsVersion: terms.version,
    pageViewId: token.pv,
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
  const campaign = await tx.campaign(token.c);

  let invalid = c.preInvalid ?? ctx.ivt;
  if (!invalid && campaign && campaign.status !== 'active') invalid = `campaign_${campaign.status}`;
  const day = utcDay(c.at);
  // Take the campaign's budget rows (locked on PostgreSQL) before looking for an earlier click, so
  // two processes receiving the same double click serialize here and the second sees the first.
  const spend = terms.costModel === 'cpc' && !invalid ? await tx.spend(token.c, token.p, day) : ZERO_SPEND;
  if (!invalid) {
    const recent = await tx.countClicksFromSource(ctx.sourceKey, c.at - deps.limits.clickFloodWindowMs);
    if (recent >= deps.limits.clickFloodLimit) invalid = 'click_flood';
  }
  // A repeat click on the same ad (same decision, or same source on the same campaign) within the
  // duplicate window is recorded but not billable (SPEC §3.4).
  const first = invalid ? null : await tx.recentClick(token.c, token.d, ctx.sourceKey, c.at - terms.duplicateClickWindowMs);
  const duplicateOf = first?.clickId ?? null;

  const s = settleClick(terms, { invalidReason: invalid, duplicateOf }, spend, `click:${c.clickId}`, metaOf(token, terms, 'click', c.clickId, c.at));
  if (s.group && (await tx.postGroup(s.group, ctx.receivedAt))) await tx.addSpend(token.c, token.p, day, s.split!.costMicros);
  await tx.insertClick({
    clickId: c.clickId,
    decisionId: token.d,
    via: c.via,
    eventId: c.eventId,
    siteId: token.si,
    slotId: token.s,
    publisherId: token.p,
    campaignId: token.c,
    creativeId: token.cr,
    advertiserId: token.a,
    termsVersion: terms.version,
    pageViewId: token.pv,
    sourceKey: ctx.sourceKey,
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

/** The billed fields of a result when money moved. */
export function billed(micros: bigint | undefined, currency: string): Pick<ItemResult, 'billedMicros' | 'currency'> {
  return micros && micros > 0n ? { billedMicros: String(micros), currency } : {};
}
