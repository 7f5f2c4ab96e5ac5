/**
 * One conversion inside the group commit: dedup, the merge of a browser beacon with a signed
 * postback, or a new conversion attributed and billed (attribute.ts, conversion-billing.ts).
 *
 * | arrives                                          | then                                                |
 * |--------------------------------------------------|-----------------------------------------------------|
 * | same (site, event_id) and same payload           | exact replay: the stored result, nothing changes    |
 * | same (site, event_id), other payload             | 409, nothing changes                                |
 * | same (advertiser, action, order_id), same origin | 409, nothing changes (SPEC §3.2: permanent)         |
 * | beacon ↔ postback for the same event_id or order | merged into one conversion; the signed value wins (a charged one is restated); new click IDs re-attribute an unattributed one |
 * | refused traffic (bot, late claim)                | stored as `rejected`, never attributed              |
 * | otherwise                                        | attributed (attribution.ts) and billed (billing.ts) |
 */
import { isCharged } from '../core/conversion-status';
import { invalidRecord } from '../core/explain';
import type { ConversionRecord, WriteTx } from '../store/store';
import { attributeAndBill } from './attribute';
import { noteHistory, restate } from './conversion-commands';
import { billed, type PipelineDeps } from './deps';
import type { ItemResult } from './items';

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
  /** Request-level invalid traffic, or a claimed time past the time rule (beacons only). */
  ivt: string | null;
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

  const record = newConversion(deps.newId('cv'), f);
  if (f.ivt) {
    record.status = 'rejected';
    record.statusReason = `invalid: ${f.ivt}`;
    record.decision = invalidRecord(f.ivt);
  } else {
    await attributeAndBill(tx, record, deps);
  }
  await tx.insertConversion(record);
  return {
    i: f.eventId,
    status: 'accepted',
    conversionId: record.id,
    conversionStatus: record.status,
    ...(record.statusReason ? { reason: record.statusReason } : {}),
    // The charge is in the campaign's currency, which a conversion reported in another one does not share.
    ...billed(record.costMicros, record.decision?.charge?.chargeCurrency ?? ''),
  };
}

/** A new, not yet attributed conversion record of the facts. */
function newConversion(id: string, f: ConversionFacts): ConversionRecord {
  return {
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
    if (isCharged(c.status)) {
      const r = await restate(tx, c, signedValue.valueMicros, 'signed postback value', f.receivedAt);
      if (!r.ok) return { i: f.eventId, status: 'conflict', reason: r.reason, conversionId: c.id };
    } else {
      Object.assign(c, signedValue);
    }
  }
  noteHistory(c, { at: f.receivedAt, action: 'merged', reason: `${f.origin === 's2s' ? 'signed postback' : 'browser beacon'} merged` });
  await tx.updateConversion(c);
  return { i: f.eventId, status: 'accepted', reason: 'merged', conversionId: c.id, conversionStatus: c.status };
}
