/**
 * Shared fixtures of the collector's HTTP suites: a fixed clock the test advances by hand, seeded
 * randomness, a collector over an in-memory (or file) SQLite store, and a small catalog built
 * through the admin API — so every test talks to the app only with `app.request()`.
 *
 * ```ts
 * const h = await createHarness();
 * const w = await seedWorld(h);                       // advertiser, publisher, sites, slot, CPA campaign
 * const { tk } = await serveAd(h, w.slotId);
 * const { clickId } = await clickThrough(h, tk);
 * h.clock.advance(60_000);
 * const res = await h.beacon(w.shopSiteId, [conversion({ k: clickId, v: '49.90', o: 'A-1' })]);
 * ```
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { createCollector, type AppOptions, type CollectorApp } from './app';
import { signS2s } from './http/s2s-routes';
import { openStore } from './store/open-store';
import { openPgDb } from './store/pg-db';
import type { Store } from './store/store';

/** Noon UTC on a Monday: far from midnight, so daily budgets do not roll over by accident. */
export const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

export const SECRET = 'perfpixel-test-secret-0123456789abcdef';
export const OPERATOR_KEY = 'op_test_operator_key_0123456789';
/** A desktop Chrome: not a bot, so nothing it sends is flagged as invalid traffic. */
export const BROWSER_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** The peer every request comes from unless a test sets `x-test-peer`. */
export const DEFAULT_PEER = '198.51.100.7';

/** A clock that only moves when the test moves it. */
export interface TestClock {
  (): number;
  set(at: number): void;
  advance(ms: number): void;
}

/** A fixed clock starting at `start`. */
export function createTestClock(start = T0): TestClock {
  let now = start;
  const clock = (() => now) as TestClock;
  clock.set = (at) => void (now = at);
  clock.advance = (ms) => void (now += ms);
  return clock;
}

/** mulberry32: a small seeded generator in [0, 1). */
export function seededRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded random bytes (click IDs): distinct, reproducible. */
export function seededBytes(seed: number): (n: number) => Uint8Array {
  const rng = seededRng(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
}

/** A UUID-shaped event ID that is the same in every run: `evt-<label>-<sha>`. */
export function eventId(label: string | number): string {
  return `evt-${createHash('sha256').update(String(label)).digest('hex').slice(0, 24)}`;
}

/** A collector plus the helpers every suite uses. */
export interface Harness extends CollectorApp {
  store: Store;
  clock: TestClock;
  /** A request with a browser user agent and the default peer (both overridable). */
  request(path: string, init?: RequestInit & { headers?: Record<string, string> }): Promise<Response>;
  /** An API call with a bearer key; the JSON answer is parsed. */
  api(method: string, path: string, key: string | null, body?: unknown): Promise<{ status: number; body: any; res: Response }>;
  /** `POST /e` with a text/plain batch. */
  beacon(siteId: string, events: unknown[], headers?: Record<string, string>, n?: number): Promise<Response>;
  /** A signed `POST /v1/conversions`. */
  s2s(advertiserId: string, secret: string, body: unknown, opts?: { ts?: number; raw?: string }): Promise<Response>;
  close(): Promise<void>;
}

/** Options of a harness: the store URL or an open store, and anything createCollector takes. */
export interface HarnessOptions extends Partial<Omit<AppOptions, 'store' | 'clock'>> {
  store?: Store;
  storeUrl?: string;
  clock?: TestClock;
}

/**
 * The PostgreSQL the HTTP suites run on when set (`npm run test:pg`, vitest.pg-http.config.ts); unset,
 * they run on an in-memory SQLite store.
 */
export const TEST_DATABASE_URL = process.env.PP_TEST_DATABASE_URL || null;

/** A fresh store for one test: in-memory SQLite, or its own schema of PP_TEST_DATABASE_URL (dropped on close). */
async function freshStore(clock: TestClock): Promise<{ store: Store; dispose: () => Promise<void> }> {
  if (!TEST_DATABASE_URL) {
    const store = await openStore(':memory:', { clock });
    return { store, dispose: () => store.close() };
  }
  const schema = `tst_http_${randomBytes(6).toString('hex')}`;
  const store = await openStore(TEST_DATABASE_URL, { clock, pgSchema: schema, pgPoolSize: 4 });
  return {
    store,
    async dispose() {
      await store.close().catch(() => undefined); // a test may have closed it already
      const admin = openPgDb(TEST_DATABASE_URL);
      try {
        await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await admin.close();
      }
    },
  };
}

/** Builds a collector with a fixed clock, seeded randomness and a fresh store (see freshStore). */
export async function createHarness(o: HarnessOptions = {}): Promise<Harness> {
  const clock = o.clock ?? createTestClock();
  const { store: given, storeUrl, clock: _c, ...rest } = o;
  void _c;
  const opened = given ? null : storeUrl ? await openStore(storeUrl, { clock }).then((store) => ({ store, dispose: () => store.close() })) : await freshStore(clock);
  const store = given ?? opened!.store;
  const collector = createCollector({
    secret: SECRET,
    operatorKey: OPERATOR_KEY,
    rng: seededRng(1),
    random: seededBytes(2),
    // The Node adapter's socket is not there under app.request(): tests name the peer in a header.
    peer: (c) => c.req.header('x-test-peer') ?? DEFAULT_PEER,
    ...rest,
    store,
    clock,
  });
  const { app } = collector;
  const request: Harness['request'] = async (path, init = {}) =>
    app.request(path, { ...init, headers: { 'user-agent': BROWSER_UA, ...init.headers } });
  const api: Harness['api'] = async (method, path, key, body) => {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await request(path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.clone().text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // CSV, HTML, Prometheus text: keep the text
    }
    return { status: res.status, body: parsed, res };
  };
  return {
    ...collector,
    store,
    clock,
    request,
    api,
    beacon: (siteId, events, headers = {}, n) =>
      request('/e', {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
        body: JSON.stringify({ s: siteId, ...(n === undefined ? {} : { n }), e: events }),
      }),
    s2s: (advertiserId, secret, body, opts = {}) => {
      const raw = opts.raw ?? JSON.stringify(body);
      const ts = opts.ts ?? Math.floor(clock() / 1000);
      return request('/v1/conversions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-pp-advertiser': advertiserId, 'x-pp-timestamp': String(ts), 'x-pp-signature': signS2s(secret, ts, raw) },
        body: raw,
      });
    },
    async close() {
      await collector.drain();
      await (opened ? opened.dispose() : store.close());
    },
  };
}

/** What seedWorld created. */
export interface World {
  advertiserId: string;
  advertiserKey: string;
  s2sSecret: string;
  publisherId: string;
  publisherKey: string;
  shopSiteId: string;
  newsSiteId: string;
  slotId: string;
  campaignId: string;
  creativeId: string;
}

/** Campaign terms as the admin API takes them (micros as strings). */
export type TermsInput = Record<string, unknown> & { costModel: 'cpc' | 'cpm' | 'cpa' };

/**
 * A small world through the admin API: advertiser `adv_shop` (EUR) with a conversion site, a
 * publisher `pub_news` (70 % share) with a 300×250 slot, and one active campaign (CPA 5.00 flat
 * by default) with one creative landing on https://shop.example.
 */
export async function seedWorld(h: Harness, o: { terms?: TermsInput; landingUrl?: string; origins?: string[] } = {}): Promise<World> {
  const ok = (r: { status: number; body: any }, status = 201) => {
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    return r.body;
  };
  const adv = ok(await h.api('POST', '/v1/advertisers', OPERATOR_KEY, { id: 'adv_shop', name: 'Shop', currency: 'EUR' }));
  const pub = ok(await h.api('POST', '/v1/publishers', OPERATOR_KEY, { id: 'pub_news', name: 'News', revShareBps: 7000 }));
  // Fixed IDs are the operator's to choose (issue 16 item 9): an advertiser or publisher key gets generated ones.
  ok(await h.api('POST', '/v1/sites', OPERATOR_KEY, { id: 'site_shop', name: 'Shop', ownerType: 'advertiser', ownerId: 'adv_shop', origins: o.origins ?? ['https://shop.example'] }));
  ok(await h.api('POST', '/v1/sites', OPERATOR_KEY, { id: 'site_news', name: 'News', ownerType: 'publisher', ownerId: 'pub_news', origins: [] }));
  ok(await h.api('POST', '/v1/slots', OPERATOR_KEY, { id: 'slot_top', siteId: 'site_news', name: 'Top', size: '300x250' }));
  const world: World = {
    advertiserId: 'adv_shop',
    advertiserKey: adv.apiKey,
    s2sSecret: adv.advertiser.s2sSecrets[0],
    publisherId: 'pub_news',
    publisherKey: pub.apiKey,
    shopSiteId: 'site_shop',
    newsSiteId: 'site_news',
    slotId: 'slot_top',
    campaignId: 'cmp_main',
    creativeId: 'cr_main',
  };
  await addCampaign(h, world, {
    id: 'cmp_main',
    creativeId: 'cr_main',
    terms: o.terms ?? { costModel: 'cpa', cpaFlatMicros: '5000000' },
    landingUrl: o.landingUrl ?? 'https://shop.example/landing?utm_source=pp#top',
  });
  return world;
}

/** What seedTraffic recorded. */
export interface Traffic {
  /** The billed click of the conversion. */
  clickId: string;
  conversionId: string;
}

/**
 * Traffic on a seeded world: one served + viewable impression, one click, one bot click, one
 * conversion (order A-1001, 49.90 EUR, charged on the click) and one rejected beacon.
 */
export async function seedTraffic(h: Harness, w: World): Promise<Traffic> {
  const ad = await serveAd(h, w.slotId, 'pv_1');
  expect((await h.beacon(w.newsSiteId, [{ t: 'imp', i: eventId('imp'), ts: h.clock(), tk: ad.tk, p: 'pv_1' }, { t: 'vi', i: eventId('vi'), ts: h.clock(), tk: ad.tk, p: 'pv_1' }])).status).toBe(202);
  const clickId = (await clickThrough(h, ad.tk)).clickId!;
  await clickThrough(h, (await serveAd(h, w.slotId)).tk, { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)', 'x-test-peer': '66.249.66.1' });
  h.clock.advance(60_000);
  expect((await h.beacon(w.shopSiteId, [conversion(h, { k: clickId, o: 'A-1001', v: '49.90', i: eventId('cv') })])).status).toBe(202);
  expect((await h.beacon(w.shopSiteId, [{ t: 'cv', i: eventId('bad'), ts: h.clock(), v: 'lots' }])).status).toBe(422);
  const conversionId = (await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1))[0]!.id;
  return { clickId, conversionId };
}

/** Adds a campaign with one 300×250 creative for the world's advertiser (fixed IDs: through the operator key). */
export async function addCampaign(
  h: Harness,
  w: Pick<World, 'advertiserId'>,
  o: { id: string; creativeId: string; terms: TermsInput; landingUrl?: string; allowedHosts?: string[]; creativeLanding?: string; status?: 'active' | 'paused' },
): Promise<void> {
  const c = await h.api('POST', '/v1/campaigns', OPERATOR_KEY, {
    id: o.id,
    advertiserId: w.advertiserId,
    name: o.id,
    landingUrl: o.landingUrl ?? 'https://shop.example/landing',
    allowedHosts: o.allowedHosts ?? [],
    terms: o.terms,
    ...(o.status ? { status: o.status } : {}),
  });
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  const cr = await h.api('POST', '/v1/creatives', OPERATOR_KEY, {
    id: o.creativeId,
    campaignId: o.id,
    size: '300x250',
    imageUrl: `/img/${o.creativeId}.png`,
    alt: o.id,
    ...(o.creativeLanding ? { landingUrl: o.creativeLanding } : {}),
  });
  expect(cr.status, JSON.stringify(cr.body)).toBe(201);
}

/** `GET /ad` for a slot; fails the test when no ad is served. */
export async function serveAd(h: Harness, slotId: string, pageViewId?: string): Promise<{ tk: string; href: string; campaignId: string; creativeId: string }> {
  const res = await h.request(`/ad?slot=${slotId}${pageViewId ? `&p=${pageViewId}` : ''}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { ad: { tk: string; href: string } | null };
  expect(body.ad, 'an ad is served').not.toBeNull();
  const payload = JSON.parse(Buffer.from(body.ad!.tk.split('.')[0]!, 'base64url').toString()) as { c: string; cr: string };
  return { tk: body.ad!.tk, href: body.ad!.href, campaignId: payload.c, creativeId: payload.cr };
}

/** `GET /c/:token` like a browser following the ad link; the minted click ID from Location. */
export async function clickThrough(h: Harness, tk: string, headers: Record<string, string> = {}): Promise<{ res: Response; location: string; clickId: string | null }> {
  const res = await h.request(`/c/${tk}`, { headers });
  const location = res.headers.get('location') ?? '';
  const clickId = location ? new URL(location).searchParams.get('ppclid') : null;
  return { res, location, clickId };
}

let conversionSeq = 0;

/** A conversion beacon event (`t: "cv"`) at the clock's time; its event ID follows the order ID. */
export function conversion(h: Harness, o: { i?: string; k?: string; v?: string; c?: string; o?: string; a?: string } = {}): Record<string, unknown> {
  return { t: 'cv', i: o.i ?? eventId(`cv-${o.o ?? `n${++conversionSeq}`}`), ts: h.clock(), a: o.a ?? 'purchase', ...(o.k ? { k: o.k } : {}), v: o.v ?? '49.90', c: o.c ?? 'EUR', ...(o.o ? { o: o.o } : {}) };
}

/** Asserts Σ debits = Σ credits over the whole ledger and returns the totals. */
export async function expectLedgerBalanced(store: Store): Promise<{ debits: bigint; credits: bigint; groups: number }> {
  const t = await store.reports.ledgerTotals();
  expect(t.debits).toBe(t.credits);
  return t;
}

/** Net balance of one account (debits − credits), 0n when it never moved. */
export async function balance(store: Store, account: string): Promise<bigint> {
  return (await store.reports.balances([account])).get(account) ?? 0n;
}

/** Every rejected event stored so far (wide range). */
export function rejectedEvents(store: Store, siteId?: string) {
  return store.reports.rejected(siteId ? { siteId } : {}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10_000);
}

/** The value of one Prometheus sample, e.g. `metric(text, 'pp_events_rejected_total', { reason: 'malformed_json' })`. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{\s]+)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (want.every(([k, v]) => got[k] === v) && Object.keys(got).length === want.length) return Number(m[3]);
  }
  return 0;
}

/** Reads /metrics. */
export async function scrape(h: Harness): Promise<string> {
  return (await h.request('/metrics')).text();
}

/** A store whose write transactions can be held open (before COMMIT) and are counted. */
export interface GatedStore {
  store: Store;
  /** write() calls so far. */
  readonly writes: number;
  /** From now on, transactions wait before committing until release(). */
  hold(): void;
  release(): void;
  /** Transactions currently waiting at the gate. */
  readonly waiting: number;
}

/** `inner` with its `write` replaced: the seam every store double in the tests uses. */
export function withWrite(inner: Store, write: Store['write']): Store {
  return {
    kind: inner.kind,
    catalog: inner.catalog,
    reports: inner.reports,
    migrate: () => inner.migrate(),
    ping: () => inner.ping(),
    close: () => inner.close(),
    write,
  };
}

/** Wraps a store so tests can delay commits and count transactions. */
export function gateStore(inner: Store): GatedStore {
  let gate: Promise<void> | null = null;
  let open: () => void = () => undefined;
  let writes = 0;
  let waiting = 0;
  const store = withWrite(inner, (fn) => {
    writes++;
    return inner.write(async (tx) => {
      const out = await fn(tx);
      if (gate) {
        waiting++;
        await gate;
        waiting--;
      }
      return out;
    });
  });
  return {
    store,
    get writes() {
      return writes;
    },
    get waiting() {
      return waiting;
    },
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      gate = null;
      open();
    },
  };
}

/** Waits (real event-loop turns, not the fake clock) until `cond` holds. */
export async function until(cond: () => boolean, what = 'condition', turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let salePeer = 0;

/** A CPA sale through its own click on the world's slot (a new visitor each time); answers the conversion ID. */
export async function cpaSale(h: Harness, w: World, order: string, value = '49.90'): Promise<string> {
  const { tk } = await serveAd(h, w.slotId, `pv_${order}`);
  const n = ++salePeer;
  const { clickId } = await clickThrough(h, tk, { 'x-test-peer': `203.0.113.${n % 250}`, 'user-agent': `Mozilla/5.0 Chrome/131.0.${n}.0` });
  h.clock.advance(5000);
  const res = await h.beacon(w.shopSiteId, [conversion(h, { k: clickId!, o: order, v: value })]);
  expect(res.status).toBe(202);
  const body = (await res.json()) as { accepted: number };
  expect(body.accepted).toBe(1);
  const [c] = await h.store.reports.conversions({ advertiserId: w.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1);
  expect(c?.orderId).toBe(order);
  return c!.id;
}

/** A statement (NDJSON text) of `key`'s party for the whole history. */
export async function statementText(h: Harness, key: string): Promise<string> {
  const res = await h.request('/v1/statements', { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return res.text();
}

/**
 * A short period of real traffic with a correction of each kind — three CPA sales, a restatement, a
 * reversal — and the advertiser's and the publisher's statements of it, with the operator's
 * well-known keys document (`/.well-known/perfpixel-keys.json`) as text.
 */
export async function sampleStatements(h: Harness): Promise<{ world: World; advertiser: string; publisher: string; keys: string }> {
  const world = await seedWorld(h, { terms: { costModel: 'cpa', cpaFlatMicros: '1000000', cpaBps: 1000 } });
  const first = await cpaSale(h, world, 'S-1');
  await cpaSale(h, world, 'S-2', '120.00');
  const third = await cpaSale(h, world, 'S-3');
  expect((await h.api('POST', `/v1/conversions/${first}/restate`, world.advertiserKey, { value: '80.00', reason: 'upsell' })).status).toBe(200);
  expect((await h.api('POST', `/v1/conversions/${third}/reverse`, world.advertiserKey, { reason: 'refund' })).status).toBe(200);
  return {
    world,
    advertiser: await statementText(h, world.advertiserKey),
    publisher: await statementText(h, world.publisherKey),
    keys: await (await h.request('/.well-known/perfpixel-keys.json')).text(),
  };
}
