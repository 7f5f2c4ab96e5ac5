/**
 * Wire schemas for beacons (ARCHITECTURE.md "Wire format") and server-to-server conversions,
 * with zod: strict and flat — unknown keys, nested values and numbers above 2^53 are refused with
 * a reason. The same schemas generate the OpenAPI document, so docs cannot drift from validation.
 */
import { z } from 'zod';
import { parseConversionValue, isCurrencyCode } from '../core/money';

export const MAX_EVENTS_PER_BATCH = 50;
export const OTHER_CLICK_ID_KEYS = ['gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid'] as const;
/** The landing's UTM parameters, kept by the SDK with the click IDs and sent with page views and conversions (reporting only). */
export const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;

const id = (max = 64) => z.string().regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, _ and -').min(1).max(max);
const epochMs = z.number().int('must be an integer').min(0).max(Number.MAX_SAFE_INTEGER, 'must not exceed 2^53');
const text = (max: number) => z.string().max(max).refine((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(s), 'control characters');
/** `dry_run: true` on a conversion command: answer what it would do (the money it moves) and keep nothing. */
const dryRun = z.boolean().optional().describe('true: plan it in a transaction that is rolled back, and answer what it would move');
const eventId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8–64 letters, digits, _ or - (a UUID)');
const clickIdList = z
  .string()
  .max(5 * 40)
  .regex(/^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){0,4}$/, 'comma-separated click IDs, at most 5');
const currency = z.string().refine(isCurrencyCode, 'must be an ISO-4217 code like EUR');
/** A conversion value in currency units ("49.90"), exact, within MAX_CONVERSION_VALUE_MICROS (money.ts). */
const money = z.union([z.string().max(32), z.number()]).superRefine((v, ctx) => {
  const r = parseConversionValue(v);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
});
/** A conversion value in integer micros ("49900000"), within the same bound. */
const microsValue = z
  .string()
  .regex(/^\d{1,19}$/)
  .superRefine((v, ctx) => {
    const r = parseConversionValue(v, true);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
  });

// Other platforms' click IDs are for reporting only: one that is too long or malformed is dropped
// from the event rather than getting the whole event — maybe a conversion — refused.
const otherClickIds = Object.fromEntries(OTHER_CLICK_ID_KEYS.map((k) => [k, text(512).optional().catch(undefined)])) as Record<
  (typeof OTHER_CLICK_ID_KEYS)[number],
  z.ZodCatch<z.ZodOptional<z.ZodString>>
>;

// UTM values are reporting data too: one that is too long or has control characters is dropped,
// never the event that carries it.
const utm = Object.fromEntries(UTM_KEYS.map((k) => [k, text(512).optional().catch(undefined)])) as Record<(typeof UTM_KEYS)[number], z.ZodCatch<z.ZodOptional<z.ZodString>>>;

const common = {
  i: eventId,
  ts: epochMs,
  p: id(64).optional(),
  cl: z.literal('1').optional(),
};

export const pageViewEvent = z.strictObject({
  t: z.literal('pv'),
  ...common,
  u: text(2048).optional(),
  r: text(2048).optional(),
  k: clickIdList.optional(),
  ...otherClickIds,
  ...utm,
});
export const impressionEvent = z.strictObject({ t: z.enum(['imp', 'vi']), ...common, tk: z.string().min(1).max(1024) });
export const clickEvent = z.strictObject({ t: z.literal('clk'), ...common, tk: z.string().min(1).max(1024) });
export const conversionEvent = z.strictObject({
  t: z.literal('cv'),
  ...common,
  a: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'lowercase letters, digits, _ and -, at most 64').optional(),
  k: clickIdList.optional(),
  v: money.optional(),
  c: currency.optional(),
  o: text(128).min(1).optional(),
  u: text(2048).optional(),
  ...otherClickIds,
  ...utm,
});
export const vitalEvent = z.strictObject({
  t: z.literal('wv'),
  ...common,
  mn: z.enum(['LCP', 'INP', 'CLS', 'FCP', 'TTFB']),
  mv: z.number().finite().min(0).max(1e9),
});

/**
 * A command the tag did not know (`pp('conversoin')`), reported by the SDK so the site owner sees it:
 * it is kept as a rejected event (`unknown_command`), never counted.
 */
export const unknownCommandEvent = z.strictObject({ t: z.literal('uc'), ...common, a: text(200).optional() });

/** One beacon event, flat. */
export const beaconEvent = z.discriminatedUnion('t', [pageViewEvent, impressionEvent, clickEvent, conversionEvent, vitalEvent, unknownCommandEvent]);
export type BeaconEvent = z.infer<typeof beaconEvent>;

/** A batch: site, client send time, events (each validated on its own). */
export const beaconBatch = z.strictObject({
  s: id(64),
  n: epochMs.optional(),
  e: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_BATCH),
});

/** The query-string pixel: one event as parameters (`GET /p.gif`). */
export const pixelQuery = z.record(z.string(), z.string().max(2048));

/** Server-to-server conversion (`POST /v1/conversions`), signed by the advertiser. */
export const s2sConversion = z
  .strictObject({
    event_id: eventId,
    action: z.string().regex(/^[a-z0-9_-]{1,64}$/).default('conversion'),
    click_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    click_ids: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)).max(5).optional(),
    order_id: text(128).min(1).optional(),
    value: money.optional().describe('decimal string in currency units, e.g. "49.90"'),
    value_micros: microsValue.optional().describe('integer micros as a string, e.g. "49900000"'),
    currency: currency.optional(),
    occurred_at: epochMs.optional().describe('when it happened, epoch ms (defaults to receipt)'),
    site_id: id(64).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.value !== undefined && v.value_micros !== undefined) ctx.addIssue({ code: 'custom', message: 'give value or value_micros, not both' });
  });
export type S2sConversion = z.infer<typeof s2sConversion>;

/** Restating a conversion's value. */
export const restateBody = z
  .strictObject({
    value: money.optional(),
    value_micros: microsValue.optional(),
    reason: text(500).optional(),
    dry_run: dryRun,
  })
  .refine((v) => (v.value === undefined) !== (v.value_micros === undefined), 'give exactly one of value or value_micros');

/** Reversing (or approving / rejecting) a conversion. */
export const reasonBody = z.strictObject({ reason: text(500).optional() });

/** Reversing, approving or rejecting a conversion (a dry run answers what it would move). */
export const commandBody = z.strictObject({ reason: text(500).optional(), dry_run: dryRun });

/** Disputing a conversion: the operator decides on the advertiser's reason, so it is required. */
export const disputeBody = z.strictObject({ reason: text(500).refine((r) => r.trim().length > 0, 'a dispute needs a reason'), dry_run: dryRun });

/** One readable line for a zod error: the first issue, with its path. */
export function describeIssues(error: z.ZodError): string {
  const i = error.issues[0];
  if (!i) return 'invalid';
  if (i.code === 'unrecognized_keys') return `unknown field ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  const path = i.path.length ? `${i.path.join('.')}: ` : '';
  return `${path}${i.message}`;
}
