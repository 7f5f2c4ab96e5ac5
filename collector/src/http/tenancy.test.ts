/**
 * Tenants cannot learn about each other (issue 16 items 2 and 9): another tenant's object answers
 * exactly as an unknown one (same status, same body once the ID is swapped), client-chosen IDs are
 * the operator's alone, and publisher payouts and subsidies are set by the operator only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATOR_KEY, createHarness, seedTraffic, seedWorld, type Harness, type Traffic, type World } from '../test-fixtures';

let h: Harness;
let w: World;
let t: Traffic;
let rivalAdv: string;
let rivalPub: string;

beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h);
  t = await seedTraffic(h, w);
  rivalAdv = (await h.api('POST', '/v1/advertisers', OPERATOR_KEY, { id: 'adv_rival', name: 'Rival', currency: 'EUR' })).body.apiKey;
  rivalPub = (await h.api('POST', '/v1/publishers', OPERATOR_KEY, { id: 'pub_rival', name: 'Rival', revShareBps: 5000 })).body.apiKey;
});
afterEach(() => h.close());

/** The answer with the probed ID replaced, so a foreign and an unknown answer can be compared. */
const masked = (r: { status: number; body: unknown }, id: string) => ({ status: r.status, body: JSON.parse(JSON.stringify(r.body).split(id).join('<id>')) });

type Probe = [label: string, key: () => string, method: string, path: (id: string) => string, foreign: () => string, body?: (id: string) => unknown];
const probes: Probe[] = [
  ['campaign read', () => rivalAdv, 'GET', (id) => `/v1/campaigns/${id}`, () => 'cmp_main'],
  ['campaign update', () => rivalAdv, 'PATCH', (id) => `/v1/campaigns/${id}`, () => 'cmp_main', () => ({ status: 'paused' })],
  ['terms versions', () => rivalAdv, 'GET', (id) => `/v1/campaigns/${id}/terms`, () => 'cmp_main'],
  ['creative update', () => rivalAdv, 'PATCH', (id) => `/v1/creatives/${id}`, () => 'cr_main', () => ({ status: 'paused' })],
  ['creative on a campaign', () => rivalAdv, 'POST', () => '/v1/creatives', () => 'cmp_main', (id) => ({ campaignId: id, size: '300x250', imageUrl: '/a.png', alt: 'a' })],
  ['site read', () => rivalAdv, 'GET', (id) => `/v1/sites/${id}`, () => 'site_shop'],
  ['site update', () => rivalAdv, 'PATCH', (id) => `/v1/sites/${id}`, () => 'site_shop', () => ({ name: 'Mine' })],
  ['site activity', () => rivalAdv, 'GET', (id) => `/v1/sites/${id}/activity`, () => 'site_shop'],
  ['feed of a site', () => rivalAdv, 'GET', (id) => `/v1/feed?siteId=${id}`, () => 'site_shop'],
  ['rejected of a site', () => rivalAdv, 'GET', (id) => `/v1/rejected?siteId=${id}`, () => 'site_shop'],
  ['advertiser read', () => rivalAdv, 'GET', (id) => `/v1/advertisers/${id}`, () => 'adv_shop'],
  ['advertiser update', () => rivalAdv, 'PATCH', (id) => `/v1/advertisers/${id}`, () => 'adv_shop', () => ({ name: 'Mine' })],
  ['advertiser secret rotation', () => rivalAdv, 'POST', (id) => `/v1/advertisers/${id}/rotate-secret`, () => 'adv_shop'],
  ['publisher read', () => rivalPub, 'GET', (id) => `/v1/publishers/${id}`, () => 'pub_news'],
  ['publisher update', () => rivalPub, 'PATCH', (id) => `/v1/publishers/${id}`, () => 'pub_news', () => ({ name: 'Mine' })],
  ['slot update', () => rivalPub, 'PATCH', (id) => `/v1/slots/${id}`, () => 'slot_top', () => ({ status: 'paused' })],
  ['slot on a site', () => rivalPub, 'POST', () => '/v1/slots', () => 'site_news', (id) => ({ siteId: id, name: 'S', size: '300x250' })],
  ['site of a publisher', () => rivalPub, 'GET', (id) => `/v1/sites/${id}`, () => 'site_news'],
  ['conversion read', () => rivalAdv, 'GET', (id) => `/v1/conversions/${id}`, () => t.conversionId],
  ...(['approve', 'reject', 'reverse'] as const).map((cmd): Probe => [`conversion ${cmd}`, () => rivalAdv, 'POST', (id) => `/v1/conversions/${id}/${cmd}`, () => t.conversionId, () => ({ reason: 'x' })]),
  ['conversion restate', () => rivalAdv, 'POST', (id) => `/v1/conversions/${id}/restate`, () => t.conversionId, () => ({ value: '1.00' })],
];

describe("another tenant's object answers exactly as an unknown one", () => {
  it.each(probes)('%s', async (_label, key, method, path, foreign, body) => {
    const theirs = foreign();
    const unknown = theirs.replace(/[a-z0-9]$/, (ch) => (ch === 'z' ? 'y' : 'z')) + 'q';
    const a = await h.api(method, path(theirs), key(), body?.(theirs));
    const b = await h.api(method, path(unknown), key(), body?.(unknown));
    expect(a.status).toBeGreaterThanOrEqual(400);
    expect(masked(a, theirs)).toEqual(masked(b, unknown));
  });

  it('leaves the foreign objects as they were', async () => {
    for (const [, key, method, path, foreign, body] of probes) await h.api(method, path(foreign()), key(), body?.(foreign()));
    expect((await h.api('GET', '/v1/campaigns/cmp_main', OPERATOR_KEY)).body.campaign.status).toBe('active');
    expect((await h.api('GET', '/v1/sites/site_shop', OPERATOR_KEY)).body.site.name).toBe('Shop');
    expect((await h.api('GET', '/v1/slots', OPERATOR_KEY)).body.slots).toHaveLength(1);
    expect((await h.api('GET', `/v1/conversions/${t.conversionId}`, OPERATOR_KEY)).body.conversion.status).toBe('approved');
  });
});

describe('client-chosen IDs', () => {
  const creates: [string, () => string, string, (id: string) => Record<string, unknown>, string, string][] = [
    ['campaign', () => w.advertiserKey, '/v1/campaigns', (id) => ({ id, name: 'C', landingUrl: 'https://shop.example/', terms: { costModel: 'cpc', cpcMicros: '100000' } }), 'cmp_main', 'cmp_free'],
    ['creative', () => w.advertiserKey, '/v1/creatives', (id) => ({ id, campaignId: 'cmp_main', size: '300x250', imageUrl: '/a.png', alt: 'a' }), 'cr_main', 'cr_free'],
    ['advertiser site', () => w.advertiserKey, '/v1/sites', (id) => ({ id, name: 'S' }), 'site_news', 'site_free'],
    ['publisher site', () => w.publisherKey, '/v1/sites', (id) => ({ id, name: 'S' }), 'site_shop', 'site_free'],
    ['slot', () => w.publisherKey, '/v1/slots', (id) => ({ id, siteId: 'site_news', name: 'S', size: '300x250' }), 'slot_top', 'slot_free'],
  ];

  it.each(creates)('answers an advertiser or publisher the same 400 for a chosen %s ID, taken or free', async (_what, key, path, body, taken, free) => {
    const a = await h.api('POST', path, key(), body(taken));
    const b = await h.api('POST', path, key(), body(free));
    expect(a.status).toBe(400);
    expect(a.body).toEqual({ error: 'id_not_allowed', reason: 'ids are assigned by the collector' });
    expect(b.body).toEqual(a.body);
  });

  it.each(creates)('assigns a %s ID when none is sent, and lets the operator choose one', async (_what, key, path, body) => {
    const { id: _drop, ...rest } = body('x');
    void _drop;
    const made = await h.api('POST', path, key(), rest);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(Object.values(made.body)[0]).toMatchObject({ id: expect.stringMatching(/^[a-z]+_[0-9a-f]{12}$/) });
  });

  it('still tells the operator that an ID is taken', async () => {
    const r = await h.api('POST', '/v1/campaigns', OPERATOR_KEY, { id: 'cmp_main', advertiserId: 'adv_shop', name: 'C', landingUrl: 'https://shop.example/', terms: { costModel: 'cpc', cpcMicros: '1' } });
    expect(r.status).toBe(409);
  });
});

describe('publisher payouts and subsidies are the operator’s', () => {
  const cpc = { costModel: 'cpc', cpcMicros: '1' };

  it.each([
    ['a fixed payout', { ...cpc, payout: { kind: 'fixed', micros: '5000000' } }],
    ['a share', { ...cpc, payout: { kind: 'share', bps: 10_000 } }],
    ['a subsidy', { ...cpc, subsidy: true }],
  ])('refuses %s from an advertiser creating a campaign', async (_what, terms) => {
    const r = await h.api('POST', '/v1/campaigns', w.advertiserKey, { name: 'C', landingUrl: 'https://shop.example/', terms });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ error: 'payout_is_operator_only', reason: expect.stringMatching(/operator/) });
    expect((await h.api('GET', '/v1/campaigns', w.advertiserKey)).body.campaigns).toHaveLength(1);
  });

  it('refuses a payout change from the advertiser and takes it from the operator (the approval)', async () => {
    const mine = await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { terms: { payout: { kind: 'fixed', micros: '1000000' } } });
    expect(mine.status).toBe(403);
    expect(mine.body.error).toBe('payout_is_operator_only');
    expect((await h.api('GET', '/v1/campaigns/cmp_main/terms', w.advertiserKey)).body.versions).toHaveLength(1);
    const op = await h.api('PATCH', '/v1/campaigns/cmp_main', OPERATOR_KEY, { terms: { payout: { kind: 'fixed', micros: '1000000' }, subsidy: true } });
    expect(op.status, JSON.stringify(op.body)).toBe(200);
    expect(op.body.campaign.terms.payout).toEqual({ kind: 'fixed', micros: '1000000' });
  });

  it("lets the advertiser change its bid without touching the operator's payout", async () => {
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', OPERATOR_KEY, { terms: { payout: { kind: 'fixed', micros: '1000000' } } })).status).toBe(200);
    const r = await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { terms: { cpaFlatMicros: '6000000' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.campaign.terms).toMatchObject({ cpaFlatMicros: '6000000', payout: { kind: 'fixed', micros: '1000000' } });
  });

  it("keeps publishers' revenue shares operator-only", async () => {
    const r = await h.api('PATCH', '/v1/publishers/pub_news', w.publisherKey, { revShareBps: 10_000 });
    expect(r.status).toBe(403);
  });
});
