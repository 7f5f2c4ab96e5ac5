/**
 * Disputing a conversion (issue 14): the advertiser holds a charged conversion for the operator with a
 * reason; no money moves until the operator dismisses it (approve), upholds it (reverse) or settles
 * it at a new value (restate). Read back from the ledger and the explain record.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATOR_KEY, balance, cpaSale, createHarness, expectLedgerBalanced, seedWorld, type Harness, type World } from '../test-fixtures';

let h: Harness;
let w: World;
beforeEach(async () => {
  h = await createHarness();
  // CPA 1.00 flat + 10 % of the value.
  w = await seedWorld(h, { terms: { costModel: 'cpa', cpaFlatMicros: '1000000', cpaBps: 1000 } });
});
afterEach(() => h.close());

const adv = () => balance(h.store, `advertiser:${w.advertiserId}`);
const command = (id: string, cmd: string, key: string, payload: unknown = {}) => h.api('POST', `/v1/conversions/${id}/${cmd}`, key, payload);
const groups = (id: string) => h.store.write((tx) => tx.groupsFor('conversion', id));
const explain = async (id: string) => (await h.api('GET', `/v1/conversions/${id}`, w.advertiserKey)).body.conversion;

describe('POST /v1/conversions/:id/dispute', () => {
  it('holds a charged conversion for the operator with the reason, moving no money, and shows it in the explain record', async () => {
    const id = await cpaSale(h, w, 'D-1');
    expect(await adv()).toBe(5_990_000n);
    const r = await command(id, 'dispute', w.advertiserKey, { reason: 'customer never received the goods' });
    expect(r.status).toBe(200);
    expect(r.body.conversion).toMatchObject({ status: 'disputed', statusReason: 'customer never received the goods', costMicros: '5990000' });
    expect(await adv()).toBe(5_990_000n);
    expect((await groups(id)).map((g) => g.kind)).toEqual(['charge']);
    const history = JSON.stringify(await explain(id));
    expect(history).toContain('"action":"disputed"');
    expect(history).toContain('customer never received the goods');
    // It is in the held queue, and a second dispute is refused.
    const list = await h.api('GET', '/v1/conversions?status=disputed', w.advertiserKey);
    expect(list.body.conversions.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await command(id, 'dispute', w.advertiserKey, { reason: 'again' })).status).toBe(409);
  });

  it('requires a reason (400) and refuses a held or reversed conversion (409)', async () => {
    const id = await cpaSale(h, w, 'D-2');
    for (const payload of [{}, { reason: '   ' }]) {
      const r = await command(id, 'dispute', w.advertiserKey, payload);
      expect(r.status).toBe(400);
    }
    expect((await command(id, 'reverse', w.advertiserKey, { reason: 'refund' })).status).toBe(200);
    const again = await command(id, 'dispute', w.advertiserKey, { reason: 'late' });
    expect(again.status).toBe(409);
    expect(again.body.reason).toMatch(/reversed/);
  });

  it('answers 404 for another advertiser’s conversion and 403 for a publisher', async () => {
    const id = await cpaSale(h, w, 'D-3');
    const other = await h.api('POST', '/v1/advertisers', OPERATOR_KEY, { name: 'Other', currency: 'EUR' });
    const foreign = await command(id, 'dispute', other.body.apiKey, { reason: 'not mine' });
    expect(foreign.status).toBe(404);
    expect((await command(id, 'dispute', w.publisherKey, { reason: 'x' })).status).toBe(403);
    expect((await explain(id)).status).toBe('approved');
  });

  it('dismissing a dispute (approve) bills nothing again; upholding it (reverse) claws the charge back', async () => {
    const a = await cpaSale(h, w, 'D-4');
    const b = await cpaSale(h, w, 'D-5');
    expect(await adv()).toBe(11_980_000n);
    await command(a, 'dispute', w.advertiserKey, { reason: 'wrong publisher' });
    await command(b, 'dispute', w.advertiserKey, { reason: 'fraud' });
    const dismissed = await command(a, 'approve', OPERATOR_KEY, { reason: 'the click was real' });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.conversion).toMatchObject({ status: 'approved', costMicros: '5990000' });
    expect(dismissed.body.conversion.statusReason).toMatch(/dispute dismissed: the click was real/);
    expect((await groups(a)).map((g) => g.kind)).toEqual(['charge']);
    const upheld = await command(b, 'reverse', OPERATOR_KEY, { reason: 'dispute upheld' });
    expect(upheld.body.conversion).toMatchObject({ status: 'reversed', costMicros: '0' });
    expect((await groups(b)).map((g) => g.kind)).toEqual(['charge', 'reversal']);
    expect(await adv()).toBe(5_990_000n);
    await expectLedgerBalanced(h.store);
  });

  it('settles a dispute at a new value (restate) by the difference, and a restated one dismissed stays restated', async () => {
    const id = await cpaSale(h, w, 'D-6');
    await command(id, 'restate', w.advertiserKey, { value: '99.90', reason: 'upsell' });
    await command(id, 'dispute', w.advertiserKey, { reason: 'value too high' });
    const settled = await command(id, 'restate', OPERATOR_KEY, { value: '9.90', reason: 'settled' });
    expect(settled.body.conversion).toMatchObject({ status: 'restated', costMicros: '1990000' });
    expect(await adv()).toBe(1_990_000n);
    await command(id, 'dispute', w.advertiserKey, { reason: 'still wrong' });
    expect((await command(id, 'approve', OPERATOR_KEY, {})).body.conversion.status).toBe('restated');
    expect(await adv()).toBe(1_990_000n);
    await expectLedgerBalanced(h.store);
  });
});

describe('dry_run on a conversion command (the dashboard’s confirmation step)', () => {
  it('answers the money a reversal or restatement would move and keeps nothing; the real one moves exactly that', async () => {
    const id = await cpaSale(h, w, 'DR-1');
    const groupsBefore = (await groups(id)).length;
    const rev = await command(id, 'reverse', w.advertiserKey, { reason: 'refund', dry_run: true });
    expect(rev.body).toMatchObject({ dryRun: true, costDeltaMicros: '-5990000', currency: 'EUR', conversion: { status: 'reversed' } });
    const res = await command(id, 'restate', w.advertiserKey, { value: '99.90', reason: 'upsell', dry_run: true });
    expect(res.body).toMatchObject({ dryRun: true, costDeltaMicros: '5000000' });
    expect((await groups(id)).length).toBe(groupsBefore);
    expect(await adv()).toBe(5_990_000n);
    expect((await explain(id)).status).toBe('approved');
    const real = await command(id, 'restate', w.advertiserKey, { value: '99.90', reason: 'upsell' });
    expect(real.body).toMatchObject({ dryRun: false, costDeltaMicros: '5000000' });
    expect(await adv()).toBe(10_990_000n);
  });

  it('answers a refused dry run like the real command (409) and a dry_run on click invalidation is unknown (400)', async () => {
    const id = await cpaSale(h, w, 'DR-2');
    expect((await command(id, 'approve', w.advertiserKey, { dry_run: true })).status).toBe(409);
    const inv = await h.api('POST', '/v1/clicks/abc/invalidate', OPERATOR_KEY, { dry_run: true });
    expect(inv.status).toBe(400);
  });
});
