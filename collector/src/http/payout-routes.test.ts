/**
 * Payouts and the publisher's account statement (issue 14) through `app.request()`: balances move
 * pending → payable after the operator's reversal window → paid; a payout is refused above the
 * payable balance or below the threshold, posted once per idempotency key, balanced, sealed into
 * the chain (the publisher's signed statement still verifies), and shown only to its publisher.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStatementVerifier } from '../core/verify-statement';
import { OPERATOR_KEY, cpaSale, createHarness, expectLedgerBalanced, seedWorld, statementText, type Harness, type World } from '../test-fixtures';
import { verifyEd25519 } from './signing';

const DAY = 86_400_000;
const sha256 = (d: Uint8Array | string) => createHash('sha256').update(d).digest();

let h: Harness;
let w: World;

async function verify(text: string) {
  const keys = ((await (await h.request('/.well-known/perfpixel-keys.json')).json()) as { keys: { keyId: string; publicKey: string }[] }).keys;
  const v = createStatementVerifier({ sha256, verifyEd25519, trustedKeys: keys });
  for (const l of text.trim().split('\n')) v.line(JSON.parse(l));
  return v.finish();
}

const balanceOf = async (key: string, q = '') => {
  const r = await h.api('GET', `/v1/payouts/balance${q}`, key);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.balances.find((b: { currency: string }) => b.currency === 'EUR');
};
const pay = (body: Record<string, unknown>) => h.api('POST', '/v1/payouts', OPERATOR_KEY, { publisherId: w.publisherId, currency: 'EUR', ...body });

beforeEach(async () => {
  h = await createHarness();
  // CPA 5.00 flat, the publisher's 70 % share: 3.50 per sale.
  w = await seedWorld(h);
  await cpaSale(h, w, 'P-1');
  await cpaSale(h, w, 'P-2');
  const third = await cpaSale(h, w, 'P-3');
  h.clock.advance(DAY);
  expect((await h.api('POST', `/v1/conversions/${third}/reverse`, w.advertiserKey, { reason: 'refund' })).status).toBe(200);
});
afterEach(() => h.close());

describe('payouts', () => {
  it('keeps earnings pending inside the reversal window, then pays what is payable once', async () => {
    // Default window (30 days): 7.00 owed, all pending.
    expect(await balanceOf(w.publisherKey)).toMatchObject({ balanceMicros: '7000000', pendingMicros: '7000000', payableMicros: '0', paidMicros: '0', reversalWindowDays: 30 });
    expect(await pay({ idempotencyKey: 'k0' })).toMatchObject({ status: 422, body: { error: 'nothing_payable' } });

    // A 2-day window with a 5.00 threshold: still pending a day after the sales, payable after two.
    expect((await h.api('PUT', '/v1/payout-policies/EUR', OPERATOR_KEY, { reversalWindowDays: 2, thresholdMicros: '5000000' })).status).toBe(200);
    expect(await balanceOf(w.publisherKey)).toMatchObject({ pendingMicros: '7000000', payableMicros: '0' });
    h.clock.advance(DAY + 1);
    expect(await balanceOf(w.publisherKey)).toMatchObject({ balanceMicros: '7000000', pendingMicros: '0', payableMicros: '7000000' });

    expect(await pay({ idempotencyKey: 'k1', amountMicros: '4999999' })).toMatchObject({ status: 422, body: { error: 'below_threshold' } });
    expect(await pay({ idempotencyKey: 'k1', amountMicros: '7000001' })).toMatchObject({ status: 422, body: { error: 'above_payable' } });
    const first = await pay({ idempotencyKey: 'k1', amountMicros: '6000000', reference: 'SEPA 2026-12-03' });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.payout).toMatchObject({ publisherId: w.publisherId, key: 'k1', currency: 'EUR', amountMicros: '6000000', reference: 'SEPA 2026-12-03' });
    // The same key again pays nothing more; with another amount it is refused.
    expect(await pay({ idempotencyKey: 'k1', amountMicros: '6000000' })).toMatchObject({ status: 200, body: { replayed: true, payout: { groupId: first.body.payout.groupId } } });
    expect(await pay({ idempotencyKey: 'k1', amountMicros: '1000000' })).toMatchObject({ status: 409, body: { error: 'idempotency_key_reused' } });
    // 1.00 left, below the threshold: refused.
    expect(await pay({ idempotencyKey: 'k2' })).toMatchObject({ status: 422, body: { error: 'below_threshold' } });

    expect(await balanceOf(w.publisherKey)).toMatchObject({ balanceMicros: '1000000', pendingMicros: '0', payableMicros: '1000000', paidMicros: '6000000' });
    await expectLedgerBalanced(h.store);
    const totals = await h.api('GET', '/v1/ledger/totals', OPERATOR_KEY);
    expect(totals.body.balances).toMatchObject({ [`publisher:${w.publisherId}`]: '-1000000', payouts: '-6000000' });

    // Performance is what was earned; a payout is not a clawback.
    const perf = await h.api('GET', `/v1/reports/performance?from=0`, w.publisherKey);
    expect(perf.body.rows.map((r: { earningMicros: string }) => r.earningMicros)).toEqual(['7000000']);

    const list = await h.api('GET', '/v1/payouts', w.publisherKey);
    expect(list.body.payouts).toHaveLength(1);
    const csv = await (await h.request('/v1/payouts.csv', { headers: { authorization: `Bearer ${w.publisherKey}` } })).text();
    expect(csv).toContain('k1,EUR,6.00,SEPA 2026-12-03');
  });

  it("gives the publisher an account statement whose running balance ends at its closing balance", async () => {
    await h.api('PUT', '/v1/payout-policies/EUR', OPERATOR_KEY, { reversalWindowDays: 0, thresholdMicros: '0' });
    expect((await pay({ idempotencyKey: 'k1', amountMicros: '5000000' })).status).toBe(201);
    const s = await h.api('GET', `/v1/account-statement?currency=EUR&from=0`, w.publisherKey);
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    expect(s.body.openingMicros).toBe('0');
    expect(s.body.lines.map((l: { kind: string; amountMicros: string; balanceMicros: string }) => [l.kind, l.amountMicros, l.balanceMicros])).toEqual([
      ['charge', '3500000', '3500000'],
      ['charge', '3500000', '7000000'],
      ['charge', '3500000', '10500000'],
      ['reversal', '-3500000', '7000000'],
      ['payout', '-5000000', '2000000'],
    ]);
    expect(s.body.closingMicros).toBe('2000000');
    // Nothing of the advertiser's side: no cost, no keys, no conversion IDs.
    expect(JSON.stringify(s.body)).not.toMatch(/advertiser|costMicros|conversion|idem|key/i);
    // Paged, the second page opens where the first closed.
    const p1 = await h.api('GET', `/v1/account-statement?currency=EUR&from=0&limit=2`, w.publisherKey);
    const p2 = await h.api('GET', `/v1/account-statement?currency=EUR&from=0&limit=2&after=${p1.body.next}`, w.publisherKey);
    expect(p2.body.openingMicros).toBe('7000000');
    expect(p2.body.lines[0].balanceMicros).toBe('10500000');
    const csv = await (await h.request('/v1/account-statement.csv?currency=EUR&from=0', { headers: { authorization: `Bearer ${w.publisherKey}` } })).text();
    expect(csv.trim().split('\n')).toHaveLength(1 + 1 + 5 + 1); // header, opening, lines, closing
    expect(csv).toContain('payout');
    expect(csv).toMatch(/closing,.*,2\.00,closing balance/);
  });

  it("seals a payout into the chain: the publisher's and the advertiser's signed statements still verify", async () => {
    await h.api('PUT', '/v1/payout-policies/EUR', OPERATOR_KEY, { reversalWindowDays: 0, thresholdMicros: '0' });
    expect((await pay({ idempotencyKey: 'k1' })).status).toBe(201);
    const pub = await verify(await statementText(h, w.publisherKey));
    expect(pub).toMatchObject({ ok: true });
    if (pub.ok) expect(pub.totals).toEqual([{ currency: 'EUR', account: `publisher:${w.publisherId}`, netMicros: '0' }]);
    expect(await verify(await statementText(h, w.advertiserKey))).toMatchObject({ ok: true });
  });

  it('shows a balance only to its publisher and the operator, and lets only the operator pay', async () => {
    expect((await h.api('GET', '/v1/payouts/balance', w.advertiserKey)).status).toBe(403);
    expect((await h.api('GET', '/v1/account-statement?currency=EUR', w.advertiserKey)).status).toBe(403);
    expect((await h.api('POST', '/v1/payouts', w.publisherKey, { publisherId: w.publisherId, currency: 'EUR', idempotencyKey: 'x' })).status).toBe(403);
    expect((await h.api('PUT', '/v1/payout-policies/EUR', w.publisherKey, { reversalWindowDays: 0, thresholdMicros: '0' })).status).toBe(403);
    // Another publisher's ID answers like an unknown one.
    expect((await h.api('GET', '/v1/payouts/balance?publisherId=pub_other', w.publisherKey)).status).toBe(404);
    expect((await h.api('GET', '/v1/payouts/balance', OPERATOR_KEY)).status).toBe(403);
    expect(await balanceOf(OPERATOR_KEY, `?publisherId=${w.publisherId}`)).toMatchObject({ balanceMicros: '7000000' });
    expect((await pay({ publisherId: 'pub_nobody', idempotencyKey: 'x' })).status).toBe(404);
    expect((await pay({ idempotencyKey: 'bad key!' })).status).toBe(400);
    expect((await pay({ idempotencyKey: 'x', amountMicros: '-5' })).status).toBe(400);
    expect((await h.api('PUT', '/v1/payout-policies/EUR', OPERATOR_KEY, { reversalWindowDays: 9999, thresholdMicros: '0' })).status).toBe(400);
  });
});
