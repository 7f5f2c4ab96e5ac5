/**
 * Finding conversions (issue 14): GET /v1/conversions (and the CSV) filtered by status — with `held`
 * for the review queue —, campaign, publisher, conversion action, order ID and date, each checked
 * before a query runs, and never reaching past the caller's own conversions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATOR_KEY, cpaSale, createHarness, seedWorld, type Harness, type World } from '../test-fixtures';

let h: Harness;
let w: World;
let ids: Record<string, string>;
beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h);
  ids = {};
  for (const order of ['F-1', 'F-2', 'F-3']) {
    ids[order] = await cpaSale(h, w, order);
    h.clock.advance(60_000);
  }
  await h.api('POST', `/v1/conversions/${ids['F-2']}/dispute`, w.advertiserKey, { reason: 'never shipped' });
});
afterEach(() => h.close());

const list = async (query: string, key = w.advertiserKey) => {
  const r = await h.api('GET', `/v1/conversions?${query}`, key);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body.conversions as { id: string; orderId: string }[]).map((c) => c.orderId).sort();
};

describe('GET /v1/conversions filters', () => {
  it('finds a conversion by its exact order ID', async () => {
    expect(await list('orderId=F-3')).toEqual(['F-3']);
    expect(await list('orderId=F')).toEqual([]);
  });

  it('shows the review queue (held: pending and disputed) and one state', async () => {
    expect(await list('status=held')).toEqual(['F-2']);
    expect(await list('status=approved')).toEqual(['F-1', 'F-3']);
  });

  it('filters by campaign, publisher, conversion action and date together', async () => {
    expect(await list(`campaignId=${w.campaignId}&publisherId=${w.publisherId}&action=purchase`)).toEqual(['F-1', 'F-2', 'F-3']);
    expect(await list('publisherId=pub_other')).toEqual([]);
    expect(await list('action=signup')).toEqual([]);
    const all = (await h.api('GET', '/v1/conversions', w.advertiserKey)).body.conversions as { orderId: string; receivedAt: number }[];
    const f2 = all.find((c) => c.orderId === 'F-2')!.receivedAt;
    expect(await list(`from=${f2}&to=${f2 + 1}`)).toEqual(['F-2']);
  });

  it('never shows another advertiser’s conversion, whatever the filter', async () => {
    const other = await h.api('POST', '/v1/advertisers', OPERATOR_KEY, { name: 'Other', currency: 'EUR' });
    expect(await list('orderId=F-1', other.body.apiKey)).toEqual([]);
    expect(await list(`orderId=F-1&advertiserId=${w.advertiserId}`, other.body.apiKey)).toEqual([]);
    expect(await list('orderId=F-1', OPERATOR_KEY)).toEqual(['F-1']);
  });

  it.each([
    ['status=lost', /status/],
    ['action=Purchase!', /action/],
    [`orderId=${'x'.repeat(129)}`, /128/],
    ['orderId=a%00b', /control/],
    ['orderid=F-1', /unknown|orderid/i],
  ])('refuses %s with a 400 and the reason', async (query, reason) => {
    const r = await h.api('GET', `/v1/conversions?${query}`, w.advertiserKey);
    expect(r.status).toBe(400);
    expect(r.body.reason).toMatch(reason);
  });

  it('exports the filtered rows as CSV', async () => {
    const res = await h.request('/v1/conversions.csv?status=held', { headers: { authorization: `Bearer ${w.advertiserKey}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('F-2');
    expect(text).not.toContain('F-1');
  });
});
