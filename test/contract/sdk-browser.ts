/**
 * The wire contract's test bench: the real SDK (`sdk/src/index.ts`) in a happy-dom page whose
 * network is the real collector's `app.request()` — the openauth idea of handing the client a
 * `fetch` that calls the server directly. Nothing in between rewrites a beacon: each request is
 * built the way a browser builds it from what the SDK handed over, then answered by the collector.
 *
 *     const c = await createContractCollector();                  // collector + world + raw reads
 *     const b = createSdkBrowser(c, 'https://shop.example/landing?ppclid=…');
 *     init({ site: 'site_shop', endpoint: COLLECTOR }, b.deps);  // counts the first page view
 *     trackConversion({ action: 'purchase', value: '49.90', currency: 'EUR' });
 *     await b.settle();
 *     expect(b.requests[1]).toMatchObject({ via: 'fetch', status: 202 });
 *     expect(await c.conversions()).toMatchObject([{ valueMicros: 49_900_000n }]);
 *
 * What the browser adds, as the Fetch standard and the Beacon spec say:
 * | transport  | method | Content-Type (from a string body) | Origin | answer the SDK can read |
 * |------------|--------|-----------------------------------|--------|-------------------------|
 * | `fetch`    | as given | `text/plain;charset=UTF-8`      | yes    | CORS-filtered: fails without a matching `Access-Control-Allow-Origin`; only safelisted headers and those in `Access-Control-Expose-Headers` |
 * | `sendBeacon` | POST | `text/plain;charset=UTF-8`        | yes    | none (returns whether it was queued) |
 * | `new Image().src` | GET | —                            | no     | none                    |
 *
 * `fetch` with `keepalive` and `sendBeacon` share the browser's 64 KiB quota of keepalive bodies in
 * flight: past it a keepalive fetch fails like a network error and `sendBeacon` returns false.
 *
 * Runs in the `collector` project (node environment): the collector needs Node's own Request and
 * Response, and the SDK takes its window from `deps.window`, so each page is its own happy-dom Window.
 */
import { Window as HappyWindow } from 'happy-dom';
import { afterEach, beforeEach, vi } from 'vitest';
import { num } from '../../collector/src/store/db';
import { openSqliteDb } from '../../collector/src/store/sqlite-db';
import { createSqlStore } from '../../collector/src/store/sql-store';
import type { Store } from '../../collector/src/store/store';
import {
  BROWSER_UA,
  createHarness,
  createTestClock,
  DEFAULT_PEER,
  gateStore,
  seedWorld,
  type GatedStore,
  type Harness,
  type HarnessOptions,
  type World,
} from '../../collector/src/test-fixtures';
import { FakeIntersectionObserver } from '../../sdk/test/fake-browser';
import type { TrackerDeps } from '../../sdk/src/index';

export type Win = Window & typeof globalThis;

/** Where the SDK is told the collector lives (its `endpoint`). */
export const COLLECTOR = 'https://collector.example';

/** One request the SDK made, as the collector received it, and what the collector answered. */
export interface SentRequest {
  via: 'fetch' | 'beacon' | 'image';
  method: string;
  url: string;
  /** Request headers as they reached the collector (lower-case names). */
  headers: Record<string, string>;
  /** The raw body, or '' for a GET. */
  body: string;
  /** Browser (SDK clock) time of the request. */
  at: number;
  /** Whether the request was made with `keepalive` (may outlive the page). */
  keepalive: boolean;
  /** The collector's status, once answered. */
  status?: number;
  /** Every response header the collector set (before CORS filtering). */
  responseHeaders?: Record<string, string>;
  responseBody?: string;
  /** The answer's length in bytes. */
  responseBytes?: number;
}

// ---------------------------------------------------------------- the collector side

/** A collector with the seeded world and read access to the rows the Store interface has no report for. */
export interface ContractCollector {
  h: Harness;
  w: World;
  gate: GatedStore;
  /** Raw rows of one event table (page views and vitals have no report; the rest are checked through `store.reports` too). */
  rows(table: 'page_views' | 'vitals' | 'impressions' | 'clicks' | 'rejected_events'): Promise<Record<string, unknown>[]>;
  /** Every conversion, oldest first, through `store.reports`. */
  conversions(): ReturnType<Store['reports']['conversions']>;
  close(): Promise<void>;
}

/**
 * A collector over in-memory SQLite with a fixed clock, the fixture world (advertiser `adv_shop` with
 * site `site_shop` on https://shop.example, publisher `pub_news` with `slot_top` on `site_news`, CPA
 * campaign `cmp_main`), and a store whose commits a test can hold (`gate.hold()`).
 */
export async function createContractCollector(o: HarnessOptions = {}): Promise<ContractCollector> {
  const clock = o.clock ?? createTestClock();
  const db = openSqliteDb(':memory:');
  const inner = createSqlStore(db, { clock });
  await inner.migrate();
  const gate = gateStore(inner);
  const h = await createHarness({ publicUrl: COLLECTOR, ...o, clock, store: gate.store });
  const w = await seedWorld(h);
  return {
    h,
    w,
    gate,
    rows: (table) => db.all(`SELECT * FROM ${table} ORDER BY received_at, rowid`),
    conversions: () => h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1000).then((x) => x.sort((a, b) => a.receivedAt - b.receivedAt)),
    close: () => h.close(),
  };
}

/**
 * What every contract suite sets up: a fresh collector before each test and, after it, every page
 * opened on it closed and the collector shut. setTimeout is faked (the SDK's retries are timers).
 * `onCollector` receives each new collector; the returned `open` loads the SDK in a page on it.
 *
 * ```ts
 * let c: ContractCollector;
 * const open = eachTestCollector((x) => (c = x));
 * const b = open('https://shop.example/landing');
 * ```
 */
export function eachTestCollector(onCollector: (c: ContractCollector) => void): (url: string, o?: SdkBrowserOptions) => SdkBrowser {
  let c: ContractCollector | undefined;
  const pages: SdkBrowser[] = [];
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    c = await createContractCollector();
    onCollector(c);
  });
  afterEach(async () => {
    pages.splice(0).map((b) => b.close());
    vi.useRealTimers();
    await c?.close();
    c = undefined;
  });
  return (url, o) => {
    const b = createSdkBrowser(c!, url, o);
    pages.push(b);
    return b;
  };
}

/** Parses the JSON text columns of a page-view row (`click_ids`, `other_click_ids`) and its integers. */
export function pageViewRow(r: Record<string, unknown>) {
  return {
    siteId: r.site_id,
    eventId: r.event_id,
    pageViewId: r.page_view_id,
    url: r.url,
    referrer: r.referrer,
    clickIds: JSON.parse(String(r.click_ids ?? '[]')) as string[],
    otherClickIds: JSON.parse(String(r.other_click_ids ?? '{}')) as Record<string, string>,
    cookieless: num(r.cookieless) === 1,
    invalidReason: r.invalid_reason,
    at: num(r.at),
    receivedAt: num(r.received_at),
  };
}

// ---------------------------------------------------------------- the browser side

export interface SdkBrowserOptions {
  referrer?: string;
  /** The browser's clock minus the collector's (a visitor whose clock is off). */
  skewMs?: number;
  /** Whether `sendBeacon` queues the beacon (false: refused as if past its quota; it is refused past the real 64 KiB anyway). */
  beaconAccepted?: boolean;
  /** Runs before a request reaches the collector (e.g. another writer gets there first). */
  beforeDeliver?: (r: SentRequest) => Promise<void> | void;
  /** The page's storage and cookies, carried over from an earlier page (see `SdkBrowser.navigate`). */
  profile?: { cookies: string[]; storage: [string, string][] };
}

// Response headers a cross-origin script may read without Access-Control-Expose-Headers
// (Fetch standard, "CORS-safelisted response-header name").
const SAFELISTED = ['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma'];
// A browser refuses a keepalive request (fetch keepalive, sendBeacon) that would put more than 64 KiB
// of keepalive bodies in flight (Fetch standard, "fetch", step on `keepalive`).
const KEEPALIVE_QUOTA = 64 * 1024;

/**
 * A page at `url` whose network is the collector. The SDK's clock is the collector's clock plus
 * `skewMs`; `advance` moves both, and the fake timers, together.
 */
export function createSdkBrowser(c: ContractCollector, url: string, o: SdkBrowserOptions = {}) {
  const happy = new HappyWindow({ url, settings: { navigator: { userAgent: BROWSER_UA } } });
  const win = happy as unknown as Win;
  const skew = o.skewMs ?? 0;
  const now = () => c.h.clock() + skew;
  const requests: SentRequest[] = [];
  const pending = new Set<Promise<unknown>>();
  const hookErrors: unknown[] = [];
  let keepaliveInFlight = 0;
  /** Takes `bytes` of the keepalive quota until `done` settles; false when the browser would refuse. */
  const keepalive = (bytes: number) => keepaliveInFlight + bytes <= KEEPALIVE_QUOTA && ((keepaliveInFlight += bytes), true);
  const release = (bytes: number, done: Promise<unknown>) => void done.finally(() => (keepaliveInFlight -= bytes)).catch(() => undefined);
  const pageOrigin = new URL(url).origin;
  if (o.referrer !== undefined) Object.defineProperty(win.document, 'referrer', { value: o.referrer, configurable: true });
  for (const cookie of o.profile?.cookies ?? []) win.document.cookie = `${cookie};path=/`;
  for (const [k, v] of o.profile?.storage ?? []) win.localStorage.setItem(k, v);

  /** Hands a request to the collector the way the browser would send it; records both sides. */
  const deliver = (via: SentRequest['via'], req: Request, body: string): Promise<Response> => {
    const headers = new Headers(req.headers);
    headers.set('user-agent', BROWSER_UA);
    headers.set('x-test-peer', DEFAULT_PEER);
    // Browsers send Origin on every CORS request and on every POST; never on a no-cors GET (images).
    if (req.method !== 'GET' || (via === 'fetch' && new URL(req.url).origin !== pageOrigin)) headers.set('origin', pageOrigin);
    const sent: SentRequest = { via, method: req.method, url: req.url, headers: {}, body, at: now(), keepalive: req.keepalive };
    headers.forEach((v, k) => k !== 'x-test-peer' && (sent.headers[k] = v));
    requests.push(sent);
    if (b.offline) {
      // Nothing reaches the collector: fetch rejects like a network error; beacons and images are lost.
      sent.status = 0;
      return Promise.reject(new TypeError('Failed to fetch'));
    }
    const p = (async () => {
      try {
        await o.beforeDeliver?.(sent);
      } catch (err) {
        // A mistake in a test's hook must fail the test, not pass for a network error the SDK retries.
        hookErrors.push(err);
        throw err;
      }
      const res = await c.h.app.request(new Request(req.url, { method: req.method, headers, ...(req.method === 'GET' ? {} : { body }) }));
      sent.status = res.status;
      sent.responseHeaders = {};
      res.headers.forEach((v, k) => (sent.responseHeaders![k] = v));
      const bytes = new Uint8Array(await res.clone().arrayBuffer());
      sent.responseBytes = bytes.length;
      sent.responseBody = new TextDecoder().decode(bytes);
      return res;
    })();
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => undefined);
    return p;
  };

  win.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(String(input), init);
    const body = req.method === 'GET' ? '' : await req.clone().text();
    const bytes = new TextEncoder().encode(body).length;
    if (req.keepalive && !keepalive(bytes)) {
      requests.push({ via: 'fetch', method: req.method, url: req.url, headers: {}, body, at: now(), keepalive: true, status: 0 });
      throw new TypeError('Failed to fetch');
    }
    const answer = deliver('fetch', req, body);
    if (req.keepalive) release(bytes, answer);
    const res = await answer;
    if (new URL(req.url).origin === pageOrigin) return res;
    // CORS: no readable answer without a matching Allow-Origin (the promise rejects like a network error) …
    const allow = res.headers.get('access-control-allow-origin');
    if (allow !== '*' && allow !== pageOrigin) throw new TypeError('Failed to fetch');
    // … and only safelisted and exposed headers are visible to the script.
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(',').map((s) => s.trim());
    const visible = new Headers();
    res.headers.forEach((v, k) => (SAFELISTED.includes(k) || exposed.includes(k)) && visible.set(k, v));
    const text = await res.text();
    return new Response(res.status === 204 ? null : text, { status: res.status, headers: visible });
  }) as typeof fetch;

  win.navigator.sendBeacon = (target: string | URL, data?: BodyInit | null) => {
    const req = new Request(String(target), { method: 'POST', body: data ?? null, keepalive: true });
    const body = typeof data === 'string' ? data : '';
    const bytes = new TextEncoder().encode(body).length;
    if (o.beaconAccepted === false || !keepalive(bytes)) return false;
    // Queued now, sent in the background; the page never sees the answer.
    const answer = deliver('beacon', req, body);
    release(bytes, answer);
    void answer.catch(() => undefined);
    return true;
  };

  win.Image = class {
    set src(v: string) {
      void deliver('image', new Request(new URL(v, url).href), '').catch(() => undefined);
    }
  } as unknown as typeof Image;

  FakeIntersectionObserver.all = [];
  win.IntersectionObserver = FakeIntersectionObserver as unknown as typeof IntersectionObserver;

  const deps: TrackerDeps = { window: win, now };

  const b = {
    /** While true, requests fail before reaching the collector (still recorded, with status 0). */
    offline: false,
    win,
    deps,
    requests,
    now,
    /** Requests carrying beacons (not ad requests), in order. */
    beacons: () => requests.filter((r) => !r.url.includes('/ad?')),
    /** Every event the SDK put on the wire, in order, parsed back from bodies and pixel queries. */
    events: () =>
      b.beacons().flatMap((r): Record<string, unknown>[] =>
        r.via === 'image' ? [Object.fromEntries(new URL(r.url).searchParams)] : (JSON.parse(r.body) as { e: Record<string, unknown>[] }).e,
      ),
    /** The SDK's outbox as it sits in localStorage (`_ppo.<event_id>`). */
    outbox: () =>
      Object.keys(win.localStorage)
        .filter((k) => k.startsWith('_ppo.'))
        .map((k) => JSON.parse(win.localStorage.getItem(k)!) as { e: Record<string, unknown>; n: number; w: number }),
    /** Waits until every request the page made has been answered and the SDK has handled the answers. */
    async settle() {
      for (let quiet = 0; quiet < 3; ) {
        await new Promise<void>((r) => setImmediate(r));
        if (pending.size) {
          await Promise.allSettled([...pending]);
          quiet = 0;
        } else quiet++;
      }
      if (hookErrors.length) throw hookErrors[0];
    },
    /** Moves the collector's clock, the SDK's clock and the fake timers forward together, then settles. */
    async advance(ms: number) {
      c.h.clock.advance(ms);
      await vi.advanceTimersByTimeAsync(ms);
      await b.settle();
    },
    /** Makes the tab hidden or visible, firing visibilitychange. */
    setHidden(hidden: boolean) {
      Object.defineProperty(win.document, 'hidden', { value: hidden, configurable: true });
      Object.defineProperty(win.document, 'visibilityState', { value: hidden ? 'hidden' : 'visible', configurable: true });
      win.document.dispatchEvent(new win.Event('visibilitychange'));
    },
    /** What a later page load on the same site finds: the cookies and localStorage this page left. */
    profile: () => ({
      cookies: win.document.cookie.split('; ').filter(Boolean),
      storage: Object.keys(win.localStorage).map((k): [string, string] => [k, win.localStorage.getItem(k)!]),
    }),
    close: () => happy.happyDOM.abort(),
  };
  return b;
}

export type SdkBrowser = ReturnType<typeof createSdkBrowser>;

/** The payload of a decision token (`base64url(JSON).signature`): what the collector signed. */
export function tokenPayload(tk: string): { d: string; si: string; s: string; c: string; cr: string; pv: string | null } {
  return JSON.parse(Buffer.from(tk.split('.')[0]!, 'base64url').toString());
}
