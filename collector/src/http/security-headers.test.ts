/**
 * Security headers (issue 16 item 8): nosniff, no framing and a Referrer-Policy on every answer;
 * the strict page policy on the dashboard, verify and docs pages; and nothing that would stop a
 * publisher's page from loading what it loads from the collector (pp.js, ads.js, vitals.js, p.gif,
 * /e, /ad, ad images). The pages running under their policy in Chromium: test/e2e/csp.test.ts.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountDemoSite } from '../../../demo-site/server/mount';
import { OPERATOR_KEY, createHarness, eventId, seedWorld, serveAd, type Harness, type World } from '../test-fixtures';
import { PAGE_CSP } from './security-headers';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let h: Harness;
let w: World;
let tk: string;

beforeAll(async () => {
  h = await createHarness();
  // Mounted before the first request, as npm start does (Hono builds its router on the first one).
  mountDemoSite(h.app, { config: { env: 'development', publicUrl: 'http://localhost:8787' }, keys: () => null, clock: h.clock, root: ROOT });
  w = await seedWorld(h);
  tk = (await serveAd(h, w.slotId)).tk;
});
afterAll(() => h.close());

const third = { origin: 'https://news.example' };
const answers: [string, () => Promise<Response>][] = [
  ['POST /e', () => h.beacon(w.newsSiteId, [{ t: 'pv', i: eventId('pv'), ts: h.clock() }], third)],
  ['POST /e refused', () => h.request('/e', { method: 'POST', body: 'nope', headers: third })],
  ['GET /p.gif', () => h.request(`/p.gif?s=${w.shopSiteId}&t=pv&i=${eventId('px')}`)],
  ['GET /ad', () => h.request(`/ad?slot=${w.slotId}`, { headers: third })],
  ['GET /c/:token', () => h.request(`/c/${tk}`)],
  ['GET /v1/me', () => h.api('GET', '/v1/me', OPERATOR_KEY).then((r) => r.res)],
  ['GET /v1/me without a key', () => h.request('/v1/me')],
  ['GET /v1/ledger.csv', () => h.api('GET', '/v1/ledger.csv', OPERATOR_KEY).then((r) => r.res)],
  ['GET /openapi.json', () => h.request('/openapi.json')],
  ['GET /docs', () => h.request('/docs')],
  ['GET /healthz', () => h.request('/healthz')],
  ['GET /metrics', () => h.request('/metrics')],
  ['an unknown route', () => h.request('/nope')],
  ['GET /pp.js', () => h.request('/pp.js')],
  ['GET /ads.js', () => h.request('/ads.js')],
  ['GET /demo-assets/a.svg', () => h.request('/demo-assets/a.svg')],
  ['GET /news/', () => h.request('/news/')],
  ['GET /dashboard/', () => h.request('/dashboard/')],
  ['GET /verify/', () => h.request('/verify/')],
];

describe('every answer', () => {
  it.each(answers)('%s: nosniff, no framing, a referrer policy, no same-origin resource policy', async (_name, get) => {
    const res = await get();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('referrer-policy')).toMatch(/^(strict-origin-when-cross-origin|no-referrer)$/);
    expect(res.headers.get('cross-origin-resource-policy')).toBeNull();
  });
});

describe('pages that hold an API key', () => {
  it.each(['/dashboard/', '/verify/', '/docs'])('%s runs under the strict page policy and names no referrer', async (path) => {
    const res = await h.request(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    // Every script is a same-origin file: an inline one would be blocked by script-src 'self'.
    for (const m of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
      expect(m[1], m[0]).toMatch(/src="\/[^/]/);
      expect(m[2]!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('gives the strict policy no inline script, no other origin and no framing', () => {
    expect(PAGE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
    expect(PAGE_CSP).toMatch(/default-src 'self'/);
    expect(PAGE_CSP).toMatch(/object-src 'none'/);
    expect(PAGE_CSP).toMatch(/frame-ancestors 'none'/);
  });
});

describe('what publishers load from the collector', () => {
  it('keeps the SDK files, the ad decision and beacons loadable from any site, with CORS as before', async () => {
    expect((await h.request('/pp.js')).headers.get('access-control-allow-origin')).toBe('*');
    expect((await h.request('/ads.js')).headers.get('access-control-allow-origin')).toBe('*');
    expect((await h.request(`/ad?slot=${w.slotId}`, { headers: third })).headers.get('access-control-allow-origin')).toBe('*');
    const e = await h.beacon(w.newsSiteId, [{ t: 'pv', i: eventId('pv2'), ts: h.clock() }], third);
    expect(e.status).toBe(202);
    expect(e.headers.get('access-control-allow-origin')).toBe(third.origin);
    // A script or image answer is not a page: its CSP cannot restrict the page that loads it.
    expect((await h.request('/pp.js')).headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
  });

  it('keeps the click redirect telling the landing page only the origin it came from', async () => {
    const res = await h.request(`/c/${(await serveAd(h, w.slotId)).tk}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  });
});
