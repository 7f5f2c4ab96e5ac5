/**
 * The role table of ARCHITECTURE.md ("What each role may see"), report by report and role by role
 * (issue 16 item 6): a publisher sees its traffic, its earnings and eCPM — never the advertiser's
 * cost, conversions, sale values, order IDs, the platform's margin, nor the IDs and idempotency keys
 * of the advertiser's actions. Advertisers see their own charges with the split (transparency); the
 * operator sees everything.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATOR_KEY, createHarness, seedTraffic, seedWorld, type Harness, type Traffic, type World } from '../test-fixtures';

let h: Harness;
let w: World;
let t: Traffic;

beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h); // CPA 5.00 flat, publisher 70 %: the conversion costs 5.00, earns the publisher 3.50
  t = await seedTraffic(h, w);
});
afterEach(() => h.close());

/** What must never reach a publisher: the advertiser's money, its sale and the IDs of its actions. */
function expectNothingOfTheAdvertiser(text: string) {
  // Amounts as they would appear: quoted micros in JSON, currency units in CSV.
  for (const secret of [t.conversionId, t.clickId, 'A-1001', '"49900000"', '49.90', '"5000000"', '"1500000"', ',5.00', ',1.50', 'platform', 'advertiser:', 'costMicros', 'valueMicros', 'conversions']) {
    expect(text, `leaks ${secret}`).not.toContain(secret);
  }
}

describe('GET /v1/reports/performance', () => {
  it.each(['', '?perDay=1', '?groupBy=campaign', '?groupBy=publisher', '?groupBy=creative', '?groupBy=campaign&perDay=1'])(
    'shows a publisher its traffic, earnings and eCPM, and none of the advertiser money (%s)',
    async (q) => {
      const r = await h.api('GET', `/v1/reports/performance${q}`, w.publisherKey);
      expect(r.status).toBe(200);
      expect(r.body.rows).toHaveLength(1);
      const row = r.body.rows[0];
      expect(row).toMatchObject({ currency: 'EUR', served: 1, viewable: 1, clicks: 1, invalidClicks: 1, earningMicros: '3500000' });
      // eCPM: earning per 1,000 served and per 1,000 viewable impressions, in micros.
      expect(row).toMatchObject({ ecpmServedMicros: '3500000000', ecpmViewableMicros: '3500000000' });
      expect(Object.keys(row)).not.toEqual(expect.arrayContaining(['costMicros']));
      expect(row).not.toHaveProperty('valueMicros');
      expect(row).not.toHaveProperty('conversions');
      expect(row).not.toHaveProperty('platformMicros');
      expectNothingOfTheAdvertiser(JSON.stringify(r.body));
    },
  );

  it('shows the advertiser its cost, conversions, value and the split of its charges', async () => {
    const [row] = (await h.api('GET', '/v1/reports/performance', w.advertiserKey)).body.rows;
    expect(row).toMatchObject({ key: 'cmp_main', conversions: 1, valueMicros: '49900000', costMicros: '5000000', earningMicros: '3500000', platformMicros: '1500000' });
  });

  it('shows the operator everything, eCPM included', async () => {
    const [row] = (await h.api('GET', '/v1/reports/performance?groupBy=slot', OPERATOR_KEY)).body.rows;
    expect(row).toMatchObject({ key: 'slot_top', conversions: 1, valueMicros: '49900000', costMicros: '5000000', earningMicros: '3500000', platformMicros: '1500000', ecpmServedMicros: '3500000000' });
  });
});

describe('the ledger', () => {
  it("shows a publisher its own legs with group, kind, time, campaign, slot, currency and reason — no action IDs or keys", async () => {
    const r = await h.api('GET', '/v1/ledger', w.publisherKey);
    expect(r.status).toBe(200);
    expect(r.body.groups).toEqual([
      {
        id: expect.any(Number),
        kind: 'charge',
        meta: { at: expect.any(Number), campaignId: 'cmp_main', slotId: 'slot_top', currency: 'EUR', reason: null },
        legs: [{ account: 'publisher:pub_news', side: 'credit', micros: '3500000' }],
      },
    ]);
    expectNothingOfTheAdvertiser(JSON.stringify(r.body));
  });

  it('exports the same projection as CSV to a publisher', async () => {
    const r = await h.api('GET', '/v1/ledger.csv', w.publisherKey);
    expect(r.status).toBe(200);
    const lines = (r.body as string).trimEnd().split('\r\n');
    expect(lines[0]).toBe('group,kind,at,campaign,slot,currency,account,debit,credit,reason');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/,charge,.*,cmp_main,slot_top,EUR,publisher:pub_news,,3\.50?0*,$/);
    expectNothingOfTheAdvertiser(r.body as string);
  });

  it('shows the advertiser every leg of its groups, with their keys', async () => {
    const [g] = (await h.api('GET', '/v1/ledger', w.advertiserKey)).body.groups;
    expect(g.key).toBe(`conversion:${t.conversionId}`);
    expect(g.legs.map((l: { account: string }) => l.account).sort()).toEqual(['advertiser:adv_shop', 'platform', 'publisher:pub_news']);
  });
});

describe('the live feed', () => {
  it('shows a publisher its slots with earnings instead of cost, and no conversions', async () => {
    const r = await h.api('GET', '/v1/feed', w.publisherKey);
    expect(r.status).toBe(200);
    const types = new Set(r.body.items.map((i: { type: string }) => i.type));
    expect(types).toEqual(new Set(['served', 'viewable', 'click']));
    expectNothingOfTheAdvertiser(JSON.stringify(r.body));
  });

  it('tells a publisher what it earned on a charged click, never what the advertiser paid', async () => {
    const c = await createHarness();
    try {
      const cw = await seedWorld(c, { terms: { costModel: 'cpc', cpcMicros: '1000000' } });
      await seedTraffic(c, cw);
      const pub = JSON.stringify((await c.api('GET', '/v1/feed', cw.publisherKey)).body);
      expect(pub).toContain('earned 700000');
      expect(pub).not.toContain('1000000');
      expect(pub).not.toContain('charged');
      expect(JSON.stringify((await c.api('GET', '/v1/feed', cw.advertiserKey)).body)).toContain('charged 1000000');
    } finally {
      await c.close();
    }
  });
});

describe('conversions', () => {
  it.each(['/v1/conversions', '/v1/conversions.csv', '/v1/conversions/cv_unknown'])('answers a publisher 403 for %s, and the same for a conversion that exists', async (path) => {
    const r = await h.api('GET', path, w.publisherKey);
    expect(r.status).toBe(403);
    const real = await h.api('GET', `/v1/conversions/${t.conversionId}`, w.publisherKey);
    expect(real.status).toBe(403);
    expect(real.body).toEqual(r.body);
  });
});
