import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentHash, fullView, GENESIS_HASH, linkHash, partHash, redactedView, type Sha256 } from './chain';
import type { EntryGroup } from './ledger';
import { nodeSha256 } from '../store/sql-chain';

const sha256: Sha256 = (d) => createHash('sha256').update(d).digest();

const group: EntryGroup = {
  key: 'conversion:cv_1',
  kind: 'charge',
  meta: { refType: 'conversion', refId: 'cv_1', campaignId: 'cmp_a', advertiserId: 'adv_a', publisherId: 'pub_1', slotId: 'slot_top', termsVersion: 2, currency: 'EUR', at: 1_764_400_000_000, reason: null },
  legs: [
    { account: 'publisher:pub_1', side: 'credit', micros: 3_500_000n },
    { account: 'advertiser:adv_a', side: 'debit', micros: 5_000_000n },
    { account: 'platform', side: 'credit', micros: 1_500_000n },
  ],
};
const facts = { rule: 'reversal' };
const SALT = 'a'.repeat(32);

describe('the ledger chain', () => {
  it('commits to a group whatever order its legs were stored in', () => {
    const reordered = { ...group, legs: [...group.legs].reverse() };
    expect(contentHash(sha256, fullView(sha256, reordered, facts, SALT))).toBe(contentHash(sha256, fullView(sha256, group, facts, SALT)));
  });

  it.each([
    ['an amount', (g: EntryGroup) => ({ ...g, legs: g.legs.map((l, i) => (i === 0 ? { ...l, micros: l.micros + 1n } : l)) })],
    ['a side', (g: EntryGroup) => ({ ...g, legs: g.legs.map((l, i) => (i === 0 ? { ...l, side: 'debit' as const } : l)) })],
    ['the booking time', (g: EntryGroup) => ({ ...g, meta: { ...g.meta, at: g.meta.at + 1 } })],
    ['the advertiser', (g: EntryGroup) => ({ ...g, meta: { ...g.meta, advertiserId: 'adv_b' } })],
    ['the terms version', (g: EntryGroup) => ({ ...g, meta: { ...g.meta, termsVersion: 3 } })],
  ])('changes the content hash when %s changes', (_what, edit) => {
    expect(contentHash(sha256, fullView(sha256, edit(group), facts, SALT))).not.toBe(contentHash(sha256, fullView(sha256, group, facts, SALT)));
  });

  it('changes the content hash when a recorded fact changes', () => {
    expect(contentHash(sha256, fullView(sha256, group, { rule: 'invalidation' }, SALT))).not.toBe(contentHash(sha256, fullView(sha256, group, facts, SALT)));
  });

  it('gives a publisher a view with only its own leg shown that hashes the same as the whole group', () => {
    const full = fullView(sha256, group, facts, SALT);
    const mine = redactedView(sha256, full, (l) => l.account === 'publisher:pub_1');
    expect(contentHash(sha256, mine)).toBe(contentHash(sha256, full));
    expect('value' in mine.private).toBe(false);
    expect('value' in mine.facts).toBe(false);
    expect(mine.legs.filter((p) => 'value' in p)).toEqual([{ value: group.legs[0], salt: expect.any(String) }]);
    // The hidden amount cannot be told from its hash without the leg's own salt.
    expect(mine.legs.some((p) => 'hash' in p && p.hash === partHash(sha256, '', group.legs[1]))).toBe(false);
  });

  it('links every group to the one before, so reordering two groups changes the head', () => {
    const a = contentHash(sha256, fullView(sha256, group, facts, SALT));
    const b = contentHash(sha256, fullView(sha256, { ...group, key: 'conversion:cv_2' }, facts, SALT));
    const ab = linkHash(sha256, linkHash(sha256, GENESIS_HASH, a), b);
    const ba = linkHash(sha256, linkHash(sha256, GENESIS_HASH, b), a);
    expect(ab).toMatch(/^[0-9a-f]{64}$/);
    expect(ab).not.toBe(ba);
  });

  it("gives the same hashes through the collector's native hex hashing as through bytes and toHex", () => {
    // nodeSha256.hex is a shortcut (chain.ts Sha256): a difference would fork the chain between the collector and browsers.
    const bytesOnly: Sha256 = (d) => nodeSha256(d);
    expect(nodeSha256.hex).toBeTypeOf('function');
    const withHex = contentHash(nodeSha256, fullView(nodeSha256, group, { rule: 'reversal', note: 'é ✓ \u0000' }, SALT));
    expect(withHex).toBe(contentHash(bytesOnly, fullView(bytesOnly, group, { rule: 'reversal', note: 'é ✓ \u0000' }, SALT)));
    expect(linkHash(nodeSha256, GENESIS_HASH, withHex)).toBe(linkHash(bytesOnly, GENESIS_HASH, withHex));
    expect(withHex).toBe(contentHash(sha256, fullView(sha256, group, { rule: 'reversal', note: 'é ✓ \u0000' }, SALT)));
  });
});
