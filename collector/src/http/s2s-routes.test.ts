/**
 * Server-to-server conversions and conversion commands through `app.request()`: the signature
 * rules (SPEC §3.1), idempotency (§3.2), the merge of a browser beacon with a signed postback, the
 * state table of core/conversion-status.ts and click invalidation. Money is read back from the
 * stored conversion and the ledger.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S2S_TOLERANCE_SECONDS, signS2s } from './s2s-routes';
import {
  OPERATOR_KEY,
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

/** CPA: 1.00 flat + 10 % of the value; the publisher earns 70 % of the cost. */
const CPA = { costModel: 'cpa', cpaFlatMicros: '1000000', cpaBps: 1000 } as const;

let h: Harness;
let w: World;
let clickId: string;
beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h, { terms: CPA });
  clickId = (await clickThrough(h, (await serveAd(h, w.slotId)).tk)).clickId!;
  h.clock.advance(60_000); // past the 3 s minimum click-to-conversion time
});
afterEach(() => h.close());

const adv = () => balance(h.store, `advertiser:${w.advertiserId}`);
const pub = () => balance(h.store, `publisher:${w.publisherId}`);
const allConversions = () => h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 100);
const groups = (id: string) => h.store.write((tx) => tx.groupsFor('conversion', id));
const body = (o: Record<string, unknown> = {}) => ({ event_id: eventId('s2s-1'), action: 'purchase', click_id: clickId, order_id: 'O-1', value: '49.90', currency: 'EUR', ...o });

/** A signed request with explicit headers (null leaves one out). */
function signed(raw: string, o: { advertiser?: string | null; ts?: number | null; sig?: string | null; secret?: string } = {}) {
  const ts = o.ts === undefined ? Math.floor(h.clock() / 1000) : o.ts;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const advertiser = o.advertiser === undefined ? w.advertiserId : o.advertiser;
  if (advertiser !== null) headers['x-pp-advertiser'] = advertiser;
  if (ts !== null) headers['x-pp-timestamp'] = String(ts);
  const sig = o.sig === undefined ? signS2s(o.secret ?? w.s2sSecret, ts ?? 0, raw) : o.sig;
  if (sig !== null) headers['x-pp-signature'] = sig;
  return h.request('/v1/conversions', { method: 'POST', headers, body: raw });
}

describe('POST /v1/conversions: signature', () => {
  it('stores a signed conversion (201), attributes it to the click and charges it', async () => {
    const res = await h.s2s(w.advertiserId, w.s2sSecret, body());
    expect(res.status).toBe(201);
    const out = (await res.json()) as { status: string; conversion: { id: string; costMicros: string } };
    expect(out.status).toBe('stored');
    expect(out.conversion).toMatchObject({ status: 'approved', touchId: clickId, origin: 's2s', valueMicros: '49900000', costMicros: '5990000' });
    expect(await adv()).toBe(5_990_000n);
    expect(await pub()).toBe(-4_193_000n); // credited 70 % of 5.99
    await expectLedgerBalanced(h.store);
  });

  it.each([
    ['X-PP-Advertiser', { advertiser: null }],
    ['X-PP-Timestamp', { ts: null }],
    ['X-PP-Signature', { sig: null }],
  ])('answers 401 without %s and stores nothing', async (_n, o) => {
    const res = await signed(JSON.stringify(body()), o);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'bad_signature', reason: expect.stringMatching(/missing/) });
    expect(await allConversions()).toHaveLength(0);
  });

  type Case = (raw: string, ts: number) => Parameters<typeof signed>[1];
  it.each<[string, Case]>([
    ['a signature made with another secret', () => ({ secret: 'not-the-secret' })],
    ['a signature over another timestamp', (raw, ts) => ({ sig: signS2s(w.s2sSecret, ts - 1, raw) })],
    ['a signature that is not v1=<hex>', () => ({ sig: 'sha256=abc' })],
    ['an upper-case hex signature of the right bytes', (raw, ts) => ({ sig: signS2s(w.s2sSecret, ts, raw).toUpperCase().replace('V1=', 'v1=') })],
    ['an unknown advertiser', () => ({ advertiser: 'adv_nobody' })],
    ['a timestamp in milliseconds', () => ({ ts: h.clock() })],
  ])('answers 401 for %s', async (_n, make) => {
    const raw = JSON.stringify(body());
    const res = await signed(raw, make(raw, Math.floor(h.clock() / 1000)));
    expect(res.status).toBe(401);
    expect(await allConversions()).toHaveLength(0);
    expect(metric(await scrape(h), 'pp_events_rejected_total', { reason: 'bad_signature' })).toBe(1);
  });

  it('answers 401 when the body was changed after signing', async () => {
    const raw = JSON.stringify(body());
    const ts = Math.floor(h.clock() / 1000);
    const res = await signed(raw.replace('49.90', '4990.00'), { sig: signS2s(w.s2sSecret, ts, raw) });
    expect(res.status).toBe(401);
    expect(await adv()).toBe(0n);
  });

  it(`takes a timestamp ${S2S_TOLERANCE_SECONDS} s away and refuses one a second further, either way`, async () => {
    const now = Math.floor(h.clock() / 1000);
    for (const [ts, status] of [
      [now - S2S_TOLERANCE_SECONDS - 1, 401],
      [now + S2S_TOLERANCE_SECONDS + 1, 401],
      [now - S2S_TOLERANCE_SECONDS, 201],
      [now + S2S_TOLERANCE_SECONDS, 201],
    ] as const) {
      const res = await h.s2s(w.advertiserId, w.s2sSecret, body({ event_id: eventId(`ts-${ts}`), order_id: `O-${ts}` }), { ts });
      expect(res.status, `ts ${ts - now}`).toBe(status);
    }
    expect(await allConversions()).toHaveLength(2);
  });

  it('verifies with both live secrets after rotate-secret, and drops the oldest at the next rotation', async () => {
    const first = w.s2sSecret;
    const r1 = await h.api('POST', `/v1/advertisers/${w.advertiserId}/rotate-secret`, w.advertiserKey);
    expect(r1.status).toBe(200);
    const second = r1.body.secret as string;
    expect(second).not.toBe(first);
    expect((await h.s2s(w.advertiserId, first, body({ event_id: eventId('old'), order_id: 'R-1' }))).status).toBe(201);
    expect((await h.s2s(w.advertiserId, second, body({ event_id: eventId('new'), order_id: 'R-2' }))).status).toBe(201);
    const r2 = await h.api('POST', `/v1/advertisers/${w.advertiserId}/rotate-secret`, OPERATOR_KEY);
    const third = r2.body.secret as string;
    expect((await h.s2s(w.advertiserId, first, body({ event_id: eventId('oldest'), order_id: 'R-3' }))).status).toBe(401);
    expect((await h.s2s(w.advertiserId, second, body({ event_id: eventId('2nd'), order_id: 'R-4' }))).status).toBe(201);
    expect((await h.s2s(w.advertiserId, third, body({ event_id: eventId('3rd'), order_id: 'R-5' }))).status).toBe(201);
    // Secrets are shown once: reads only show a prefix.
    const read = await h.api('GET', `/v1/advertisers/${w.advertiserId}`, w.advertiserKey);
    expect(JSON.stringify(read.body)).not.toContain(third);
  });

  it("refuses a publisher's or another advertiser's attempt to rotate the secret", async () => {
    expect((await h.api('POST', `/v1/advertisers/${w.advertiserId}/rotate-secret`, w.publisherKey)).status).toBe(403);
    expect((await h.api('POST', `/v1/advertisers/${w.advertiserId}/rotate-secret`, null)).status).toBe(401);
  });
});

describe('POST /v1/conversions: body and idempotency', () => {
  it.each([
    ['not JSON', '{"event_id":', 'malformed_json'],
    ['an unknown field', JSON.stringify({ event_id: eventId('x'), amount: 5 }), 'invalid_conversion'],
    ['value and value_micros both', JSON.stringify({ event_id: eventId('x'), value: '1', value_micros: '1000000' }), 'invalid_conversion'],
    ['an amount above the limit', JSON.stringify({ event_id: eventId('x'), value_micros: '9999999999999999999' }), 'invalid_conversion'],
    ['a float amount with 7 decimals', JSON.stringify({ event_id: eventId('x'), value: '1.0000001' }), 'invalid_conversion'],
    ['a short event_id', JSON.stringify({ event_id: 'x' }), 'invalid_conversion'],
    ['a bad currency', JSON.stringify({ event_id: eventId('x'), currency: 'euro' }), 'invalid_conversion'],
  ])('answers 400 for %s, keeps it in rejected_events and counts it', async (_n, raw, reason) => {
    const res = await signed(raw);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: reason });
    expect(await rejectedEvents(h.store, `s2s:${w.advertiserId}`)).toMatchObject([{ reason, endpoint: '/v1/conversions', payload: raw }]);
    expect(metric(await scrape(h), 'pp_events_rejected_total', { reason })).toBe(1);
    expect(await allConversions()).toHaveLength(0);
  });

  it("refuses a site_id that is not one of the advertiser's sites, so nobody writes into another's reports", async () => {
    const rival = await h.api('POST', '/v1/advertisers', OPERATOR_KEY, { id: 'adv_rival', name: 'Rival', currency: 'EUR' });
    const rivalSecret = rival.body.advertiser.s2sSecrets[0] as string;
    for (const site of [w.shopSiteId, w.newsSiteId, 'site_nowhere']) {
      const res = await h.s2s('adv_rival', rivalSecret, { event_id: eventId(`rival-${site}`), site_id: site });
      expect(res.status, site).toBe(422);
      expect(await res.json()).toMatchObject({ error: 'rejected', reason: 'unknown_site' });
    }
    const activity = await h.api('GET', `/v1/sites/${w.shopSiteId}/activity`, w.advertiserKey);
    expect(activity.body.activity.find((a: { type: string }) => a.type === 'conversion').count).toBe(0);
    expect(await allConversions()).toHaveLength(0);
    expect((await rejectedEvents(h.store, 's2s:adv_rival')).map((r) => r.reason)).toEqual(['unknown_site', 'unknown_site', 'unknown_site']);
    // Its own site is fine.
    expect((await h.s2s(w.advertiserId, w.s2sSecret, body({ site_id: w.shopSiteId }))).status).toBe(201);
  });

  it('answers 413 for a body over 16 KiB', async () => {
    const raw = JSON.stringify(body({ order_id: 'x'.repeat(17_000) }));
    const ts = Math.floor(h.clock() / 1000);
    const res = await h.request('/v1/conversions', {
      method: 'POST',
      headers: { 'content-length': String(raw.length), 'x-pp-advertiser': w.advertiserId, 'x-pp-timestamp': String(ts), 'x-pp-signature': signS2s(w.s2sSecret, ts, raw) },
      body: raw,
    });
    expect(res.status).toBe(413);
    expect(await allConversions()).toHaveLength(0);
    // Refused before it is read, but kept and counted like every other refusal.
    expect(await rejectedEvents(h.store)).toMatchObject([{ reason: 'body_too_large', endpoint: '/v1/conversions', siteId: null }]);
    const m = await scrape(h);
    expect(metric(m, 'pp_events_rejected_total', { reason: 'body_too_large' })).toBe(1);
    expect(metric(m, 'pp_events_received_total', { type: 's2s' })).toBe(1);
  });

  it('answers an exact replay 200 with the stored conversion and charges nothing more', async () => {
    const first = (await (await h.s2s(w.advertiserId, w.s2sSecret, body())).json()) as { conversion: { id: string } };
    h.clock.advance(30_000);
    const res = await h.s2s(w.advertiserId, w.s2sSecret, body());
    expect(res.status).toBe(200);
    const out = (await res.json()) as { status: string; conversion: { id: string } };
    expect(out).toMatchObject({ status: 'duplicate', conversion: { id: first.conversion.id } });
    expect(await allConversions()).toHaveLength(1);
    expect(await adv()).toBe(5_990_000n);
    expect((await groups(first.conversion.id)).length).toBe(1);
    expect(metric(await scrape(h), 'pp_events_deduplicated_total', { type: 's2s' })).toBe(1);
  });

  it('answers 409 for the same event_id with another payload, and changes nothing', async () => {
    await h.s2s(w.advertiserId, w.s2sSecret, body());
    const res = await h.s2s(w.advertiserId, w.s2sSecret, body({ value: '999.00' }));
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: 'conflict' });
    const [c] = await allConversions();
    expect(c).toMatchObject({ valueMicros: 49_900_000n, costMicros: 5_990_000n });
    expect(await adv()).toBe(5_990_000n);
  });

  it('answers 409 for an order already converted under another event_id, permanently', async () => {
    await h.s2s(w.advertiserId, w.s2sSecret, body());
    h.clock.advance(40 * 86_400_000);
    const res = await h.s2s(w.advertiserId, w.s2sSecret, body({ event_id: eventId('s2s-2') }));
    expect(res.status).toBe(409);
    expect(await allConversions()).toHaveLength(1);
  });
});

describe('beacon and postback for the same conversion', () => {
  const beacon = (o: Record<string, string> = {}) => conversion(h, { i: eventId('s2s-1'), k: clickId, o: 'O-1', v: '49.90', ...o });

  it('merges a later postback into the charged beacon conversion; the signed value wins and the charge is restated', async () => {
    const sent = beacon();
    expect((await h.beacon(w.shopSiteId, [sent])).status).toBe(202);
    expect(await adv()).toBe(5_990_000n);
    h.clock.advance(10_000);
    const res = await h.s2s(w.advertiserId, w.s2sSecret, body({ value: '59.90' }));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: 'merged' });
    const list = await allConversions();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ origin: 'both', status: 'restated', valueMicros: 59_900_000n, costMicros: 6_990_000n, restatements: 1 });
    const g = await groups(list[0]!.id);
    expect(g.map((x) => x.kind)).toEqual(['charge', 'restatement']);
    expect(await adv()).toBe(6_990_000n);
    expect(await pub()).toBe(-4_893_000n);
    await expectLedgerBalanced(h.store);
    // Both sides replayed: nothing moves.
    expect((await h.beacon(w.shopSiteId, [sent])).status).toBe(202);
    expect((await h.s2s(w.advertiserId, w.s2sSecret, body({ value: '59.90' }))).status).toBe(200);
    expect(await allConversions()).toHaveLength(1);
    expect(await adv()).toBe(6_990_000n);
  });

  it('keeps the signed value when the beacon arrives after the postback, and charges once', async () => {
    expect((await h.s2s(w.advertiserId, w.s2sSecret, body({ value: '59.90' }))).status).toBe(201);
    expect((await h.beacon(w.shopSiteId, [beacon({ v: '49.90' })])).status).toBe(202);
    const list = await allConversions();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ origin: 'both', valueMicros: 59_900_000n, costMicros: 6_990_000n, status: 'approved' });
    expect((await groups(list[0]!.id)).map((g) => g.kind)).toEqual(['charge']);
    expect(await adv()).toBe(6_990_000n);
  });

  it('merges on the event_id when the beacon carried no order ID, and attributes through the click the postback knew', async () => {
    expect((await h.beacon(w.shopSiteId, [conversion(h, { i: eventId('s2s-1'), v: '49.90' })])).status).toBe(202);
    expect((await allConversions())[0]).toMatchObject({ status: 'unattributed', costMicros: 0n });
    expect((await h.s2s(w.advertiserId, w.s2sSecret, body())).status).toBe(201);
    const list = await allConversions();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ origin: 'both', orderId: 'O-1', status: 'approved', touchId: clickId, costMicros: 5_990_000n });
    await expectLedgerBalanced(h.store);
  });
});

describe('conversion commands', () => {
  const store = async (o: Record<string, unknown> = {}) => {
    const res = await h.s2s(w.advertiserId, w.s2sSecret, body(o));
    expect(res.status).toBe(201);
    return ((await res.json()) as { conversion: { id: string; status: string } }).conversion;
  };
  const command = (id: string, cmd: string, key: string | null, payload: unknown = {}) => h.api('POST', `/v1/conversions/${id}/${cmd}`, key, payload);

  it('reverses an approved conversion with a clawback group: advertiser and publisher back to zero', async () => {
    const c = await store();
    const r = await command(c.id, 'reverse', w.advertiserKey, { reason: 'refund' });
    expect(r.status).toBe(200);
    expect(r.body.conversion).toMatchObject({ status: 'reversed', statusReason: 'refund', costMicros: '0' });
    expect((await groups(c.id)).map((g) => g.kind)).toEqual(['charge', 'reversal']);
    expect(await adv()).toBe(0n);
    expect(await pub()).toBe(0n);
    await expectLedgerBalanced(h.store);
    // Reversed is final.
    for (const cmd of ['reverse', 'restate', 'approve', 'reject']) {
      const again = await command(c.id, cmd, w.advertiserKey, cmd === 'restate' ? { value: '10' } : {});
      expect(again.status, cmd).toBe(409);
      expect(again.body.reason).toMatch(/reversed/);
    }
    expect((await groups(c.id)).length).toBe(2);
  });

  it('restates an approved conversion by the difference, again and again, and a reversal then claws back the net', async () => {
    const c = await store();
    const up = await command(c.id, 'restate', w.advertiserKey, { value: '99.90', reason: 'upsell' });
    expect(up.status).toBe(200);
    expect(up.body.conversion).toMatchObject({ status: 'restated', valueMicros: '99900000', costMicros: '10990000' });
    expect(await adv()).toBe(10_990_000n);
    const down = await command(c.id, 'restate', w.advertiserKey, { value_micros: '9900000' });
    expect(down.status).toBe(200);
    expect(await adv()).toBe(1_990_000n);
    expect((await groups(c.id)).map((g) => g.kind)).toEqual(['charge', 'restatement', 'restatement']);
    await expectLedgerBalanced(h.store);
    expect((await command(c.id, 'reverse', OPERATOR_KEY)).status).toBe(200);
    expect(await adv()).toBe(0n);
    expect(await pub()).toBe(0n);
    await expectLedgerBalanced(h.store);
  });

  it('refuses a restatement that would pass the daily budget, and changes nothing', async () => {
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { terms: { dailyBudgetMicros: '8000000' } })).status).toBe(200);
    const fresh = (await clickThrough(h, (await serveAd(h, w.slotId)).tk, { 'x-test-peer': '192.0.2.77' })).clickId!;
    h.clock.advance(60_000);
    const c = await store({ click_id: fresh, order_id: 'B-1', event_id: eventId('budget') });
    expect(c.status).toBe('approved');
    const r = await command(c.id, 'restate', w.advertiserKey, { value: '500.00' });
    expect(r.status).toBe(409);
    expect(r.body.reason).toMatch(/daily_budget/);
    expect(await adv()).toBe(5_990_000n);
  });

  it('holds a too-fast conversion as pending; approve charges it once, reject and reverse of pending move no money', async () => {
    const fast = (await clickThrough(h, (await serveAd(h, w.slotId)).tk, { 'x-test-peer': '192.0.2.10' })).clickId!;
    h.clock.advance(1_000); // under the 3 s minimum
    const held = await store({ click_id: fast, order_id: 'P-1', event_id: eventId('p1') });
    expect(held.status).toBe('pending');
    expect(await adv()).toBe(0n);
    const ok = await command(held.id, 'approve', w.advertiserKey, { reason: 'checked by hand' });
    expect(ok.status).toBe(200);
    expect(ok.body.conversion).toMatchObject({ status: 'approved', costMicros: '5990000' });
    // The explain record now tells what the review decided: the held click won, and what it cost.
    const decision = ok.body.conversion.decision as { candidates: { touchId: string; verdict: string; detail: string }[]; charge: { costMicros: string }; history: { action: string; netCostMicros: string }[] };
    expect(decision.candidates.find((x) => x.touchId === fast)).toMatchObject({ verdict: 'won', detail: 'approved after review: checked by hand' });
    expect(decision.charge.costMicros).toBe('5990000');
    expect(decision.history).toEqual([expect.objectContaining({ action: 'approved', netCostMicros: '5990000' })]);
    expect(await adv()).toBe(5_990_000n);
    expect((await command(held.id, 'approve', w.advertiserKey)).status).toBe(409);
    expect((await command(held.id, 'reject', w.advertiserKey)).status).toBe(409);

    const held2 = await store({ click_id: fast, order_id: 'P-2', event_id: eventId('p2') });
    expect(held2.status).toBe('pending');
    expect((await command(held2.id, 'reject', w.advertiserKey)).body.conversion).toMatchObject({ status: 'rejected' });
    expect((await command(held2.id, 'approve', w.advertiserKey)).status).toBe(409);
    const held3 = await store({ click_id: fast, order_id: 'P-3', event_id: eventId('p3') });
    expect((await command(held3.id, 'reverse', w.advertiserKey)).body.conversion).toMatchObject({ status: 'reversed' });
    expect(await adv()).toBe(5_990_000n);
    await expectLedgerBalanced(h.store);
  });

  it('records a restated value on an unattributed conversion without charging', async () => {
    const c = await store({ click_id: undefined, order_id: 'U-1', event_id: eventId('u1') });
    expect(c.status).toBe('unattributed');
    const r = await command(c.id, 'restate', w.advertiserKey, { value: '12.00' });
    expect(r.status).toBe(200);
    expect(r.body.conversion).toMatchObject({ status: 'unattributed', valueMicros: '12000000', costMicros: '0' });
    expect((await command(c.id, 'reverse', w.advertiserKey)).status).toBe(409);
    expect((await h.store.reports.ledgerTotals()).groups).toBe(0);
  });

  it('takes the S2S signature as authentication for commands', async () => {
    const c = await store();
    const raw = JSON.stringify({ reason: 'chargeback' });
    const ts = Math.floor(h.clock() / 1000);
    const res = await h.request(`/v1/conversions/${c.id}/reverse`, {
      method: 'POST',
      headers: { 'x-pp-advertiser': w.advertiserId, 'x-pp-timestamp': String(ts), 'x-pp-signature': signS2s(w.s2sSecret, ts, raw) },
      body: raw,
    });
    expect(res.status).toBe(200);
    expect(await adv()).toBe(0n);
    const forged = await h.request(`/v1/conversions/${c.id}/restate`, {
      method: 'POST',
      headers: { 'x-pp-advertiser': w.advertiserId, 'x-pp-timestamp': String(ts), 'x-pp-signature': signS2s('wrong', ts, raw) },
      body: raw,
    });
    expect(forged.status).toBe(401);
  });

  it('answers 401 without a key, 403 for a publisher, 404 for another advertiser or an unknown ID, 400 for a bad body', async () => {
    const c = await store();
    const other = await h.api('POST', '/v1/advertisers', OPERATOR_KEY, { id: 'adv_other', name: 'Other', currency: 'EUR' });
    expect((await command(c.id, 'reverse', null)).status).toBe(401);
    expect((await command(c.id, 'reverse', 'ppa_unknownkey123456')).status).toBe(401);
    expect((await command(c.id, 'reverse', w.publisherKey)).status).toBe(403);
    expect((await command(c.id, 'reverse', other.body.apiKey)).status).toBe(404);
    expect((await command('cv_nope', 'reverse', OPERATOR_KEY)).status).toBe(404);
    for (const bad of [{ value: '1', value_micros: '1' }, {}, { value: '-5' }, { value: 'ten' }]) {
      const r = await command(c.id, 'restate', w.advertiserKey, bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.reason).toBeTruthy();
    }
    expect((await command(c.id, 'reverse', w.advertiserKey, '{not json')).status).toBe(400);
    expect(await adv()).toBe(5_990_000n);
  });
});

describe('POST /v1/clicks/:id/invalidate', () => {
  it('reverses the charge of a click found invalid later and gives the budget back', async () => {
    await h.close();
    h = await createHarness();
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '800000', dailyBudgetMicros: '800000' } });
    const id = (await clickThrough(h, (await serveAd(h, w.slotId)).tk)).clickId!;
    expect(await adv()).toBe(800_000n);
    // The budget is spent: nothing more is served.
    h.decider.invalidate();
    expect(await (await h.request(`/ad?slot=${w.slotId}`)).json()).toEqual({ ad: null });
    expect((await h.api('POST', `/v1/clicks/${id}/invalidate`, null, {})).status).toBe(401);
    expect((await h.api('POST', `/v1/clicks/${id}/invalidate`, w.advertiserKey, {})).status).toBe(403);
    expect((await h.api('POST', '/v1/clicks/nope/invalidate', OPERATOR_KEY, {})).status).toBe(404);
    expect((await h.api('POST', `/v1/clicks/${id}/invalidate`, OPERATOR_KEY, { nope: 1 })).status).toBe(400);
    const r = await h.api('POST', `/v1/clicks/${id}/invalidate`, OPERATOR_KEY, { reason: 'botnet found in logs' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ click_id: id, reversed_micros: '800000', click_reversed_micros: '800000', conversions: [] });
    expect(await adv()).toBe(0n);
    expect(await pub()).toBe(0n);
    expect(await h.store.write((tx) => tx.click(id))).toMatchObject({ invalidReason: 'botnet found in logs' });
    await expectLedgerBalanced(h.store);
    h.decider.invalidate();
    expect((await serveAd(h, w.slotId)).campaignId).toBe('cmp_main');
    // Invalidating again reverses nothing more.
    const again = await h.api('POST', `/v1/clicks/${id}/invalidate`, OPERATOR_KEY, {});
    expect(again.body.reversed_micros).toBe('0');
    expect(await adv()).toBe(0n);
  });

  it('reverses every conversion the click had won, rejects the held one, and gives their budget back', async () => {
    const send = async (o: Record<string, unknown>) => ((await (await h.s2s(w.advertiserId, w.s2sSecret, body(o))).json()) as { conversion: { id: string; status: string } }).conversion;
    const sale = await send({});
    const second = await send({ event_id: eventId('s2s-2'), order_id: 'O-2', value: '10.00' });
    expect((await h.api('POST', `/v1/conversions/${second.id}/restate`, w.advertiserKey, { value: '20.00' })).status).toBe(200);
    // Another click of the same browser, converted 1 s later: held for review (too fast).
    const fast = (await clickThrough(h, (await serveAd(h, w.slotId)).tk, { 'x-test-peer': '192.0.2.10' })).clickId!;
    h.clock.advance(1_000);
    const held = await send({ event_id: eventId('s2s-3'), order_id: 'O-3', click_id: fast });
    expect([sale.status, second.status, held.status]).toEqual(['approved', 'approved', 'pending']);
    expect(await adv()).toBe(5_990_000n + 3_000_000n);
    const day = new Date(h.clock()).toISOString().slice(0, 10);
    const spend = () => h.store.write((tx) => tx.spend('cmp_main', w.publisherId, day));
    expect((await spend()).totalMicros).toBe(8_990_000n);
    const credited = metric(await scrape(h), 'pp_credited_micros_total', { currency: 'EUR' });

    const r = await h.api('POST', `/v1/clicks/${clickId}/invalidate`, OPERATOR_KEY, { reason: 'click injection' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      click_id: clickId,
      reversed_micros: '8990000',
      click_reversed_micros: '0', // a CPA campaign: the click itself cost nothing
      conversions: [
        { id: sale.id, status: 'reversed', reversed_micros: '5990000' },
        { id: second.id, status: 'reversed', reversed_micros: '3000000' },
      ],
    });
    expect(await adv()).toBe(0n);
    expect(await pub()).toBe(0n);
    expect((await spend()).totalMicros).toBe(0n);
    expect(metric(await scrape(h), 'pp_credited_micros_total', { currency: 'EUR' }) - credited).toBe(8_990_000);
    expect((await groups(sale.id)).map((g) => g.kind)).toEqual(['charge', 'reversal']);
    await expectLedgerBalanced(h.store);
    // The explain record names the click invalid and says what happened, after the original decision.
    const stored = (await h.store.write((tx) => tx.conversion(sale.id)))!;
    expect(stored).toMatchObject({ status: 'reversed', statusReason: `winning click ${clickId} invalidated: click injection`, costMicros: 0n });
    const d = stored.decision as { candidates: { touchId: string; verdict: string; detail: string }[]; history: { action: string; netCostMicros: string }[]; charge: { costMicros: string } };
    expect(d.candidates.find((x) => x.touchId === clickId)).toMatchObject({ verdict: 'invalid', detail: 'click injection' });
    expect(d.charge.costMicros).toBe('5990000');
    expect(d.history.at(-1)).toMatchObject({ action: 'reversed', netCostMicros: '0' });
    // Reversed is final: a second invalidation finds nothing more to give back.
    expect((await h.api('POST', `/v1/clicks/${clickId}/invalidate`, OPERATOR_KEY, {})).body).toMatchObject({ reversed_micros: '0', conversions: [] });

    // The held conversion of the other click is rejected, and no money moves.
    const f = await h.api('POST', `/v1/clicks/${fast}/invalidate`, OPERATOR_KEY, { reason: 'bot' });
    expect(f.body).toMatchObject({ reversed_micros: '0', conversions: [{ id: held.id, status: 'rejected', reversed_micros: '0' }] });
    expect((await h.api('POST', `/v1/conversions/${held.id}/approve`, OPERATOR_KEY, {})).status).toBe(409);
    expect(await adv()).toBe(0n);
    await expectLedgerBalanced(h.store);
  });

  it('stops an invalidated click from winning a later conversion', async () => {
    expect((await h.api('POST', `/v1/clicks/${clickId}/invalidate`, OPERATOR_KEY, {})).status).toBe(200);
    expect((await h.s2s(w.advertiserId, w.s2sSecret, body())).status).toBe(201);
    const [c] = await allConversions();
    expect(c).toMatchObject({ status: 'unattributed', costMicros: 0n });
    expect(await adv()).toBe(0n);
  });
});
