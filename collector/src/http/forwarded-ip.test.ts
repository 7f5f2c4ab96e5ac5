import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BROWSER_UA, conversion, createHarness, eventId, OPERATOR_KEY, rejectedEvents, seedWorld, type Harness, type World } from '../test-fixtures';
import { FORWARD_HEADERS, signForwardedIp } from './forwarded-ip';

/** The shop's server, in a data center the collector flags: what the collector sees as the peer. */
const SHOP_SERVER = '203.0.113.5';
const VISITOR = '198.51.100.20';

let h: Harness;
let w: World;
beforeEach(async () => {
  h = await createHarness({ datacenterCidrs: ['203.0.113.0/24'] });
  w = await seedWorld(h);
});
afterEach(() => h.close());

const now = () => Math.floor(h.clock() / 1000);
const forwarded = (body: string, o: { ip?: string; at?: number; secret?: string; signed?: string } = {}) => {
  const at = o.at ?? now();
  const ip = o.ip ?? VISITOR;
  return {
    'x-test-peer': SHOP_SERVER,
    [FORWARD_HEADERS.ip]: ip,
    [FORWARD_HEADERS.at]: String(at),
    [FORWARD_HEADERS.signature]: signForwardedIp(o.secret ?? w.s2sSecret, at, ip, o.signed ?? body),
  };
};
const post = (events: unknown[], headers: (body: string) => Record<string, string>) => {
  const body = JSON.stringify({ s: w.shopSiteId, e: events });
  return h.request('/e', { method: 'POST', headers: { 'content-type': 'text/plain', ...headers(body) }, body });
};
const stored = async () => (await h.store.reports.conversions({ advertiserId: w.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10))[0]!;

describe('a visitor IP forwarded by a first-party proxy', () => {
  it('is taken when signed: the source key and the invalid-traffic rules use the visitor’s IP, not the proxy’s', async () => {
    expect((await post([conversion(h, { o: 'F-1' })], (b) => forwarded(b))).status).toBe(202);
    const c = await stored();
    expect(c.sourceKey).toBe(h.collector.keys.sourceKey(VISITOR, BROWSER_UA));
    expect(c.status).not.toBe('rejected');
  });

  it('is ignored when only a bare X-Forwarded-For names it: the proxy’s own address counts', async () => {
    expect((await post([conversion(h, { o: 'F-2' })], () => ({ 'x-test-peer': SHOP_SERVER, 'x-forwarded-for': VISITOR }))).status).toBe(202);
    const c = await stored();
    expect(c.sourceKey).toBe(h.collector.keys.sourceKey(SHOP_SERVER, BROWSER_UA));
    expect(c.statusReason).toBe('invalid: datacenter_ip');
  });

  it.each([
    ['a signature made with another secret', (b: string) => forwarded(b, { secret: 'not-the-advertisers-secret-0123456789' })],
    ['a signature of another body', (b: string) => forwarded(b, { signed: b.replace('F-3', 'F-4') })],
    ['a signature for another IP', (b: string) => ({ ...forwarded(b), [FORWARD_HEADERS.ip]: '198.51.100.99' })],
    ['a signing time 301 s old', (b: string) => forwarded(b, { at: now() - 301 })],
    ['no signature', (b: string) => ({ ...forwarded(b), [FORWARD_HEADERS.signature]: '' })],
    ['an IP that is not one', (b: string) => forwarded(b, { ip: 'localhost' })],
  ])('is refused with 403 and kept as a rejected event for %s', async (_, headers) => {
    const res = await post([conversion(h, { o: 'F-3' })], headers);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_forwarded_ip');
    expect(await rejectedEvents(h.store, w.shopSiteId)).toMatchObject([{ reason: 'invalid_forwarded_ip' }]);
    expect(await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10)).toEqual([]);
  });

  it('verifies with either live secret while the advertiser rotates', async () => {
    const rotated = await h.api('POST', `/v1/advertisers/${w.advertiserId}/rotate-secret`, OPERATOR_KEY);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    // The proxy's cached secrets are kept 5 s at most.
    h.clock.advance(10_000);
    expect((await post([conversion(h, { o: 'F-5' })], (b) => forwarded(b, { secret: rotated.body.secret }))).status).toBe(202);
    expect((await post([conversion(h, { o: 'F-6' })], (b) => forwarded(b))).status).toBe(202);
  });

  it('is refused for a publisher site, which has no secret to sign with', async () => {
    const body = JSON.stringify({ s: w.newsSiteId, e: [{ t: 'pv', i: eventId('pub'), ts: h.clock() }] });
    const res = await h.request('/e', { method: 'POST', headers: { 'content-type': 'text/plain', ...forwarded(body) }, body });
    expect(res.status).toBe(403);
  });

  it('signs the query string of the GET pixel', async () => {
    const query = `s=${w.shopSiteId}&t=cv&a=purchase&o=F-6&v=10.00&c=EUR`;
    const res = await h.request(`/p.gif?${query}`, { headers: forwarded(query) });
    expect(res.status).toBe(200);
    expect((await stored()).sourceKey).toBe(h.collector.keys.sourceKey(VISITOR, BROWSER_UA));
  });
});
