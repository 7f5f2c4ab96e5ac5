/** Request schemas of the admin API (zod, strict): they validate requests and generate the docs. Queries: query-schemas.ts. */
import { z } from 'zod';
import { isCurrencyCode } from '../core/money';

/** IAB standard ad sizes a slot or creative may have. */
export const IAB_SIZES = [
  '300x250', '336x280', '728x90', '970x90', '970x250', '468x60', '320x50', '320x100', '300x50',
  '160x600', '120x600', '300x600', '250x250', '200x200',
] as const;

const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]{1,40}$/, 'lowercase letters, digits, _ and -, 2–41 characters');
const name = z.string().trim().min(1).max(120);
const micros = z.string().regex(/^\d{1,18}$/, 'integer micros as a string, e.g. "500000" for 0.50');
const size = z.enum(IAB_SIZES).describe('an IAB size such as 300x250');
const url = z.string().max(2048).regex(/^https?:\/\/[^\s\u0000-\u001F]+$/, 'an http(s) URL');
const host = z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$/i, 'a host name such as shop.example or localhost:8787').max(255);

export const advertiserCreate = z.strictObject({
  id: slug.optional(),
  name,
  currency: z.string().refine(isCurrencyCode, 'an ISO-4217 code such as EUR'),
});
export const advertiserPatch = z.strictObject({ name: name.optional() });

export const publisherCreate = z.strictObject({
  id: slug.optional(),
  name,
  revShareBps: z.number().int().min(0).max(10_000).default(7000).describe('share of advertiser cost paid to the publisher, basis points'),
});
export const publisherPatch = z.strictObject({ name: name.optional(), revShareBps: z.number().int().min(0).max(10_000).optional() });

export const siteCreate = z.strictObject({
  id: slug.optional(),
  name,
  ownerType: z.enum(['advertiser', 'publisher']).optional().describe('operator only; otherwise the caller'),
  ownerId: slug.optional().describe('operator only; otherwise the caller'),
  origins: z.array(z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i, 'an origin such as https://shop.example')).max(20).default([]),
});
export const sitePatch = z.strictObject({ name: name.optional(), origins: siteCreate.shape.origins.unwrap().optional() });

export const slotCreate = z.strictObject({ id: slug.optional(), siteId: slug, name, size });
export const slotPatch = z.strictObject({ name: name.optional(), size: size.optional(), status: z.enum(['active', 'paused']).optional() });

/** Money terms as sent over the API (micros as strings). */
export const termsInput = z.strictObject({
  costModel: z.enum(['cpc', 'cpm', 'cpa']),
  cpcMicros: micros.optional(),
  cpmMicros: micros.optional(),
  cpmBasis: z.enum(['viewable', 'served']).optional(),
  cpaFlatMicros: micros.optional(),
  cpaBps: z.number().int().min(0).max(10_000).optional(),
  payout: z
    .union([z.strictObject({ kind: z.literal('share'), bps: z.number().int().min(0).max(10_000) }), z.strictObject({ kind: z.literal('fixed'), micros })])
    .optional()
    .describe("publisher payout, operator only; default: the publisher's revenue share"),
  subsidy: z.boolean().optional().describe('operator only, default false: the platform may pay a fixed payout above the charge'),
  totalBudgetMicros: micros.nullable().optional(),
  dailyBudgetMicros: micros.nullable().optional(),
  publisherDailyCapMicros: micros.nullable().optional(),
  clickWindowDays: z.number().int().min(1).max(90).optional(),
  viewWindowDays: z.number().int().min(0).max(30).optional(),
  minConversionDelayMs: z.number().int().min(0).max(86_400_000).optional(),
  duplicateClickWindowMs: z.number().int().min(0).max(86_400_000).optional(),
  priority: z.number().int().min(-1000).max(1000).optional(),
});

export const campaignCreate = z.strictObject({
  id: slug.optional(),
  advertiserId: slug.optional().describe('operator only; otherwise the caller'),
  name,
  status: z.enum(['active', 'paused']).default('active'),
  landingUrl: url,
  allowedHosts: z.array(host).max(20).default([]),
  terms: termsInput,
});
export const campaignPatch = z.strictObject({
  name: name.optional(),
  status: z.enum(['active', 'paused', 'archived']).optional(),
  landingUrl: url.optional(),
  allowedHosts: z.array(host).max(20).optional(),
  terms: termsInput.partial().optional().describe('changed fields only; any change creates a new terms version'),
});

export const creativeCreate = z.strictObject({
  id: slug.optional(),
  campaignId: slug,
  size,
  imageUrl: z.string().max(2048).regex(/^(https?:\/\/|\/)[^\s\u0000-\u001F]*$/, 'an http(s) URL or a path on this server'),
  alt: z.string().trim().min(1).max(200),
  landingUrl: url.optional().describe("defaults to the campaign's landing URL; must be on one of its allowed hosts"),
});
export const creativePatch = z.strictObject({
  imageUrl: creativeCreate.shape.imageUrl.optional(),
  alt: creativeCreate.shape.alt.optional(),
  landingUrl: url.optional(),
  status: z.enum(['active', 'paused']).optional(),
});

export const actionPut = z.strictObject({
  advertiserId: slug.optional().describe('operator only; otherwise the caller'),
  name,
  counting: z.enum(['every', 'one']).default('every'),
  model: z.enum(['last_click', 'first_click']).default('last_click'),
  clickWindowDays: z.number().int().min(1).max(90).nullable().default(null),
  viewWindowDays: z.number().int().min(0).max(30).nullable().default(null),
});
