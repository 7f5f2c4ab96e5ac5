/**
 * Beacon ingest: `POST /e` (batch, text/plain or application/json, no preflight) and `GET /p.gif`
 * (one event as query parameters). Answers only after the group commit holding the events
 * committed. Every refusal is answered with a reason, counted, and kept in rejected_events.
 *
 * | answer | when                                                                  |
 * |--------|-----------------------------------------------------------------------|
 * | 202    | committed: at least one event accepted or an exact replay              |
 * | 409    | every event conflicts with an earlier one (same key, other payload)    |
 * | 400    | not JSON, or not a batch                                               |
 * | 403    | the Origin is not on the site's allow-list                            |
 * | 413    | body over 64 KiB (checked before the handler reads it: body-limit.ts)  |
 * | 415    | a content type other than text/plain or application/json             |
 * | 422    | every event failed validation                                          |
 * | 429/503| per-source rate limit / commit queue full, with Retry-After           |
 */
import { randomUUID, createHash } from 'node:crypto';
import type { Context } from 'hono';
import { beaconAnswer, errorAnswer } from './answer-schemas';
import { bodyText, limitBody } from './body-limit';
import { beaconBatch, beaconEvent, describeIssues, MAX_EVENTS_PER_BATCH } from '../ingest/beacon-schema';
import { OverloadedError } from '../ingest/group-commit';
import type { IngestItem, ItemResult, RequestContext } from '../ingest/items';
import { fail, payloadHash, requestContext, type Collector } from './context';
import { createRouter, type Router } from './router';
import { forwardedIp } from './forwarded-ip';

/** Body limit of a beacon batch. */
export const MAX_BEACON_BYTES = 64 * 1024;
const MAX_SKEW_MS = 7 * 86_400_000;

// The 43-byte transparent GIF every pixel answers. (The often-copied 42-byte variant ends its LZW
// data before the end-of-information code: a truncated image that strict decoders refuse.)
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

/** The ingest routes (hot paths: validated inside the handlers, no middleware layer; router.ts). */
export function ingestRoutes(col: Collector): Router {
  const r = createRouter(col, 'Beacons');

  r.route({ method: 'options', path: '/e', summary: 'CORS preflight', hidden: true, responses: { 204: { description: 'preflight answered' } } }, (c) => {
    const origin = c.req.header('origin');
    return c.body(null, 204, {
      'Access-Control-Allow-Origin': origin ?? '*',
      'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type',
      'Access-Control-Max-Age': '86400',
      Vary: 'Origin',
    });
  });

  r.route(
    {
      method: 'post',
      path: '/e',
      summary: 'A batch of beacons from the SDK (text/plain JSON, no CORS preflight). Answers after commit.',
      body: beaconBatch,
      bodyType: 'text/plain',
      inHandler: true,
      responses: {
        202: beaconAnswer.describe('committed: at least one event accepted or an exact replay'),
        400: errorAnswer.describe('not JSON, or not a batch'),
        403: errorAnswer.describe("origin not on the site's allow-list"),
        409: beaconAnswer.describe('every event conflicts with an earlier one'),
        413: errorAnswer.describe('over 64 KiB'),
        415: errorAnswer.describe('content type'),
        422: beaconAnswer.describe('every event invalid'),
        429: errorAnswer.describe('rate limited (Retry-After)'),
        503: errorAnswer.describe('overloaded (Retry-After)'),
      },
    },
    async (c) => {
      const ctx = requestContext(col, c, '/e');
      const origin = c.req.header('origin');
      const headers = cors(origin);
      const type = (c.req.header('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
      if (type !== 'text/plain' && type !== 'application/json') {
        await keepRejected(col, ctx, null, 'unsupported_media_type', type, null);
        return fail(c, 415, 'unsupported_media_type', 'send text/plain or application/json', headers);
      }
      const raw = await bodyText(c);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        await keepRejected(col, ctx, null, 'malformed_json', null, raw);
        return fail(c, 400, 'malformed_json', 'the body is not JSON', headers);
      }
      const batch = beaconBatch.safeParse(body);
      if (!batch.success) {
        const reason = describeIssues(batch.error);
        // File it under the site it names when that much is readable, so "verify my tag" shows it.
        const named = (body as { s?: unknown } | null)?.s;
        const siteId = typeof named === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(named) ? named : null;
        await keepRejected(col, ctx, siteId, 'invalid_batch', reason, raw);
        return fail(c, 400, 'invalid_batch', reason, headers);
      }
      return ingest(c, col, ctx, batch.data.s, batch.data.n ?? null, batch.data.e, origin, headers, [], raw);
    },
    limitBody(MAX_BEACON_BYTES, async (c) => {
      await keepRejected(col, requestContext(col, c, '/e'), null, 'body_too_large', `over ${MAX_BEACON_BYTES} bytes`, null);
      return fail(c, 413, 'body_too_large', `a batch may hold at most ${MAX_BEACON_BYTES} bytes`, cors(c.req.header('origin')));
    }),
  );

  r.route(
    {
      method: 'get',
      path: '/p.gif',
      summary: 'One event as query parameters (same keys as a beacon event plus s); answers a 43-byte GIF, 4xx when refused.',
      inHandler: true,
      responses: { 200: { description: 'committed', type: 'image/gif' }, 400: { description: 'refused (a GIF)', type: 'image/gif' }, 503: { description: 'overloaded (a GIF, Retry-After)', type: 'image/gif' } },
    },
    async (c) => {
      const ctx = requestContext(col, c, '/p.gif');
      const q = c.req.queries();
      const flat: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(q)) {
        if (v.length !== 1 || v[0]!.length > 2048) {
          await keepRejected(col, ctx, null, 'invalid_query', `parameter ${k} repeated or too long`, c.req.url.slice(0, 2048));
          return gif(c, 400);
        }
        flat[k] = v[0];
      }
      const { s, n, ...event } = flat;
      if (typeof s !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(s)) {
        await keepRejected(col, ctx, null, 'invalid_batch', 's: site ID missing or malformed', c.req.url.slice(0, 2048));
        return gif(c, 400);
      }
      // Query values are strings: the numeric keys are converted, exactly as the JSON form carries them.
      for (const k of ['ts', 'mv'] as const) if (typeof event[k] === 'string' && /^\d+(\.\d+)?$/.test(event[k] as string)) event[k] = Number(event[k]);
      event.t ??= 'cv';
      // Without `ts` the time is the receipt time, which a reload changes: it is then no part of the
      // event's identity, or reloading the thank-you page would be a conflict instead of a replay.
      const unhashed = event.ts === undefined ? ['ts'] : [];
      event.ts ??= ctx.receivedAt;
      // A <noscript> pixel has no event ID: derive one from the order so a reload is an exact replay.
      event.i ??= typeof event.o === 'string' ? `px-${createHash('sha256').update(`${s}|${String(event.a ?? '')}|${event.o}`).digest('base64url').slice(0, 32)}` : randomUUID();
      const sent = typeof n === 'string' && /^\d{1,16}$/.test(n) ? Number(n) : null;
      const res = await ingest(c, col, ctx, s, sent, [event], c.req.header('origin'), {}, unhashed, new URL(c.req.url).search.slice(1));
      return gif(c, res.status >= 400 ? (res.status as 400) : 200, res.headers.get('retry-after'));
    },
  );
  return r;
}

function cors(origin: string | undefined): Record<string, string> {
  // Retry-After must be exposed, or a cross-origin tag cannot read how long to back off.
  return origin ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': 'Retry-After', Vary: 'Origin' } : {};
}

function gif(c: Context, status: 200 | 400, retryAfter?: string | null) {
  const headers: Record<string, string> = { 'Content-Type': 'image/gif', 'Cache-Control': 'no-store' };
  if (retryAfter) headers['Retry-After'] = retryAfter;
  return c.body(GIF, status, headers);
}

/** Stores one refused request in rejected_events (through the committer, like everything else). */
async function keepRejected(col: Collector, ctx: RequestContext, siteId: string | null, reason: string, detail: string | null, payload: string | null) {
  col.metrics.received.inc({ type: 'body' });
  col.metrics.rejected.inc({ reason });
  try {
    await col.committer.submit([
      { kind: 'rejected', rejected: { receivedAt: ctx.receivedAt, siteId, endpoint: ctx.endpoint, eventType: null, eventId: null, reason, detail, payload: payload?.slice(0, 2048) ?? null } },
    ]);
  } catch (err) {
    // Overloaded: the refusal is still answered and counted; keeping the row is best effort.
    if (!(err instanceof OverloadedError)) col.logger.error({ err }, 'could not keep a rejected event');
  }
}

/** Validates each event, checks origin and rate, commits, and answers. */
async function ingest(
  c: Context,
  col: Collector,
  ctx: RequestContext,
  siteId: string,
  sentAt: number | null,
  events: unknown[],
  origin: string | undefined,
  headers: Record<string, string>,
  unhashed: readonly string[] = [],
  signed = '',
) {
  const items: IngestItem[] = [];
  const site = await col.cache.site(siteId);
  // Through a first-party proxy: the visitor's IP, signed by the proxy (forwarded-ip.ts).
  const fwd = await forwardedIp(col, c, site, signed);
  if (!fwd.ok) {
    await keepRejected(col, ctx, siteId, 'invalid_forwarded_ip', fwd.reason, null);
    return fail(c, 403, 'invalid_forwarded_ip', fwd.reason, headers);
  }
  if (fwd.ip) ctx = requestContext(col, c, ctx.endpoint, fwd.ip);
  if (site && origin && site.origins.length > 0 && !site.origins.includes(origin)) {
    await keepRejected(col, ctx, siteId, 'origin_not_allowed', origin, null);
    return fail(c, 403, 'origin_not_allowed', `${origin} may not send beacons for site ${siteId}`, headers);
  }
  const wait = col.rateLimiter.take(ctx.sourceKey, ctx.receivedAt, events.length);
  if (wait > 0) {
    col.metrics.overload.inc({ endpoint: ctx.endpoint });
    return fail(c, 429, 'rate_limited', 'too many events from this source', { ...headers, 'Retry-After': String(wait) });
  }
  for (const raw of events.slice(0, MAX_EVENTS_PER_BATCH)) {
    const parsed = beaconEvent.safeParse(raw);
    const r = raw as Record<string, unknown> | null;
    const type = typeof r?.t === 'string' ? r.t.slice(0, 8) : null;
    if (!parsed.success) {
      const reason = describeIssues(parsed.error);
      items.push({
        kind: 'rejected',
        rejected: {
          receivedAt: ctx.receivedAt,
          siteId,
          endpoint: ctx.endpoint,
          eventType: type,
          eventId: typeof r?.i === 'string' ? r.i.slice(0, 64) : null,
          reason: 'invalid_event',
          detail: reason,
          payload: safeJson(raw).slice(0, 2048),
        },
      });
      continue;
    }
    const e = parsed.data;
    // Correct the client clock: the event happened (n − ts) before the batch was sent.
    const age = sentAt !== null ? Math.max(0, sentAt - e.ts) : 0;
    const at = Math.max(ctx.receivedAt - MAX_SKEW_MS, ctx.receivedAt - Math.min(age, MAX_SKEW_MS));
    const hashed = Object.fromEntries(Object.entries(e).filter(([k]) => !unhashed.includes(k)));
    items.push({ kind: 'beacon', siteId, event: e, at, claimedAgeMs: age, payloadHash: payloadHash(hashed), ctx, site });
  }

  let results: ItemResult[];
  try {
    results = await col.committer.submit(items);
  } catch (err) {
    if (err instanceof OverloadedError) {
      col.metrics.overload.inc({ endpoint: ctx.endpoint });
      return fail(c, 503, 'overloaded', 'the collector is busy; retry later', { ...headers, 'Retry-After': String(err.retryAfterSeconds) });
    }
    col.logger.error({ err }, 'group commit failed');
    return fail(c, 503, 'store_unavailable', 'the events could not be stored; retry later', { ...headers, 'Retry-After': '5' });
  }

  // Counted only now that the events were committed: a 503 (or 429) takes nothing, the client sends
  // the batch again, and each event is counted once, with its outcome — so received = accepted +
  // rejected + deduplicated + conflicts holds exactly (an event counted as received before the
  // commit, then refused 503, would have been received with no outcome).
  const summary = { accepted: 0, duplicate: 0, rejected: [] as { i: string; reason: string }[], conflict: [] as { i: string; reason: string }[] };
  results.forEach((r, k) => {
    const item = items[k]!;
    const type = item.kind === 'beacon' ? item.event.t : 'invalid';
    col.metrics.received.inc({ type });
    if (r.status === 'accepted') {
      summary.accepted++;
      col.metrics.accepted.inc({ type });
      if (r.reason?.startsWith('invalid: ')) col.metrics.invalid.inc({ reason: r.reason.slice(9) });
    } else if (r.status === 'duplicate') {
      summary.duplicate++;
      col.metrics.deduplicated.inc({ type });
    } else if (r.status === 'conflict') {
      summary.conflict.push({ i: r.i, reason: r.reason ?? 'conflict' });
      col.metrics.conflicts.inc({ type });
    } else {
      summary.rejected.push({ i: r.i, reason: r.reason ?? 'rejected' });
      col.metrics.rejected.inc({ reason: r.reason ?? 'rejected' });
    }
  });
  const status = summary.accepted + summary.duplicate > 0 ? 202 : summary.conflict.length > 0 ? 409 : 422;
  return c.json(summary, status, headers);
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    // Nested too deep for JSON.stringify (RangeError). String() is no way out: it recurses through
    // nested arrays just the same, and an object whose own `toString` is not a function throws.
    return '[not serializable: nested too deep]';
  }
}
