/**
 * The admin API (SPEC §3.1, issue "Campaigns and ad serving"): advertisers, publishers, sites,
 * slots, campaigns (every terms change is a new version), creatives and conversion actions.
 *
 * Who may do what:
 * | object             | operator | advertiser            | publisher            |
 * |--------------------|----------|-----------------------|----------------------|
 * | advertisers        | all      | read/rename self, rotate own secret and key | —  |
 * | publishers         | all      | —                     | read/rename self, rotate own key |
 * | sites              | all      | own (conversion sites)| own (ad inventory)   |
 * | slots              | all      | —                     | on own sites         |
 * | campaigns, creatives, conversion actions | all | own | —                     |
 * Missing or unknown key: 401. Known key, someone else's object: 403 (or 404 for reads of ids
 * that do not exist). Bad input: 400 with the reason.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { bodyText, limitBody } from './body-limit';
import type { z } from 'zod';
import { checkTerms, DEFAULT_TERMS, defaultViewWindowDays, type CampaignTerms } from '../core/terms';
import type { Campaign } from '../store/store';
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
import { authenticate, forgetKeys, hashKey, newApiKey, type Auth } from './auth';
import { fail, type Collector } from './context';
import { advertiserJson, campaignJson, termsJson } from './json';
import type { RouteDoc } from './openapi';

type Ok<T> = { ok: true; value: T } | { ok: false; res: Response };

/** Registers the admin routes; `changed` is called after every write (cache invalidation). */
export function adminRoutes(app: Hono, col: Collector, changed: () => void): void {
  const doc = (d: Omit<RouteDoc, 'tag' | 'responses'> & { responses?: RouteDoc['responses'] }, tag: string) =>
    col.docs.push({ ...d, tag, responses: d.responses ?? { 200: 'ok', 201: 'created', 400: 'invalid input', 401: 'unauthenticated', 403: 'forbidden', 404: 'not found' } });
  const limit = limitBody(64 * 1024, (c) => fail(c, 413, 'body_too_large', 'at most 64 KiB'));
  app.use('/v1/*', async (c, next) => {
    await next();
    if (c.req.method !== 'GET' && c.res.status < 300) {
      col.cache.clear();
      changed();
    }
  });

  const who = async (c: Context): Promise<Ok<Auth>> => {
    const a = await authenticate(col, c);
    return a ? { ok: true, value: a } : { ok: false, res: fail(c, 401, 'unauthenticated', 'send Authorization: Bearer <API key>') };
  };
  const body = async <T extends z.ZodType>(c: Context, schema: T): Promise<Ok<z.infer<T>>> => {
    let raw: unknown;
    try {
      raw = JSON.parse((await bodyText(c)) || '{}');
    } catch {
      return { ok: false, res: fail(c, 400, 'malformed_json', 'the body is not JSON') };
    }
    const p = schema.safeParse(raw);
    return p.success ? { ok: true, value: p.data } : { ok: false, res: fail(c, 400, 'invalid', describeIssues(p.error)) };
  };
  const forbidden = (c: Context) => fail(c, 403, 'forbidden', 'this key may not do that');
  const notFound = (c: Context, what: string) => fail(c, 404, 'not_found', `no ${what} ${c.req.param('id') ?? ''}`.trim());
  const newId = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const secret = () => randomBytes(32).toString('base64url');
  const ownerOf = (a: Auth, given: string | undefined): string | null => (a.kind === 'operator' ? (given ?? null) : a.kind === 'advertiser' ? a.id : null);

  // ------------------------------------------------------------ advertisers
  doc({ method: 'post', path: '/v1/advertisers', summary: 'Create an advertiser; answers its API key and S2S secret once.', auth: ['operator'], body: advertiserCreate }, 'Advertisers');
  app.post('/v1/advertisers', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    if (a.value.kind !== 'operator') return forbidden(c);
    const b = await body(c, advertiserCreate);
    if (!b.ok) return b.res;
    const id = b.value.id ?? newId('adv');
    if (await col.store.catalog.getAdvertiser(id)) return fail(c, 409, 'conflict', `advertiser ${id} exists`);
    const apiKey = newApiKey('advertiser');
    const adv = await col.store.catalog.createAdvertiser({ id, name: b.value.name, currency: b.value.currency, s2sSecrets: [secret()] }, hashKey(apiKey));
    return c.json({ advertiser: advertiserJson(adv, true), apiKey }, 201);
  });
  doc({ method: 'get', path: '/v1/advertisers', summary: 'List advertisers (an advertiser sees itself).', auth: ['operator', 'advertiser'] }, 'Advertisers');
  app.get('/v1/advertisers', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    if (a.value.kind === 'publisher') return forbidden(c);
    const list = await col.store.catalog.listAdvertisers();
    return c.json({ advertisers: list.filter((x) => a.value.kind === 'operator' || x.id === (a.value as { id: string }).id).map((x) => advertiserJson(x, false)) });
  });
  doc({ method: 'get', path: '/v1/advertisers/:id', summary: 'Read an advertiser.', auth: ['operator', 'advertiser'] }, 'Advertisers');
  app.get('/v1/advertisers/:id', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const adv = await col.store.catalog.getAdvertiser(c.req.param('id'));
    if (!adv) return notFound(c, 'advertiser');
    if (!(a.value.kind === 'operator' || (a.value.kind === 'advertiser' && a.value.id === adv.id))) return forbidden(c);
    return c.json({ advertiser: advertiserJson(adv, false) });
  });
  doc({ method: 'patch', path: '/v1/advertisers/:id', summary: 'Rename an advertiser.', auth: ['operator', 'advertiser'], body: advertiserPatch }, 'Advertisers');
  app.patch('/v1/advertisers/:id', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const id = c.req.param('id');
    if (!(a.value.kind === 'operator' || (a.value.kind === 'advertiser' && a.value.id === id))) return forbidden(c);
    const b = await body(c, advertiserPatch);
    if (!b.ok) return b.res;
    const adv = await col.store.catalog.updateAdvertiser(id, b.value);
    return adv ? c.json({ advertiser: advertiserJson(adv, false) }) : notFound(c, 'advertiser');
  });
  doc({ method: 'post', path: '/v1/advertisers/:id/rotate-secret', summary: 'Start an S2S secret rotation: a new secret becomes primary, the old one stays valid until the next rotation.', auth: ['operator', 'advertiser'] }, 'Advertisers');
  app.post('/v1/advertisers/:id/rotate-secret', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const id = c.req.param('id');
    if (!(a.value.kind === 'operator' || (a.value.kind === 'advertiser' && a.value.id === id))) return forbidden(c);
    const adv = await col.store.catalog.getAdvertiser(id);
    if (!adv) return notFound(c, 'advertiser');
    const fresh = secret();
    // Two live secrets: servers can switch to the new one while the old one still verifies.
    const updated = await col.store.catalog.updateAdvertiser(id, { s2sSecrets: [fresh, adv.s2sSecrets[0]!] });
    return c.json({ advertiser: advertiserJson(updated!, false), secret: fresh });
  });

  // ------------------------------------------------------------ publishers
  doc({ method: 'post', path: '/v1/publishers', summary: 'Create a publisher; answers its API key once.', auth: ['operator'], body: publisherCreate }, 'Publishers');
  app.post('/v1/publishers', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    if (a.value.kind !== 'operator') return forbidden(c);
    const b = await body(c, publisherCreate);
    if (!b.ok) return b.res;
    const id = b.value.id ?? newId('pub');
    if (await col.store.catalog.getPublisher(id)) return fail(c, 409, 'conflict', `publisher ${id} exists`);
    const apiKey = newApiKey('publisher');
    const pub = await col.store.catalog.createPublisher({ id, name: b.value.name, revShareBps: b.value.revShareBps }, hashKey(apiKey));
    return c.json({ publisher: pub, apiKey }, 201);
  });
  doc({ method: 'get', path: '/v1/publishers', summary: 'List publishers (a publisher sees itself).', auth: ['operator', 'publisher'] }, 'Publishers');
  app.get('/v1/publishers', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    if (a.value.kind === 'advertiser') return forbidden(c);
    const list = await col.store.catalog.listPublishers();
    return c.json({ publishers: list.filter((x) => a.value.kind === 'operator' || x.id === (a.value as { id: string }).id) });
  });
  doc({ method: 'get', path: '/v1/publishers/:id', summary: 'Read a publisher.', auth: ['operator', 'publisher'] }, 'Publishers');
  app.get('/v1/publishers/:id', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const pub = await col.store.catalog.getPublisher(c.req.param('id'));
    if (!pub) return notFound(c, 'publisher');
    if (!(a.value.kind === 'operator' || (a.value.kind === 'publisher' && a.value.id === pub.id))) return forbidden(c);
    return c.json({ publisher: pub });
  });
  doc({ method: 'patch', path: '/v1/publishers/:id', summary: 'Update a publisher (its revenue share: operator only).', auth: ['operator', 'publisher'], body: publisherPatch }, 'Publishers');
  app.patch('/v1/publishers/:id', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const id = c.req.param('id');
    if (!(a.value.kind === 'operator' || (a.value.kind === 'publisher' && a.value.id === id))) return forbidden(c);
    const b = await body(c, publisherPatch);
    if (!b.ok) return b.res;
    if (b.value.revShareBps !== undefined && a.value.kind !== 'operator') return fail(c, 403, 'forbidden', 'only the operator sets revenue shares');
    const pub = await col.store.catalog.updatePublisher(id, b.value);
    return pub ? c.json({ publisher: pub }) : notFound(c, 'publisher');
  });
  doc({ method: 'post', path: '/v1/keys/rotate', summary: "Replace the caller's API key (the old one stops working at once).", auth: ['advertiser', 'publisher'] }, 'Keys');
  app.post('/v1/keys/rotate', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    if (a.value.kind === 'operator') return fail(c, 400, 'invalid', 'the operator key comes from the environment');
    const apiKey = newApiKey(a.value.kind);
    await col.store.catalog.setKeyHash(a.value, hashKey(apiKey));
    forgetKeys(col);
    return c.json({ apiKey });
  });

  // ------------------------------------------------------------ sites and slots
  doc({ method: 'post', path: '/v1/sites', summary: 'Create a site (where the tag runs); its ID goes in data-site.', auth: ['operator', 'advertiser', 'publisher'], body: siteCreate }, 'Sites and slots');
  app.post('/v1/sites', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const b = await body(c, siteCreate);
    if (!b.ok) return b.res;
    let ownerType = b.value.ownerType;
    let ownerId = b.value.ownerId;
    if (a.value.kind !== 'operator') {
      ownerType = a.value.kind;
      ownerId = a.value.id;
    }
    if (!ownerType || !ownerId) return fail(c, 400, 'invalid', 'ownerType and ownerId are required');
    const owner = ownerType === 'advertiser' ? await col.store.catalog.getAdvertiser(ownerId) : await col.store.catalog.getPublisher(ownerId);
    if (!owner) return fail(c, 400, 'invalid', `no ${ownerType} ${ownerId}`);
    const id = b.value.id ?? newId('site');
    if (await col.store.catalog.getSite(id)) return fail(c, 409, 'conflict', `site ${id} exists`);
    return c.json({ site: await col.store.catalog.createSite({ id, name: b.value.name, ownerType, ownerId, origins: b.value.origins }) }, 201);
  });
  const canSite = (a: Auth, s: { ownerType: string; ownerId: string }) => a.kind === 'operator' || (a.kind === s.ownerType && a.id === s.ownerId);
  doc({ method: 'get', path: '/v1/sites', summary: "List sites (the caller's own).", auth: ['operator', 'advertiser', 'publisher'] }, 'Sites and slots');
  app.get('/v1/sites', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const auth = a.value;
    return c.json({ sites: await col.store.catalog.listSites(auth.kind === 'operator' ? undefined : { ownerType: auth.kind, ownerId: auth.id }) });
  });
  doc({ method: 'get', path: '/v1/sites/:id', summary: 'Read a site.', auth: ['operator', 'advertiser', 'publisher'] }, 'Sites and slots');
  app.get('/v1/sites/:id', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const site = await col.store.catalog.getSite(c.req.param('id'));
    if (!site) return notFound(c, 'site');
    return canSite(a.value, site) ? c.json({ site }) : forbidden(c);
  });
  doc({ method: 'patch', path: '/v1/sites/:id', summary: 'Rename a site or change its allowed origins.', auth: ['operator', 'advertiser', 'publisher'], body: sitePatch }, 'Sites and slots');
  app.patch('/v1/sites/:id', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const site = await col.store.catalog.getSite(c.req.param('id'));
    if (!site) return notFound(c, 'site');
    if (!canSite(a.value, site)) return forbidden(c);
    const b = await body(c, sitePatch);
    if (!b.ok) return b.res;
    return c.json({ site: await col.store.catalog.updateSite(site.id, b.value) });
  });

  doc({ method: 'post', path: '/v1/slots', summary: 'Create an ad slot (an IAB size) on a publisher site.', auth: ['operator', 'publisher'], body: slotCreate }, 'Sites and slots');
  app.post('/v1/slots', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const b = await body(c, slotCreate);
    if (!b.ok) return b.res;
    const site = await col.store.catalog.getSite(b.value.siteId);
    if (!site || site.ownerType !== 'publisher') return fail(c, 400, 'invalid', `no publisher site ${b.value.siteId}`);
    if (!canSite(a.value, site)) return forbidden(c);
    const [width, height] = b.value.size.split('x').map(Number) as [number, number];
    const id = b.value.id ?? newId('slot');
    if (await col.store.catalog.getSlot(id)) return fail(c, 409, 'conflict', `slot ${id} exists`);
    return c.json({ slot: await col.store.catalog.createSlot({ id, siteId: site.id, publisherId: site.ownerId, name: b.value.name, width, height, status: 'active' }) }, 201);
  });
  doc({ method: 'get', path: '/v1/slots', summary: "List slots (a publisher's own).", auth: ['operator', 'publisher'] }, 'Sites and slots');
  app.get('/v1/slots', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    if (a.value.kind === 'advertiser') return forbidden(c);
    return c.json({ slots: await col.store.catalog.listSlots(a.value.kind === 'publisher' ? { publisherId: a.value.id } : { siteId: c.req.query('siteId') }) });
  });
  doc({ method: 'patch', path: '/v1/slots/:id', summary: 'Rename, resize or pause a slot.', auth: ['operator', 'publisher'], body: slotPatch }, 'Sites and slots');
  app.patch('/v1/slots/:id', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const slot = await col.store.catalog.getSlot(c.req.param('id'));
    if (!slot) return notFound(c, 'slot');
    if (!(a.value.kind === 'operator' || (a.value.kind === 'publisher' && a.value.id === slot.publisherId))) return forbidden(c);
    const b = await body(c, slotPatch);
    if (!b.ok) return b.res;
    const [width, height] = b.value.size ? (b.value.size.split('x').map(Number) as [number, number]) : [undefined, undefined];
    return c.json({ slot: await col.store.catalog.updateSlot(slot.id, { name: b.value.name, status: b.value.status, width, height }) });
  });

  // ------------------------------------------------------------ campaigns
  const ownCampaign = async (c: Context, a: Auth, id: string): Promise<Ok<Campaign>> => {
    const campaign = await col.store.catalog.getCampaign(id);
    if (!campaign) return { ok: false, res: fail(c, 404, 'not_found', `no campaign ${id}`) };
    if (!(a.kind === 'operator' || (a.kind === 'advertiser' && a.id === campaign.advertiserId))) return { ok: false, res: forbidden(c) };
    return { ok: true, value: campaign };
  };
  doc({ method: 'post', path: '/v1/campaigns', summary: 'Create a campaign with its first terms version.', auth: ['operator', 'advertiser'], body: campaignCreate }, 'Campaigns');
  app.post('/v1/campaigns', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    if (a.value.kind === 'publisher') return forbidden(c);
    const b = await body(c, campaignCreate);
    if (!b.ok) return b.res;
    const advertiserId = ownerOf(a.value, b.value.advertiserId);
    if (!advertiserId) return fail(c, 400, 'invalid', 'advertiserId is required');
    const adv = await col.store.catalog.getAdvertiser(advertiserId);
    if (!adv) return fail(c, 400, 'invalid', `no advertiser ${advertiserId}`);
    if (!parseLanding(b.value.landingUrl)) return fail(c, 400, 'invalid', 'landingUrl must be an http(s) URL without user info');
    const id = b.value.id ?? newId('cmp');
    if (await col.store.catalog.getCampaign(id)) return fail(c, 409, 'conflict', `campaign ${id} exists`);
    const terms = buildTerms(b.value.terms, null, { campaignId: id, advertiserId, currency: adv.currency });
    const problems = checkTerms(terms);
    if (problems.length) return fail(c, 400, 'invalid_terms', problems.join('; '));
    const campaign = await col.store.catalog.createCampaign({
      id,
      advertiserId,
      name: b.value.name,
      status: b.value.status,
      landingUrl: b.value.landingUrl,
      allowedHosts: b.value.allowedHosts.map((h) => h.toLowerCase()),
      terms,
    });
    return c.json({ campaign: campaignJson(campaign) }, 201);
  });
  doc({ method: 'get', path: '/v1/campaigns', summary: "List campaigns (an advertiser's own).", auth: ['operator', 'advertiser'] }, 'Campaigns');
  app.get('/v1/campaigns', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    if (a.value.kind === 'publisher') return forbidden(c);
    const list = await col.store.catalog.listCampaigns(a.value.kind === 'advertiser' ? { advertiserId: a.value.id } : { advertiserId: c.req.query('advertiserId') });
    return c.json({ campaigns: list.map(campaignJson) });
  });
  doc({ method: 'get', path: '/v1/campaigns/:id', summary: 'Read a campaign with its current terms.', auth: ['operator', 'advertiser'] }, 'Campaigns');
  app.get('/v1/campaigns/:id', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const r = await ownCampaign(c, a.value, c.req.param('id'));
    return r.ok ? c.json({ campaign: campaignJson(r.value) }) : r.res;
  });
  doc({ method: 'get', path: '/v1/campaigns/:id/terms', summary: 'Every terms version of a campaign, oldest first.', auth: ['operator', 'advertiser'] }, 'Campaigns');
  app.get('/v1/campaigns/:id/terms', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const r = await ownCampaign(c, a.value, c.req.param('id'));
    if (!r.ok) return r.res;
    const versions = await col.store.catalog.listTermsVersions(r.value.id);
    return c.json({ versions: versions.map((t) => ({ ...termsJson(t), createdAt: t.createdAt })) });
  });
  doc({ method: 'patch', path: '/v1/campaigns/:id', summary: 'Update a campaign; a terms change creates a new version (past charges keep theirs).', auth: ['operator', 'advertiser'], body: campaignPatch }, 'Campaigns');
  app.patch('/v1/campaigns/:id', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const r = await ownCampaign(c, a.value, c.req.param('id'));
    if (!r.ok) return r.res;
    const b = await body(c, campaignPatch);
    if (!b.ok) return b.res;
    const cur = r.value;
    if (b.value.landingUrl && !parseLanding(b.value.landingUrl)) return fail(c, 400, 'invalid', 'landingUrl must be an http(s) URL without user info');
    let terms: Omit<CampaignTerms, 'version'> | undefined;
    if (b.value.terms && Object.keys(b.value.terms).length > 0) {
      const merged = { ...termsInputOf(cur.terms), ...b.value.terms };
      const parsed = termsInput.safeParse(merged);
      if (!parsed.success) return fail(c, 400, 'invalid_terms', describeIssues(parsed.error));
      terms = buildTerms(parsed.data, cur.terms, { campaignId: cur.id, advertiserId: cur.advertiserId, currency: cur.terms.currency });
      const problems = checkTerms({ ...terms, version: cur.terms.version + 1 });
      if (problems.length) return fail(c, 400, 'invalid_terms', problems.join('; '));
    }
    const updated = await col.store.catalog.updateCampaign(cur.id, {
      name: b.value.name,
      status: b.value.status,
      landingUrl: b.value.landingUrl,
      allowedHosts: b.value.allowedHosts?.map((h) => h.toLowerCase()),
      terms,
    });
    return c.json({ campaign: campaignJson(updated!) });
  });

  // ------------------------------------------------------------ creatives
  doc({ method: 'post', path: '/v1/creatives', summary: "Add a creative; its landing URL must be on the campaign's allowed hosts.", auth: ['operator', 'advertiser'], body: creativeCreate }, 'Campaigns');
  app.post('/v1/creatives', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const b = await body(c, creativeCreate);
    if (!b.ok) return b.res;
    const r = await ownCampaign(c, a.value, b.value.campaignId);
    if (!r.ok) return r.res.status === 404 ? fail(c, 400, 'invalid', `no campaign ${b.value.campaignId}`) : r.res;
    const landingUrl = b.value.landingUrl ?? r.value.landingUrl;
    if (!landsOn(landingUrl, allowedHosts(r.value))) {
      return fail(c, 400, 'landing_host_not_allowed', `${parseLanding(landingUrl)?.host ?? landingUrl} is not one of the campaign's allowed hosts (${[...allowedHosts(r.value)].join(', ')})`);
    }
    const [width, height] = b.value.size.split('x').map(Number) as [number, number];
    const id = b.value.id ?? newId('cr');
    if (await col.store.catalog.getCreative(id)) return fail(c, 409, 'conflict', `creative ${id} exists`);
    return c.json({ creative: await col.store.catalog.createCreative({ id, campaignId: r.value.id, width, height, imageUrl: b.value.imageUrl, alt: b.value.alt, landingUrl, status: 'active' }) }, 201);
  });
  doc({ method: 'get', path: '/v1/creatives', summary: "List creatives (an advertiser's own).", auth: ['operator', 'advertiser'] }, 'Campaigns');
  app.get('/v1/creatives', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    if (a.value.kind === 'publisher') return forbidden(c);
    return c.json({ creatives: await col.store.catalog.listCreatives({ campaignId: c.req.query('campaignId'), advertiserId: a.value.kind === 'advertiser' ? a.value.id : undefined }) });
  });
  doc({ method: 'patch', path: '/v1/creatives/:id', summary: 'Update or pause a creative.', auth: ['operator', 'advertiser'], body: creativePatch }, 'Campaigns');
  app.patch('/v1/creatives/:id', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    const cr = await col.store.catalog.getCreative(c.req.param('id'));
    if (!cr) return notFound(c, 'creative');
    const r = await ownCampaign(c, a.value, cr.campaignId);
    if (!r.ok) return r.res;
    const b = await body(c, creativePatch);
    if (!b.ok) return b.res;
    if (b.value.landingUrl && !landsOn(b.value.landingUrl, allowedHosts(r.value))) {
      return fail(c, 400, 'landing_host_not_allowed', `${parseLanding(b.value.landingUrl)?.host ?? b.value.landingUrl} is not one of the campaign's allowed hosts`);
    }
    return c.json({ creative: await col.store.catalog.updateCreative(cr.id, b.value) });
  });

  // ------------------------------------------------------------ conversion actions
  doc({ method: 'put', path: '/v1/conversion-actions/:key', summary: 'Create or update a conversion action (counting, billing model, shorter windows).', auth: ['operator', 'advertiser'], body: actionPut }, 'Campaigns');
  app.put('/v1/conversion-actions/:key', limit, async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    if (a.value.kind === 'publisher') return forbidden(c);
    const key = c.req.param('key');
    if (!/^[a-z0-9_-]{1,64}$/.test(key)) return fail(c, 400, 'invalid', 'the action key is lowercase letters, digits, _ and -');
    const b = await body(c, actionPut);
    if (!b.ok) return b.res;
    const advertiserId = ownerOf(a.value, b.value.advertiserId);
    if (!advertiserId || !(await col.store.catalog.getAdvertiser(advertiserId))) return fail(c, 400, 'invalid', 'a valid advertiserId is required');
    const { advertiserId: _ignored, ...rest } = b.value;
    void _ignored;
    return c.json({ action: await col.store.catalog.putConversionAction({ ...rest, advertiserId, key }) });
  });
  doc({ method: 'get', path: '/v1/conversion-actions', summary: "An advertiser's conversion actions.", auth: ['operator', 'advertiser'] }, 'Campaigns');
  app.get('/v1/conversion-actions', async (c) => {
    const a = await who(c);
    if (!a.ok) return a.res;
    if (a.value.kind === 'publisher') return forbidden(c);
    const advertiserId = ownerOf(a.value, c.req.query('advertiserId'));
    if (!advertiserId) return fail(c, 400, 'invalid', 'advertiserId is required');
    return c.json({ actions: await col.store.catalog.listConversionActions(advertiserId) });
  });
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
