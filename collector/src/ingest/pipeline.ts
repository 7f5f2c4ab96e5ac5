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
 * | conversion           | (site, cv, event_id) and (advertiser, action, order_id) | CPA (conversions.ts) |
 */
import type { WriteTx } from '../store/store';
import { recordClick, recordImpression } from './ad-events';
import { processBeaconConversion, processS2sConversion } from './conversion-intake';
import { RaceLost, type PipelineDeps } from './deps';
import type { IngestItem, ItemResult } from './items';
import { otherIds, utmOf } from './event-fields';

export { DEFAULT_IVT_LIMITS, RaceLost, type IvtLimits, type PipelineDeps } from './deps';

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
      // Time rule (README "When money is booked"): an ad event cannot have happened before its ad was
      // served, so its claimed time is kept within [token issued, received]; money is booked on receipt.
      const at = Math.min(ctx.receivedAt, Math.max(item.at, v.token.t));
      if (e.t === 'clk') {
        result = await recordClick(tx, deps, {
          token: v.token,
          clickId: deps.keys.mintClickId(v.token.a, deps.random(12)),
          eventId: e.i,
          via: 'beacon',
          at,
          preInvalid: expired,
          ctx,
        });
      } else {
        if (expired) return reject('expired_token');
        result = await recordImpression(tx, v.token, e.t === 'imp' ? 'served' : 'viewable', e.i, at, ctx);
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
