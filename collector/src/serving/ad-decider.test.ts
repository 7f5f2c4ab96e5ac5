/**
 * The ad decision (SPEC §3.5) over many `GET /ad` calls with a seeded rng: the higher expected
 * eCPM wins, a campaign out of daily budget is never served, pacing holds back a campaign that is
 * ahead of its share of the day, and Thompson sampling still serves a campaign with no history
 * part of the time. History (served impressions and clicks) is written straight into the store;
 * spend comes from real, billed clicks through the redirect.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../core/terms';
import type { Store } from '../store/store';
import {
  OPERATOR_KEY,
  addCampaign,
  clickThrough,
  createHarness,
  seededRng,
  seedWorld,
  serveAd,
  type Harness,
  type TermsInput,
  type World,
} from '../test-fixtures';

let h: Harness;
let w: World;
afterEach(() => h.close());

/** Writes `impressions` valid served impressions and `clicks` valid clicks of a campaign, a day ago. */
async function history(store: Store, at: number, campaignId: string, creativeId: string, impressions: number, clicks: number) {
  await store.write(async (tx) => {
    const common = { siteId: 'site_news', slotId: 'slot_top', publisherId: 'pub_news', campaignId, creativeId, advertiserId: 'adv_shop', termsVersion: 1, pageViewId: null, at: at - DAY_MS, receivedAt: at - DAY_MS, invalidReason: null, costMicros: 0n };
    for (let k = 0; k < impressions; k++) {
      await tx.insertImpression({ ...common, decisionId: `h_${campaignId}_${k}`, kind: 'served', eventId: `h_${campaignId}_${k}`, sourceKey: `s${k}`, billing: 'no_charge' });
    }
    for (let k = 0; k < clicks; k++) {
      await tx.insertClick({ ...common, clickId: `hc_${campaignId}_${k}`, decisionId: `h_${campaignId}_${k}`, via: 'redirect', eventId: `hc_${campaignId}_${k}`, sourceKey: `s${k}`, ipKey: null, duplicateOf: null, billing: 'no_charge' });
    }
  });
}

/** Asks for `n` decisions and counts the winning campaigns (null when nothing was served). */
async function decisions(n: number): Promise<Map<string | null, number>> {
  const wins = new Map<string | null, number>();
  for (let k = 0; k < n; k++) {
    const res = await h.request(`/ad?slot=${w.slotId}`);
    expect(res.status).toBe(200);
    const { ad } = (await res.json()) as { ad: { tk: string } | null };
    const c = ad ? (JSON.parse(Buffer.from(ad.tk.split('.')[0]!, 'base64url').toString()) as { c: string }).c : null;
    wins.set(c, (wins.get(c) ?? 0) + 1);
  }
  return wins;
}

async function twoCampaigns(a: TermsInput, b: TermsInput, seed = 7) {
  h = await createHarness({ rng: seededRng(seed) });
  w = await seedWorld(h, { terms: a });
  await addCampaign(h, w, { id: 'cmp_b', creativeId: 'cr_b', terms: b });
  h.decider.invalidate();
}

describe('ranking by expected eCPM', () => {
  it('serves the campaign whose history gives it the higher expected eCPM, at equal bids', async () => {
    const bid: TermsInput = { costModel: 'cpc', cpcMicros: '500000' };
    await twoCampaigns(bid, bid);
    await history(h.store, h.clock(), 'cmp_main', 'cr_main', 10_000, 300); // CTR 3 %
    await history(h.store, h.clock(), 'cmp_b', 'cr_b', 10_000, 50); // CTR 0.5 %
    h.decider.invalidate();
    const wins = await decisions(400);
    expect(wins.get('cmp_main') ?? 0).toBeGreaterThanOrEqual(396);
  });

  it('compares across cost models: a 20.00 CPM beats a CPC worth about 15.00 per thousand, which beats a 3.00 CPM', async () => {
    await twoCampaigns({ costModel: 'cpc', cpcMicros: '500000' }, { costModel: 'cpm', cpmMicros: '20000000' });
    await addCampaign(h, w, { id: 'cmp_c', creativeId: 'cr_c', terms: { costModel: 'cpm', cpmMicros: '3000000' } });
    await history(h.store, h.clock(), 'cmp_main', 'cr_main', 10_000, 300); // 0.50 × 3 % × 1000 = 15.00
    h.decider.invalidate();
    expect((await decisions(200)).get('cmp_b')).toBe(200);
    expect((await h.api('PATCH', '/v1/campaigns/cmp_b', w.advertiserKey, { status: 'paused' })).status).toBe(200);
    expect((await decisions(200)).get('cmp_main')).toBe(200);
  });

  it('gives a campaign with no history a share of the decisions (Thompson sampling), where a mean-only ranking would give it none', async () => {
    const bid: TermsInput = { costModel: 'cpc', cpcMicros: '500000' };
    await twoCampaigns(bid, bid, 11);
    // The incumbent's CTR (1.2 %) is known well and above the prior mean (1 %) of the newcomer.
    await history(h.store, h.clock(), 'cmp_main', 'cr_main', 20_000, 240);
    h.decider.invalidate();
    const wins = await decisions(1000);
    const fresh = wins.get('cmp_b') ?? 0;
    expect(fresh).toBeGreaterThan(100);
    expect(fresh).toBeLessThan(500);
    expect((wins.get('cmp_main') ?? 0) + fresh).toBe(1000);
  });

  it('decides the same way for the same seed', async () => {
    const bid: TermsInput = { costModel: 'cpc', cpcMicros: '500000' };
    const runs: string[] = [];
    for (let r = 0; r < 2; r++) {
      await twoCampaigns(bid, bid, 99);
      const seq: string[] = [];
      for (let k = 0; k < 60; k++) seq.push((await serveAd(h, w.slotId)).campaignId);
      runs.push(seq.join(','));
      if (r === 0) await h.close();
    }
    expect(runs[0]).toBe(runs[1]);
    expect(new Set(runs[0]!.split(',')).size).toBe(2);
  });
});

describe('budgets and pacing', () => {
  it('never serves a campaign whose daily budget is spent, and serves it again the next UTC day', async () => {
    await twoCampaigns({ costModel: 'cpc', cpcMicros: '500000', dailyBudgetMicros: '1000000' }, { costModel: 'cpc', cpcMicros: '500000' });
    await history(h.store, h.clock(), 'cmp_main', 'cr_main', 10_000, 500); // it would win nearly always
    h.decider.invalidate();
    expect((await decisions(50)).get('cmp_main')).toBeGreaterThan(45);
    // Two billed clicks spend the 1.00 daily budget.
    for (const peer of ['192.0.2.1', '192.0.2.2']) {
      const ad = await serveAd(h, w.slotId);
      expect(ad.campaignId).toBe('cmp_main');
      await clickThrough(h, ad.tk, { 'x-test-peer': peer });
    }
    expect((await h.store.reports.campaignSpend('2026-11-30')).get('cmp_main')!.dayMicros).toBe(1_000_000n);
    h.clock.advance(3_000); // past the decider's spend cache
    const wins = await decisions(300);
    expect(wins.get('cmp_main') ?? 0).toBe(0);
    expect(wins.get('cmp_b')).toBe(300);
    h.clock.set(Date.UTC(2026, 11, 1, 0, 0, 1));
    expect((await decisions(50)).get('cmp_main') ?? 0).toBeGreaterThan(0);
  });

  it('never serves a campaign whose total budget is spent', async () => {
    h = await createHarness({ rng: seededRng(3) });
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '500000', totalBudgetMicros: '500000' } });
    await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    h.clock.advance(3_000);
    expect((await decisions(20)).get(null)).toBe(20);
  });

  it("holds back a campaign ahead of its share of the day: at 06:00 UTC, spend above 25 % + slack is not served", async () => {
    const midnight = Date.UTC(2026, 11, 2, 0, 0, 0);
    h = await createHarness({ rng: seededRng(5) });
    h.clock.set(midnight);
    // Daily budget 100.00, bid 1.00: slack = max(2 % of budget, one bid) = 2.00.
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '1000000', dailyBudgetMicros: '100000000' } });
    const tokens: string[] = [];
    for (let k = 0; k < 28; k++) tokens.push((await serveAd(h, w.slotId)).tk);
    // Early in the day it would be held back after two clicks already; the tokens were issued before.
    h.clock.set(midnight + 5 * 3_600_000);
    const clickIds: string[] = [];
    for (const [k, tk] of tokens.entries()) clickIds.push((await clickThrough(h, tk, { 'x-test-peer': `198.18.0.${k + 1}` })).clickId!);
    expect((await h.store.reports.campaignSpend('2026-12-02')).get('cmp_main')!.dayMicros).toBe(28_000_000n);

    h.clock.set(midnight + 6 * 3_600_000); // 25 % of the day: target 25.00 + 2.00 = 27.00 < 28.00
    h.decider.invalidate();
    expect((await decisions(50)).get(null)).toBe(50);
    // One click found invalid gives 1.00 back: 27.00 is on pace at 06:00 …
    expect((await h.api('POST', `/v1/clicks/${clickIds[0]}/invalidate`, OPERATOR_KEY, {})).status).toBe(200);
    h.decider.invalidate();
    expect((await decisions(50)).get('cmp_main')).toBe(50);
    // … but not a minute earlier.
    h.clock.set(midnight + 6 * 3_600_000 - 60_000);
    h.decider.invalidate();
    expect((await decisions(20)).get(null)).toBe(20);
    // And late in the day there is room again.
    h.clock.set(midnight + 20 * 3_600_000);
    h.decider.invalidate();
    expect((await decisions(20)).get('cmp_main')).toBe(20);
  });

  it('serves a campaign without a daily budget at any hour', async () => {
    h = await createHarness({ rng: seededRng(5) });
    h.clock.set(Date.UTC(2026, 11, 2, 0, 0, 1));
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '1000000' } });
    for (let k = 0; k < 5; k++) await clickThrough(h, (await serveAd(h, w.slotId)).tk, { 'x-test-peer': `198.18.1.${k}` });
    h.clock.advance(3_000);
    expect((await decisions(20)).get('cmp_main')).toBe(20);
  });
});

describe('slot size and per-publisher caps', () => {
  it("prefers a creative of the slot's own size, and falls back to a smaller one only when none is eligible", async () => {
    // cmp_main has a 300×250 creative; a 300×600 slot gets it only while nothing 300×600 is eligible.
    h = await createHarness({ rng: seededRng(11) });
    w = await seedWorld(h, { terms: { costModel: 'cpm', cpmMicros: '9000000' } });
    expect((await h.api('POST', '/v1/slots', OPERATOR_KEY, { id: 'slot_sky', siteId: w.newsSiteId, name: 'Sky', size: '300x600' })).status).toBe(201);
    h.decider.invalidate();
    const first = await serveAd(h, 'slot_sky');
    expect(first.creativeId).toBe('cr_main');
    // A lower-paying campaign with a creative of the slot's size now wins every time: size first.
    expect((await h.api('POST', '/v1/campaigns', OPERATOR_KEY, { id: 'cmp_sky', advertiserId: w.advertiserId, name: 'sky', landingUrl: 'https://shop.example/', terms: { costModel: 'cpm', cpmMicros: '1000000' } })).status).toBe(201);
    expect((await h.api('POST', '/v1/creatives', OPERATOR_KEY, { id: 'cr_sky', campaignId: 'cmp_sky', size: '300x600', imageUrl: '/sky.png', alt: 'sky' })).status).toBe(201);
    h.decider.invalidate();
    for (let k = 0; k < 20; k++) expect((await serveAd(h, 'slot_sky')).creativeId).toBe('cr_sky');
  });

  it('stops serving a campaign with a publisher once its per-publisher daily cap is spent there', async () => {
    await twoCampaigns({ costModel: 'cpc', cpcMicros: '500000', publisherDailyCapMicros: '500000' }, { costModel: 'cpc', cpcMicros: '10000' });
    await history(h.store, h.clock(), 'cmp_main', 'cr_main', 10_000, 500); // it would win nearly always
    h.decider.invalidate();
    const ad = await serveAd(h, w.slotId);
    expect(ad.campaignId).toBe('cmp_main');
    await clickThrough(h, ad.tk); // one billed click spends the publisher's cap
    expect((await h.store.reports.publisherSpend('2026-11-30')).get('cmp_main')?.get(w.publisherId)).toBe(500_000n);
    h.clock.advance(3_000); // past the decider's spend cache
    const wins = await decisions(100);
    expect(wins.get('cmp_main') ?? 0).toBe(0);
    expect(wins.get('cmp_b')).toBe(100);
  });
});

