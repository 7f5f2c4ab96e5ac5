/**
 * Issue 16's money defects, reproduced as the outside audit ran them, through `app.request()` with
 * a fixed clock. Each `describe` names the defect; each of these tests failed on a084ae3 (the
 * commit the audit ran against) and pins the rule that fixes it:
 *
 * | defect                                  | rule                                                        |
 * |-----------------------------------------|-------------------------------------------------------------|
 * | 1 oversized sale stops ad serving       | value bound (money.ts), sums that cannot overflow, last good snapshot |
 * | 2 payout above the charge               | the platform's leg is never negative without a subsidy     |
 * | 3 lowering a budget binds nothing       | caps in force when charged, whatever the token's terms     |
 * | 4 backdated clicks pay from past days   | booked on the collector's clock and its UTC day            |
 * | 10 code review                          | metric currency, reversal day, replayed postback answer    |
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../core/terms';
import { utcDay } from '../core/day';
import {
  OPERATOR_KEY,
  T0,
  balance,
  clickThrough,
  conversion,
  createHarness,
  eventId,
  expectLedgerBalanced,
  metric,
  rejectedEvents,
  scrape,
  seedWorld,
  serveAd,
  type Harness,
  type World,
} from '../test-fixtures';

let h: Harness;
let w: World;
afterEach(() => h?.close());

const adv = () => balance(h.store, `advertiser:${w.advertiserId}`);
const pub = () => balance(h.store, `publisher:${w.publisherId}`);
const platform = () => balance(h.store, 'platform');

/** A distinct visitor per call (its own IP and user agent), so flood and duplicate rules stay out of the way. */
let visitor = 0;
function peer(): Record<string, string> {
  visitor++;
  return { 'x-test-peer': `203.0.${Math.floor(visitor / 250)}.${(visitor % 250) + 1}`, 'user-agent': `Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.${visitor}.0 Safari/537.36` };
}

/** `n` ordinary 50.00 sales, each through its own click: the advertiser's usual value. */
async function usualSales(n: number): Promise<void> {
  for (let k = 0; k < n; k++) {
    const clickId = await clickFresh();
    h.clock.advance(5000);
    await h.beacon(w.shopSiteId, [conversion(h, { k: clickId, v: '50.00', o: `USUAL-${k}` })], peer());
  }
}

async function clickFresh(): Promise<string> {
  const { tk } = await serveAd(h, w.slotId, `pv${visitor}`);
  return (await clickThrough(h, tk, peer())).clickId!;
}

describe('defect 1: an oversized sale must not stop ad serving for every tenant', () => {
  it('refuses a conversion value above the documented maximum with a 4xx and keeps it in rejected_events', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpa', cpaBps: 1000 } });
    const clickId = await clickFresh();
    h.clock.advance(3000);
    const events = Array.from({ length: 10 }, (_, k) => conversion(h, { k: clickId, v: '1000000000000', o: `BIG-${k}` }));
    const res = await h.beacon(w.shopSiteId, events);
    expect(res.status).toBe(422);
    const answer = (await res.json()) as { rejected: { i: string; reason: string }[] };
    expect(answer.rejected).toHaveLength(10);
    expect(answer.rejected[0]!.reason).toBe('invalid_event');
    const kept = await rejectedEvents(h.store, w.shopSiteId);
    expect(kept.filter((r) => r.eventType === 'cv' && /maximum/.test(r.detail ?? ''))).toHaveLength(10);
    expect(await adv()).toBe(0n);
  });

  it('keeps every report and every ad decision answering after 1,000 conversions at the maximum value (Σ 10^19 µ, past int64)', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpa', cpaBps: 1 } });
    const clickId = await clickFresh();
    h.clock.advance(3000);
    for (let b = 0; b < 20; b++) {
      const events = Array.from({ length: 50 }, (_, k) => conversion(h, { k: clickId, v: '10000000000', o: `MAX-${b}-${k}` }));
      expect((await h.beacon(w.shopSiteId, events, peer())).status).toBe(202);
    }
    // Past the ad decider's stats refresh, so the sums are read again.
    h.clock.advance(60_000);
    h.decider.invalidate();
    for (const key of [OPERATOR_KEY, w.advertiserKey]) {
      const r = await h.api('GET', `/v1/reports/performance?from=${T0 - DAY_MS}&to=${h.clock() + 1}`, key);
      expect(r.status).toBe(200);
    }
    const perf = await h.api('GET', `/v1/reports/performance?from=${T0 - DAY_MS}&to=${h.clock() + 1}`, w.advertiserKey);
    expect(perf.body.rows[0].valueMicros).toBe(String(1000n * 10n ** 16n));
    expect((await h.request(`/ad?slot=${w.slotId}`)).status).toBe(200);
    await expectLedgerBalanced(h.store);
  });

  it('refuses a signed postback and a restatement above the maximum value, with a reason', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpa', cpaBps: 1000 } });
    const tooMuch = { event_id: eventId('s2s-big'), action: 'purchase', order_id: 'S-1', value_micros: String(10n ** 16n + 1n), currency: 'EUR' };
    const res = await h.s2s(w.advertiserId, w.s2sSecret, tooMuch);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/maximum/);
  });

  it('holds a beacon value far above the advertiser’s usual one for review; approving it charges it once', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpa', cpaBps: 1000 } });
    await usualSales(20);
    expect(await adv()).toBe(20n * 5_000_000n);
    const clickId = await clickFresh();
    h.clock.advance(5000);
    await h.beacon(w.shopSiteId, [conversion(h, { k: clickId, v: '10000000', o: 'HUGE' })], peer());
    const [held] = await h.store.reports.conversions({ advertiserId: w.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1);
    expect(held).toMatchObject({ orderId: 'HUGE', status: 'pending', costMicros: 0n });
    expect(held!.statusReason).toMatch(/^outlier_value: /);
    expect(await adv()).toBe(20n * 5_000_000n);
    expect((await h.api('POST', `/v1/conversions/${held!.id}/approve`, w.advertiserKey, { reason: 'a real order' })).status).toBe(200);
    expect(await adv()).toBe(20n * 5_000_000n + 1_000_000_000_000n);
    await expectLedgerBalanced(h.store);
  });

  it('never holds the value of a signed postback: the advertiser’s own server sent it', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpa', cpaBps: 1000 } });
    await usualSales(20);
    const clickId = await clickFresh();
    h.clock.advance(5000);
    const res = await h.s2s(w.advertiserId, w.s2sSecret, { event_id: eventId('s2s-huge'), action: 'purchase', click_id: clickId, order_id: 'HUGE-S2S', value: '10000000', currency: 'EUR' });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { conversion: { status: string } }).conversion.status).toBe('approved');
  });

  it('serves ads from its last good snapshot when a refresh of the catalog, stats or spend fails', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '100000' } });
    expect((await h.request(`/ad?slot=${w.slotId}`)).status).toBe(200);
    const reports = h.store.reports;
    const broken = () => Promise.reject(new Error('integer overflow'));
    Object.assign(reports, { campaignStats: broken, campaignSpend: broken });
    h.clock.advance(120_000);
    h.decider.invalidate();
    const res = await h.request(`/ad?slot=${w.slotId}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { ad: unknown }).ad).not.toBeNull();
  });
});

describe('defect 2: the platform never pays the publisher more than it charged', () => {
  it('caps a fixed payout of 5.00 on a 1 µ click at 1 µ: the platform leg is 0, not −4,999,999', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '1' } });
    const set = await h.api('PATCH', `/v1/campaigns/${w.campaignId}`, OPERATOR_KEY, { terms: { payout: { kind: 'fixed', micros: '5000000' } } });
    expect(set.status).toBe(200);
    await clickFresh();
    expect(await adv()).toBe(1n);
    expect(await pub()).toBe(-1n);
    expect(await platform()).toBe(0n);
  });

  it('pays a subsidised fixed payout in full, the platform recording the subsidy', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '1' } });
    const set = await h.api('PATCH', `/v1/campaigns/${w.campaignId}`, OPERATOR_KEY, { terms: { payout: { kind: 'fixed', micros: '5000000' }, subsidy: true } });
    expect(set.status).toBe(200);
    expect(set.body.campaign.terms).toMatchObject({ payout: { kind: 'fixed', micros: '5000000' }, subsidy: true });
    await clickFresh();
    expect(await pub()).toBe(-5_000_000n);
    expect(await platform()).toBe(4_999_999n);
  });

  it('refuses a payout or a subsidy from the advertiser itself', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '1' } });
    for (const terms of [{ payout: { kind: 'fixed', micros: '5000000' } }, { subsidy: true }, { payout: { kind: 'share', bps: 10_000 } }]) {
      expect((await h.api('PATCH', `/v1/campaigns/${w.campaignId}`, w.advertiserKey, { terms })).status).toBe(403);
    }
  });
});

describe('defect 3: every charge is checked against the caps in force when it is charged', () => {
  it('stops spending at the lowered budget, whatever terms version the ad tokens carry', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '100000', totalBudgetMicros: '1000000' } });
    const tokens: string[] = [];
    for (let k = 0; k < 10; k++) tokens.push((await serveAd(h, w.slotId, `pv_tok_${k}`)).tk);
    for (const tk of tokens.slice(0, 5)) await clickThrough(h, tk, peer());
    expect(await adv()).toBe(500_000n);
    const lowered = await h.api('PATCH', `/v1/campaigns/${w.campaignId}`, w.advertiserKey, { terms: { totalBudgetMicros: '600000' } });
    expect(lowered.status).toBe(200);
    for (const tk of tokens.slice(5)) await clickThrough(h, tk, peer());
    expect(await adv()).toBe(600_000n);
    await expectLedgerBalanced(h.store);
  });

  it('stops spending at once when the budget is lowered below what was already spent', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '100000' } });
    const tokens: string[] = [];
    for (let k = 0; k < 4; k++) tokens.push((await serveAd(h, w.slotId, `pv_low_${k}`)).tk);
    await clickThrough(h, tokens[0]!, peer());
    await clickThrough(h, tokens[1]!, peer());
    await h.api('PATCH', `/v1/campaigns/${w.campaignId}`, w.advertiserKey, { terms: { totalBudgetMicros: '100000' } });
    await clickThrough(h, tokens[2]!, peer());
    await clickThrough(h, tokens[3]!, peer());
    expect(await adv()).toBe(200_000n);
  });

  it('stops billing CPM impressions of a paused campaign at once', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpm', cpmMicros: '1000000000', cpmBasis: 'served' } });
    const { tk } = await serveAd(h, w.slotId, 'pv_paused');
    await h.api('PATCH', `/v1/campaigns/${w.campaignId}`, w.advertiserKey, { status: 'paused' });
    const res = await h.beacon(w.newsSiteId, [{ t: 'imp', i: eventId('imp-paused'), ts: h.clock(), tk }]);
    expect(res.status).toBe(202);
    expect(await adv()).toBe(0n);
  });
});

describe('defect 4: money is booked on the collector clock, not on the time a beacon claims', () => {
  it('bills 14 click beacons dated 0–6 days back against today’s daily budget only', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '100000', dailyBudgetMicros: '200000' } });
    h.clock.advance(7 * DAY_MS);
    const now = h.clock();
    for (let k = 0; k < 14; k++) {
      const { tk } = await serveAd(h, w.slotId, `pv_back_${k}`);
      const daysBack = k % 7;
      const res = await h.beacon(w.newsSiteId, [{ t: 'clk', i: eventId(`clk-back-${k}`), ts: now - daysBack * DAY_MS, tk }], peer(), now);
      expect(res.status).toBe(202);
    }
    expect(await adv()).toBe(200_000n);
    const spend = await h.store.reports.campaignSpend(utcDay(now));
    expect(spend.get(w.campaignId)).toEqual({ totalMicros: 200_000n, dayMicros: 200_000n });
    const ledger = await h.store.reports.ledger({ advertiserId: w.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 100);
    for (const g of ledger) expect(utcDay(g.meta.at)).toBe(utcDay(now));
  });

  it('keeps a click beacon’s claimed time no earlier than its ad was served', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '100000' } });
    const { tk } = await serveAd(h, w.slotId, 'pv_before');
    const served = h.clock();
    h.clock.advance(5000);
    await h.beacon(w.newsSiteId, [{ t: 'clk', i: eventId('clk-before'), ts: served - 3 * DAY_MS, tk }], peer(), h.clock());
    const clicks = await h.store.write((tx) => tx.touchesFor(w.advertiserId, [], null, 0));
    void clicks;
    const feed = await h.store.reports.feed({ advertiserId: w.advertiserId }, 10);
    expect(feed.some((f) => f.type === 'click')).toBe(true);
    const ledger = await h.store.reports.ledger({ advertiserId: w.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10);
    expect(ledger[0]!.meta.at).toBe(h.clock());
  });

  it('keeps a conversion beacon that claims to be more than 7 days old, unbilled and counted as late_event', async () => {
    h = await createHarness();
    w = await seedWorld(h);
    const clickId = await clickFresh();
    h.clock.advance(8 * DAY_MS);
    const now = h.clock();
    const ev = { ...conversion(h, { k: clickId, o: 'LATE-1' }), ts: now - 8 * DAY_MS };
    const res = await h.beacon(w.shopSiteId, [ev], {}, now);
    expect(res.status).toBe(202);
    const [c] = await h.store.reports.conversions({ advertiserId: w.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10);
    expect(c!.status).toBe('rejected');
    expect(c!.statusReason).toBe('invalid: late_event');
    expect(await adv()).toBe(0n);
    expect(metric(await scrape(h), 'pp_events_invalid_total', { reason: 'late_event' })).toBe(1);
  });

  it('refuses a signed postback that claims to have happened more than 90 days ago, and keeps it', async () => {
    h = await createHarness();
    w = await seedWorld(h);
    const res = await h.s2s(w.advertiserId, w.s2sSecret, { event_id: eventId('s2s-old'), action: 'purchase', order_id: 'OLD-1', occurred_at: h.clock() - 91 * DAY_MS });
    expect(res.status).toBe(422);
    expect((await rejectedEvents(h.store)).some((r) => r.reason === 'stale_conversion')).toBe(true);
  });
});

describe('defect 10: found in code review', () => {
  it('labels a charge with the campaign’s currency when the conversion is reported in another', async () => {
    h = await createHarness();
    w = await seedWorld(h);
    const clickId = await clickFresh();
    h.clock.advance(5000);
    expect((await h.beacon(w.shopSiteId, [conversion(h, { k: clickId, v: '10', c: 'USD', o: 'FX-1' })])).status).toBe(202);
    const text = await scrape(h);
    expect(metric(text, 'pp_billed_micros_total', { currency: 'EUR' })).toBe(5_000_000);
    expect(metric(text, 'pp_billed_micros_total', { currency: 'USD' })).toBe(0);
  });

  it('gives a reversed charge back to the budget of the day it was charged on, not the day of the reversal', async () => {
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpa', cpaFlatMicros: '5000000', dailyBudgetMicros: '5000000' } });
    const clickId = await clickFresh();
    h.clock.advance(5000);
    const day1 = utcDay(h.clock());
    await h.beacon(w.shopSiteId, [conversion(h, { k: clickId, o: 'REV-1' })]);
    const [c] = await h.store.reports.conversions({ advertiserId: w.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10);
    expect(c!.costMicros).toBe(5_000_000n);
    h.clock.advance(DAY_MS);
    const day2 = utcDay(h.clock());
    expect((await h.api('POST', `/v1/conversions/${c!.id}/reverse`, w.advertiserKey, { reason: 'refund' })).status).toBe(200);
    expect((await h.store.reports.campaignSpend(day1)).get(w.campaignId)?.dayMicros).toBe(0n);
    expect((await h.store.reports.campaignSpend(day2)).get(w.campaignId)?.dayMicros ?? 0n).toBe(0n);
    // Today's daily budget is whole: a second sale today is charged in full, not twice.
    const second = await clickFresh();
    h.clock.advance(5000);
    await h.beacon(w.shopSiteId, [conversion(h, { k: second, o: 'REV-2' })]);
    expect((await h.store.reports.campaignSpend(day2)).get(w.campaignId)?.dayMicros).toBe(5_000_000n);
  });

  it('answers a replayed postback with the same billedMicros and currency as the first', async () => {
    h = await createHarness();
    w = await seedWorld(h);
    const clickId = await clickFresh();
    h.clock.advance(5000);
    const body = { event_id: eventId('s2s-replay'), action: 'purchase', click_id: clickId, order_id: 'R-1', value: '10', currency: 'USD' };
    const first = (await (await h.s2s(w.advertiserId, w.s2sSecret, body)).json()) as { billedMicros: string; currency: string };
    const again = (await (await h.s2s(w.advertiserId, w.s2sSecret, body)).json()) as { billedMicros: string; currency: string; status: string };
    expect(first).toMatchObject({ billedMicros: '5000000', currency: 'EUR' });
    expect(again).toMatchObject({ status: 'duplicate', billedMicros: '5000000', currency: 'EUR' });
  });
});
