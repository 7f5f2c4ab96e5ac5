/**
 * Open-redirect safety of `GET /c/:token` (SPEC §3.1, §5): over a thousand crafted attempts —
 * tampered and truncated tokens, validly signed tokens that name other hosts in their payload,
 * `//evil.example`, userinfo `@`, `javascript:`, CR/LF raw and percent-encoded, double-encoded and
 * overlong input, hostile headers and query strings — plus creatives and campaigns whose *stored*
 * landing URL is (or later became) disallowed. No answer may be a 5xx, and every Location must
 * parse as an http(s) URL without user info on one of the registered hosts of the campaign the
 * token names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys, type AdToken } from '../ingest/keys';
import { OPERATOR_KEY, SECRET, createHarness, serveAd, seedWorld, type Harness, type World } from '../test-fixtures';

const keys = createKeys(SECRET);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Registered hosts per campaign: its landing URL's host plus its allowed hosts. */
const REGISTERED: Record<string, string[]> = {
  cmp_main: ['shop.example', 'promo.example'],
  cmp_js: ['shop.example'],
  cmp_broken: ['shop.example'],
  cmp_userinfo: ['shop.example'],
  cmp_relative: ['shop.example'],
};

/** Landing URLs nobody could save through the API, written straight into the store. */
const HOSTILE_LANDINGS = [
  'javascript:alert(document.domain)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '//evil.example/',
  '/\\evil.example/',
  'https://evil.example/',
  'https://shop.example@evil.example/',
  'https://evil.example@shop.example/',
  'https://shop.example:443@evil.example/',
  'https://shop.example.evil.example/',
  'https://evil.example\\@shop.example/',
  'https://evil.example%2F@shop.example/',
  'https://shop.example%0d%0aLocation:%20https://evil.example',
  'https://shop.example/\r\nLocation: https://evil.example',
  'https://shop.example/\u2028x',
  'https:evil.example',
  'https:/\\evil.example',
  ' https://evil.example',
  'ftp://shop.example/',
  'http://[::1',
  'https://SHOP.EXAMPLE.evil.example/',
  'https://xn--shop-9za.example/',
];

/** Strings an attacker appends to, or puts instead of, a token. */
const PAYLOADS = [
  '//evil.example',
  '/evil.example',
  '\\\\evil.example',
  '@evil.example',
  'https://evil.example',
  'http:evil.example',
  'javascript:alert(1)',
  'data:text/html,x',
  '\r\nLocation: https://evil.example',
  '%0d%0aLocation:%20https://evil.example',
  '%0D%0ASet-Cookie:%20a=1',
  '%250d%250aLocation:https://evil.example',
  '%E5%98%8A%E5%98%8DLocation:evil.example',
  '\u2028\u2029',
  '%00',
  '..%2F..%2Fevil.example',
  '%2F%2Fevil.example',
  '%5C%5Cevil.example',
  '?url=https://evil.example',
  '#@evil.example',
  '.evil.example',
  ';evil.example',
  '%40evil.example',
  '%2540evil.example',
  '\t//evil.example',
  '%09%2F%2Fevil.example',
  'A'.repeat(1100),
  '.' + 'B'.repeat(5000),
];

const HOSTILE_HEADERS: Record<string, string>[] = [
  { host: 'evil.example' },
  { 'x-forwarded-host': 'evil.example' },
  { 'x-forwarded-proto': 'javascript' },
  { 'x-original-url': '//evil.example' },
  { 'x-rewrite-url': '//evil.example' },
  { referer: 'https://evil.example/' },
  { origin: 'https://evil.example' },
  { forwarded: 'host=evil.example;proto=https' },
];

const HOSTILE_QUERIES = ['url=https://evil.example', 'redirect=//evil.example', 'next=javascript:alert(1)', 'ppclid=%0d%0aX:1', 'dest=%2F%2Fevil.example', 'u=https://shop.example@evil.example'];

let h: Harness;
let w: World;
beforeAll(async () => {
  // Clicks from one source would soon be flagged as a flood; that is fine — they still redirect.
  h = await createHarness();
  w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: '100000' } });
  expect((await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { allowedHosts: ['promo.example'] })).status).toBe(200);
  expect(
    (await h.api('POST', '/v1/creatives', OPERATOR_KEY, { id: 'cr_promo', campaignId: 'cmp_main', size: '300x250', imageUrl: '/p.png', alt: 'p', landingUrl: 'https://promo.example/sale?x=1#y' })).status,
  ).toBe(201);
  // Creatives whose stored landing URL is hostile (a bad row, an old import, a rule that changed).
  for (const [k, url] of HOSTILE_LANDINGS.entries()) {
    await h.store.catalog.createCreative({ id: `cr_bad_${k}`, campaignId: 'cmp_main', width: 300, height: 250, imageUrl: '/x.png', alt: 'x', landingUrl: url, status: 'active' });
  }
  // Campaigns whose own stored landing URL is hostile.
  const terms = (await h.store.catalog.getCampaign('cmp_main'))!.terms;
  for (const [id, landingUrl] of [
    ['cmp_js', 'javascript:alert(1)'],
    ['cmp_broken', 'http://[::1'],
    ['cmp_userinfo', 'https://evil.example@shop.example/'],
    ['cmp_relative', '//evil.example/'],
  ] as const) {
    await h.store.catalog.createCampaign({ id, advertiserId: w.advertiserId, name: id, status: 'active', landingUrl, allowedHosts: ['shop.example'], terms: { ...terms, campaignId: id } });
    await h.store.catalog.createCreative({ id: `${id}_cr`, campaignId: id, width: 300, height: 250, imageUrl: '/x.png', alt: 'x', landingUrl: 'https://evil.example/', status: 'active' });
    await h.store.catalog.createCreative({ id: `${id}_ok`, campaignId: id, width: 300, height: 250, imageUrl: '/x.png', alt: 'x', landingUrl: 'https://shop.example/ok', status: 'active' });
  }
  h.collector.cache.clear();
  h.decider.invalidate();
});
afterAll(() => h.close());

interface Attempt {
  path: string;
  headers?: Record<string, string>;
}

/** Attempts sent by every test of this file. */
let attempted = 0;

/** Sends attempts 50 at a time; checks every answer; returns the status counts. */
async function run(attempts: Attempt[]): Promise<Map<number, number>> {
  attempted += attempts.length;
  const statuses = new Map<number, number>();
  for (let k = 0; k < attempts.length; k += 50) {
    const wave = attempts.slice(k, k + 50);
    const answers = await Promise.all(
      wave.map(async (a) => {
        let res: Response;
        try {
          res = await h.request(a.path, { headers: a.headers ?? {} });
        } catch (err) {
          // The URL itself cannot be built (a Request refuses it): nothing reached the app.
          if (err instanceof TypeError) return { a, status: 0, location: null };
          throw err;
        }
        return { a, status: res.status, location: res.headers.get('location') };
      }),
    );
    for (const { a, status, location } of answers) {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(status, a.path.slice(0, 200)).toBeLessThan(500);
      if (location === null) {
        expect(status === 302, `302 without Location for ${a.path.slice(0, 200)}`).toBe(false);
        continue;
      }
      expect(status, a.path.slice(0, 200)).toBe(302);
      checkLocation(location, a.path);
    }
  }
  return statuses;
}

/** A Location must be an absolute http(s) URL, no user info, on the registered hosts of the token's campaign. */
function checkLocation(location: string, path: string): void {
  expect(location, path).not.toMatch(/[\u0000-\u001F\u007F\s\\]/);
  const raw = tokenOf(path);
  const v = keys.verifyToken(raw);
  expect(v.ok, `a redirect for a token that does not verify: ${path.slice(0, 200)}`).toBe(true);
  if (!v.ok) return;
  const url = new URL(location); // throws (fails the test) for a relative or malformed Location
  expect(['https:', 'http:'], location).toContain(url.protocol);
  expect(url.username + url.password, location).toBe('');
  expect(REGISTERED[v.token.c], `${location} for ${v.token.c}`).toContain(url.host);
  expect(url.searchParams.getAll('ppclid').length, location).toBeLessThanOrEqual(1);
}

/** The token as the router sees it: the URL parser drops query, fragment, tabs and newlines first. */
function tokenOf(path: string): string {
  const p = new URL(path, 'http://localhost').pathname.slice('/c/'.length);
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('GET /c/:token never redirects off the registered hosts', () => {
  let genuine: string[];
  let base: AdToken;
  beforeAll(async () => {
    genuine = [];
    for (let k = 0; k < 6; k++) genuine.push((await serveAd(h, w.slotId, `pv_${k}`)).tk);
    const v = keys.verifyToken(genuine[0]!);
    if (!v.ok) throw new Error('genuine token');
    base = { ...v.token, c: 'cmp_main', cr: 'cr_main' };
  });

  it('refuses every one-character alteration and every truncation of genuine tokens with 400', async () => {
    const attempts: Attempt[] = [];
    for (const tk of genuine.slice(0, 3)) {
      for (let i = 0; i < tk.length; i++) {
        const ch = tk[i] === '.' ? 'A' : B64[(B64.indexOf(tk[i]!) + 1 + (i % 62)) % 64]!;
        attempts.push({ path: `/c/${tk.slice(0, i)}${ch}${tk.slice(i + 1)}` });
      }
      for (let n = 1; n < tk.length; n += 5) attempts.push({ path: `/c/${tk.slice(0, n)}` });
    }
    expect(attempts.length).toBeGreaterThan(500);
    const statuses = await run(attempts);
    expect([...statuses.keys()]).toEqual([400]);
    expect((await h.store.reports.counts()).clicks).toBe(0);
  });

  it('answers 400 or 404 to hostile strings after, instead of and around a token, and never leaves the registered hosts', async () => {
    const attempts: Attempt[] = [];
    const encodings = [(s: string) => s, (s: string) => encodeURIComponent(s), (s: string) => encodeURIComponent(encodeURIComponent(s))];
    for (const p of PAYLOADS) {
      for (const enc of encodings) {
        attempts.push({ path: `/c/${genuine[1]}${enc(p)}` });
        attempts.push({ path: `/c/${enc(p)}` });
        attempts.push({ path: `/c/${enc(p)}${genuine[1]}` });
        attempts.push({ path: `/c/${genuine[1]!.replace('.', enc(p))}` });
      }
    }
    const statuses = await run(attempts);
    expect(attempts.length).toBeGreaterThan(300);
    // Only `?…` and `#…` suffixes leave the token itself intact (query and fragment are not the path).
    expect(statuses.get(302) ?? 0).toBe(attempts.filter((a) => tokenOf(a.path) === genuine[1]).length);
    expect(statuses.get(302)).toBe(2);
  });

  it('sends validly signed tokens that name other hosts only to the registered landing URL', async () => {
    const attempts: Attempt[] = [];
    const extras = ['href', 'url', 'landingUrl', 'l', 'u', 'location', 'redirect', 'host'];
    const evil = ['https://evil.example/', '//evil.example', 'javascript:alert(1)', 'https://shop.example@evil.example', '\r\nLocation: https://evil.example'];
    for (const key of extras) for (const value of evil) attempts.push({ path: `/c/${keys.signToken({ ...base, d: `dec_${key}_${value.length}`, [key]: value } as AdToken)}` });
    // Tokens naming the hostile stored creatives, and campaigns whose own landing URL is hostile.
    for (let k = 0; k < HOSTILE_LANDINGS.length; k++) attempts.push({ path: `/c/${keys.signToken({ ...base, d: `dec_bad_${k}`, cr: `cr_bad_${k}` })}` });
    for (const id of ['cmp_js', 'cmp_broken', 'cmp_userinfo', 'cmp_relative']) {
      attempts.push({ path: `/c/${keys.signToken({ ...base, d: `dec_${id}`, c: id, cr: `${id}_cr` })}` });
      attempts.push({ path: `/c/${keys.signToken({ ...base, d: `dec_${id}_ok`, c: id, cr: `${id}_ok` })}` });
    }
    // Tokens signed with other secrets, and hand-made bodies with a copied signature.
    for (let k = 0; k < 20; k++) attempts.push({ path: `/c/${createKeys(`other-secret-${k}`.padEnd(32, '!')).signToken({ ...base, href: 'https://evil.example' } as AdToken)}` });
    for (const value of evil) attempts.push({ path: `/c/${b64({ ...base, href: value })}.${genuine[2]!.split('.')[1]}` });
    const statuses = await run(attempts);
    expect(statuses.get(302)).toBeGreaterThanOrEqual(extras.length * evil.length);
  });

  it('ignores hostile headers and query strings on a genuine token', async () => {
    const attempts: Attempt[] = [];
    for (const tk of genuine.slice(3)) {
      for (const headers of HOSTILE_HEADERS) attempts.push({ path: `/c/${tk}`, headers });
      for (const q of HOSTILE_QUERIES) attempts.push({ path: `/c/${tk}?${q}` });
    }
    const statuses = await run(attempts);
    expect(statuses.get(302)).toBe(attempts.length);
  });

  it("uses the campaign's landing URL once a creative's host is dropped from the allowed hosts, and 404s when the campaign has none that is safe", async () => {
    const tk = keys.signToken({ ...base, d: 'dec_promo', cr: 'cr_promo' });
    const before = await h.request(`/c/${tk}`);
    expect(new URL(before.headers.get('location')!).host).toBe('promo.example');
    expect((await h.api('PATCH', '/v1/campaigns/cmp_main', w.advertiserKey, { allowedHosts: [] })).status).toBe(200);
    const after = await h.request(`/c/${tk}`);
    expect(after.status).toBe(302);
    expect(new URL(after.headers.get('location')!).host).toBe('shop.example');
    for (const id of ['cmp_js', 'cmp_broken', 'cmp_userinfo', 'cmp_relative']) {
      const res = await h.request(`/c/${keys.signToken({ ...base, d: `dec_${id}_2`, c: id, cr: `${id}_cr` })}`);
      expect(res.status, id).toBe(404);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('made over a thousand attempts in all', () => {
    // A guard against the lists above shrinking: the issue asks for at least 1,000.
    expect(attempted).toBeGreaterThanOrEqual(1000);
  });
});
