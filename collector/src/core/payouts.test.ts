/**
 * Payouts (payouts.ts), row by row of its table: what is payable as of a time given the window,
 * the refusals, and the group a payout posts.
 */
import { describe, expect, it } from 'vitest';
import { checkPayout, maturedBefore, payoutBalance, planPayout, type PayoutBalance } from './payouts';
import { totals } from './ledger';

const DAY = 86_400_000;
const sums = (earned: bigint, matured: bigint, paid: bigint) => payoutBalance({ earnedMicros: earned, maturedMicros: matured, paidMicros: paid });
const req = (amountMicros?: bigint) => ({ publisherId: 'pub_1', currency: 'EUR', key: 'k1', amountMicros, reference: 'SEPA-1', at: 1_000 * DAY });

describe('payoutBalance', () => {
  it.each([
    // earned, matured, paid → balance, pending, payable
    ['nothing yet', 0n, 0n, 0n, 0n, 0n, 0n],
    ['all inside the window', 7_000_000n, 0n, 0n, 7_000_000n, 7_000_000n, 0n],
    ['part matured', 7_000_000n, 3_500_000n, 0n, 7_000_000n, 3_500_000n, 3_500_000n],
    ['matured, part paid', 7_000_000n, 7_000_000n, 5_000_000n, 2_000_000n, 0n, 2_000_000n],
    // A clawback today of a matured charge lowers the balance at once: never pay what was given back.
    ['recent clawback of a matured charge', 3_500_000n, 7_000_000n, 0n, 3_500_000n, 0n, 3_500_000n],
    ['clawback after everything was paid', -3_500_000n, 7_000_000n, 7_000_000n, -10_500_000n, -10_500_000n, 0n],
  ])('%s', (_, earned, matured, paid, balance, pending, payable) => {
    expect(sums(earned, matured, paid)).toEqual({ balanceMicros: balance, pendingMicros: pending, payableMicros: payable, paidMicros: paid });
  });

  it('matures a charge exactly at the end of its window', () => {
    const policy = { reversalWindowDays: 30, thresholdMicros: 0n };
    const chargedAt = 100 * DAY;
    // Groups booked at or before maturedBefore(asOf) are payable: the boundary, ±1 ms.
    expect(chargedAt <= maturedBefore(chargedAt + 30 * DAY, policy)).toBe(true);
    expect(chargedAt <= maturedBefore(chargedAt + 30 * DAY - 1, policy)).toBe(false);
  });
});

describe('planPayout', () => {
  const policy = { reversalWindowDays: 30, thresholdMicros: 5_000_000n };
  const bal: PayoutBalance = sums(9_000_000n, 7_000_000n, 0n);

  it('pays everything payable by default, as a balanced group debiting the publisher', () => {
    const p = planPayout(req(), bal, policy);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.amountMicros).toBe(7_000_000n);
    expect(p.group).toMatchObject({ key: 'payout:pub_1:k1', kind: 'payout', meta: { refType: 'payout', refId: 'pub_1:k1', publisherId: 'pub_1', currency: 'EUR', reason: 'SEPA-1' } });
    expect(p.group.legs).toEqual([
      { account: 'publisher:pub_1', side: 'debit', micros: 7_000_000n },
      { account: 'payouts', side: 'credit', micros: 7_000_000n },
    ]);
    expect(totals(p.group.legs)).toEqual({ debits: 7_000_000n, credits: 7_000_000n });
  });

  it.each([
    ['above the payable balance', 7_000_001n, 'above_payable'],
    ['below the threshold', 4_999_999n, 'below_threshold'],
    ['zero', 0n, 'not_positive'],
  ])('refuses a payout %s', (_, amount, code) => {
    const p = planPayout(req(amount), bal, policy);
    expect(p).toMatchObject({ ok: false, code });
  });

  it('pays exactly the threshold and exactly the payable balance', () => {
    expect(planPayout(req(5_000_000n), bal, policy).ok).toBe(true);
    expect(planPayout(req(7_000_000n), bal, policy).ok).toBe(true);
  });

  it('says nothing is payable while everything is inside the window', () => {
    const p = planPayout(req(), sums(9_000_000n, 0n, 0n), policy);
    expect(p).toMatchObject({ ok: false, code: 'nothing_payable' });
    if (!p.ok) expect(p.reason).toContain('30-day reversal window');
  });
});

describe('checkPayout', () => {
  const policy = { reversalWindowDays: 30, thresholdMicros: 5_000_000n };
  const p = planPayout(req(6_000_000n), sums(9_000_000n, 7_000_000n, 0n), policy);
  if (!p.ok) throw new Error('plan');
  const facts = p.group.facts as Parameters<typeof checkPayout>[1];

  it('accepts the group it planned', () => {
    expect(checkPayout(p.group, facts)).toBeNull();
  });

  it('names a payout above what its facts say was payable, or legs that were changed', () => {
    expect(checkPayout(p.group, { ...facts, payableMicros: 5_500_000n })).toMatch(/above the payable/);
    const moved = { ...p.group, legs: [p.group.legs[0]!, { account: 'platform' as const, side: 'credit' as const, micros: 6_000_000n }] };
    expect(checkPayout(moved, facts)).toMatch(/no credit of 6000000 on payouts/);
  });
});
