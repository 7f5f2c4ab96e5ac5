import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BROWSER_UA, clickThrough, conversion, createHarness, eventId, seedWorld, serveAd, type Harness, type World } from '../test-fixtures';
import { createFirstParty, createFirstPartyHandler, firstParty, firstPartySnippet, readClickCookie, type FirstPartyOptions } from './index';

const SHOP = 'https://shop.example';
const VISITOR = '198.51.100.20';
const SHOP_SERVER = '203.0.113.5';

let h: Harness;
let w: World;
let clickId: string;
/** What reached the collector's `/pp.js` and what it answered. */
let fileRequests: { url: string; encoding: string | null }[];

beforeEach(async () => {
  h = await createHarness({ datacenterCidrs: ['203.0.113.0/24'] });
  w = await seedWorld(h, { terms: { costModel: 'cpa', cpaFlatMicros: '5000000', minConversionDelayMs: 0 } });
  clickId = (await clickThrough(h, (await serveAd(h, w.slotId)).tk)).clickId!;
  fileRequests = [];
});
afterEach(() => h.close());

/** The shop server's way to the collector: the collector's app, from the shop server's address. */
const toCollector: FirstPartyOptions['fetch'] = async (input, init) => {
  const url = new URL(input);
  if (url.pathname.endsWith('.js')) {
    const encoding = new Headers(init.headers).get('accept-encoding');
    fileRequests.push({ url: input, encoding });
    return new Response(`/* ${url.pathname} as ${encoding} */`, { headers: { 'content-type': 'text/javascript', 'content-encoding': encoding === 'identity' ? '' : encoding!, 'cache-control': 'public, max-age=300' } });
  }
  const headers = new Headers(init.headers);
  headers.set('x-test-peer', SHOP_SERVER);
  return h.app.request(input, { ...init, headers });
};

const proxy = (o: Partial<FirstPartyOptions> = {}) =>
  createFirstParty({ collector: 'https://collector.example', path: '/k3x', secret: w.s2sSecret, fetch: toCollector, now: () => h.clock(), ...o });

/** A request from the visitor's browser to the shop's origin. */
const browser = (path: string, init: RequestInit & { cookie?: string } = {}) =>
  new Request(`${SHOP}${path}`, {
    ...init,
    headers: { 'user-agent': BROWSER_UA, origin: SHOP, ...(init.cookie ? { cookie: init.cookie } : {}), ...(init.headers as Record<string, string>) },
  });
const batch = (events: unknown[]) => JSON.stringify({ s: w.shopSiteId, n: h.clock(), e: events });
const pv = (extra: Record<string, unknown> = {}) => ({ t: 'pv', i: eventId(`pv-${Math.random()}`), ts: h.clock(), u: `${SHOP}/landing`, ...extra });
const conversions = () => h.store.reports.conversions({ advertiserId: w.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10);
/** The cookie a browser would send back from a Set-Cookie. */
const jar = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');

describe('first-party mode', () => {
  it('keeps the click ID of a beacon sent with consent in an HTTP-only cookie set by the server', async () => {
    const res = await proxy().handle(browser('/k3x/e', { method: 'POST', body: batch([pv({ k: clickId })]) }), VISITOR);
    expect(res!.status).toBe(202);
    const [cookie] = res!.headers.getSetCookie();
    expect(cookie).toMatch(new RegExp(`^_ppc=${clickId}~\\d+; Path=/; Max-Age=${90 * 86400}; HttpOnly; SameSite=Lax; Secure$`));
  });

  it('adds the cookie’s click ID to a conversion sent without one (script storage wiped), which is then attributed', async () => {
    const fp = proxy();
    const landing = await fp.handle(browser('/k3x/e', { method: 'POST', body: batch([pv({ k: clickId })]) }), VISITOR);
    h.clock.advance(3 * 86_400_000);
    const res = await fp.handle(browser('/k3x/e', { method: 'POST', body: batch([conversion(h, { o: 'FP-1' })]), cookie: jar(landing!) }), VISITOR);
    expect(res!.status).toBe(202);
    expect(await conversions()).toMatchObject([{ orderId: 'FP-1', clickIds: [clickId], campaignId: w.campaignId, costMicros: 5_000_000n }]);
    // Nothing new to keep: the cookie is not rewritten (its lifetime still counts from the click).
    expect(res!.headers.getSetCookie()).toEqual([]);
  });

  it('adds nothing to an event sent without ad_storage consent, and keeps nothing from it', async () => {
    const fp = proxy();
    const landing = await fp.handle(browser('/k3x/e', { method: 'POST', body: batch([pv({ k: clickId })]) }), VISITOR);
    const res = await fp.handle(browser('/k3x/e', { method: 'POST', body: batch([{ ...conversion(h, { o: 'FP-2' }), cl: '1' }]), cookie: jar(landing!) }), VISITOR);
    expect(res!.headers.getSetCookie()).toEqual([]);
    expect(await conversions()).toMatchObject([{ orderId: 'FP-2', clickIds: [], status: 'unattributed' }]);
  });

  it('forwards the visitor’s IP signed, so the shop server’s data-center address is not what the collector judges', async () => {
    await proxy().handle(browser('/k3x/e', { method: 'POST', body: batch([conversion(h, { o: 'FP-3' })]) }), VISITOR);
    const [c] = await conversions();
    expect(c!.sourceKey).toBe(h.collector.keys.sourceKey(VISITOR, BROWSER_UA));
    expect(c!.status).not.toBe('rejected');
    // Without the secret, the collector can only see the shop's server.
    h.clock.advance(1000);
    await proxy({ secret: undefined }).handle(browser('/k3x/e', { method: 'POST', body: batch([conversion(h, { o: 'FP-4' })]) }), VISITOR);
    expect((await conversions())[0]).toMatchObject({ orderId: 'FP-4', statusReason: 'invalid: datacenter_ip' });
  });

  it('adds the cookie’s click ID to the image pixel too, and signs its query', async () => {
    const fp = proxy();
    const landing = await fp.handle(browser('/k3x/e', { method: 'POST', body: batch([pv({ k: clickId })]) }), VISITOR);
    const res = await fp.handle(browser(`/k3x/p.gif?s=${w.shopSiteId}&t=cv&i=${eventId('px')}&ts=${h.clock()}&a=purchase&o=FP-5&v=10.00&c=EUR`, { cookie: jar(landing!) }), VISITOR);
    expect(res!.status).toBe(200);
    expect(res!.headers.get('content-type')).toBe('image/gif');
    expect(await conversions()).toMatchObject([{ orderId: 'FP-5', clickIds: [clickId], sourceKey: h.collector.keys.sourceKey(VISITOR, BROWSER_UA) }]);
  });

  it('serves the tag’s files from the collector in the encoding the browser accepts, cached', async () => {
    const fp = proxy();
    const br = await fp.handle(browser('/k3x/pp.js', { headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } }));
    expect(await br!.text()).toBe('/* /pp.js as br */');
    expect(br!.headers.get('content-encoding')).toBe('br');
    await fp.handle(browser('/k3x/pp.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } }));
    const gz = await fp.handle(browser('/k3x/nocode.js', { headers: { 'accept-encoding': 'gzip' } }));
    expect(await gz!.text()).toBe('/* /nocode.js as gzip */');
    expect(fileRequests.map((r) => [r.url, r.encoding])).toEqual([
      ['https://collector.example/pp.js', 'br'],
      ['https://collector.example/nocode.js', 'gzip'],
    ]);
  });

  it('leaves every other request to the shop, and answers unknown paths under its own with 404', async () => {
    const fp = proxy();
    expect(await fp.handle(browser('/checkout'))).toBeNull();
    expect(await fp.handle(browser('/k3xy/pp.js'))).toBeNull();
    expect((await fp.handle(browser('/k3x/secret')))!.status).toBe(404);
  });

  it('refuses a body over 64 KiB without reading it all, and answers 502 when the collector cannot be reached', async () => {
    const big = await proxy().handle(browser('/k3x/e', { method: 'POST', body: 'x'.repeat(64 * 1024 + 1) }), VISITOR);
    expect(big!.status).toBe(413);
    const down = proxy({ fetch: () => Promise.reject(new TypeError('fetch failed')) });
    expect((await down.handle(browser('/k3x/e', { method: 'POST', body: batch([pv()]) }), VISITOR))!.status).toBe(502);
  });

  it('removes the cookie on /forget (consent withdrawn)', async () => {
    const res = await proxy().handle(browser('/k3x/forget', { method: 'POST' }));
    expect(res!.status).toBe(204);
    expect(res!.headers.getSetCookie()).toEqual(['_ppc=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure']);
  });

  it('drops click IDs older than the click window from the cookie', () => {
    const nowS = 1_800_000_000;
    const cookie = `a=1; _ppc=new~${nowS - 86_400}.old~${nowS - 90 * 86_400}.bad!~${nowS}`;
    expect(readClickCookie(cookie, '_ppc', nowS, 90)).toEqual([['new', nowS - 86_400]]);
  });

  it('refuses a path made of words that filter lists block', () => {
    expect(() => proxy({ path: '/analytics' })).toThrow(/ad blockers block/);
    expect(() => proxy({ path: '/t/pixel' })).toThrow(/ad blockers block/);
    expect(() => proxy({ path: 'k3x' })).toThrow(/use a path like/);
    expect(proxy({ path: '/k3x/' }).path).toBe('/k3x');
  });

  it('gives the snippet with the queue stub first, sending to its own path', () => {
    expect(firstPartySnippet('shop-site', '/k3x')).toBe(
      '<script>window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}</script>\n<script async src="/k3x/pp.js" data-site="shop-site" data-endpoint="/k3x"></script>',
    );
  });
});

describe('first-party adapters', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((ok) => (server ? server.close(() => ok()) : ok())));

  it('mounts as Hono middleware before the shop’s own routes', async () => {
    const shop = new Hono();
    shop.use(firstParty({ collector: 'https://collector.example', path: '/k3x', fetch: toCollector, clientIp: () => VISITOR, secret: w.s2sSecret, now: () => h.clock() }));
    shop.get('/', (c) => c.text('the shop'));
    expect(await (await shop.request(`${SHOP}/`)).text()).toBe('the shop');
    const res = await shop.request(browser('/k3x/e', { method: 'POST', body: batch([pv({ k: clickId })]) }));
    expect(res.status).toBe(202);
    expect(res.headers.getSetCookie()[0]).toMatch(/^_ppc=/);
  });

  it('runs as a node:http handler, with the socket’s address as the visitor’s', async () => {
    const pp = createFirstPartyHandler({ collector: 'https://collector.example', path: '/k3x', fetch: toCollector, secret: w.s2sSecret, now: () => h.clock() });
    server = createServer((req, res) => pp(req, res, () => res.writeHead(200, { 'content-type': 'text/plain' }).end('the shop')));
    await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await (await fetch(`${base}/products`)).text()).toBe('the shop');
    const res = await fetch(`${base}/k3x/e`, { method: 'POST', body: batch([conversion(h, { o: 'FP-N', k: clickId })]), headers: { 'user-agent': BROWSER_UA, origin: SHOP } });
    expect(res.status).toBe(202);
    expect(res.headers.getSetCookie()[0]).toMatch(new RegExp(`^_ppc=${clickId}~`));
    expect((await conversions())[0]).toMatchObject({ orderId: 'FP-N', sourceKey: h.collector.keys.sourceKey('127.0.0.1', BROWSER_UA) });
  });
});
