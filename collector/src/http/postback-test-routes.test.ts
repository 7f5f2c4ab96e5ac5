/**
 * The postback console's test run (issue 14): POST /v1/conversions/test answers what a signed
 * postback would get — HTTP status, body, attribution and price — and keeps nothing: no conversion,
 * no ledger entry, no spend, nothing in the reports or the billing metrics.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { utcDay } from '../core/day';
import { balance, clickThrough, createHarness, eventId, metric, scrape, seedWorld, serveAd, type Harness, type World } from '../test-fixtures';

let h: Harness;
let w: World;
let clickId: string;
beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h, { terms: { costModel: 'cpa', cpaFlatMicros: '1000000', cpaBps: 1000 } });
  clickId = (await clickThrough(h, (await serveAd(h, w.slotId)).tk)).clickId!;
  h.clock.advance(60_000);
});
afterEach(() => h.close());

const body = (o: Record<string, unknown> = {}) => ({ event_id: eventId('console-1'), action: 'purchase', click_id: clickId, order_id: 'T-1', value: '49.90', currency: 'EUR', ...o });
const test = (b: unknown, key = w.advertiserKey) => h.api('POST', '/v1/conversions/test', key, b);

describe('POST /v1/conversions/test', () => {
  it('answers what the signed postback would get — 201, the price, the winning click — and keeps nothing', async () => {
    const metricsBefore = await scrape(h);
    const groupsBefore = (await h.store.reports.ledgerTotals()).groups;
    const r = await test(body());
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ test: true, kept: false, http: { status: 201, body: { status: 'stored', billedMicros: '5990000', currency: 'EUR' } } });
    expect(r.body.verdict.conversion).toMatchObject({ status: 'approved', touchId: clickId, costMicros: '5990000', orderId: 'T-1' });
    expect(r.body.verdict.conversion.decision.outcome).toBe('attributed');
    expect(r.body.verdict.ledger.map((g: { kind: string }) => g.kind)).toEqual(['charge']);

    // Nothing reached the ledger, the spend totals, the reports or the billing metrics.
    expect((await h.store.reports.ledgerTotals()).groups).toBe(groupsBefore);
    expect(await balance(h.store, `advertiser:${w.advertiserId}`)).toBe(0n);
    const spend = await h.store.write((tx) => tx.spend(w.campaignId, w.publisherId, utcDay(h.clock())));
    expect(Object.values(spend).every((v) => v === 0n)).toBe(true);
    expect((await h.api('GET', '/v1/conversions', w.advertiserKey)).body.conversions).toEqual([]);
    const perf = (await h.api('GET', '/v1/reports/performance', w.advertiserKey)).body;
    expect(JSON.stringify(perf)).not.toMatch(/"conversions":[1-9]/);
    const metricsAfter = await scrape(h);
    expect(metric(metricsAfter, 'pp_billed_micros_total')).toBe(metric(metricsBefore, 'pp_billed_micros_total'));
  });

  it('gives the same answer every time (nothing is kept to deduplicate against), and "duplicate" once the real postback was sent', async () => {
    expect((await test(body())).body.http.status).toBe(201);
    expect((await test(body())).body.http.status).toBe(201);
    expect((await h.s2s(w.advertiserId, w.s2sSecret, body())).status).toBe(201);
    const after = await test(body());
    expect(after.body.http).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(await balance(h.store, `advertiser:${w.advertiserId}`)).toBe(5_990_000n);
    const conflict = await test(body({ value: '10.00' }));
    expect(conflict.body.http.status).toBe(409);
  });

  it('shows an unattributed verdict for an unknown click, and refuses a bad body, a publisher and no key', async () => {
    const r = await test(body({ click_id: 'nosuchclick', event_id: eventId('console-2') }));
    expect(r.body.http.status).toBe(201);
    expect(r.body.verdict.conversion).toMatchObject({ status: 'unattributed', costMicros: '0' });
    expect((await test({ ...body(), extra: 1 })).status).toBe(400);
    expect((await test(body(), w.publisherKey)).status).toBe(403);
    expect((await h.api('POST', '/v1/conversions/test', null, body())).status).toBe(401);
  });
});
