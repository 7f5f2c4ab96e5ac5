/**
 * Bulk adjustments by CSV (issue 14) through `app.request()`: the dry run plans with the real
 * commands and writes nothing; apply moves exactly what the preview said; re-sending the file moves
 * nothing twice; bounds and bad lines answer with reasons; another advertiser's orders are not found.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { utcDay } from '../core/day';
import { parseBulkCsv, MAX_BULK_LINES } from '../ingest/bulk-adjust-csv';
import { OPERATOR_KEY, balance, cpaSale, createHarness, expectLedgerBalanced, seedWorld, type Harness, type World } from '../test-fixtures';

let h: Harness;
let w: World;
beforeEach(async () => {
  h = await createHarness();
  // CPA 1.00 flat + 10 % of the value: a 49.90 sale costs 5.99.
  w = await seedWorld(h, { terms: { costModel: 'cpa', cpaFlatMicros: '1000000', cpaBps: 1000 } });
  for (const o of ['B-1', 'B-2', 'B-3']) await cpaSale(h, w, o);
});
afterEach(() => h.close());

const adv = () => balance(h.store, `advertiser:${w.advertiserId}`);
const ledgerGroups = async () => (await h.store.reports.ledgerTotals()).groups;
const bulk = (csv: string, dryRun: boolean, key = w.advertiserKey, extra: Record<string, unknown> = {}) => h.api('POST', '/v1/conversions/bulk', key, { csv, dryRun, ...extra });

const FILE = ['order_id,action,amount,reason', 'B-1,reverse,,refund', 'B-2,restate,9.90,"partial refund, kept the case"', 'B-3,dispute,,"never delivered"', 'B-9,reverse,,typo', ''].join('\r\n');

describe('POST /v1/conversions/bulk', () => {
  it('previews each line’s money from the real commands and writes nothing', async () => {
    const groupsBefore = await ledgerGroups();
    const spend = () => h.store.write((tx) => tx.spend(w.campaignId, w.publisherId, utcDay(h.clock())));
    const spendBefore = await spend();
    const r = await bulk(FILE, true);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.lines.map((l: { outcome: string; costDeltaMicros: string }) => [l.outcome, l.costDeltaMicros])).toEqual([
      ['would_apply', '-5990000'],
      ['would_apply', '-4000000'], // 5.99 → 1.99
      ['would_apply', '0'],
      ['error', '0'],
    ]);
    expect(r.body.lines[3].reason).toMatch(/no conversion with order ID B-9/);
    expect(r.body.totals).toEqual([{ currency: 'EUR', costDeltaMicros: '-9990000' }]);
    expect(await adv()).toBe(17_970_000n);
    expect(await ledgerGroups()).toBe(groupsBefore);
    expect(await spend()).toEqual(spendBefore);
    const statuses = (await h.api('GET', '/v1/conversions', w.advertiserKey)).body.conversions.map((c: { status: string }) => c.status);
    expect(statuses).toEqual(['approved', 'approved', 'approved']);
  });

  it('applies exactly what the preview said, and re-sending the file moves nothing twice', async () => {
    const preview = await bulk(FILE, true);
    const applied = await bulk(FILE, false);
    expect(applied.body.lines.map((l: { outcome: string }) => l.outcome)).toEqual(['applied', 'applied', 'applied', 'error']);
    expect(applied.body.totals).toEqual(preview.body.totals);
    expect(await adv()).toBe(17_970_000n - 9_990_000n);
    const groups = await ledgerGroups();
    const again = await bulk(FILE, false);
    expect(again.body.lines.map((l: { outcome: string }) => l.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged', 'error']);
    expect(again.body.totals).toEqual([]);
    expect(await adv()).toBe(7_980_000n);
    expect(await ledgerGroups()).toBe(groups);
    await expectLedgerBalanced(h.store);
    // Each action is in the explain record.
    const list = (await h.api('GET', '/v1/conversions', w.advertiserKey)).body.conversions as { orderId: string; status: string; decision: unknown }[];
    const b3 = list.find((c) => c.orderId === 'B-3')!;
    expect(b3.status).toBe('disputed');
    expect(JSON.stringify(b3.decision)).toContain('never delivered');
  });

  it('reports each bad line with its reason and still runs the good ones', async () => {
    const csv = ['Order ID,Action,Amount,Reason', 'B-1,refund,,x', 'B-1,reverse,,', 'B-2,restate,,more', 'B-2,reverse,5,x', 'B-9,restate,abc,x', 'B-3,reverse,,ok', 'B-3,reverse,,dup'].join('\n');
    const r = await bulk(csv, true);
    expect(r.status).toBe(200);
    expect(r.body.lines.map((l: { reason: string | null }) => l.reason)).toEqual([
      expect.stringMatching(/unknown action "refund"/),
      expect.stringMatching(/reason is required/),
      expect.stringMatching(/needs an amount/),
      expect.stringMatching(/only for restate/),
      expect.stringMatching(/amount: /),
      null,
      expect.stringMatching(/already on line 7/),
    ]);
  });

  it.each([
    ['no header', 'B-1,reverse,,x', /unknown column/],
    ['no lines', 'order_id,action,reason\n', /no lines/],
    ['an unclosed quote', 'order_id,action,reason\n"B-1,reverse,x', /never closed/],
    ['too many lines', `order_id,action,reason\n${'B-1,reverse,x\n'.repeat(MAX_BULK_LINES + 1)}`, /at most 1000/],
  ])('refuses a file with %s (422, with the reason)', async (_n, csv, reason) => {
    const r = await bulk(csv, true);
    expect(r.status).toBe(422);
    expect(r.body.reason).toMatch(reason);
  });

  it('refuses a body over the byte bound (413) before reading it', async () => {
    const r = await bulk(`order_id,action,reason\n${'x'.repeat(600 * 1024)}`, true);
    expect(r.status).toBe(413);
  });

  it('never reaches another advertiser’s orders; publishers are refused; the operator names the advertiser', async () => {
    const other = await h.api('POST', '/v1/advertisers', OPERATOR_KEY, { name: 'Other', currency: 'EUR' });
    const r = await bulk('order_id,action,reason\nB-1,reverse,mine now', false, other.body.apiKey);
    expect(r.body.lines[0]).toMatchObject({ outcome: 'error', reason: expect.stringMatching(/no conversion/) });
    expect((await bulk('order_id,action,reason\nB-1,reverse,x', false, other.body.apiKey, { advertiserId: w.advertiserId })).status).toBe(400);
    expect((await bulk('order_id,action,reason\nB-1,reverse,x', true, w.publisherKey)).status).toBe(403);
    expect((await bulk('order_id,action,reason\nB-1,reverse,x', true, OPERATOR_KEY)).status).toBe(400);
    const op = await bulk('order_id,action,reason\nB-1,reverse,x', true, OPERATOR_KEY, { advertiserId: w.advertiserId });
    expect(op.body.lines[0].outcome).toBe('would_apply');
    expect(await adv()).toBe(17_970_000n);
  });
});

describe('parseBulkCsv', () => {
  it('reads quoted fields, escaped quotes, a BOM, CRLF and a conversion_action column', () => {
    const f = parseBulkCsv('\uFEFFreason,order_id,action,conversion_action\r\n"says ""hi"", ok",A-1,Reverse,purchase\r\n');
    expect(f).toEqual({ ok: true, lines: [{ line: 2, orderId: 'A-1', command: 'reverse', amount: '', reason: 'says "hi", ok', actionKey: 'purchase', error: null }] });
  });
});
