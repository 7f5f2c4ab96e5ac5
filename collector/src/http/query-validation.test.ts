/**
 * Every query parameter and path ID of every API route is validated before any query runs
 * (issue 16 items 7 and 11): a bad limit, date, range, cursor or ID answers 400 with a reason,
 * never 500 — on SQLite and on PostgreSQL (where a NUL byte in an ID used to reach the driver).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_KEY, createHarness, seedTraffic, seedWorld, type Harness, type World } from '../test-fixtures';

let h: Harness;
let w: World;

beforeAll(async () => {
  h = await createHarness();
  w = await seedWorld(h);
  await seedTraffic(h, w);
});
afterAll(() => h.close());

const LISTS = ['/v1/ledger', '/v1/conversions', '/v1/ledger.csv', '/v1/conversions.csv', '/v1/reports/performance', '/v1/feed', '/v1/rejected'];

describe('query parameters', () => {
  it.each([
    ['/v1/ledger', 'limit=0'],
    ['/v1/ledger', 'limit=-1'],
    ['/v1/ledger', 'limit=5001'],
    ['/v1/ledger', 'limit=1e3'],
    ['/v1/conversions', 'limit=0'],
    ['/v1/feed', 'limit=0'],
    ['/v1/feed', 'limit=201'],
    ['/v1/rejected', 'limit=0'],
    ['/v1/ledger', 'from=2000&to=1000'],
    ['/v1/reports/performance', 'from=2000&to=1000'],
    ['/v1/conversions.csv', 'from=99999999999999999'],
    ['/v1/ledger', 'before=0'],
    ['/v1/ledger', 'before=99999999999999999999'],
    ['/v1/conversions', 'before=1_'],
    ['/v1/conversions', 'before=abc_cv_1'],
    ['/v1/feed', 'after=-1'],
    ['/v1/feed', 'after=soon'],
    ['/v1/reports/performance', 'limit=10'],
    ['/v1/reports/performance', 'groupBy=slot&groupBy=campaign'],
    ['/v1/ledger', 'status=approved'],
    ['/v1/sites/site_shop/activity', 'from=1&to=0'],
    ['/v1/sites/site_shop/activity', 'groupBy=slot'],
    ['/v1/campaigns', 'advertiserId=%00'],
    ['/v1/campaigns', 'nope=1'],
    ['/v1/slots', 'siteId=a%20b'],
    ['/v1/creatives', 'campaignId='],
    ['/v1/conversion-actions', 'advertiserId=../x'],
  ])('answers 400 with a reason for %s?%s', async (path, q) => {
    const r = await h.api('GET', `${path}?${q}`, OPERATOR_KEY);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body).toEqual({ error: 'invalid_query', reason: expect.stringMatching(/\w/) });
  });

  it('names the parameter and the rule in the reason', async () => {
    expect((await h.api('GET', '/v1/ledger?limit=0', OPERATOR_KEY)).body.reason).toMatch(/^limit: .*1/);
    expect((await h.api('GET', '/v1/ledger?from=2000&to=1000', OPERATOR_KEY)).body.reason).toMatch(/from.*to/);
  });

  it('still answers the queries the dashboard sends', async () => {
    for (const [path, q] of [
      ['/v1/ledger', 'limit=200'],
      ['/v1/ledger', `from=0&limit=5000`],
      ['/v1/conversions', 'from=0&limit=50&status=approved'],
      ['/v1/feed', 'after=1&limit=50'],
      ['/v1/reports/performance', 'from=0&groupBy=slot&perDay=1'],
      ['/v1/sites/site_shop/activity', ''],
      ['/v1/campaigns', 'advertiserId=adv_shop'],
    ]) {
      expect((await h.api('GET', `${path}?${q}`, OPERATOR_KEY)).status, `${path}?${q}`).toBe(200);
    }
  });

  it('answers no 5xx to any query string on any list, for any role (fuzzed)', async () => {
    const keys = [OPERATOR_KEY, w.advertiserKey, w.publisherKey];
    const names = ['limit', 'from', 'to', 'before', 'after', 'groupBy', 'perDay', 'status', 'siteId', 'campaignId', 'advertiserId', 'publisherId', 'x'];
    const values = fc.oneof(
      fc.integer({ min: -10, max: 10 }).map(String),
      fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
      fc.constantFrom('', '0', '1e3', 'NaN', 'Infinity', '1_', '_', '1_cv', '%00', '%FF', 'slot', '1.5', 'null', '../x'),
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...LISTS), fc.constantFrom(...keys), fc.array(fc.tuple(fc.constantFrom(...names), values), { maxLength: 4 }), async (path, key, params) => {
        const q = params.map(([k, v]) => `${k}=${v}`).join('&');
        const r = await h.api('GET', `${path}?${q}`, key);
        expect(r.status, `${path}?${q} → ${JSON.stringify(r.body).slice(0, 200)}`).toBeLessThan(500);
        if (r.status === 400) expect(r.body.reason).toBeTruthy();
      }),
      { numRuns: 400, seed: 16 },
    );
  });
});

describe('path IDs', () => {
  it.each([
    ['GET', '/v1/campaigns/%00'],
    ['PATCH', '/v1/campaigns/%00'],
    ['GET', '/v1/campaigns/a%00b/terms'],
    ['GET', '/v1/sites/%00'],
    ['GET', '/v1/sites/%00/activity'],
    ['PATCH', '/v1/slots/%00'],
    ['PATCH', '/v1/creatives/%00'],
    ['GET', '/v1/advertisers/%00'],
    ['GET', '/v1/publishers/%00'],
    ['GET', '/v1/conversions/%00'],
    ['POST', '/v1/conversions/%00/approve'],
    ['POST', '/v1/conversions/%00/reject'],
    ['POST', '/v1/conversions/%00/reverse'],
    ['POST', '/v1/conversions/%00/restate'],
    ['POST', '/v1/clicks/%00/invalidate'],
    ['PUT', '/v1/conversion-actions/%00'],
    ['GET', `/v1/campaigns/${'x'.repeat(200)}`],
  ])('answers 400 for a malformed ID: %s %s', async (method, path) => {
    const r = await h.api(method, path, OPERATOR_KEY, method === 'GET' ? undefined : { reason: 'x', value: '1', name: 'x' });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body).toEqual({ error: 'invalid_path', reason: expect.stringMatching(/\w/) });
  });
});
