/**
 * The admin API (SPEC §3.1, issue "Campaigns and ad serving"): advertisers, publishers, sites,
 * slots, campaigns (every terms change is a new version), creatives and conversion actions.
 *
 * Who may do what (`roles` of each route, enforced by `auth(...roles)`; objects by the `owned*`
 * loaders of auth.ts):
 * | object             | operator | advertiser            | publisher            |
 * |--------------------|----------|-----------------------|----------------------|
 * | advertisers        | all      | read/rename self, rotate own secret and key | —  |
 * | publishers         | all      | —                     | read/rename self, rotate own key |
 * | sites              | all      | own (conversion sites)| own (ad inventory)   |
 * | slots              | all      | —                     | on own sites         |
 * | campaigns, creatives, conversion actions | all | own | —                     |
 * | publisher payouts, revenue shares, subsidies | set | — (403 payout_is_operator_only) | — |
 * | client-chosen `id` on create | yes | — (400 id_not_allowed) | — (400 id_not_allowed) |
 *
 * Missing or unknown key: 401. A route not for the key's role: 403. Someone else's object: the
 * same 404 as an unknown one (issue 16 item 9). Bad input: 400 with the reason.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { z } from 'zod';
import { checkTerms, DEFAULT_TERMS, defaultViewWindowDays, type CampaignTerms } from '../core/terms';
import { allowedHosts, landsOn, parseLanding } from '../serving/landing';
import { describeIssues } from '../ingest/beacon-schema';
import {
  actionPut,
  advertiserCreate,
  advertiserPatch,
  campaignCreate,
  campaignPatch,
  creativeCreate,
  creativePatch,
  publisherCreate,
  publisherPatch,
  siteCreate,
  sitePatch,
  slotCreate,
  slotPatch,
  termsInput,
} from './admin-schemas';
import {
  advertiserAnswer,
  campaignAnswer,
  conversionActionAnswer,
  creativeAnswer,
  errorAnswer,
  publisherAnswer,
  siteAnswer,
  slotAnswer,
  termsAnswer,
} from './answer-schemas';
import { forgetKeys, hashKey, httpError, newApiKey, ownedAdvertiser, ownedCampaign, ownedCreative, ownedPublisher, ownedSite, ownedSlot, type Auth } from './auth';
import { fail, type Collector } from './context';
import { advertiserJson, campaignJson, termsJson } from './json';
import { actionKeyParam, advertiserQuery, creativesQuery, idParam, noQuery, slotsQuery } from './query-schemas';
import { createRouter, type Router } from './router';

const one = <K extends string, S extends z.ZodType>(key: K, s: S) => z.object({ [key]: s } as Record<K, S>);
const list = <K extends string, S extends z.ZodType>(key: K, s: S) => z.object({ [key]: z.array(s) } as Record<K, z.ZodArray<S>>);
const created = (what: string, s: z.ZodType) => ({ 201: s.describe(`the new ${what}`), 409: errorAnswer.describe('the ID is taken (operator only: others cannot choose IDs)') });

/** Refuses a client-chosen ID from anyone but the operator (one answer, whether the ID is free or taken). */
function chosenId(who: Auth, id: string | undefined): void {
  if (id !== undefined && who.kind !== 'operator') throw httpError(400, 'id_not_allowed', 'ids are assigned by the collector');
}

/**
 * Publisher payouts and subsidies are the operator's (SPEC §3.8; issue 16 item 2): a 403 for anyone
 * else who sends one, null when the terms may go on. The operator's edit is the approval.
 */
function refusePayout(c: Context, who: Auth, terms: { payout?: unknown; subsidy?: unknown } | undefined): Response | null {
  if (who.kind === 'operator' || !terms || (terms.payout === undefined && terms.subsidy === undefined)) return null;
  return c.json({ error: 'payout_is_operator_only', reason: 'publisher payouts and subsidies are set by the operator; leave out payout and subsidy' }, 403);
}

/** The admin routes. */
export function adminRoutes(col: Collector): Router {
  const r = createRouter(col, 'Admin');
  const newId = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const secret = () => randomBytes(32).toString('base64url');
  const both = ['operator', 'advertiser'] as const;

  // ------------------------------------------------------------ advertisers
  r.route(
    { method: 'post', path: '/v1/advertisers', summary: 'Create an advertiser; answers its API key and S2S secret once.', roles: ['operator'], body: advertiserCreate, responses: created('advertiser and its key', z.object({ advertiser: advertiserAnswer, apiKey: z.string() })) },
    async (c) => {
      const b = c.req.valid('json');
      const id = b.id ?? newId('adv');
      if (await col.store.catalog.getAdvertiser(id)) return fail(c, 409, 'conflict', `advertiser ${id} exists`);
      const apiKey = newApiKey('advertiser');
      const adv = await col.store.catalog.createAdvertiser({ id, name: b.name, currency: b.currency, s2sSecrets: [secret()] }, hashKey(apiKey));
      return c.json({ advertiser: advertiserJson(adv, true), apiKey }, 201);
    },
  );
  r.route({ method: 'get', path: '/v1/advertisers', summary: 'List advertisers (an advertiser sees itself).', roles: [...both], query: noQuery, responses: { 200: list('advertisers', advertiserAnswer) } }, async (c) => {
    const who = c.var.principal;
    const all = await col.store.catalog.listAdvertisers();
    return c.json({ advertisers: all.filter((x) => who.kind === 'operator' || (who.kind === 'advertiser' && x.id === who.id)).map((x) => advertiserJson(x, false)) });
  });
  r.route({ method: 'get', path: '/v1/advertisers/:id', summary: 'Read an advertiser.', roles: [...both], params: idParam, responses: { 200: one('advertiser', advertiserAnswer) } }, async (c) =>
    c.json({ advertiser: advertiserJson(await ownedAdvertiser(col, c.var.principal, c.req.valid('param').id), false) }),
  );
  r.route({ method: 'patch', path: '/v1/advertisers/:id', summary: 'Rename an advertiser.', roles: [...both], params: idParam, body: advertiserPatch, responses: { 200: one('advertiser', advertiserAnswer) } }, async (c) => {
    const adv = await ownedAdvertiser(col, c.var.principal, c.req.valid('param').id);
    return c.json({ advertiser: advertiserJson((await col.store.catalog.updateAdvertiser(adv.id, c.req.valid('json')))!, false) });
  });
  r.route(
    {
      method: 'post',
      path: '/v1/advertisers/:id/rotate-secret',
      summary: 'Start an S2S secret rotation: a new secret becomes primary, the old one stays valid until the next rotation.',
      roles: [...both],
      params: idParam,
      responses: { 200: z.object({ advertiser: advertiserAnswer, secret: z.string() }) },
    },
    async (c) => {
      const adv = await ownedAdvertiser(col, c.var.principal, c.req.valid('param').id);
      const fresh = secret();
      // Two live secrets: servers can switch to the new one while the old one still verifies.
      const updated = await col.store.catalog.updateAdvertiser(adv.id, { s2sSecrets: [fresh, adv.s2sSecrets[0]!] });
      return c.json({ advertiser: advertiserJson(updated!, false), secret: fresh });
    },
  );

  // ------------------------------------------------------------ publishers
  r.route(
    { method: 'post', path: '/v1/publishers', summary: 'Create a publisher; answers its API key once.', roles: ['operator'], body: publisherCreate, responses: created('publisher and its key', z.object({ publisher: publisherAnswer, apiKey: z.string() })) },
    async (c) => {
      const b = c.req.valid('json');
      const id = b.id ?? newId('pub');
      if (await col.store.catalog.getPublisher(id)) return fail(c, 409, 'conflict', `publisher ${id} exists`);
      const apiKey = newApiKey('publisher');
      const pub = await col.store.catalog.createPublisher({ id, name: b.name, revShareBps: b.revShareBps }, hashKey(apiKey));
      return c.json({ publisher: pub, apiKey }, 201);
    },
  );
  r.route({ method: 'get', path: '/v1/publishers', summary: 'List publishers (a publisher sees itself).', roles: ['operator', 'publisher'], query: noQuery, responses: { 200: list('publishers', publisherAnswer) } }, async (c) => {
    const who = c.var.principal;
    const all = await col.store.catalog.listPublishers();
    return c.json({ publishers: all.filter((x) => who.kind === 'operator' || (who.kind === 'publisher' && x.id === who.id)) });
  });
  r.route({ method: 'get', path: '/v1/publishers/:id', summary: 'Read a publisher.', roles: ['operator', 'publisher'], params: idParam, responses: { 200: one('publisher', publisherAnswer) } }, async (c) =>
    c.json({ publisher: await ownedPublisher(col, c.var.principal, c.req.valid('param').id) }),
  );
  r.route(
    { method: 'patch', path: '/v1/publishers/:id', summary: 'Update a publisher (its revenue share: operator only).', roles: ['operator', 'publisher'], params: idParam, body: publisherPatch, responses: { 200: one('publisher', publisherAnswer) } },
    async (c) => {
      const pub = await ownedPublisher(col, c.var.principal, c.req.valid('param').id);
      const b = c.req.valid('json');
      if (b.revShareBps !== undefined && c.var.principal.kind !== 'operator') return fail(c, 403, 'forbidden', 'only the operator sets revenue shares');
      return c.json({ publisher: await col.store.catalog.updatePublisher(pub.id, b) });
    },
  );
  r.route(
    { method: 'post', path: '/v1/keys/rotate', summary: "Replace the caller's API key (the old one stops working at once).", roles: ['advertiser', 'publisher'], responses: { 200: z.object({ apiKey: z.string() }) } },
    async (c) => {
      const who = c.var.principal as Exclude<Auth, { kind: 'operator' }>;
      const apiKey = newApiKey(who.kind);
      await col.store.catalog.setKeyHash(who, hashKey(apiKey));
      forgetKeys(col);
      return c.json({ apiKey });
    },
  );

  // ------------------------------------------------------------ sites and slots
  const everyone = ['operator', 'advertiser', 'publisher'] as const;
  r.route(
    { method: 'post', path: '/v1/sites', summary: 'Create a site (where the tag runs); its ID goes in data-site.', roles: [...everyone], body: siteCreate, responses: created('site', one('site', siteAnswer)) },
    async (c) => {
      const who = c.var.principal;
      const b = c.req.valid('json');
      chosenId(who, b.id);
      const [ownerType, ownerId] = who.kind === 'operator' ? [b.ownerType, b.ownerId] : [who.kind, who.id];
      if (!ownerType || !ownerId) return fail(c, 400, 'invalid', 'ownerType and ownerId are required');
      const owner = ownerType === 'advertiser' ? await col.store.catalog.getAdvertiser(ownerId) : await col.store.catalog.getPublisher(ownerId);
      if (!owner) return fail(c, 400, 'invalid', `no ${ownerType} ${ownerId}`);
      const id = b.id ?? newId('site');
      if (await col.store.catalog.getSite(id)) return fail(c, 409, 'conflict', `site ${id} exists`);
      return c.json({ site: await col.store.catalog.createSite({ id, name: b.name, ownerType, ownerId, origins: b.origins }) }, 201);
    },
  );
  r.route({ method: 'get', path: '/v1/sites', summary: "List sites (the caller's own).", roles: [...everyone], query: noQuery, responses: { 200: list('sites', siteAnswer) } }, async (c) => {
    const who = c.var.principal;
    return c.json({ sites: await col.store.catalog.listSites(who.kind === 'operator' ? undefined : { ownerType: who.kind, ownerId: who.id }) });
  });
  r.route({ method: 'get', path: '/v1/sites/:id', summary: 'Read a site.', roles: [...everyone], params: idParam, responses: { 200: one('site', siteAnswer) } }, async (c) =>
    c.json({ site: await ownedSite(col, c.var.principal, c.req.valid('param').id) }),
  );
  r.route(
    { method: 'patch', path: '/v1/sites/:id', summary: 'Rename a site or change its allowed origins.', roles: [...everyone], params: idParam, body: sitePatch, responses: { 200: one('site', siteAnswer) } },
    async (c) => {
      const site = await ownedSite(col, c.var.principal, c.req.valid('param').id);
      return c.json({ site: await col.store.catalog.updateSite(site.id, c.req.valid('json')) });
    },
  );

  r.route(
    { method: 'post', path: '/v1/slots', summary: 'Create an ad slot (an IAB size) on a publisher site.', roles: ['operator', 'publisher'], body: slotCreate, responses: created('slot', one('slot', slotAnswer)) },
    async (c) => {
      const who = c.var.principal;
      const b = c.req.valid('json');
      chosenId(who, b.id);
      // Someone else's site reads as no site at all (issue 16 item 9).
      const site = await col.store.catalog.getSite(b.siteId);
      if (!site || site.ownerType !== 'publisher' || !(who.kind === 'operator' || who.id === site.ownerId)) return fail(c, 400, 'invalid', `no publisher site ${b.siteId}`);
      const [width, height] = b.size.split('x').map(Number) as [number, number];
      const id = b.id ?? newId('slot');
      if (await col.store.catalog.getSlot(id)) return fail(c, 409, 'conflict', `slot ${id} exists`);
      return c.json({ slot: await col.store.catalog.createSlot({ id, siteId: site.id, publisherId: site.ownerId, name: b.name, width, height, status: 'active' }) }, 201);
    },
  );
  r.route({ method: 'get', path: '/v1/slots', summary: "List slots (a publisher's own).", roles: ['operator', 'publisher'], query: slotsQuery, responses: { 200: list('slots', slotAnswer) } }, async (c) => {
    const who = c.var.principal;
    return c.json({ slots: await col.store.catalog.listSlots(who.kind === 'publisher' ? { publisherId: who.id } : { siteId: c.req.valid('query').siteId }) });
  });
  r.route(
    { method: 'patch', path: '/v1/slots/:id', summary: 'Rename, resize or pause a slot.', roles: ['operator', 'publisher'], params: idParam, body: slotPatch, responses: { 200: one('slot', slotAnswer) } },
    async (c) => {
      const slot = await ownedSlot(col, c.var.principal, c.req.valid('param').id);
      const b = c.req.valid('json');
      const [width, height] = b.size ? (b.size.split('x').map(Number) as [number, number]) : [undefined, undefined];
      return c.json({ slot: await col.store.catalog.updateSlot(slot.id, { name: b.name, status: b.status, width, height }) });
    },
  );

  // ------------------------------------------------------------ campaigns
  r.route(
    { method: 'post', path: '/v1/campaigns', summary: 'Create a campaign with its first terms version (payout and subsidy: operator only).', roles: [...both], body: campaignCreate, responses: { ...created('campaign', one('campaign', campaignAnswer)), 403: errorAnswer.describe('payout_is_operator_only') } },
    async (c) => {
      const who = c.var.principal;
      const b = c.req.valid('json');
      chosenId(who, b.id);
      const refused = refusePayout(c, who, b.terms);
      if (refused) return refused;
      const advertiserId = who.kind === 'advertiser' ? who.id : b.advertiserId;
      if (!advertiserId) return fail(c, 400, 'invalid', 'advertiserId is required');
      const adv = await col.store.catalog.getAdvertiser(advertiserId);
      if (!adv) return fail(c, 400, 'invalid', `no advertiser ${advertiserId}`);
      if (!parseLanding(b.landingUrl)) return fail(c, 400, 'invalid', 'landingUrl must be an http(s) URL without user info');
      const id = b.id ?? newId('cmp');
      if (await col.store.catalog.getCampaign(id)) return fail(c, 409, 'conflict', `campaign ${id} exists`);
      const terms = buildTerms(b.terms, null, { campaignId: id, advertiserId, currency: adv.currency });
      const problems = checkTerms(terms);
      if (problems.length) return fail(c, 400, 'invalid_terms', problems.join('; '));
      const campaign = await col.store.catalog.createCampaign({
        id,
        advertiserId,
        name: b.name,
        status: b.status,
        landingUrl: b.landingUrl,
        allowedHosts: b.allowedHosts.map((h) => h.toLowerCase()),
        terms,
      });
      return c.json({ campaign: campaignJson(campaign) }, 201);
    },
  );
  r.route({ method: 'get', path: '/v1/campaigns', summary: "List campaigns (an advertiser's own).", roles: [...both], query: advertiserQuery, responses: { 200: list('campaigns', campaignAnswer) } }, async (c) => {
    const who = c.var.principal;
    const all = await col.store.catalog.listCampaigns({ advertiserId: who.kind === 'advertiser' ? who.id : c.req.valid('query').advertiserId });
    return c.json({ campaigns: all.map(campaignJson) });
  });
  r.route({ method: 'get', path: '/v1/campaigns/:id', summary: 'Read a campaign with its current terms.', roles: [...both], params: idParam, responses: { 200: one('campaign', campaignAnswer) } }, async (c) =>
    c.json({ campaign: campaignJson(await ownedCampaign(col, c.var.principal, c.req.valid('param').id)) }),
  );
  r.route(
    { method: 'get', path: '/v1/campaigns/:id/terms', summary: 'Every terms version of a campaign, oldest first.', roles: [...both], params: idParam, responses: { 200: z.object({ versions: z.array(termsAnswer.extend({ createdAt: z.number().int() })) }) } },
    async (c) => {
      const campaign = await ownedCampaign(col, c.var.principal, c.req.valid('param').id);
      const versions = await col.store.catalog.listTermsVersions(campaign.id);
      return c.json({ versions: versions.map((t) => ({ ...termsJson(t), createdAt: t.createdAt })) });
    },
  );
  r.route(
    {
      method: 'patch',
      path: '/v1/campaigns/:id',
      summary: "Update a campaign; a terms change creates a new version (past charges keep theirs). Payout and subsidy: operator only (the operator's edit is the approval).",
      roles: [...both],
      params: idParam,
      body: campaignPatch,
      responses: { 200: one('campaign', campaignAnswer), 403: errorAnswer.describe('payout_is_operator_only') },
    },
    async (c) => {
      const who = c.var.principal;
      const cur = await ownedCampaign(col, who, c.req.valid('param').id);
      const b = c.req.valid('json');
      const refused = refusePayout(c, who, b.terms);
      if (refused) return refused;
      if (b.landingUrl && !parseLanding(b.landingUrl)) return fail(c, 400, 'invalid', 'landingUrl must be an http(s) URL without user info');
      let terms: Omit<CampaignTerms, 'version'> | undefined;
      if (b.terms && Object.keys(b.terms).length > 0) {
        const merged = { ...termsInputOf(cur.terms), ...b.terms };
        const parsed = termsInput.safeParse(merged);
        if (!parsed.success) return fail(c, 400, 'invalid_terms', describeIssues(parsed.error));
        terms = buildTerms(parsed.data, cur.terms, { campaignId: cur.id, advertiserId: cur.advertiserId, currency: cur.terms.currency });
        const problems = checkTerms({ ...terms, version: cur.terms.version + 1 });
        if (problems.length) return fail(c, 400, 'invalid_terms', problems.join('; '));
      }
      const updated = await col.store.catalog.updateCampaign(cur.id, {
        name: b.name,
        status: b.status,
        landingUrl: b.landingUrl,
        allowedHosts: b.allowedHosts?.map((h) => h.toLowerCase()),
        terms,
      });
      return c.json({ campaign: campaignJson(updated!) });
    },
  );

  // ------------------------------------------------------------ creatives
  r.route(
    { method: 'post', path: '/v1/creatives', summary: "Add a creative; its landing URL must be on the campaign's allowed hosts.", roles: [...both], body: creativeCreate, responses: created('creative', one('creative', creativeAnswer)) },
    async (c) => {
      const who = c.var.principal;
      const b = c.req.valid('json');
      chosenId(who, b.id);
      // Someone else's campaign reads as no campaign at all (issue 16 item 9).
      const campaign = await ownedCampaign(col, who, b.campaignId).catch(() => null);
      if (!campaign) return fail(c, 400, 'invalid', `no campaign ${b.campaignId}`);
      const landingUrl = b.landingUrl ?? campaign.landingUrl;
      if (!landsOn(landingUrl, allowedHosts(campaign))) {
        return fail(c, 400, 'landing_host_not_allowed', `${parseLanding(landingUrl)?.host ?? landingUrl} is not one of the campaign's allowed hosts (${[...allowedHosts(campaign)].join(', ')})`);
      }
      const [width, height] = b.size.split('x').map(Number) as [number, number];
      const id = b.id ?? newId('cr');
      if (await col.store.catalog.getCreative(id)) return fail(c, 409, 'conflict', `creative ${id} exists`);
      return c.json({ creative: await col.store.catalog.createCreative({ id, campaignId: campaign.id, width, height, imageUrl: b.imageUrl, alt: b.alt, landingUrl, status: 'active' }) }, 201);
    },
  );
  r.route({ method: 'get', path: '/v1/creatives', summary: "List creatives (an advertiser's own).", roles: [...both], query: creativesQuery, responses: { 200: list('creatives', creativeAnswer) } }, async (c) => {
    const who = c.var.principal;
    return c.json({ creatives: await col.store.catalog.listCreatives({ campaignId: c.req.valid('query').campaignId, advertiserId: who.kind === 'advertiser' ? who.id : undefined }) });
  });
  r.route(
    { method: 'patch', path: '/v1/creatives/:id', summary: 'Update or pause a creative.', roles: [...both], params: idParam, body: creativePatch, responses: { 200: one('creative', creativeAnswer) } },
    async (c) => {
      const { creative, campaign } = await ownedCreative(col, c.var.principal, c.req.valid('param').id);
      const b = c.req.valid('json');
      if (b.landingUrl && !landsOn(b.landingUrl, allowedHosts(campaign))) {
        return fail(c, 400, 'landing_host_not_allowed', `${parseLanding(b.landingUrl)?.host ?? b.landingUrl} is not one of the campaign's allowed hosts`);
      }
      return c.json({ creative: await col.store.catalog.updateCreative(creative.id, b) });
    },
  );

  // ------------------------------------------------------------ conversion actions
  r.route(
    {
      method: 'put',
      path: '/v1/conversion-actions/:key',
      summary: 'Create or update a conversion action (counting, billing model, shorter windows).',
      roles: [...both],
      params: actionKeyParam,
      body: actionPut,
      responses: { 200: one('action', conversionActionAnswer) },
    },
    async (c) => {
      const who = c.var.principal;
      const { advertiserId: given, ...rest } = c.req.valid('json');
      const advertiserId = who.kind === 'advertiser' ? who.id : given;
      if (!advertiserId || !(await col.store.catalog.getAdvertiser(advertiserId))) return fail(c, 400, 'invalid', 'a valid advertiserId is required');
      return c.json({ action: await col.store.catalog.putConversionAction({ ...rest, advertiserId, key: c.req.valid('param').key }) });
    },
  );
  r.route({ method: 'get', path: '/v1/conversion-actions', summary: "An advertiser's conversion actions.", roles: [...both], query: advertiserQuery, responses: { 200: list('actions', conversionActionAnswer) } }, async (c) => {
    const who = c.var.principal;
    const advertiserId = who.kind === 'advertiser' ? who.id : c.req.valid('query').advertiserId;
    if (!advertiserId) return fail(c, 400, 'invalid', 'advertiserId is required');
    return c.json({ actions: await col.store.catalog.listConversionActions(advertiserId) });
  });
  return r;
}

/** Terms from API input over the current terms (or the defaults for a new campaign). */
export function buildTerms(
  input: z.infer<typeof termsInput>,
  base: CampaignTerms | null,
  ids: { campaignId: string; advertiserId: string; currency: string },
): Omit<CampaignTerms, 'version'> & { version: number } {
  const m = (v: string | null | undefined, fallback: bigint | null): bigint | null => (v === undefined ? fallback : v === null ? null : BigInt(v));
  const b = base ?? null;
  return {
    campaignId: ids.campaignId,
    advertiserId: ids.advertiserId,
    version: (b?.version ?? 0) + 1,
    currency: ids.currency,
    costModel: input.costModel,
    cpcMicros: m(input.cpcMicros, b?.cpcMicros ?? DEFAULT_TERMS.cpcMicros) ?? 0n,
    cpmMicros: m(input.cpmMicros, b?.cpmMicros ?? DEFAULT_TERMS.cpmMicros) ?? 0n,
    cpmBasis: input.cpmBasis ?? b?.cpmBasis ?? DEFAULT_TERMS.cpmBasis,
    cpaFlatMicros: m(input.cpaFlatMicros, b?.cpaFlatMicros ?? DEFAULT_TERMS.cpaFlatMicros) ?? 0n,
    cpaBps: input.cpaBps ?? b?.cpaBps ?? DEFAULT_TERMS.cpaBps,
    payout: input.payout
      ? input.payout.kind === 'fixed'
        ? { kind: 'fixed', micros: BigInt(input.payout.micros) }
        : input.payout
      : (b?.payout ?? DEFAULT_TERMS.payout),
    payoutFromPublisher: input.payout ? false : (b?.payoutFromPublisher ?? true),
    // Operator only (refusePayout): a fixed payout above the charge is paid in full only when the
    // operator recorded a subsidy; otherwise the core caps it at the charge (core/pricing.ts).
    subsidy: input.subsidy ?? b?.subsidy ?? false,
    totalBudgetMicros: m(input.totalBudgetMicros, b?.totalBudgetMicros ?? null),
    dailyBudgetMicros: m(input.dailyBudgetMicros, b?.dailyBudgetMicros ?? null),
    publisherDailyCapMicros: m(input.publisherDailyCapMicros, b?.publisherDailyCapMicros ?? null),
    clickWindowDays: input.clickWindowDays ?? b?.clickWindowDays ?? DEFAULT_TERMS.clickWindowDays,
    viewWindowDays: input.viewWindowDays ?? b?.viewWindowDays ?? defaultViewWindowDays(input.costModel),
    minConversionDelayMs: input.minConversionDelayMs ?? b?.minConversionDelayMs ?? DEFAULT_TERMS.minConversionDelayMs,
    duplicateClickWindowMs: input.duplicateClickWindowMs ?? b?.duplicateClickWindowMs ?? DEFAULT_TERMS.duplicateClickWindowMs,
    priority: input.priority ?? b?.priority ?? DEFAULT_TERMS.priority,
  };
}

/** Current terms as API input, so a PATCH can merge changed fields over them. */
function termsInputOf(t: CampaignTerms): z.infer<typeof termsInput> {
  const j = termsJson(t);
  const { version: _v, currency: _c, payout, ...rest } = j;
  void _v;
  void _c;
  return { ...rest, ...(t.payoutFromPublisher ? {} : { payout: payout as z.infer<typeof termsInput>['payout'] }) } as z.infer<typeof termsInput>;
}
