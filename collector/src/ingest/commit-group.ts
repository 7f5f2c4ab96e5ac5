/**
 * One group of ingest items in one write transaction: the commit step shared by the group
 * committer (single process, direct PostgreSQL) and the log mode's billing worker.
 *
 * ```ts
 * const results = await commitGroup((fn) => store.write(fn), items, { pipeline, logger, clock });
 * ```
 *
 * Optimistic first: every item in one transaction with no savepoints (they cost a sub-journal
 * write per touched page). If any item throws — a bug, or a key another process stored first —
 * the whole transaction rolled back, so the group runs again with each item in its own savepoint:
 * the others still commit and the failing one is kept as rejected (`internal_error`). A transient
 * store error (deadlock, busy) is thrown so the caller retries the whole group.
 */
import type { Logger } from 'pino';
import type { WriteTx } from '../store/store';
import { isTransientStoreError } from '../store/db';
import type { IngestItem, ItemResult } from './items';
import { processItem, RaceLost, type PipelineDeps } from './pipeline';
import type { AdToken } from './keys';
import { utcDay } from '../core/day';

/** A token verification's answer, and the group's verifier that gives each token's once. */
type Verified = ReturnType<PipelineDeps['keys']['verifyToken']>;
type Verify = (token: string) => Verified;

/** Runs `fn` in one write transaction (`Store.write`, or the log worker's fenced transaction). */
export type WriteFn = <T>(fn: (tx: WriteTx) => Promise<T>) => Promise<T>;

/** What committing a group needs besides the transaction. */
export interface CommitGroupDeps {
  pipeline: PipelineDeps;
  logger: Logger;
  clock: () => number;
}

/** Commits `items` in one transaction and returns one result per item, in order. */
export async function commitGroup(write: WriteFn, items: IngestItem[], deps: CommitGroupDeps): Promise<ItemResult[]> {
  // The group's tokens are verified once, for the lookups and for the items (an HMAC and a parse
  // each): a verification depends on nothing but the token and the key, so its answer is reused.
  const keys = deps.pipeline.keys;
  const verified = new Map<string, Verified>();
  const verify: Verify = (tk) => {
    let v = verified.get(tk);
    if (!v) verified.set(tk, (v = keys.verifyToken(tk)));
    return v;
  };
  const pipeline: PipelineDeps = { ...deps.pipeline, keys: { ...keys, verifyToken: verify } };
  deps = { ...deps, pipeline };
  try {
    return await write(async (tx) => {
      // The group's idempotency keys and impressions, read in a few statements instead of one each.
      if (tx.prefetch) await tx.prefetch({ ...lookupsOf(items, verify), money: await moneyRowsOf(tx, items, verify) });
      const out: ItemResult[] = [];
      for (const item of items) out.push(await processItem(tx, item, pipeline));
      return out;
    });
  } catch (err) {
    deps.logger.warn({ err, items: items.length }, 'group commit failed; retrying each item in its own savepoint');
    return write(async (tx) => {
      const out: ItemResult[] = [];
      for (const item of items) out.push(await runOne(tx, item, deps));
      return out;
    });
  }
}

/** One item in its own savepoint; a non-transient failure is kept as a rejected event. */
async function runOne(tx: WriteTx, item: IngestItem, deps: CommitGroupDeps): Promise<ItemResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await tx.savepoint(() => processItem(tx, item, deps.pipeline));
    } catch (err) {
      if (err instanceof RaceLost && attempt < 2) continue; // another process stored the key: re-run and see it
      // A deadlock or busy database is not this item's fault: fail the group so the driver retries it whole.
      if (isTransientStoreError(err)) throw err;
      // A bug or bad row must not fail the whole group: keep the event as rejected, with the error.
      deps.logger.error({ err, kind: item.kind }, 'event processing failed');
      const i = item.kind === 'beacon' ? item.event.i : item.kind === 's2s' ? item.body.event_id : item.kind === 'redirect_click' ? item.clickId : '';
      await tx.savepoint(() =>
        tx.insertRejected({
          receivedAt: deps.clock(),
          siteId: item.kind === 'beacon' ? item.siteId : null,
          endpoint: item.kind === 'rejected' ? item.rejected.endpoint : item.kind === 'beacon' ? item.ctx.endpoint : item.kind,
          eventType: item.kind === 'beacon' ? item.event.t : null,
          eventId: i,
          reason: 'internal_error',
          detail: String((err as Error)?.message ?? err).slice(0, 500),
          payload: JSON.stringify(item, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 2048),
        }),
      );
      return { i, status: 'rejected', reason: 'internal_error' };
    }
  }
}

/**
 * The event keys and impressions the group's items will look up: each beacon's and S2S conversion's key, and for an
 * impression its decision's row of that kind (and the served one, which a viewable one checks).
 * A token that does not verify adds nothing: its item is refused before any lookup.
 */
function lookupsOf(items: IngestItem[], verify: Verify) {
  const eventKeys: [string, string, string][] = [];
  const impressions: string[] = [];
  const pageSlots: [string, string][] = [];
  // A conversion's order and event ID, looked up as processConversion does, and the clicks it
  // carries (attribute.ts): about four statements each, a round trip each on PostgreSQL. A hint
  // only — a key asked for in another form is read when met.
  const conversions: [string, string, string | null, string, string[]][] = [];
  for (const item of items) {
    if (item.kind === 's2s') {
      // A server-to-server conversion's key, as processS2sConversion looks it up.
      const b = item.body;
      eventKeys.push([`s2s:${item.advertiserId}`, 'cv', b.event_id]);
      conversions.push([item.advertiserId, b.action, b.order_id ?? null, b.event_id, [...(b.click_id ? [b.click_id] : []), ...(b.click_ids ?? [])]]);
    }
    if (item.kind !== 'beacon') continue;
    const e = item.event;
    eventKeys.push([item.siteId, e.t, e.i]);
    if (e.t === 'cv' && item.site?.ownerType === 'advertiser') conversions.push([item.site.ownerId, e.a ?? 'conversion', e.o ?? null, e.i, e.k ? e.k.split(',') : []]);
    if (e.t === 'imp' || e.t === 'vi') {
      const v = verify(e.tk);
      if (!v.ok) continue;
      impressions.push(`${v.token.d}:served`);
      if (e.t === 'vi') impressions.push(`${v.token.d}:viewable`);
      // A served impression's stacking check (ad-events.ts) counts the other ads served in its page view's slot.
      if (e.t === 'imp' && v.token.pv) pageSlots.push([v.token.pv, v.token.s]);
    }
  }
  return { eventKeys, impressions, pageSlots, conversions };
}

/**
 * The money rows the group's ad events will bill against, for the store to take at once in a fixed
 * order: a CPM campaign's budget rows and running total for each impression of its billed kind, a
 * CPC campaign's budget rows for each click — on the UTC day of receipt, as billing books them.
 * Request-level invalid traffic bills nothing and asks for nothing; an event that turns out
 * unbillable later (stacked, duplicate) only made the store take rows a little early. Conversions
 * find their campaign by attribution and take its rows when they get there.
 */
async function moneyRowsOf(tx: WriteTx, items: IngestItem[], verify: Verify) {
  const spend: [string, string, string][] = [];
  const cpm: [string, number][] = [];
  for (const item of items) {
    let token: AdToken | null = null;
    let kind: 'served' | 'viewable' | 'click' | null = null;
    let receivedAt = 0;
    if (item.kind === 'beacon' && !item.ctx.ivt && (item.event.t === 'imp' || item.event.t === 'vi' || item.event.t === 'clk')) {
      const v = verify(item.event.tk);
      if (v.ok) [token, kind, receivedAt] = [v.token, item.event.t === 'imp' ? 'served' : item.event.t === 'vi' ? 'viewable' : 'click', item.ctx.receivedAt];
    } else if (item.kind === 'redirect_click' && !item.ctx.ivt && !item.invalidReason) {
      [token, kind, receivedAt] = [item.token, 'click', item.ctx.receivedAt];
    }
    if (!token || !kind) continue;
    const terms = await tx.terms(token.c, token.v); // cached per terms version: no statement after the first
    if (!terms) continue;
    const day = utcDay(receivedAt);
    if (kind === 'click' ? terms.costModel === 'cpc' : terms.costModel === 'cpm' && terms.cpmBasis === kind) {
      spend.push([token.c, day, token.p]);
      if (kind !== 'click') cpm.push([token.c, terms.version]);
    }
  }
  return { spend, cpm };
}
