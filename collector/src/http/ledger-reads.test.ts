/** Ledger reads: gzip-compressed for a client that accepts it (and decompressing to the same JSON), filtered by kind. */
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { cpaSale, createHarness, seedWorld, type Harness, type World } from '../test-fixtures';

let h: Harness;
let w: World;
beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h);
  for (let i = 0; i < 15; i++) await cpaSale(h, w, `Z-${i}`);
});
afterEach(() => h.close());

it('gzips the ledger list for a client that accepts it, and only then', async () => {
  const auth = { authorization: `Bearer ${w.advertiserKey}` };
  const plain = await h.request('/v1/ledger?from=0', { headers: auth });
  const text = await plain.text();
  expect(plain.headers.get('content-encoding')).toBeNull();
  const zipped = await h.request('/v1/ledger?from=0', { headers: { ...auth, 'accept-encoding': 'gzip, br' } });
  expect(zipped.headers.get('content-encoding')).toBe('gzip');
  const body = Buffer.from(await zipped.arrayBuffer());
  expect(gunzipSync(body).toString()).toBe(text);
  expect(body.length * 4).toBeLessThan(Buffer.byteLength(text));
});

it('filters the ledger and its CSV by kind', async () => {
  const [conv] = await h.store.reports.conversions({ advertiserId: w.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1);
  expect((await h.api('POST', `/v1/conversions/${conv!.id}/reverse`, w.advertiserKey, { reason: 'refund' })).status).toBe(200);
  const all = await h.api('GET', '/v1/ledger?from=0', w.advertiserKey);
  const reversals = await h.api('GET', '/v1/ledger?from=0&kind=reversal', w.advertiserKey);
  expect(all.body.groups.length).toBe(16);
  expect(reversals.body.groups.map((g: { kind: string }) => g.kind)).toEqual(['reversal']);
  const csv = await (await h.request('/v1/ledger.csv?from=0&kind=reversal', { headers: { authorization: `Bearer ${w.advertiserKey}` } })).text();
  expect(csv.trim().split('\n').slice(1).every((l) => l.includes(',reversal,'))).toBe(true);
  expect((await h.api('GET', '/v1/ledger?kind=bogus', w.advertiserKey)).status).toBe(400);
});
