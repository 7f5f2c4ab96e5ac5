/**
 * Path params and query strings of every API route (issue 16 item 7): each route takes exactly the
 * parameters it uses (strict: an unknown one is a 400, so a typo is never silently ignored), every
 * number has a range, every date is epoch ms with `from` ≤ `to`, every ID and cursor a fixed shape.
 * A value outside them answers 400 `invalid_query` / `invalid_path` with the reason (validate.ts),
 * before any query runs.
 */
import { z } from 'zod';

/** An object ID as it may appear in a path or query: what the collector mints or the operator chose. */
export const ref = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'an ID: 1–128 letters, digits, _ or -');
const epochMs = z.string().regex(/^\d{1,15}$/, 'epoch milliseconds, e.g. 1764400000000').transform(Number);
const limit = (max: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, `a whole number from 1 to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `at least 1`).max(max, `at most ${max}`))
    .describe(`rows per page, 1–${max}`);
const conversionStatus = z.enum(['pending', 'approved', 'rejected', 'unattributed', 'reversed', 'restated', 'disputed']);

/** `{ id }` of `/…/:id` routes. */
export const idParam = z.strictObject({ id: ref });
/** `{ clickId }` of `/v1/clicks/:clickId/invalidate`. */
export const clickIdParam = z.strictObject({ clickId: ref });
/** `{ key }` of `/v1/conversion-actions/:key`. */
export const actionKeyParam = z.strictObject({ key: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'lowercase letters, digits, _ and -, 1–64 characters') });

const range = {
  from: epochMs.optional().describe('epoch ms, default 30 days before `to`'),
  to: epochMs.optional().describe('epoch ms (exclusive), default now'),
};
/** `from` must not be after `to`. */
const ordered = <T extends z.ZodObject>(o: T) =>
  o.refine((q: { from?: number; to?: number }) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

/** GET /v1/reports/performance. */
export const performanceQuery = ordered(
  z.strictObject({
    ...range,
    groupBy: z.enum(['campaign', 'slot', 'publisher', 'creative']).optional(),
    perDay: z.enum(['0', '1']).optional().describe('1: one row per UTC day'),
    advertiserId: ref.optional(),
    publisherId: ref.optional(),
    campaignId: ref.optional(),
  }),
);

/** The conversion states a list may be filtered by; `held` is the review queue (pending and disputed). */
export const conversionStatusFilter = z.union([conversionStatus, z.literal('held')]);
const conversionFilter = {
  ...range,
  advertiserId: ref.optional(),
  campaignId: ref.optional(),
  publisherId: ref.optional(),
  status: conversionStatusFilter.optional().describe('a state, or `held`: the review queue (pending and disputed)'),
  action: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'a conversion action key: lowercase letters, digits, _ and -, 1–64 characters').optional(),
  orderId: z
    .string()
    .min(1, 'an order ID')
    .max(128, 'at most 128 characters')
    .refine((s) => !/[\u0000-\u001F\u007F]/.test(s), 'no control characters')
    .optional()
    .describe('exact order ID'),
};
/** GET /v1/conversions (`before`: the `next` of the previous page, `<receivedAt>_<id>`). */
export const conversionsQuery = ordered(
  z.strictObject({
    ...conversionFilter,
    limit: limit(5000).optional(),
    before: z
      .string()
      .regex(/^\d{1,15}_[A-Za-z0-9_-]{1,128}$/, 'not a conversions cursor (use the `next` of the previous page)')
      .transform((v) => ({ receivedAt: Number(v.slice(0, v.indexOf('_'))), id: v.slice(v.indexOf('_') + 1) }))
      .optional()
      .describe('paging cursor: the `next` of the previous page'),
  }),
);
/** GET /v1/conversions.csv. */
export const conversionsCsvQuery = ordered(z.strictObject(conversionFilter));

const ledgerFilter = {
  ...range,
  advertiserId: ref.optional(),
  publisherId: ref.optional(),
  campaignId: ref.optional(),
  kind: z.enum(['charge', 'reversal', 'invalidation', 'restatement', 'payout']).optional().describe('only entry groups of this kind'),
};
/** GET /v1/ledger (`before`: the `next` of the previous page, a group ID). */
export const ledgerQuery = ordered(
  z.strictObject({
    ...ledgerFilter,
    limit: limit(5000).optional(),
    before: z
      .string()
      .regex(/^[1-9]\d{0,14}$/, 'not a ledger cursor (use the `next` of the previous page)')
      .transform(Number)
      .optional()
      .describe('paging cursor: the `next` of the previous page'),
  }),
);
/** GET /v1/ledger.csv. */
export const ledgerCsvQuery = ordered(z.strictObject(ledgerFilter));

/** GET /v1/feed. */
export const feedQuery = z.strictObject({
  after: epochMs.optional().describe('only events received after this epoch ms (poll with the last `now`)'),
  limit: limit(200).optional(),
  siteId: ref.optional().describe('page views and refusals of one of your sites'),
  advertiserId: ref.optional(),
  publisherId: ref.optional(),
  campaignId: ref.optional(),
});

/** GET /v1/rejected. */
export const rejectedQuery = ordered(z.strictObject({ ...range, siteId: ref.optional(), limit: limit(5000).optional() }));

/** GET /v1/sites/:id/activity (default: the last 24 hours). */
export const activityQuery = ordered(z.strictObject(range));

/** GET /v1/statements: a period (from before to; default from 0 to now) and, for the operator, the party. */
export const statementsQuery = z.strictObject({ ...range, advertiserId: ref.optional(), publisherId: ref.optional() });

/** Routes that take no query parameter at all. */
export const noQuery = z.strictObject({});

/** GET /v1/campaigns, /v1/conversion-actions (the operator names the advertiser). */
export const advertiserQuery = z.strictObject({ advertiserId: ref.optional() });
/** GET /v1/creatives. */
export const creativesQuery = z.strictObject({ campaignId: ref.optional() });
/** GET /v1/slots. */
export const slotsQuery = z.strictObject({ siteId: ref.optional() });
