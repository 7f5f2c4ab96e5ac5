import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, seedWorld, type Harness } from './test-fixtures';

/** An error as node-postgres raises it when the server refuses the connection. */
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('a request while the database cannot be reached', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('is answered 503 with Retry-After, not 500 (the request is fine; it must come again)', async () => {
    h = await createHarness();
    const w = await seedWorld(h);
    h.store.catalog.getSite = () => Promise.reject(refused());
    h.collector.cache.clear();
    const res = await h.beacon(w.shopSiteId, [{ t: 'pv', i: 'evt-store-down-1', ts: h.clock() }]);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ error: 'store_unavailable' });
  });

  it('still answers 500 for an error that is a bug', async () => {
    h = await createHarness();
    const w = await seedWorld(h);
    h.store.catalog.getSite = () => Promise.reject(new TypeError('x is not a function'));
    h.collector.cache.clear();
    const res = await h.beacon(w.shopSiteId, [{ t: 'pv', i: 'evt-store-down-2', ts: h.clock() }]);
    expect(res.status).toBe(500);
  });
});
