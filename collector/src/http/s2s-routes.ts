/**
 * Server-to-server conversions and conversion commands.
 *
 * Signature (SPEC §3.1), like Stripe's webhooks:
 *   X-PP-Advertiser: adv_shop
 *   X-PP-Timestamp:  1764400000            (unix seconds; refused when more than 300 s away)
 *   X-PP-Signature:  v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * Either of the advertiser's two live secrets verifies (rotation); comparison is constant-time.
 * A replay inside the tolerance is an exact replay of the same event_id: answered, never re-billed.
 *
 * Commands (`/v1/conversions/:id/{reverse,restate,approve,reject}`) take the same signature or an
 * advertiser/operator API key. Approve and reject are review decisions for held conversions.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { bodyText, limitBody } from './body-limit';
import type { z } from 'zod';
import { parseConversionValue } from '../core/money';
import type { ConversionCommand } from '../core/conversion-status';
import { describeIssues, reasonBody, restateBody, s2sConversion } from '../ingest/beacon-schema';
import { commandConversion } from '../ingest/conversion-commands';
import { invalidateClick } from '../ingest/click-invalidation';
import { OverloadedError } from '../ingest/group-commit';
import { authenticate, type Auth } from './auth';
import { fail, payloadHash, requestContext, type Collector } from './context';
import { conversionJson } from './json';

/** Signature tolerance. */
export const S2S_TOLERANCE_SECONDS = 300;
const MAX_S2S_BYTES = 16 * 1024;

/** Signs a body the way the collector verifies it (advertisers' servers and the demo use this). */
export function signS2s(secret: string, timestampSeconds: number, rawBody: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex')}`;
}

/** Verifies the S2S headers over the raw body; the advertiser ID or why it failed. */
async function verifySignature(col: Collector, c: Context, raw: string): Promise<{ ok: true; advertiserId: string } | { ok: false; reason: string }> {
  const advertiserId = c.req.header('x-pp-advertiser');
  const ts = c.req.header('x-pp-timestamp');
  const sig = c.req.header('x-pp-signature');
  if (!advertiserId || !ts || !sig) return { ok: false, reason: 'missing X-PP-Advertiser, X-PP-Timestamp or X-PP-Signature' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'X-PP-Timestamp must be unix seconds' };
  if (Math.abs(col.clock() / 1000 - Number(ts)) > S2S_TOLERANCE_SECONDS) return { ok: false, reason: `timestamp outside ±${S2S_TOLERANCE_SECONDS} s` };
  const m = /^v1=([0-9a-f]{64})$/.exec(sig);
  if (!m) return { ok: false, reason: 'X-PP-Signature must be v1=<64 hex>' };
  const advertiser = await col.store.catalog.getAdvertiser(advertiserId);
  if (!advertiser) return { ok: false, reason: 'signature does not verify' }; // same answer: do not reveal which advertisers exist
  const given = Buffer.from(m[1]!, 'hex');
  const ok = advertiser.s2sSecrets.some((secret) => {
    const want = createHmac('sha256', secret).update(`${ts}.${raw}`).digest();
    return timingSafeEqual(given, want);
  });
  return ok ? { ok: true, advertiserId } : { ok: false, reason: 'signature does not verify' };
}

/** Registers the S2S and command routes. */
export function s2sRoutes(app: Hono, col: Collector): void {
  col.docs.push(
    {
      method: 'post',
      path: '/v1/conversions',
      tag: 'Conversions',
      summary: 'A signed server-to-server conversion; merged with the browser beacon for the same event_id or order (the signed value wins).',
      auth: ['s2s'],
      body: s2sConversion,
      responses: { 200: 'exact replay', 201: 'stored (or merged)', 400: 'invalid', 401: 'bad signature', 409: 'same key, other payload', 413: 'too large', 503: 'overloaded' },
    },
    ...(['reverse', 'restate', 'approve', 'reject'] as const).map((cmd) => ({
      method: 'post' as const,
      path: `/v1/conversions/:id/${cmd}`,
      tag: 'Conversions',
      summary: {
        reverse: 'Reverse a conversion (refund, cancellation): a clawback entry group if it was charged.',
        restate: 'Restate the value: the charge difference is posted as a new entry group.',
        approve: 'Approve a held conversion: it is priced and charged now.',
        reject: 'Reject a held conversion.',
      }[cmd],
      auth: ['s2s', 'advertiser', 'operator'] as ('s2s' | 'advertiser' | 'operator')[],
      body: cmd === 'restate' ? restateBody : reasonBody,
      responses: { 200: 'done', 401: 'unauthenticated', 404: 'unknown conversion', 409: 'not allowed in its current state', 422: 'invalid' },
    })),
    {
      method: 'post',
      path: '/v1/clicks/:clickId/invalidate',
      tag: 'Conversions',
      summary:
        'Flag a click as invalid traffic found later: its CPC charge is reversed by an invalidation entry group, and every conversion it won is reversed (clawback) or, if held, rejected. Answers what was given back in total and per conversion.',
      auth: ['operator'],
      body: reasonBody,
      responses: { 200: 'done', 404: 'unknown click' },
    },
  );

  const limit = limitBody(MAX_S2S_BYTES, (c) => fail(c, 413, 'body_too_large', `at most ${MAX_S2S_BYTES} bytes`));

  // An oversized postback is refused before it is read, and kept and counted like any refusal.
  const conversionLimit = limitBody(MAX_S2S_BYTES, (c) =>
    reject(c, col, requestContext(col, c, '/v1/conversions'), null, 'body_too_large', `at most ${MAX_S2S_BYTES} bytes`, '', 413),
  );

  app.post('/v1/conversions', conversionLimit, async (c) => {
    const raw = await bodyText(c);
    const ctx = requestContext(col, c, '/v1/conversions');
    const auth = await verifySignature(col, c, raw);
    // Kept like any other refusal, but under no site: the advertiser header is unverified, and a
    // stranger must not be able to fill an advertiser's list of rejected events.
    if (!auth.ok) return reject(c, col, ctx, null, 'bad_signature', auth.reason, raw, 401);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return reject(c, col, ctx, auth.advertiserId, 'malformed_json', 'the body is not JSON', raw, 400);
    }
    const parsed = s2sConversion.safeParse(body);
    if (!parsed.success) return reject(c, col, ctx, auth.advertiserId, 'invalid_conversion', describeIssues(parsed.error), raw, 400);
    try {
      const [r] = await col.committer.submit([
        { kind: 's2s', advertiserId: auth.advertiserId, body: parsed.data, payloadHash: payloadHash(parsed.data as Record<string, unknown>), ctx: { ...ctx, ivt: null } },
      ]);
      if (!r) throw new Error('no result');
      // Counted once it has an outcome: a 503 below takes nothing and the sender retries.
      col.metrics.received.inc({ type: 's2s' });
      if (r.status === 'conflict') {
        col.metrics.conflicts.inc({ type: 's2s' });
        return c.json({ error: 'conflict', reason: r.reason, conversion_id: r.conversionId ?? null }, 409);
      }
      if (r.status === 'rejected') {
        col.metrics.rejected.inc({ reason: r.reason ?? 'rejected' });
        return fail(c, 422, 'rejected', r.reason ?? 'rejected');
      }
      if (r.status === 'duplicate') col.metrics.deduplicated.inc({ type: 's2s' });
      else col.metrics.accepted.inc({ type: 's2s' });
      const conv = r.conversionId ? await col.store.reports.conversion(r.conversionId) : null;
      return c.json(
        {
          status: r.status === 'duplicate' ? 'duplicate' : r.reason === 'merged' ? 'merged' : 'stored',
          // What this postback was charged, in the campaign's currency: a replay answers the same.
          billedMicros: r.billedMicros ?? '0',
          currency: r.currency ?? null,
          conversion: conv ? conversionJson(conv) : null,
        },
        r.status === 'duplicate' ? 200 : 201,
      );
    } catch (err) {
      if (err instanceof OverloadedError) return fail(c, 503, 'overloaded', 'retry later', { 'Retry-After': String(err.retryAfterSeconds) });
      col.logger.error({ err }, 's2s conversion failed');
      return fail(c, 503, 'store_unavailable', 'retry later', { 'Retry-After': '5' });
    }
  });

  for (const command of ['reverse', 'restate', 'approve', 'reject'] as const) {
    app.post(`/v1/conversions/:id/${command}`, limit, async (c) => {
      const raw = await bodyText(c);
      const who = await commandAuth(col, c, raw);
      if (!who) return fail(c, 401, 'unauthenticated', 'sign the request (X-PP-Signature) or send an advertiser or operator API key');
      if (who.kind === 'publisher') return fail(c, 403, 'forbidden', 'publishers cannot change conversions');
      return runCommand(c, col, command, raw, who.kind === 'advertiser' ? who.id : undefined);
    });
  }

  app.post('/v1/clicks/:clickId/invalidate', limit, async (c) => {
    const who = await authenticate(col, c);
    if (!who) return fail(c, 401, 'unauthenticated', 'an operator API key is required');
    if (who.kind !== 'operator') return fail(c, 403, 'forbidden', 'only the operator can invalidate clicks');
    const body = parseJson(await bodyText(c), reasonBody);
    if (!body.ok) return fail(c, 422, 'invalid', body.reason);
    const r = await col.store.write((tx) => invalidateClick(tx, c.req.param('clickId'), body.value.reason ?? 'invalid traffic found later', col.clock()));
    if (!r.ok) return fail(c, 404, 'not_found', 'no such click');
    const total = r.conversions.reduce((s, x) => s + x.reversedMicros, r.clickMicros);
    if (total > 0n) col.metrics.credited.inc({ currency: r.currency ?? '' }, Number(total));
    return c.json({
      click_id: c.req.param('clickId'),
      reversed_micros: String(total),
      click_reversed_micros: String(r.clickMicros),
      conversions: r.conversions.map((x) => ({ id: x.id, status: x.status, reversed_micros: String(x.reversedMicros) })),
    });
  });
}

async function commandAuth(col: Collector, c: Context, raw: string): Promise<Auth | null> {
  if (c.req.header('x-pp-signature')) {
    const v = await verifySignature(col, c, raw);
    return v.ok ? { kind: 'advertiser', id: v.advertiserId } : null;
  }
  return authenticate(col, c);
}

async function runCommand(c: Context, col: Collector, command: ConversionCommand, raw: string, advertiserId: string | undefined) {
  const schema = command === 'restate' ? restateBody : reasonBody;
  const body = parseJson(raw || '{}', schema);
  if (!body.ok) return fail(c, 422, 'invalid', body.reason);
  const b = body.value as { reason?: string; value?: string | number; value_micros?: string };
  let valueMicros: bigint | undefined;
  if (command === 'restate') {
    const m = b.value_micros !== undefined ? parseConversionValue(b.value_micros, true) : parseConversionValue(b.value!);
    if (!m.ok) return fail(c, 422, 'invalid', m.reason);
    valueMicros = m.micros;
  }
  const r = await col.store.write((tx) =>
    commandConversion(tx, c.req.param('id')!, command, { advertiserId, reason: b.reason, valueMicros, at: col.clock() }),
  );
  if (!r.ok) return fail(c, r.status, r.status === 404 ? 'not_found' : r.status === 409 ? 'conflict' : 'invalid', r.reason);
  // Money moves in the charge's currency (the campaign's), not the one the value was reported in.
  const currency = r.currency ?? '';
  if (r.costDeltaMicros > 0n) col.metrics.billed.inc({ currency }, Number(r.costDeltaMicros));
  if (r.costDeltaMicros < 0n) col.metrics.credited.inc({ currency }, Number(-r.costDeltaMicros));
  return c.json({ conversion: conversionJson(r.conversion) });
}

function parseJson<T extends z.ZodType>(raw: string, schema: T): { ok: true; value: z.infer<T> } | { ok: false; reason: string } {
  let v: unknown;
  try {
    v = JSON.parse(raw || '{}');
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  const p = schema.safeParse(v);
  return p.success ? { ok: true, value: p.data } : { ok: false, reason: describeIssues(p.error) };
}

async function reject(
  c: Context,
  col: Collector,
  ctx: { receivedAt: number; endpoint: string },
  advertiserId: string | null,
  reason: string,
  detail: string,
  raw: string,
  status: 400 | 401 | 413,
) {
  col.metrics.received.inc({ type: 's2s' });
  col.metrics.rejected.inc({ reason });
  await col.committer
    .submit([
      { kind: 'rejected', rejected: { receivedAt: ctx.receivedAt, siteId: advertiserId ? `s2s:${advertiserId}` : null, endpoint: ctx.endpoint, eventType: 'cv', eventId: null, reason, detail, payload: raw ? raw.slice(0, 2048) : null } },
    ])
    .catch(() => undefined);
  return fail(c, status, reason, detail);
}
