import { describe, expect, it } from 'vitest';
import { statementLineWords } from './statement-line-words';

describe('statementLineWords', () => {
  it.each([
    ['charge', '3500000', null, 'Earned', 'Winter sale · Sidebar'],
    ['reversal', '-3500000', 'refund', 'Clawback: the advertiser reversed a sale you were credited for', 'reason: refund · Winter sale · Sidebar'],
    ['invalidation', '-120000', 'winning click c1 invalidated: click farm', 'Clawback: the traffic was found invalid later', 'its winning click was found invalid later: click farm · Winter sale · Sidebar'],
    ['restatement', '-700000', 'partial return', 'Clawback: the advertiser restated a sale to a lower value', 'reason: partial return · Winter sale · Sidebar'],
    ['restatement', '700000', 'upsell', 'Adjustment: the advertiser restated a sale to a higher value', 'reason: upsell · Winter sale · Sidebar'],
    ['payout', '-7000000', 'SEPA 2026-12-03', 'Paid out to you', 'reference: SEPA 2026-12-03'],
  ])('says what a %s of %s micros (%s) did to the publisher’s money', (kind, amountMicros, reason, title, detail) => {
    const w = statementLineWords({ kind, amountMicros, reason }, 'Winter sale · Sidebar');
    expect(w.title).toBe(title);
    expect(w.detail).toBe(detail);
  });

  it('marks clawbacks as bad and earnings as won', () => {
    expect(statementLineWords({ kind: 'reversal', amountMicros: '-1', reason: null }, '').tone).toBe('bad');
    expect(statementLineWords({ kind: 'charge', amountMicros: '1', reason: null }, '').tone).toBe('won');
  });
});
