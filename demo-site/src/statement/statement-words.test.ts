import { describe, expect, it } from 'vitest';
import type { StatementVerdict } from '../../../collector/src/core/verify-statement';
import { entriesWords, failureWords, keyWords, partyWords, periodWords, totalRows } from './statement-words';

const verified = (o: Partial<Extract<StatementVerdict, { ok: true }>> = {}): Extract<StatementVerdict, { ok: true }> => ({
  ok: true,
  party: { kind: 'advertiser', id: 'northwind' },
  period: { from: 0, to: Date.UTC(2026, 11, 6) },
  entries: 12,
  rerun: 12,
  withoutFacts: 0,
  charges: 10,
  totals: [],
  firstHash: 'a'.repeat(64),
  lastHash: 'b'.repeat(64),
  keyId: 'k1',
  trustedKey: true,
  ...o,
});

describe('statement words', () => {
  it('names the party and the period in UTC, a period from the start as “the first entry”', () => {
    expect(partyWords({ kind: 'publisher', id: 'daily' })).toBe('Publisher daily');
    expect(periodWords({ from: 0, to: Date.UTC(2026, 11, 6) })).toBe('the first entry – 6 Dec 2026 (UTC)');
    expect(periodWords({ from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 11, 6, 13, 5) })).toBe('1 Nov 2026 – 6 Dec 2026, 13:05 (UTC)');
  });

  it('says what each total means for its account, in its currency, every micro shown', () => {
    const rows = totalRows([
      { currency: 'EUR', account: 'advertiser:northwind', netMicros: '12345678' },
      { currency: 'EUR', account: 'publisher:daily', netMicros: '-8641975' },
      { currency: 'EUR', account: 'platform', netMicros: '-3703703' },
      { currency: 'USD', account: 'advertiser:northwind', netMicros: '-500000' },
      { currency: 'SEK', account: 'publisher:daily', netMicros: '1000000' },
    ]);
    expect(rows.map((r) => [r.account, r.meaning, r.amount])).toEqual([
      ['northwind (advertiser)', 'charged', '€12.345678'],
      ['daily (publisher)', 'earned', '€8.641975'],
      ['Platform', 'platform margin', '€3.703703'],
      ['northwind (advertiser)', 'refunded (more given back than charged)', '$0.50'],
      ['daily (publisher)', 'taken back (more reversed than earned)', 'SEK\u00a01.00'],
    ]);
  });

  it('says every entry was re-calculated, or that a publisher’s entries were checked against the chain', () => {
    expect(entriesWords(verified())).toBe('12 entries (10 charges): all 12 were re-calculated from the facts they record and came out the same, to the micro.');
    expect(entriesWords(verified({ party: { kind: 'publisher', id: 'daily' }, rerun: 0, entries: 1, charges: 1 }))).toMatch(/^1 entry \(1 charge\): they show only your side/);
    expect(entriesWords(verified({ entries: 0, rerun: 0, charges: 0 }))).toMatch(/no entries of yours/);
  });

  it('tells a published key from one the file names itself', () => {
    expect(keyWords(verified())).toEqual({ text: "Signed with the operator's published key k1.", published: true });
    expect(keyWords(verified({ trustedKey: false }))).toMatchObject({ published: false, text: expect.stringMatching(/cannot tell whether that key is really theirs/) });
  });

  it('names the entry and the line of the first problem', () => {
    expect(failureWords({ ok: false, line: 1240, seq: 1234, error: 're-running click gives charge [x], the statement says charge [y]' })).toEqual({
      where: 'Entry 1,234 of the ledger chain (line 1,240 of the file)',
      meaning: 'The amounts recorded for this entry are not what its own facts give.',
      why: 'Re-running click gives charge [x], the statement says charge [y].',
    });
    expect(failureWords({ ok: false, line: 4, seq: null, error: 'the line is not JSON' })).toEqual({ where: 'Line 4 of the file', meaning: 'This is not a whole perfpixel statement file.', why: 'The line is not JSON.' });
  });

  it.each([
    ['expected chain position 8, found 9 (a group was dropped or moved)', /missing here, or the entries are out of order/],
    ['the chain recomputes to abc at 9, the end head says def', /no longer lead to the fingerprint/],
    ['the signature of the end head does not verify with key k1', /signature does not match/],
    ['the end head is signed with key k2, which is not a trusted key', /signature does not match/],
    ['the total of EUR platform is 5, the statement says 6', /totals are not the sum/],
    ['terms c1 v1 do not hash to 00ff', /campaign terms in the file/],
    ['the group does not balance: debits 5 ≠ credits 4', /does not balance/],
    ['the statement stops before its end line (cut short?)', /cut short/],
    ['something new', /does not add up/],
  ])('says in plain words what “%s” means', (error, meaning) => {
    expect(failureWords({ ok: false, line: 9, seq: 8, error }).meaning).toMatch(meaning);
  });
});
