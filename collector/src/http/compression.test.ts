/** Report reads go gzip-compressed when the client accepts it, and decompress to the same JSON. */
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
