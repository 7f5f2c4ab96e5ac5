/**
 * Response schemas (zod) of the API: what each route answers, for the OpenAPI document. Money is a
 * decimal string of integer micros, times are epoch milliseconds. The role projections (role-view.ts)
 * have their own schemas: a publisher's performance row and ledger group are not an advertiser's.
 */
import { z } from 'zod';

const micros = z.string().regex(/^-?\d+$/).describe('integer micros as a decimal string');
const at = z.number().int().describe('epoch ms');
const id = z.string();

/** Every 4xx/5xx answer. */
export const errorAnswer = z.object({ error: z.string().describe('a stable code, e.g. invalid_query'), reason: z.string().describe('what to change') });

/** An advertiser (its S2S secrets masked). */
export const advertiserAnswer = z.object({ id, name: z.string(), currency: z.string(), s2sSecrets: z.array(z.string()).describe('masked except when created or rotated'), createdAt: at, updatedAt: at });
/** A publisher with its revenue share. */
export const publisherAnswer = z.object({ id, name: z.string(), revShareBps: z.number().int(), createdAt: at, updatedAt: at });
/** A site: where the tag runs, and whose it is. */
export const siteAnswer = z.object({ id, ownerType: z.enum(['advertiser', 'publisher']), ownerId: id, name: z.string(), origins: z.array(z.string()), createdAt: at, updatedAt: at });
/** An ad slot on a publisher site. */
export const slotAnswer = z.object({ id, siteId: id, publisherId: id, name: z.string(), width: z.number().int(), height: z.number().int(), status: z.enum(['active', 'paused']), createdAt: at, updatedAt: at });
/** A campaign's money terms (one version). */
export const termsAnswer = z.object({
  version: z.number().int(),
  currency: z.string(),
  costModel: z.enum(['cpc', 'cpm', 'cpa']),
  cpcMicros: micros.nullable(),
  cpmMicros: micros.nullable(),
  cpmBasis: z.enum(['viewable', 'served']),
  cpaFlatMicros: micros.nullable(),
  cpaBps: z.number().int(),
  payout: z.union([z.object({ kind: z.literal('share'), bps: z.number().int() }), z.object({ kind: z.literal('fixed'), micros })]),
  subsidy: z.boolean().describe('the operator pays a fixed payout above the charge'),
  totalBudgetMicros: micros.nullable(),
  dailyBudgetMicros: micros.nullable(),
  publisherDailyCapMicros: micros.nullable(),
  clickWindowDays: z.number().int(),
  viewWindowDays: z.number().int(),
  minConversionDelayMs: z.number().int(),
  duplicateClickWindowMs: z.number().int(),
  priority: z.number().int(),
});
/** A campaign with its current terms. */
export const campaignAnswer = z.object({
  id,
  advertiserId: id,
  name: z.string(),
  status: z.enum(['active', 'paused', 'archived']),
  landingUrl: z.string(),
  allowedHosts: z.array(z.string()),
  terms: termsAnswer,
  createdAt: at,
  updatedAt: at,
});
/** A creative: image, landing URL, size. */
export const creativeAnswer = z.object({ id, campaignId: id, width: z.number().int(), height: z.number().int(), imageUrl: z.string(), alt: z.string(), landingUrl: z.string(), status: z.enum(['active', 'paused']), createdAt: at, updatedAt: at });
/** An advertiser's conversion action. */
export const conversionActionAnswer = z.object({
  advertiserId: id,
  key: z.string(),
  name: z.string(),
  counting: z.enum(['every', 'one']),
  model: z.enum(['last_click', 'first_click']),
  clickWindowDays: z.number().int().nullable(),
  viewWindowDays: z.number().int().nullable(),
  createdAt: at,
  updatedAt: at,
});

/** A conversion with its explain record (operator and its advertiser only). */
export const conversionAnswer = z.object({
  id,
  advertiserId: id,
  siteId: id.nullable(),
  actionKey: z.string(),
  orderId: z.string().nullable(),
  eventId: z.string(),
  origin: z.enum(['beacon', 's2s', 'both']),
  clickIds: z.array(z.string()),
  otherClickIds: z.record(z.string(), z.string()),
  valueMicros: micros,
  currency: z.string().nullable(),
  at,
  receivedAt: at,
  status: z.enum(['pending', 'approved', 'rejected', 'unattributed', 'reversed', 'restated', 'disputed']),
  statusReason: z.string().nullable(),
  campaignId: id.nullable(),
  publisherId: id.nullable(),
  creativeId: id.nullable(),
  slotId: id.nullable(),
  touchId: id.nullable(),
  touchKind: z.enum(['click', 'view']).nullable(),
  termsVersion: z.number().int().nullable(),
  costMicros: micros,
  decision: z.unknown().describe('the explain record: every candidate touch, why it won or lost, and the money split'),
  restatements: z.number().int(),
  updatedAt: at,
});

const leg = z.object({ account: z.string().describe('advertiser:<id>, publisher:<id>, platform or payouts (cash paid out to publishers)'), side: z.enum(['debit', 'credit']), micros });
/** An entry group as the operator and its advertiser see it: every leg, the action and its key. */
export const entryGroupAnswer = z.object({
  id: z.number().int(),
  key: z.string().describe('idempotency key derived from the billed action'),
  kind: z.enum(['charge', 'reversal', 'invalidation', 'restatement', 'payout']),
  postedAt: at,
  meta: z.object({
    refType: z.enum(['click', 'impression', 'conversion', 'payout']),
    refId: id,
    campaignId: id,
    advertiserId: id,
    publisherId: id,
    slotId: id.nullable().optional(),
    termsVersion: z.number().int(),
    currency: z.string(),
    at,
    reason: z.string().nullable(),
  }),
  legs: z.array(leg),
});
/** An entry group as a publisher sees it: its own leg only, none of the advertiser's action IDs or keys. */
export const publisherEntryGroupAnswer = z.object({
  id: z.number().int(),
  kind: entryGroupAnswer.shape.kind,
  meta: z.object({ at, campaignId: id, slotId: id.nullable(), currency: z.string(), reason: z.string().nullable() }),
  legs: z.array(leg),
});

const traffic = {
  key: z.string().describe('the campaign, slot, publisher or creative ID'),
  day: z.string().optional().describe('UTC day, with perDay=1'),
  currency: z.string(),
  served: z.number().int(),
  viewable: z.number().int(),
  clicks: z.number().int(),
  invalidImpressions: z.number().int(),
  invalidServed: z.number().int(),
  invalidViewable: z.number().int(),
  invalidClicks: z.number().int(),
  earningMicros: micros.describe("the publishers' earning"),
};
const ecpm = {
  ecpmServedMicros: micros.nullable().describe('publisher earning per 1,000 served impressions (null without any)'),
  ecpmViewableMicros: micros.nullable().describe('publisher earning per 1,000 viewable impressions (null without any)'),
};
const money = {
  conversions: z.number().int(),
  valueMicros: micros.describe('conversion value'),
  costMicros: micros.describe("the advertiser's cost"),
  platformMicros: micros.describe("the platform's margin of these charges"),
};
/** A performance row, by role: the operator sees all of it, an advertiser no eCPM, a publisher no money but its own. */
export const performanceRowAnswer = {
  operator: z.object({ ...traffic, ...money, ...ecpm }),
  advertiser: z.object({ ...traffic, ...money }),
  publisher: z.object({ ...traffic, ...ecpm }),
};
/** GET /v1/reports/performance: rows as the caller may see them. */
export const performanceAnswer = z.object({
  from: at,
  to: at,
  groupBy: z.enum(['campaign', 'slot', 'publisher', 'creative']),
  rows: z.array(z.union([performanceRowAnswer.operator, performanceRowAnswer.advertiser, performanceRowAnswer.publisher])),
});

/** One line of the live feed. */
export const feedItemAnswer = z.object({
  type: z.enum(['pageview', 'served', 'viewable', 'click', 'conversion', 'rejected']),
  at,
  siteId: id.nullable(),
  summary: z.string().describe('one line; money as the caller may see it (a publisher: its earning)'),
  invalidReason: z.string().nullable(),
  campaignId: id.nullable().optional(),
  billing: z.string().nullable().optional().describe('impressions and clicks: how billing decided (charged, no_charge, …); not for publishers'),
  conversionId: id.nullable().optional().describe('conversions: the conversion (GET /v1/conversions/:id); not for publishers'),
  status: z.string().nullable().optional().describe('conversions: its state'),
  actionKey: z.string().nullable().optional().describe('conversions: its action'),
  costMicros: z.string().optional().describe("the advertiser's cost (operator, advertiser)"),
  earningMicros: z.string().optional().describe("the publisher's earning (publishers: their own)"),
});

/** A refused event as kept in rejected_events. */
export const rejectedEventAnswer = z.object({
  receivedAt: at,
  siteId: id.nullable(),
  endpoint: z.string(),
  eventType: z.string().nullable(),
  eventId: z.string().nullable(),
  reason: z.string(),
  detail: z.string().nullable(),
  payload: z.string().nullable(),
});
/** How many refusals had one reason. */
export const reasonCount = z.object({ reason: z.string(), count: z.number().int() });

const balances = z.record(z.string(), micros);
/** Σ debits, Σ credits and balances, per currency and overall (operator). */
export const ledgerTotalsAnswer = z.object({
  debitsMicros: micros,
  creditsMicros: micros,
  balanced: z.boolean(),
  groups: z.number().int(),
  balances,
  currencies: z.array(z.object({ currency: z.string(), debitsMicros: micros, creditsMicros: micros, balanced: z.boolean(), groups: z.number().int(), balances })),
});

/** What a beacon batch came to, event by event. */
export const beaconAnswer = z.object({
  accepted: z.number().int(),
  duplicate: z.number().int(),
  rejected: z.array(z.object({ i: z.string(), reason: z.string() })),
  conflict: z.array(z.object({ i: z.string(), reason: z.string() })),
});
/** The ad decision of GET /ad. */
export const adAnswer = z.object({
  ad: z
    .object({ w: z.number().int(), h: z.number().int(), img: z.string(), alt: z.string(), href: z.string().describe('the click redirect GET /c/:token'), tk: z.string().describe('signed decision token') })
    .nullable(),
});
/** The outcome of a signed S2S conversion. */
export const s2sAnswer = z.object({
  status: z.enum(['stored', 'merged', 'duplicate']),
  billedMicros: micros.describe('what this postback was charged; a replay answers the same'),
  currency: z.string().nullable().describe("the charge's currency (the campaign's)"),
  conversion: conversionAnswer.nullable(),
});
/** A 409: the same key with another payload. */
export const conflictAnswer = errorAnswer.extend({ conversion_id: z.string().nullable() });
/** What invalidating a click gave back. */
export const invalidateAnswer = z.object({
  click_id: z.string(),
  reversed_micros: micros,
  click_reversed_micros: micros,
  conversions: z.array(z.object({ id: z.string(), status: z.string(), reversed_micros: micros })),
});
