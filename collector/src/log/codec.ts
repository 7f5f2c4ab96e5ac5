/**
 * The bytes of one log message: an ingest item as JSON, minus what must not or need not travel.
 *
 * ```ts
 * const bytes = encodeItem(item);   // published with Nats-Msg-Id = eventKeyOf(item)
 * const same = decodeItem(bytes);   // in the billing worker
 * ```
 *
 * Left out: the raw IP the request context carries (only its salted hashes are kept anywhere:
 * ARCHITECTURE "How an event moves" step 1) and the collector's cached site row (the worker reads
 * the site inside its transaction, as the pipeline does when none is given).
 */
import type { IngestItem, RequestContext } from '../ingest/items';

/** Format version of a log message, first key of every one. */
const VERSION = 1;

/** Thrown by decodeItem for bytes that are not a log message this release can read. */
export class UndecodableMessage extends Error {}

/** Encodes an item for the log. */
export function encodeItem(item: IngestItem): Uint8Array {
  let body: IngestItem;
  switch (item.kind) {
    case 'beacon': {
      const { site: _site, ...rest } = item;
      body = { ...rest, ctx: context(item.ctx) };
      break;
    }
    case 'redirect_click':
    case 's2s':
      body = { ...item, ctx: context(item.ctx) };
      break;
    case 'rejected':
      body = item;
      break;
  }
  return new TextEncoder().encode(
    JSON.stringify({ v: VERSION, item: body }, (_k, v: unknown) => {
      if (typeof v === 'bigint') throw new TypeError('a bigint cannot travel in a log message'); // no ingest item carries one
      return v;
    }),
  );
}

/** Decodes a log message; throws UndecodableMessage when it is not one. */
export function decodeItem(bytes: Uint8Array): IngestItem {
  let parsed: { v?: unknown; item?: { kind?: unknown } };
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes)) as typeof parsed;
  } catch {
    throw new UndecodableMessage('not JSON');
  }
  if (parsed?.v !== VERSION) throw new UndecodableMessage(`format version ${String(parsed?.v)} is not ${VERSION}`);
  const kind = parsed.item?.kind;
  if (kind !== 'beacon' && kind !== 'redirect_click' && kind !== 'rejected' && kind !== 's2s') throw new UndecodableMessage(`unknown item kind ${String(kind)}`);
  return parsed.item as IngestItem;
}

/**
 * The message ID JetStream deduplicates on within its duplicate window: the event key
 * `(site, type, event_id)` and the payload hash for a beacon (so a re-send is dropped by the log,
 * while the same key with another payload reaches the worker and is kept as a conflict), the click ID for a redirect, none for a refusal (a
 * refused request sent twice is kept twice, as in the single-process mode).
 */
export function eventKeyOf(item: IngestItem): string | undefined {
  switch (item.kind) {
    case 'beacon':
      return `b:${item.siteId}:${item.event.t}:${item.event.i}:${item.payloadHash}`;
    case 'redirect_click':
      return `c:${item.clickId}`;
    case 's2s':
      return `s:${item.advertiserId}:${item.body.event_id}`;
    case 'rejected':
      return undefined;
  }
}

/** The request context without the raw IP the HTTP layer keeps beside it. */
function context(ctx: RequestContext): RequestContext {
  const c: RequestContext = { receivedAt: ctx.receivedAt, sourceKey: ctx.sourceKey, ivt: ctx.ivt, endpoint: ctx.endpoint };
  if (ctx.ipKey !== undefined) c.ipKey = ctx.ipKey;
  return c;
}
