import { describe, expect, it } from 'vitest';
import {
  accountsFor,
  adjustmentGroup,
  advertiserNet,
  assertBalanced,
  chargeGroup,
  netsOf,
  netsOfSplit,
  reversalGroup,
  totals,
  type EntryGroup,
  type EntryMeta,
  type Leg,
  type Nets,
} from './ledger';
import { splitCharge } from './pricing';

// Follows the rules table at the top of ledger.ts, row by row.

const meta: EntryMeta = {
  refType: 'conversion',
  refId: 'cv1',
  campaignId: 'c1',
  advertiserId: 'adv_a',
  publisherId: 'pub_1',
  termsVersion: 1,
  currency: 'EUR',
  at: Date.UTC(2025, 5, 1),
  reason: null,
};

const share70 = { kind: 'share', bps: 7000 } as const;
const netsOfGroups = (...groups: (EntryGroup | null)[]) => netsOf(groups.flatMap((g) => g?.legs ?? []));
const plain = (n: Nets) => Object.fromEntries([...n].filter(([, v]) => v !== 0n));

describe('charge of cost = E + M: D advertiser cost · C publisher E · C platform M', () => {
  it('posts three legs under the action key, balanced', () => {
    const g = chargeGroup('conversion:cv1', meta, splitCharge(1_000_001n, share70))!;
    expect(g.key).toBe('conversion:cv1');
    expect(g.kind).toBe('charge');
    expect(g.meta).toBe(meta);
    expect(g.legs).toEqual([
      { account: 'advertiser:adv_a', side: 'debit', micros: 1_000_001n },
      { account: 'platform', side: 'credit', micros: 300_001n },
      { account: 'publisher:pub_1', side: 'credit', micros: 700_000n },
    ]);
    expect(totals(g.legs)).toEqual({ debits: 1_000_001n, credits: 1_000_001n });
  });

  it('a subsidised fixed payout larger than the cost debits the platform (negative margin), still balanced', () => {
    const g = chargeGroup('click:k1', meta, splitCharge(500_000n, { kind: 'fixed', micros: 800_000n }, true))!;
    expect(g.legs).toEqual([
      { account: 'advertiser:adv_a', side: 'debit', micros: 500_000n },
      { account: 'platform', side: 'debit', micros: 300_000n },
      { account: 'publisher:pub_1', side: 'credit', micros: 800_000n },
    ]);
    expect(() => assertBalanced(g)).not.toThrow();
  });

  it('writes no zero legs: a 0 % share leaves the publisher out', () => {
    const g = chargeGroup('click:k1', meta, splitCharge(1000n, { kind: 'share', bps: 0 }))!;
    expect(g.legs.map((l) => l.account)).toEqual(['advertiser:adv_a', 'platform']);
  });

  it('posts nothing for a charge that costs nothing and pays nothing', () => {
    expect(chargeGroup('click:k1', meta, splitCharge(0n, share70))).toBeNull();
  });

  it('names accounts after the advertiser and publisher of the action', () => {
    expect(accountsFor(meta)).toEqual({ advertiser: 'advertiser:adv_a', publisher: 'publisher:pub_1', platform: 'platform' });
    expect(plain(netsOfSplit(splitCharge(10n, share70), meta))).toEqual({ 'advertiser:adv_a': 10n, 'publisher:pub_1': -7n, platform: -3n });
  });
});

describe('reversal / invalidation: the action’s net legs mirrored, so its net becomes 0', () => {
  it.each(['reversal', 'invalidation'] as const)('a %s brings every account of the action back to zero', (kind) => {
    const charge = chargeGroup('conversion:cv1', meta, splitCharge(1_000_001n, share70))!;
    const g = reversalGroup(`conversion:cv1:${kind}`, kind, { ...meta, reason: 'refund' }, netsOf(charge.legs))!;
    expect(g.kind).toBe(kind);
    expect(g.key).toBe(`conversion:cv1:${kind}`);
    expect(g.legs).toEqual([
      { account: 'advertiser:adv_a', side: 'credit', micros: 1_000_001n },
      { account: 'platform', side: 'debit', micros: 300_001n },
      { account: 'publisher:pub_1', side: 'debit', micros: 700_000n },
    ]);
    expect(plain(netsOfGroups(charge, g))).toEqual({});
  });

  it('reverses a negative margin too', () => {
    const charge = chargeGroup('click:k1', meta, splitCharge(500_000n, { kind: 'fixed', micros: 800_000n }, true))!;
    const g = reversalGroup('click:k1:invalidation', 'invalidation', meta, netsOf(charge.legs))!;
    expect(plain(netsOfGroups(charge, g))).toEqual({});
  });

  it('posts nothing when the action has no net left (reversing twice)', () => {
    const charge = chargeGroup('conversion:cv1', meta, splitCharge(1000n, share70))!;
    const rev = reversalGroup('conversion:cv1:reversal', 'reversal', meta, netsOf(charge.legs))!;
    expect(reversalGroup('conversion:cv1:reversal', 'reversal', meta, netsOfGroups(charge, rev))).toBeNull();
    expect(reversalGroup('x', 'reversal', meta, new Map())).toBeNull();
  });
});

describe('restatement to a new cost: the difference between the new split and the action’s net', () => {
  it.each([
    ['up', 10_000_000n, 15_000_000n],
    ['down', 10_000_000n, 4_000_001n],
    ['to an odd amount', 3n, 7n],
  ] as const)('restating %s leaves the action with exactly the new split', (_name, before, after) => {
    const charge = chargeGroup('conversion:cv1', meta, splitCharge(before, share70))!;
    const target = netsOfSplit(splitCharge(after, share70), meta);
    const g = adjustmentGroup('conversion:cv1:restate:1', 'restatement', meta, netsOf(charge.legs), target)!;
    expect(g.kind).toBe('restatement');
    assertBalanced(g);
    const now = netsOfGroups(charge, g);
    expect(plain(now)).toEqual(plain(target));
    expect(advertiserNet(now, 'adv_a')).toBe(after);
  });

  it('restating to the same split posts nothing', () => {
    const charge = chargeGroup('conversion:cv1', meta, splitCharge(5000n, share70))!;
    expect(adjustmentGroup('k', 'restatement', meta, netsOf(charge.legs), netsOfSplit(splitCharge(5000n, share70), meta))).toBeNull();
  });

  it('restating from a subsidised fixed payout above cost to a cost above it flips the platform to a credit', () => {
    const fixed = { kind: 'fixed', micros: 800_000n } as const;
    const charge = chargeGroup('c', meta, splitCharge(500_000n, fixed, true))!;
    const g = adjustmentGroup('c:restate:1', 'restatement', meta, netsOf(charge.legs), netsOfSplit(splitCharge(2_000_000n, fixed, true), meta))!;
    expect(g.legs).toEqual([
      { account: 'advertiser:adv_a', side: 'debit', micros: 1_500_000n },
      { account: 'platform', side: 'credit', micros: 1_500_000n },
    ]);
    expect(plain(netsOfGroups(charge, g))).toEqual({ 'advertiser:adv_a': 2_000_000n, 'publisher:pub_1': -800_000n, platform: -1_200_000n });
  });
});

describe('every group balances', () => {
  it('refuses to build a group whose target nets do not balance', () => {
    const bad: Nets = new Map([
      ['advertiser:adv_a', 10n],
      ['platform', -9n],
    ]);
    expect(() => adjustmentGroup('k', 'charge', meta, new Map(), bad)).toThrow(/unbalanced entry group k: 10 ≠ 9/);
  });

  it('assertBalanced throws for an unbalanced group and passes a balanced one', () => {
    const legs: Leg[] = [
      { account: 'advertiser:adv_a', side: 'debit', micros: 5n },
      { account: 'platform', side: 'credit', micros: 4n },
    ];
    expect(() => assertBalanced({ key: 'k', kind: 'charge', meta, legs })).toThrow(/unbalanced/);
    expect(() => assertBalanced({ key: 'k', kind: 'charge', meta, legs: [...legs, { account: 'publisher:p', side: 'credit', micros: 1n }] })).not.toThrow();
  });

  it.each([0n, -1n])('totals refuses a leg of %s micros (legs are positive)', (micros) => {
    expect(() => totals([{ account: 'platform', side: 'debit', micros }])).toThrow(RangeError);
  });

  it('netsOf counts debits positive and credits negative, per account', () => {
    const n = netsOf([
      { account: 'advertiser:adv_a', side: 'debit', micros: 10n },
      { account: 'advertiser:adv_a', side: 'credit', micros: 3n },
      { account: 'platform', side: 'credit', micros: 7n },
    ]);
    expect(plain(n)).toEqual({ 'advertiser:adv_a': 7n, platform: -7n });
    expect(advertiserNet(n, 'adv_a')).toBe(7n);
    expect(advertiserNet(n, 'adv_other')).toBe(0n);
  });

  it('orders legs by account so the same action always posts the same group', () => {
    const a = chargeGroup('k', meta, splitCharge(999n, share70));
    const b = chargeGroup('k', meta, splitCharge(999n, share70));
    expect(a).toEqual(b);
    expect(a!.legs.map((l) => l.account)).toEqual(['advertiser:adv_a', 'platform', 'publisher:pub_1']);
  });
});
