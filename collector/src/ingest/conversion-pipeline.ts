/**
 * Conversions: dedup, merge of browser beacon and signed postback, attribution, CPA billing, and
 * the later commands (approve, reject, reverse, restate).
 *
 * | arrives                                          | then                                                |
 * |--------------------------------------------------|-----------------------------------------------------|
 * | same (site, event_id) and same payload           | exact replay: the stored result, nothing changes    |
 * | same (site, event_id), other payload             | 409, nothing changes                                |
 * | same (advertiser, action, order_id), same origin | 409, nothing changes (SPEC §3.2: permanent)         |
 * | beacon ↔ postback for the same event_id or order | merged into one conversion; the signed value wins (a charged one is restated); new click IDs re-attribute an unattributed one |
 * | otherwise                                        | attributed (attribution.ts) and billed (billing.ts) |
 */
import { attributeConversion, type AttributionDecision, type RejectedClickId, type Touch } from '../core/attribution';
import { settleConversion, type Settlement } from '../core/billing';
import { nextStatus, type ConversionCommand, type ConversionStatus } from '../core/conversion-status';
import { utcDay } from '../core/day';
import { adjustmentGroup, netsOf, netsOfSplit, reversalGroup, type EntryMeta } from '../core/ledger';
import { parseDecimalMicros, parseMicrosString } from '../core/money';
import { conversionCost, splitCharge } from '../core/pricing';
import { capHit } from '../core/caps';
import type { CampaignTerms, ConversionAction } from '../core/terms';
import { DAY_MS } from '../core/terms';
import type { ConversionRecord, WriteTx } from '../store/store';
import type { BeaconEvent } from './beacon-schema';
import type { IngestItem, ItemResult } from './items';
import { billed, utmOf, type PipelineDeps } from './pipeline';

/** The longest window any touch can have (90-day clicks), for the touch query. */
const LOOKBACK_MS = 90 * DAY_MS;
/** Views are matched by source only within the longest view window. */
const VIEW_LOOKBACK_MS = 30 * DAY_MS;

/** A conversion as it arrives, from either origin. */
export interface ConversionFacts {
  advertiserId: string;
  siteId: string | null;
  actionKey: string;
  orderId: string | null;
  eventId: string;
  origin: 'beacon' | 's2s';
  clickIds: string[];
  otherClickIds: Record<string, string>;
  /** The landing's UTM parameters (beacons only; reporting). */
  utm?: Record<string, string>;
  sourceKey: string | null;
  valueMicros: bigint;
  currency: string | null;
  at: number;
  receivedAt: number;
  payloadHash: string;
  /** Request-level invalid traffic (beacons only). */
  ivt: string | null;
}

/** The default settings of an action nobody configured: count every one, last click. */
export function defaultAction(key: string): ConversionAction {
  return { key, counting: 'every', model: 'last_click', clickWindowDays: null, viewWindowDays: null };
}

/** A beacon conversion (`t: "cv"`). */
export async function processBeaconConversion(
  tx: WriteTx,
  item: Extract<IngestItem, { kind: 'beacon' }> & { event: Extract<BeaconEvent, { t: 'cv' }> },
  advertiserId: string,
  deps: PipelineDeps,
): Promise<ItemResult> {
  const e = item.event;
  const value = e.v === undefined ? 0n : (parseDecimalMicros(e.v) as { ok: true; micros: bigint }).micros;
  const other: Record<string, string> = {};
  for (const k of ['gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid'] as const) if (e[k]) other[k] = e[k]!;
  return processConversion(
    tx,
    {
      advertiserId,
      siteId: item.siteId,
      actionKey: e.a ?? 'conversion',
      orderId: e.o ?? null,
      eventId: e.i,
      origin: 'beacon',
      clickIds: e.k ? [...new Set(e.k.split(','))] : [],
      otherClickIds: other,
      utm: utmOf(e),
      sourceKey: e.cl === '1' ? null : item.ctx.sourceKey,
      valueMicros: value,
      currency: e.c ?? null,
      at: item.at,
      receivedAt: item.ctx.receivedAt,
      payloadHash: item.payloadHash,
      ivt: item.ctx.ivt,
    },
    deps,
  );
}

/** A signed server-to-server conversion. */
export async function processS2sConversion(tx: WriteTx, item: Extract<IngestItem, { kind: 's2s' }>, deps: PipelineDeps): Promise<ItemResult> {
  const b = item.body;
  const keySite = `s2s:${item.advertiserId}`;
  const seen = await tx.eventKey(keySite, 'cv', b.event_id);
  if (seen) {
    if (seen.payloadHash !== item.payloadHash) return { i: b.event_id, status: 'conflict', reason: 'event_id reused with a different payload' };
    return { ...(JSON.parse(seen.result) as ItemResult), status: 'duplicate' };
  }
  if (b.site_id !== undefined) {
    // The signature proves who the advertiser is, not that the site is theirs: a conversion filed
    // under another tenant's site would show in that site's "verify my tag" and feed.
    const site = await tx.site(b.site_id);
    if (!site || site.ownerType !== 'advertiser' || site.ownerId !== item.advertiserId) {
      await tx.insertRejected({
        receivedAt: item.ctx.receivedAt,
        siteId: keySite,
        endpoint: item.ctx.endpoint,
        eventType: 'cv',
        eventId: b.event_id,
        reason: 'unknown_site',
        detail: `${b.site_id} is not a conversion site of ${item.advertiserId}`,
        payload: JSON.stringify(b).slice(0, 2048),
      });
      return { i: b.event_id, status: 'rejected', reason: 'unknown_site' };
    }
  }
  const value =
    b.value_micros !== undefined
      ? (parseMicrosString(b.value_micros) as { ok: true; micros: bigint }).micros
      : b.value !== undefined
        ? (parseDecimalMicros(b.value) as { ok: true; micros: bigint }).micros
        : 0n;
  const at = Math.min(b.occurred_at ?? item.ctx.receivedAt, item.ctx.receivedAt);
  const result = await processConversion(
    tx,
    {
      advertiserId: item.advertiserId,
      siteId: b.site_id ?? null,
      actionKey: b.action,
      orderId: b.order_id ?? null,
      eventId: b.event_id,
      origin: 's2s',
      clickIds: [...new Set([...(b.click_id ? [b.click_id] : []), ...(b.click_ids ?? [])])].slice(0, 5),
      otherClickIds: {},
      sourceKey: null,
      valueMicros: value,
      currency: b.currency ?? null,
      at,
      receivedAt: item.ctx.receivedAt,
      payloadHash: item.payloadHash,
      ivt: null,
    },
    deps,
  );
  if (result.status === 'accepted') await tx.putEventKey(keySite, 'cv', b.event_id, item.payloadHash, JSON.stringify(result), item.ctx.receivedAt);
  return result;
}

/** Dedups, merges or attributes and bills one conversion. */
export async function processConversion(tx: WriteTx, f: ConversionFacts, deps: PipelineDeps): Promise<ItemResult> {
  const byOrder = f.orderId ? await tx.conversionByOrder(f.advertiserId, f.actionKey, f.orderId) : null;
  const existing = byOrder ?? (await tx.conversionByEvent(f.advertiserId, f.eventId));
  if (existing) {
    const sameOrigin = existing.origin === f.origin || existing.origin === 'both';
    if (sameOrigin) {
      if (existing.eventId === f.eventId && existing.payloadHash === f.payloadHash) {
        return { i: f.eventId, status: 'duplicate', conversionId: existing.id, conversionStatus: existing.status };
      }
      const what = byOrder ? `order ${f.orderId} was already converted as ${existing.id}` : `event_id already used by ${existing.id}`;
      return { i: f.eventId, status: 'conflict', reason: what, conversionId: existing.id };
    }
    if (existing.actionKey !== f.actionKey) {
      return { i: f.eventId, status: 'conflict', reason: `event_id belongs to a ${existing.actionKey} conversion`, conversionId: existing.id };
    }
    return mergeConversion(tx, existing, f, deps);
  }

  const id = deps.newId('cv');
  const record: ConversionRecord = {
    id,
    advertiserId: f.advertiserId,
    siteId: f.siteId,
    actionKey: f.actionKey,
    orderId: f.orderId,
    eventId: f.eventId,
    origin: f.origin,
    clickIds: f.clickIds,
    otherClickIds: f.otherClickIds,
    utm: f.utm ?? {},
    sourceKey: f.sourceKey,
    valueMicros: f.valueMicros,
    currency: f.currency,
    at: f.at,
    receivedAt: f.receivedAt,
    status: 'unattributed',
    statusReason: null,
    campaignId: null,
    publisherId: null,
    creativeId: null,
    slotId: null,
    touchId: null,
    touchKind: null,
    termsVersion: null,
    costMicros: 0n,
    decision: null,
    payloadHash: f.payloadHash,
    restatements: 0,
    updatedAt: f.receivedAt,
  };
  if (f.ivt) {
    record.status = 'rejected';
    record.statusReason = `invalid: ${f.ivt}`;
    record.decision = { outcome: 'invalid', reason: f.ivt, candidates: [] };
  } else {
    await attributeAndBill(tx, record, deps);
  }
  await tx.insertConversion(record);
  return {
    i: f.eventId,
    status: 'accepted',
    conversionId: id,
    conversionStatus: record.status,
    ...(record.statusReason ? { reason: record.statusReason } : {}),
    ...billed(record.costMicros, (record.decision as { charge?: { currency?: string } } | null)?.charge?.currency ?? record.currency ?? ''),
  };
}

/** Runs attribution for a (new or re-opened) conversion and bills the winner; mutates `c`. */
async function attributeAndBill(tx: WriteTx, c: ConversionRecord, deps: PipelineDeps): Promise<void> {
  const action = (await tx.conversionAction(c.advertiserId, c.actionKey)) ?? defaultAction(c.actionKey);
  const rejected: RejectedClickId[] = [];
  const verified: string[] = [];
  for (const id of c.clickIds) {
    if (deps.keys.verifyClickId(id, c.advertiserId)) verified.push(id);
    // Tell apart a real click of another advertiser (cross-tenant) from a made-up ID, for the explain view.
    else rejected.push({ clickId: id, reason: (await tx.click(id)) ? 'other_advertiser' : 'forged' });
  }
  const found = await tx.touchesFor(c.advertiserId, verified, c.sourceKey, c.at - VIEW_LOOKBACK_MS);
  for (const id of verified) if (!found.some((t) => t.id === id)) rejected.push({ clickId: id, reason: 'unknown' });
  const touches = found.filter((t) => t.kind === 'view' || t.at >= c.at - LOOKBACK_MS);

  const termsByCampaign = new Map<string, CampaignTerms>();
  for (const t of touches) {
    const have = termsByCampaign.get(t.campaignId);
    if (have && have.version >= t.termsVersion) continue;
    const terms = await tx.terms(t.campaignId, t.termsVersion);
    if (terms) termsByCampaign.set(t.campaignId, terms);
  }
  const counted = await tx.countedConversions(
    touches.map((t) => t.id),
    c.actionKey,
    c.id,
  );
  const coreTouches: Touch[] = touches.map((t) => ({ ...t, countedConversionId: counted.get(t.id) ?? null }));
  const decision = attributeConversion({
    conversion: { id: c.id, advertiserId: c.advertiserId, at: c.at, valueMicros: c.valueMicros, action },
    touches: coreTouches,
    termsByCampaign,
    rejectedClickIds: rejected,
  });
  const winner = decision.winner;
  if (winner) {
    c.campaignId = winner.campaignId;
    c.publisherId = winner.publisherId;
    c.creativeId = winner.creativeId;
    c.slotId = winner.slotId;
    c.touchId = winner.id;
    c.touchKind = winner.kind;
    c.termsVersion = winner.termsVersion;
  }
  if (decision.outcome === 'attributed' && winner) {
    const s = await bill(tx, c, winner, false);
    c.decision = explain(decision, s, c);
    return;
  }
  c.status = decision.outcome === 'held' ? 'pending' : decision.outcome === 'not_counted' ? 'rejected' : 'unattributed';
  c.statusReason = decision.outcome === 'not_counted' ? 'counting_one' : decision.reason;
  c.decision = explain(decision, null, c);
}

/** Bills an attributed conversion on its winner's terms; sets status, reason and cost on `c`. */
async function bill(
  tx: WriteTx,
  c: ConversionRecord,
  winner: Pick<Touch, 'campaignId' | 'publisherId' | 'termsVersion'> & { slotId: string | null },
  approving: boolean,
): Promise<Settlement & { flatMicros: bigint; shareMicros: bigint; termsVersion: number | null }> {
  const terms = await tx.terms(winner.campaignId, winner.termsVersion, winner.publisherId);
  const day = utcDay(c.at);
  const spend = terms?.costModel === 'cpa' ? await tx.spend(winner.campaignId, winner.publisherId, day) : { totalMicros: 0n, dayMicros: 0n, publisherDayMicros: 0n };
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
        at: c.at,
        reason: approving ? 'approved after review' : null,
      }
    : null;
  const attributed = { outcome: 'attributed' } as AttributionDecision;
  const s = settleConversion(attributed, terms, { valueMicros: c.valueMicros, currency: c.currency }, spend, `conversion:${c.id}`, meta);
  if (s.group && (await tx.postGroup(s.group, c.updatedAt))) await tx.addSpend(winner.campaignId, winner.publisherId, day, s.split!.costMicros);
  c.costMicros = s.split?.costMicros ?? 0n;
  if (s.outcome === 'held') {
    c.status = 'pending';
    c.statusReason = s.reason;
  } else {
    c.status = 'approved';
    c.statusReason = s.outcome === 'over_cap' ? `over_cap: ${s.capHit}` : s.outcome === 'no_charge' ? s.reason : null;
  }
  return { ...s, termsVersion: terms?.version ?? null };
}

/** The explain record stored with a conversion (JSON-safe: money as strings). */
function explain(d: AttributionDecision, s: (Settlement & { flatMicros: bigint; shareMicros: bigint; termsVersion: number | null }) | null, c: ConversionRecord) {
  const candidates = d.candidates.map((x) => (s?.outcome === 'over_cap' && x.verdict === 'won' ? { ...x, verdict: 'over_cap', detail: s.capHit } : x));
  return {
    outcome: d.outcome,
    model: d.model,
    reason: d.reason,
    winner: d.winner ? { touchId: d.winner.id, kind: d.winner.kind, campaignId: d.winner.campaignId, publisherId: d.winner.publisherId, creativeId: d.winner.creativeId, slotId: d.winner.slotId, at: d.winner.at } : null,
    candidates,
    credits: d.credits.map((m) => ({ model: m.model, shares: m.shares.map((x) => ({ touchId: x.touchId, conversionMicros: String(x.conversionMicros), valueMicros: String(x.valueMicros) })) })),
    charge: s ? chargeBlock(s, c) : null,
    history: [] as HistoryEntry[],
  };
}

/** The money part of an explain record. */
function chargeBlock(s: Settlement & { flatMicros: bigint; shareMicros: bigint; termsVersion: number | null }, c: ConversionRecord) {
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
    valueMicros: String(c.valueMicros),
    currency: c.currency,
  };
}

/** One later change to a conversion, appended to its explain record (the ledger holds the money). */
interface HistoryEntry {
  at: number;
  action: 'approved' | 'rejected' | 'reversed' | 'restated' | 'merged';
  reason: string | null;
  /** The advertiser's net cost for this conversion after the change. */
  netCostMicros: string;
  valueMicros: string;
}

/** Appends a history entry to a conversion's explain record. */
function record(c: ConversionRecord, e: Omit<HistoryEntry, 'netCostMicros' | 'valueMicros'>): void {
  const d = (c.decision ?? {}) as { history?: HistoryEntry[] };
  c.decision = { ...d, history: [...(d.history ?? []), { ...e, netCostMicros: String(c.costMicros), valueMicros: String(c.valueMicros) }] };
}

/** Merges a beacon with a postback (either order) into one conversion. */
async function mergeConversion(tx: WriteTx, existing: ConversionRecord, f: ConversionFacts, deps: PipelineDeps): Promise<ItemResult> {
  const c: ConversionRecord = { ...existing, origin: 'both', updatedAt: f.receivedAt };
  const newClicks = f.clickIds.filter((id) => !c.clickIds.includes(id));
  c.clickIds = [...c.clickIds, ...newClicks].slice(0, 5);
  c.orderId ??= f.orderId;
  c.siteId ??= f.siteId;
  c.sourceKey ??= f.sourceKey;
  c.otherClickIds = { ...f.otherClickIds, ...c.otherClickIds };
  c.utm = { ...f.utm, ...c.utm };
  const signedValue = f.origin === 's2s' ? { valueMicros: f.valueMicros, currency: f.currency ?? c.currency } : null;

  if (c.status === 'unattributed' && newClicks.length > 0) {
    // Nothing was charged yet: attribute afresh with the click IDs the other side knew.
    if (signedValue) Object.assign(c, signedValue);
    await attributeAndBill(tx, c, deps);
  } else if (signedValue && signedValue.valueMicros !== c.valueMicros) {
    if (c.status === 'approved' || c.status === 'restated') {
      const r = await restate(tx, c, signedValue.valueMicros, 'signed postback value', f.receivedAt);
      if (!r.ok) return { i: f.eventId, status: 'conflict', reason: r.reason, conversionId: c.id };
    } else {
      Object.assign(c, signedValue);
    }
  }
  record(c, { at: f.receivedAt, action: 'merged', reason: `${f.origin === 's2s' ? 'signed postback' : 'browser beacon'} merged` });
  await tx.updateConversion(c);
  return { i: f.eventId, status: 'accepted', reason: 'merged', conversionId: c.id, conversionStatus: c.status };
}

/** Result of a conversion command. */
export type CommandResult = { ok: true; conversion: ConversionRecord; costDeltaMicros: bigint } | { ok: false; status: 404 | 409 | 422; reason: string };

/** Approves, rejects, reverses or restates a stored conversion (SPEC §3.4 states). */
export async function commandConversion(
  tx: WriteTx,
  id: string,
  command: ConversionCommand,
  opts: { advertiserId?: string; reason?: string; valueMicros?: bigint; at: number },
): Promise<CommandResult> {
  const found = await tx.conversion(id);
  if (!found || (opts.advertiserId && found.advertiserId !== opts.advertiserId)) return { ok: false, status: 404, reason: 'no such conversion' };
  const c: ConversionRecord = { ...found, updatedAt: opts.at };
  const to = nextStatus(c.status, command);
  if (!to) return { ok: false, status: 409, reason: `cannot ${command} a conversion that is ${c.status}` };

  const costBefore = c.costMicros;
  if (command === 'reverse') {
    if (c.status === 'approved' || c.status === 'restated') await clawBack(tx, c, opts.reason ?? 'reversed', opts.at);
    c.status = 'reversed';
    c.statusReason = opts.reason ?? 'reversed';
    record(c, { at: opts.at, action: 'reversed', reason: c.statusReason });
  } else if (command === 'reject') {
    c.status = 'rejected';
    c.statusReason = opts.reason ?? 'rejected after review';
    record(c, { at: opts.at, action: 'rejected', reason: c.statusReason });
  } else if (command === 'approve') {
    if (!c.campaignId || !c.publisherId || c.termsVersion === null) return { ok: false, status: 409, reason: 'nothing to approve: no winning touch' };
    const s = await bill(tx, c, { campaignId: c.campaignId, publisherId: c.publisherId, slotId: c.slotId, termsVersion: c.termsVersion }, true);
    if (s.outcome === 'held') return { ok: false, status: 422, reason: `cannot price it: ${s.reason}` };
    // The explain record now says what was decided on review: the held winner won, and what it cost.
    const d = (c.decision ?? {}) as { candidates?: { touchId: string; verdict: string; detail: string | null }[] };
    const note = `approved after review${opts.reason ? `: ${opts.reason}` : ''}`;
    c.decision = {
      ...d,
      outcome: 'attributed',
      candidates: (d.candidates ?? []).map((x) => (x.touchId === c.touchId ? { ...x, verdict: s.outcome === 'over_cap' ? 'over_cap' : 'won', detail: note } : x)),
      charge: chargeBlock(s, c),
    };
    record(c, { at: opts.at, action: 'approved', reason: opts.reason ?? null });
  } else {
    if (opts.valueMicros === undefined) return { ok: false, status: 422, reason: 'a restatement needs a value' };
    if (c.status === 'unattributed') c.valueMicros = opts.valueMicros;
    else {
      const r = await restate(tx, c, opts.valueMicros, opts.reason ?? 'restated', opts.at);
      if (!r.ok) return { ok: false, status: 409, reason: r.reason };
    }
    record(c, { at: opts.at, action: 'restated', reason: opts.reason ?? null });
  }
  await tx.updateConversion(c);
  return { ok: true, conversion: c, costDeltaMicros: c.costMicros - costBefore };
}

/** Posts the group that brings a conversion's net to zero, gives the budget back; returns the cost given back. */
async function clawBack(tx: WriteTx, c: ConversionRecord, reason: string, at: number): Promise<bigint> {
  const groups = await tx.groupsFor('conversion', c.id);
  c.costMicros = 0n;
  if (groups.length === 0) return 0n;
  const first = groups[0]!;
  const nets = netsOf(groups.flatMap((g) => g.legs));
  const meta: EntryMeta = { ...first.meta, reason, at };
  const g = reversalGroup(`conversion:${c.id}:reversal`, 'reversal', meta, nets);
  if (!g || !(await tx.postGroup(g, at))) return 0n;
  const cost = nets.get(`advertiser:${c.advertiserId}`) ?? 0n;
  await tx.addSpend(first.meta.campaignId, first.meta.publisherId, utcDay(first.meta.at), -cost);
  return cost;
}

/** Re-prices a charged conversion at a new value and posts the difference; mutates `c`. */
async function restate(tx: WriteTx, c: ConversionRecord, valueMicros: bigint, reason: string, at: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!c.campaignId || !c.publisherId || c.termsVersion === null) {
    c.valueMicros = valueMicros;
    return { ok: true };
  }
  const terms = await tx.terms(c.campaignId, c.termsVersion, c.publisherId);
  if (!terms) return { ok: false, reason: 'the terms of this conversion are gone' };
  const price = conversionCost(terms, valueMicros, c.currency);
  if (!price.ok) return { ok: false, reason: `cannot price the new value: ${price.reason}` };
  const groups = await tx.groupsFor('conversion', c.id);
  const current = netsOf(groups.flatMap((g) => g.legs));
  const currentCost = current.get(`advertiser:${c.advertiserId}`) ?? 0n;
  const meta: EntryMeta = {
    refType: 'conversion',
    refId: c.id,
    campaignId: c.campaignId,
    advertiserId: c.advertiserId,
    publisherId: c.publisherId,
    slotId: c.slotId,
    termsVersion: terms.version,
    currency: terms.currency,
    at,
    reason,
  };
  const delta = price.costMicros - currentCost;
  const day = utcDay(c.at);
  if (delta > 0n) {
    const hit = capHit(terms, await tx.spend(c.campaignId, c.publisherId, day), delta);
    if (hit) return { ok: false, reason: `the higher value would pass the ${hit}` };
  }
  const seq = c.restatements + 1;
  // Restated to nothing: a full clawback, so a fixed payout is not paid out of the platform's pocket.
  const target = price.costMicros === 0n ? new Map() : netsOfSplit(splitCharge(price.costMicros, terms.payout), meta);
  const g = adjustmentGroup(`conversion:${c.id}:restate:${seq}`, 'restatement', meta, current, target);
  if (g && (await tx.postGroup(g, at))) await tx.addSpend(c.campaignId, c.publisherId, day, delta);
  c.valueMicros = valueMicros;
  c.costMicros = price.costMicros;
  c.restatements = seq;
  c.status = 'restated';
  c.statusReason = reason;
  return { ok: true };
}

/** What invalidating a click gave back. */
export interface InvalidationResult {
  ok: boolean;
  /** The click's own charge (CPC) given back. */
  clickMicros: bigint;
  /** The conversions the click had won, each reversed (charged) or rejected (held), and what each gave back. */
  conversions: { id: string; status: ConversionStatus; reversedMicros: bigint }[];
  currency: string | null;
}

/**
 * Invalidates a click found to be invalid later (SPEC §3.4: "IVT found later" is corrected by new
 * entries). Its CPC charge is reversed, and so is every conversion it won: attribution only counts
 * touches "not flagged invalid" (§3.3), so a sale credited to a fraudulent click must not stay
 * billed. A charged conversion is reversed with a clawback group, a held one is rejected; the explain
 * record marks the click `invalid` and says why in its history. The conversion is not re-attributed
 * to the runner-up touch: its state machine ends at `reversed`, and a second charge under a new key
 * is a decision for a person, not for this command.
 */
export async function invalidateClick(tx: WriteTx, clickId: string, reason: string, at: number): Promise<InvalidationResult> {
  const click = await tx.click(clickId);
  if (!click) return { ok: false, clickMicros: 0n, conversions: [], currency: null };
  const groups = await tx.groupsFor('click', clickId);
  const nets = netsOf(groups.flatMap((g) => g.legs));
  let clickMicros = nets.get(`advertiser:${click.advertiserId}`) ?? 0n;
  await tx.markClickInvalid(clickId, reason);
  if (groups.length > 0) {
    const g = reversalGroup(`click:${clickId}:invalidation`, 'invalidation', { ...groups[0]!.meta, reason, at }, nets);
    if (g && (await tx.postGroup(g, at))) await tx.addSpend(click.campaignId, click.publisherId, utcDay(click.at), -clickMicros);
    else clickMicros = 0n;
  }
  const conversions: InvalidationResult['conversions'] = [];
  let currency = groups[0]?.meta.currency ?? null;
  const why = `winning click ${clickId} invalidated: ${reason}`;
  for (const found of await tx.conversionsWonBy(clickId)) {
    const c: ConversionRecord = { ...found, updatedAt: at };
    let reversedMicros = 0n;
    if (c.status === 'pending') {
      c.status = 'rejected';
    } else {
      currency ??= (await tx.groupsFor('conversion', c.id))[0]?.meta.currency ?? null;
      reversedMicros = await clawBack(tx, c, why, at);
      c.status = 'reversed';
    }
    c.statusReason = why;
    const d = (c.decision ?? {}) as { candidates?: { touchId: string; verdict: string; detail: string | null }[] };
    c.decision = { ...d, candidates: (d.candidates ?? []).map((x) => (x.touchId === clickId ? { ...x, verdict: 'invalid', detail: reason } : x)) };
    record(c, { at, action: c.status === 'rejected' ? 'rejected' : 'reversed', reason: why });
    await tx.updateConversion(c);
    conversions.push({ id: c.id, status: c.status, reversedMicros });
  }
  return { ok: true, clickMicros, conversions, currency };
}

export type { ConversionStatus };
