/**
 * Conversions as they arrive: a browser beacon (`t: "cv"`) or a signed server-to-server postback,
 * each turned into the same `ConversionFacts` for conversions.ts. The time rule for claimed times
 * lives here (README "When money is booked").
 *
 * | arrives        | value                     | claimed time                     | refused (kept in rejected_events) |
 * |----------------|---------------------------|----------------------------------|-----------------------------------|
 * | beacon         | `v` (units), visitor's    | `ts`, corrected by `n`; > 7 days → `late_event` (stored, unbilled) | by the schema (value bound) |
 * | postback       | `value` or `value_micros` | `occurred_at`; > 90 days → 422 `stale_conversion` | bad site, stale |
 */
import { parseConversionValue } from '../core/money';
import { DAY_MS } from '../core/terms';
import type { WriteTx } from '../store/store';
import type { BeaconEvent } from './beacon-schema';
import { processConversion } from './conversions';
import { otherIds, utmOf } from './event-fields';
import type { PipelineDeps } from './deps';
import type { IngestItem, ItemResult } from './items';

/**
 * Time rule (README "When money is booked"): a browser conversion may claim to have happened at most
 * 7 days before it was received (an outbox that waited for the visitor to come back); a signed
 * postback at most 90 days (offline conversions imported from a CRM, as Google Ads allows). Older
 * claims are kept but never billed: the beacon as a rejected conversion (`late_event`), the
 * postback refused with a 422 and kept in rejected_events. Money is always booked on receipt.
 */
export const MAX_BEACON_CONVERSION_AGE_MS = 7 * DAY_MS;
export const MAX_S2S_CONVERSION_AGE_MS = 90 * DAY_MS;

/** A beacon conversion (`t: "cv"`). */
export async function processBeaconConversion(
  tx: WriteTx,
  item: Extract<IngestItem, { kind: 'beacon' }> & { event: Extract<BeaconEvent, { t: 'cv' }> },
  advertiserId: string,
  deps: PipelineDeps,
): Promise<ItemResult> {
  const e = item.event;
  const value = e.v === undefined ? 0n : (parseConversionValue(e.v) as { ok: true; micros: bigint }).micros;
  const late = (item.claimedAgeMs ?? 0) > MAX_BEACON_CONVERSION_AGE_MS ? 'late_event' : null;
  const other = otherIds(e);
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
      ivt: item.ctx.ivt ?? late,
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
  // Refused, and kept in rejected_events under the advertiser's postbacks like any refusal.
  const refuse = async (reason: string, detail: string): Promise<ItemResult> => {
    await tx.insertRejected({ receivedAt: item.ctx.receivedAt, siteId: keySite, endpoint: item.ctx.endpoint, eventType: 'cv', eventId: b.event_id, reason, detail, payload: JSON.stringify(b).slice(0, 2048) });
    return { i: b.event_id, status: 'rejected', reason };
  };
  if (b.site_id !== undefined) {
    // The signature proves who the advertiser is, not that the site is theirs: a conversion filed
    // under another tenant's site would show in that site's "verify my tag" and feed.
    const site = await tx.site(b.site_id);
    if (!site || site.ownerType !== 'advertiser' || site.ownerId !== item.advertiserId) {
      return refuse('unknown_site', `${b.site_id} is not a conversion site of ${item.advertiserId}`);
    }
  }
  const value =
    b.value_micros !== undefined
      ? (parseConversionValue(b.value_micros, true) as { ok: true; micros: bigint }).micros
      : b.value !== undefined
        ? (parseConversionValue(b.value) as { ok: true; micros: bigint }).micros
        : 0n;
  const at = Math.min(b.occurred_at ?? item.ctx.receivedAt, item.ctx.receivedAt);
  if (item.ctx.receivedAt - at > MAX_S2S_CONVERSION_AGE_MS) {
    return refuse('stale_conversion', `occurred_at is more than ${MAX_S2S_CONVERSION_AGE_MS / DAY_MS} days before receipt`);
  }
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
