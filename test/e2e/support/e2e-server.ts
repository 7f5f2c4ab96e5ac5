/**
 * One in-process loopback server for the real-browser suites: the collector (`createCollector` over
 * an in-memory SQLite store, with a small catalog), the SDK builds, and tiny test pages. Chromium
 * resolves every `*.localhost` name to loopback, so one port serves three origins:
 *
 * | origin                  | what                                                                 |
 * |-------------------------|----------------------------------------------------------------------|
 * | `http://cdn.localhost`  | the collector (`/e`, `/p.gif`, `/ad`, `/c/:token`, …) and `/pp.js` `/pp.idb.js`, like a CDN |
 * | `http://shop.localhost` | the advertiser's site: `/landing`, `/thanks?o=ORDER`, `/revisit`, `/blank` |
 * | `http://away.localhost` | another site, to navigate away to                                    |
 * | `http://127.0.0.1`      | the collector again, for servers of the suites (Node resolves no `*.localhost` name) |
 *
 * The shop is a different origin from the collector, as in production, so CORS is exercised.
 * Between the browser and the collector sits a fault switch (`faults`): every beacon request can be
 * answered 503 + `Retry-After` (by the collector's own overload path), delayed, or — for chosen
 * orders — lost (held, then answered 502 by the front door, never reaching the collector). Every beacon request
 * is logged with its arrival and answer times (`arrivals`).
 *
 * ```ts
 * const s = await startE2eServer();
 * await page.goto(s.site(`/thanks?o=A-1`));       // fires pp('conversion', { orderId: 'A-1', … })
 * await waitFor(() => s.committed.has('A-1'), 2000);
 * s.faults.unavailable = 2;                        // /e answers 503, Retry-After: 2
 * await s.close();
 * ```
 *
 * Page options (query string of every shop page): `o` fires a conversion with that order ID,
 * `build` picks the tag (`pp.js` default, `pp.idb.js`), `consent` is the tag's `data-consent`.
 * `PP_E2E_SDK_DIST` serves the tag from another folder (a deliberately broken scratch build).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OverloadedError } from '../../../collector/src/ingest/group-commit';
import { openStore } from '../../../collector/src/store/open-store';
import type { Store } from '../../../collector/src/store/store';
import { clickThrough, createHarness, seedWorld, serveAd, withWrite, type Harness, type TestClock, type World } from '../../../collector/src/test-fixtures';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
/** The folder the SDK builds are served from. */
export const SDK_DIST = resolve(process.env.PP_E2E_SDK_DIST ?? resolve(ROOT, 'sdk/dist'));

/** One event of a beacon request, as the browser sent it (wire keys, ARCHITECTURE.md). */
export interface ArrivedEvent {
  t: string;
  i: string;
  o?: string;
  k?: string;
  cl?: string;
  [key: string]: unknown;
}

/** One beacon request as the collector's front door saw it. */
export interface Arrival {
  /** When its body had arrived (epoch ms). */
  at: number;
  /** When it was answered, or its connection reset. */
  answeredAt: number;
  path: '/e' | '/p.gif';
  /** `Sec-Fetch-Mode`: `cors` for the tag's fetch, `no-cors` for sendBeacon and the image pixel. */
  mode: string;
  origin: string | null;
  userAgent: string;
  /** The answer's status; 0 when the fault switch lost the request. */
  status: number;
  events: ArrivedEvent[];
}

/** The fault switch between the browser and the collector. */
export interface Faults {
  /** When set, every beacon request is answered 503 with this `Retry-After` (seconds). */
  unavailable: number | null;
  /** Extra wait before a beacon request reaches the collector. */
  delayMs: number;
  /**
   * Orders whose beacon requests are lost while they are in this set: each is held for `holdMs` (the
   * tab dies meanwhile), then answered `502` by this front door; the collector never sees it. (Not a
   * connection reset: Chromium's network stack silently resends a POST whose reused connection was
   * reset before any answer — again and again, as often as it is reset — so the request would not be
   * lost at all.)
   */
  lose: Set<string>;
  holdMs: number;
}

/** The running server. */
export interface E2eServer {
  port: number;
  /** `http://shop.localhost:PORT` — the advertiser's site (an allowed origin of its site ID). */
  siteOrigin: string;
  /** `http://cdn.localhost:PORT` — the collector and the tag. */
  cdnOrigin: string;
  /** `http://away.localhost:PORT` — another site. */
  awayOrigin: string;
  site(path: string): string;
  away(path: string): string;
  h: Harness;
  world: World;
  /** A click ID minted by the collector's click redirect for the CPA campaign (the shop's landing). */
  clickId: string;
  faults: Faults;
  arrivals: Arrival[];
  /** Order ID → when a request carrying its conversion was first answered 2xx (committed). */
  committed: Map<string, number>;
  /** Event ID → how many requests carrying it were answered 2xx. */
  deliveries: Map<string, number>;
  /** The arrivals carrying the conversion of one order. */
  arrivalsOf(orderId: string): Arrival[];
  close(): Promise<void>;
}

/** The collector's real clock, in the TestClock shape the shared fixtures take. */
function realClock(): TestClock {
  const clock = (() => Date.now()) as TestClock;
  clock.set = clock.advance = () => {
    throw new Error('the e2e collector runs on the real clock: the browser stamps events with it');
  };
  return clock;
}

/** A store whose writes fail with the collector's own overload error while `faults.unavailable` is set. */
function switchableStore(inner: Store, faults: Faults): Store {
  return withWrite(inner, (fn) => (faults.unavailable === null ? inner.write(fn) : Promise.reject(new OverloadedError(faults.unavailable))));
}

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8' };
const SDK_FILES = ['pp.js', 'pp.idb.js', 'ads.js', 'vitals.js', 'nocode.js', 'pp.debug.js'];

/** A shop page: the queue stub, an optional conversion, then the async tag. */
function shopPage(cdnOrigin: string, path: string, q: URLSearchParams): string {
  const build = q.get('build') ?? 'pp.js';
  if (!SDK_FILES.includes(build)) throw new Error(`unknown build ${build}`);
  const consent = q.get('consent');
  const order = q.get('o');
  const js = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
  const conversion = order ? `pp('conversion', { action: 'purchase', value: '10.00', currency: 'EUR', orderId: ${js(order)} });` : '';
  const tag =
    path === '/blank'
      ? ''
      : `<script>window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)};${conversion}</script>\n` +
        `<script async src="${cdnOrigin}/${build}" data-site="site_shop"${consent ? ` data-consent="${consent.replace(/\W/g, '')}"` : ''}></script>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>shop ${path}</title>${tag}</head><body><h1>shop ${path}</h1></body></html>`;
}

const html = (body: string, status = 200) => new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });

/** Starts the server on 127.0.0.1 with a fresh collector and catalog. */
export async function startE2eServer(): Promise<E2eServer> {
  const pp = resolve(SDK_DIST, 'pp.js');
  if (!existsSync(pp)) throw new Error(`${pp} is missing: run \`npm run build\` (npm run test:e2e does)`);

  let handle: (req: Request, raw: IncomingMessage) => Promise<Response | null> = async () => null;
  const server: Server = createServer((req, res) => void serveNode(req, res));
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const siteOrigin = `http://shop.localhost:${port}`;
  const cdnOrigin = `http://cdn.localhost:${port}`;
  const awayOrigin = `http://away.localhost:${port}`;

  const faults: Faults = { unavailable: null, delayMs: 0, lose: new Set(), holdMs: 1000 };
  const store = switchableStore(await openStore(':memory:', { clock: Date.now }), faults);
  const h = await createHarness({ store, clock: realClock(), publicUrl: cdnOrigin, rate: { rate: 1e6, burst: 1e6 } });
  // CPA 1.00 EUR per attributed purchase; no minimum click-to-conversion delay (the runs convert
  // seconds after the click, which would otherwise be held for review instead of billed).
  const world = await seedWorld(h, {
    terms: { costModel: 'cpa', cpaFlatMicros: '1000000', minConversionDelayMs: 0 },
    landingUrl: `${siteOrigin}/landing`,
    origins: [siteOrigin],
  });
  const { clickId, location } = await clickThrough(h, (await serveAd(h, world.slotId)).tk);
  if (!clickId || !location.startsWith(`${siteOrigin}/landing`)) throw new Error(`the click redirect went to ${location}`);

  const arrivals: Arrival[] = [];
  const committed = new Map<string, number>();
  const deliveries = new Map<string, number>();

  /** Beacon requests: logged, then lost, refused or passed on to the collector as the switch says. */
  const beacon = async (req: Request, raw: IncomingMessage, path: '/e' | '/p.gif'): Promise<Response | null> => {
    const url = new URL(req.url);
    let events: ArrivedEvent[] = [];
    if (path === '/e') {
      try {
        events = (JSON.parse(await req.clone().text()) as { e: ArrivedEvent[] }).e ?? [];
      } catch {
        events = [];
      }
    } else {
      const { s: _s, n: _n, ...e } = Object.fromEntries(url.searchParams);
      events = [{ t: 'cv', ...e } as ArrivedEvent];
    }
    const arrival: Arrival = { at: Date.now(), answeredAt: 0, path, mode: raw.headers['sec-fetch-mode']?.toString() ?? '', origin: req.headers.get('origin'), userAgent: req.headers.get('user-agent') ?? '', status: 0, events };
    arrivals.push(arrival);
    if (events.some((e) => e.o !== undefined && faults.lose.has(e.o))) {
      await new Promise((r) => setTimeout(r, faults.holdMs));
      arrival.status = 502;
      arrival.answeredAt = Date.now();
      return new Response(JSON.stringify({ error: 'bad_gateway', reason: 'lost on purpose by the e2e fault switch' }), {
        status: 502,
        headers: { 'content-type': 'application/json', ...(arrival.origin ? { 'access-control-allow-origin': arrival.origin } : {}) },
      });
    }
    if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
    const res = await h.app.fetch(req);
    arrival.status = res.status;
    arrival.answeredAt = Date.now();
    if (res.status >= 200 && res.status < 300) {
      for (const e of events) {
        deliveries.set(e.i, (deliveries.get(e.i) ?? 0) + 1);
        if (e.t === 'cv' && e.o !== undefined && !committed.has(e.o)) committed.set(e.o, arrival.answeredAt);
      }
    }
    return res;
  };

  handle = async (req, raw) => {
    const url = new URL(req.url);
    const host = url.hostname;
    // 127.0.0.1 is the collector too: servers in the suites (a shop's first-party proxy) reach it
    // by address, as Node does not resolve *.localhost names.
    if (host === 'cdn.localhost' || host === '127.0.0.1') {
      const file = url.pathname.slice(1);
      if (req.method === 'GET' && SDK_FILES.includes(file)) {
        const full = resolve(SDK_DIST, file);
        if (!existsSync(full)) return new Response('not built', { status: 404 });
        return new Response(readFileSync(full), { headers: { 'content-type': TYPES['.js']!, 'cache-control': 'no-store', 'access-control-allow-origin': '*' } });
      }
      if ((req.method === 'POST' && url.pathname === '/e') || (req.method === 'GET' && url.pathname === '/p.gif')) return beacon(req, raw, url.pathname as '/e' | '/p.gif');
      return h.app.fetch(req);
    }
    if (host === 'shop.localhost') {
      if (['/landing', '/thanks', '/revisit', '/blank'].includes(url.pathname)) return html(shopPage(cdnOrigin, url.pathname, url.searchParams));
      return html('<!doctype html><title>not found</title>', 404);
    }
    if (host === 'away.localhost') return html(`<!doctype html><html><head><meta charset="utf-8"><title>away</title></head><body><h1>another site</h1></body></html>`);
    return html('<!doctype html><title>unknown host</title>', 421);
  };

  /** node:http → fetch Request → our handler → node:http. */
  async function serveNode(req: IncomingMessage, res: ServerResponse) {
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      const method = req.method ?? 'GET';
      const request = new Request(`http://${req.headers.host ?? `127.0.0.1:${port}`}${req.url ?? '/'}`, {
        method,
        headers,
        body: method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks),
      });
      const answer = await handle(request, req);
      if (!answer || res.destroyed) return;
      const out: Record<string, string> = {};
      answer.headers.forEach((v, k) => (out[k] = v));
      res.writeHead(answer.status, out);
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    }
  }

  return {
    port,
    siteOrigin,
    cdnOrigin,
    awayOrigin,
    site: (path) => siteOrigin + path,
    away: (path) => awayOrigin + path,
    h,
    world,
    clickId,
    faults,
    arrivals,
    committed,
    deliveries,
    arrivalsOf: (orderId) => arrivals.filter((a) => a.events.some((e) => e.t === 'cv' && e.o === orderId)),
    async close() {
      await new Promise<void>((ok) => {
        server.close(() => ok());
        for (const s of sockets) s.destroy();
      });
      await h.close();
    },
  };
}
