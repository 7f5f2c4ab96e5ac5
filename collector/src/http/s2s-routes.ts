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
 * Commands (`/v1/conversions/:id/{reverse,restate,approve,reject,dispute}`) take the same signature or an
 * advertiser/operator API key (`auth('s2s', 'advertiser', 'operator')`). Approve and reject are
 * review decisions for held conversions. Another advertiser's conversion is answered like an
 * unknown one (404).
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { parseConversionValue } from '../core/money';
import type { ConversionCommand } from '../core/conversion-status';
import { commandBody, describeIssues, disputeBody, reasonBody, restateBody, s2sConversion } from '../ingest/beacon-schema';
import { commandConversion } from '../ingest/conversion-commands';
import { invalidateClick } from '../ingest/click-invalidation';
import { OverloadedError } from '../ingest/group-commit';
import type { ItemResult } from '../ingest/items';
import { rolledBack } from '../store/rolled-back';
import type { ConversionRecord, WriteTx } from '../store/store';
import { conflictAnswer, conversionAnswer, errorAnswer, invalidateAnswer, s2sAnswer } from './answer-schemas';
import { bodyText, limitBody } from './body-limit';
import { fail, payloadHash, requestContext, type AppEnv, type Collector } from './context';
import { conversionJson } from './json';
import { clickIdParam, idParam } from './query-schemas';
import { createRouter, type Router } from './router';
import { verifySignature } from './s2s-signature';

export { S2S_TOLERANCE_SECONDS, signS2s } from './s2s-signature';

const MAX_S2S_BYTES = 16 * 1024;

/** The S2S conversion and the conversion commands. */
export function s2sRoutes(col: Collector): Router {
  const r = createRouter(col, 'Conversions');

  // An oversized postback is refused before it is read, and kept and counted like any refusal.
  const conversionLimit = limitBody(MAX_S2S_BYTES, (c) =>
    reject(c, col, requestContext(col, c, '/v1/conversions'), null, 'body_too_large', `at most ${MAX_S2S_BYTES} bytes`, '', 413),
  );

  // The signature is checked in the handler rather than by auth('s2s') (inHandler): a refused
  // postback is kept in rejected_events with its payload (ingest rules), which no other route does.
  r.route(
    {
      method: 'post',
      path: '/v1/conversions',
      summary: 'A signed server-to-server conversion; merged with the browser beacon for the same event_id or order (the signed value wins).',
      roles: ['s2s'],
      body: s2sConversion,
      inHandler: true,
      responses: {
        200: s2sAnswer.describe('exact replay'),
        201: s2sAnswer.describe('stored (or merged)'),
        400: errorAnswer.describe('not JSON, or not a conversion'),
        401: errorAnswer.describe('bad signature'),
        409: conflictAnswer.describe('same key, other payload'),
        413: errorAnswer.describe('too large'),
        422: errorAnswer.describe('refused by the pipeline'),
        503: errorAnswer.describe('overloaded: retry after Retry-After'),
      },
    },
    async (c) => {
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
        const [res] = await col.committer.submit([
          { kind: 's2s', advertiserId: auth.advertiserId, body: parsed.data, payloadHash: payloadHash(parsed.data as Record<string, unknown>), ctx: { ...ctx, ivt: null } },
        ]);
        if (!res) throw new Error('no result');
        // Counted once it has an outcome: a 503 below takes nothing and the sender retries.
        col.metrics.received.inc({ type: 's2s' });
        if (res.status === 'conflict') col.metrics.conflicts.inc({ type: 's2s' });
        else if (res.status === 'rejected') col.metrics.rejected.inc({ reason: res.reason ?? 'rejected' });
        else if (res.status === 'duplicate') col.metrics.deduplicated.inc({ type: 's2s' });
        else col.metrics.accepted.inc({ type: 's2s' });
        const conv = res.conversionId && (res.status === 'accepted' || res.status === 'duplicate') ? await col.store.reports.conversion(res.conversionId) : null;
        const a = s2sAnswerOf(res, conv);
        return c.json(a.body, a.status);
      } catch (err) {
        if (err instanceof OverloadedError) return fail(c, 503, 'overloaded', 'retry later', { 'Retry-After': String(err.retryAfterSeconds) });
        col.logger.error({ err }, 's2s conversion failed');
        return fail(c, 503, 'store_unavailable', 'retry later', { 'Retry-After': '5' });
      }
    },
    conversionLimit,
  );

  const summaries: Record<ConversionCommand, string> = {
    reverse: 'Reverse a conversion (refund, cancellation): a clawback entry group if it was charged.',
    restate: 'Restate the value: the charge difference is posted as a new entry group.',
    approve: 'Approve a held conversion: it is priced and charged now.',
    reject: 'Reject a held conversion.',
    dispute:
      'Dispute a charged conversion (a reason is required): it is held for the operator, its charge standing until the operator approves (dismisses), reverses or restates it. No money moves.',
  };
  for (const command of ['reverse', 'restate', 'approve', 'reject', 'dispute'] as const) {
    r.route(
      {
        method: 'post',
        path: `/v1/conversions/:id/${command}`,
        summary: summaries[command],
        roles: ['s2s', 'advertiser', 'operator'],
        params: idParam,
        body: command === 'restate' ? restateBody : command === 'dispute' ? disputeBody : commandBody,
        maxBytes: MAX_S2S_BYTES,
        responses: {
          200: z.object({
            conversion: conversionAnswer,
            dryRun: z.boolean().describe('true: nothing was kept'),
            costDeltaMicros: z.string().describe("the advertiser's cost moved (negative: given back)"),
            currency: z.string().nullable(),
          }),
          409: errorAnswer.describe('not allowed in its current state'), 422: errorAnswer.describe('cannot be priced') },
      },
      (c) => runCommand(c, col, command, c.req.valid('json') as { reason?: string; value?: string; value_micros?: string; dry_run?: boolean }),
    );
  }

  r.route(
    {
      method: 'post',
      path: '/v1/clicks/:clickId/invalidate',
      summary:
        'Flag a click as invalid traffic found later: its CPC charge is reversed by an invalidation entry group, and every conversion it won is reversed (clawback) or, if held, rejected. Answers what was given back in total and per conversion.',
      roles: ['operator'],
      params: clickIdParam,
      body: reasonBody,
      maxBytes: MAX_S2S_BYTES,
      responses: { 200: invalidateAnswer },
    },
    async (c) => {
      const { clickId } = c.req.valid('param');
      const res = await col.store.write((tx) => invalidateClick(tx, clickId, c.req.valid('json').reason ?? 'invalid traffic found later', col.clock()));
      if (!res.ok) return fail(c, 404, 'not_found', `no click ${clickId}`);
      const total = res.conversions.reduce((s, x) => s + x.reversedMicros, res.clickMicros);
      if (total > 0n) col.metrics.credited.inc({ currency: res.currency ?? '' }, Number(total));
      return c.json({
        click_id: clickId,
        reversed_micros: String(total),
        click_reversed_micros: String(res.clickMicros),
        conversions: res.conversions.map((x) => ({ id: x.id, status: x.status, reversed_micros: String(x.reversedMicros) })),
      });
    },
  );
  return r;
}

/** The status and body the S2S endpoint answers for a pipeline result (shared with the postback console's test run). */
export function s2sAnswerOf(res: ItemResult, conv: ConversionRecord | null): { status: 200 | 201 | 409 | 422; body: Record<string, unknown> } {
  if (res.status === 'conflict') return { status: 409, body: { error: 'conflict', reason: res.reason, conversion_id: res.conversionId ?? null } };
  if (res.status === 'rejected') return { status: 422, body: { error: 'rejected', reason: res.reason ?? 'rejected' } };
  return {
    status: res.status === 'duplicate' ? 200 : 201,
    body: {
      status: res.status === 'duplicate' ? 'duplicate' : res.reason === 'merged' ? 'merged' : 'stored',
      // What this postback was charged, in the campaign's currency: a replay answers the same.
      billedMicros: res.billedMicros ?? '0',
      currency: res.currency ?? null,
      conversion: conv ? conversionJson(conv) : null,
    },
  };
}

/** Runs a conversion command for the caller (an advertiser only on its own conversions: 404 otherwise). */
async function runCommand(c: Context<AppEnv>, col: Collector, command: ConversionCommand, b: { reason?: string; value?: string; value_micros?: string; dry_run?: boolean }) {
  const who = c.var.principal;
  let valueMicros: bigint | undefined;
  if (command === 'restate') {
    // The body's shape was validated (400); a value past the documented bound is refused as 422.
    const m = b.value_micros !== undefined ? parseConversionValue(b.value_micros, true) : parseConversionValue(b.value!);
    if (!m.ok) return fail(c, 422, 'invalid', m.reason);
    valueMicros = m.micros;
  }
  const id = c.req.param('id')!;
  const run = (tx: WriteTx) => commandConversion(tx, id, command, { advertiserId: who.kind === 'advertiser' ? who.id : undefined, reason: b.reason, valueMicros, at: col.clock() });
  // A dry run (the dashboard's confirmation step) plans with the same code and keeps nothing.
  const res = b.dry_run ? await rolledBack(col.store, run) : await col.store.write(run);
  if (!res.ok) return fail(c, res.status, res.status === 404 ? 'not_found' : res.status === 409 ? 'conflict' : 'invalid', res.status === 404 ? `no conversion ${id}` : res.reason);
  if (!b.dry_run) countMoneyMoved(col, res.costDeltaMicros, res.currency);
  return c.json({ conversion: conversionJson(res.conversion), dryRun: !!b.dry_run, costDeltaMicros: String(res.costDeltaMicros), currency: res.currency });
}

/** Counts what a command billed or gave back, in the charge's currency (the campaign's), not the one the value was reported in. */
export function countMoneyMoved(col: Collector, costDeltaMicros: bigint, currency: string | null): void {
  if (costDeltaMicros > 0n) col.metrics.billed.inc({ currency: currency ?? '' }, Number(costDeltaMicros));
  if (costDeltaMicros < 0n) col.metrics.credited.inc({ currency: currency ?? '' }, Number(-costDeltaMicros));
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
