/**
 * First-party mode (issue 13): the shop's own server answers a path of its own origin for the tag
 * — its files and its beacons — and forwards to the collector. An ad blocker that blocks the
 * collector's host sees only the shop; the click ID is kept in an HTTP-only cookie set by the
 * server, which keeps its full lifetime in Safari; the visitor's IP reaches the collector signed.
 * This is the core, over the fetch API (`Request` in, `Response` out); hono.ts and node.ts adapt it.
 *
 * ```ts
 * const fp = createFirstParty({ collector: 'https://collector.example', path: '/k3x', secret: process.env.PP_S2S_SECRET });
 * const res = await fp.handle(request, visitorIp); // null: not under /k3x, the shop answers it
 * ```
 *
 * | request under `path`   | what it does                                                          |
 * |------------------------|-----------------------------------------------------------------------|
 * | `GET /<file>.js`       | the collector's `/<file>.js` (`pp.js`, `nocode.js`, `pp.debug.js`, …), cached, encoding kept |
 * | `POST /e`              | the beacon batch: our click IDs from the cookie added to page views and conversions sent with consent; the cookie kept up to date; forwarded with the signed visitor IP |
 * | `GET /p.gif`           | the same for the image pixel                                          |
 * | `GET /ad`              | an ad decision, forwarded                                             |
 * | `POST /forget`         | removes the click-ID cookie (call it when the visitor withdraws consent) |
 *
 * Consent: the cookie is only written from events the tag sent with `ad_storage` granted (they carry
 * `k` and no `cl`), and click IDs are only added to such events; an event marked `cl: "1"` is
 * forwarded as it is.
 */
import { FORWARD_HEADERS, signForwardedIp } from '../http/forwarded-ip';
import { readCappedText } from '../http/read-capped';
import { clickCookie, holdClickIds, mergeClickIds, readClickCookie, type HeldClickId } from './click-cookie';

/** How first-party mode is set up on the shop's server. */
export interface FirstPartyOptions {
  /** The collector's origin, e.g. `https://collector.example`. */
  collector: string;
  /**
   * The path on the shop's origin the tag is served and sends from, e.g. `/k3x`. Pick your own:
   * filter lists block well-known words (`/analytics`, `/track`, `/pixel`…), which are refused here.
   */
  path: string;
  /**
   * The advertiser's S2S secret (the one that signs `POST /v1/conversions`): signs the visitor's IP
   * so the collector can trust it. Without it every visitor reaches the collector from the shop's
   * server address — one source for rate limits and no view-through matching.
   */
  secret?: string;
  /** The HTTP-only click-ID cookie's name. Default `_ppc`. */
  cookie?: string;
  /** How long a click ID is kept, in days (the tag's `clickDays`). Default 90. */
  clickDays?: number;
  /** Mark the cookie `Secure`; default: when the request came over https. */
  secure?: boolean;
  /** Test seams: the fetch that reaches the collector, the clock. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  now?: () => number;
}

/** A first-party proxy. */
export interface FirstParty {
  /** The path it answers under (normalized, no trailing slash). */
  readonly path: string;
  /** Answers a request under `path`; null for any other request, which is the shop's own. */
  handle(request: Request, clientIp?: string): Promise<Response | null>;
}

/** The most a beacon batch may hold, as the collector takes it (MAX_BEACON_BYTES). */
export const MAX_FORWARD_BYTES = 64 * 1024;

/** Words that filter lists (EasyPrivacy and the like) block in first-party paths. */
const BLOCKED_WORDS = ['analytics', 'track', 'tracking', 'tracker', 'pixel', 'collect', 'beacon', 'telemetry', 'stats', 'metrics', 'perfpixel', 'ads', 'advert', 'tag'];

const HOP_HEADERS = ['user-agent', 'origin', 'sec-purpose', 'purpose'];

/** Builds the proxy; throws at start-up on a path that filter lists would block. */
export function createFirstParty(o: FirstPartyOptions): FirstParty {
  const path = o.path.replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9_-]+)+$/.test(path)) throw new Error(`first-party path ${JSON.stringify(o.path)}: use a path like /k3x (letters, digits, _ and -)`);
  const blocked = path
    .toLowerCase()
    .split(/[/_-]/)
    .find((w) => BLOCKED_WORDS.includes(w));
  if (blocked) throw new Error(`first-party path ${o.path}: "${blocked}" is a word ad blockers block; pick a path of your own, like /k3x`);
  const collector = new URL(o.collector).origin;
  const name = o.cookie ?? '_ppc';
  const days = o.clickDays ?? 90;
  const now = o.now ?? Date.now;
  const fetchFn = o.fetch ?? ((input, init) => fetch(input, init));
  const files = new Map<string, { until: number; status: number; headers: [string, string][]; body: ArrayBuffer }>();

  /** The headers of a forwarded beacon: the visitor's own, and their IP signed with the advertiser's secret. */
  const forwardHeaders = (request: Request, clientIp: string | undefined, payload: string, contentType?: string) => {
    const h = new Headers();
    for (const k of HOP_HEADERS) {
      const v = request.headers.get(k);
      if (v !== null) h.set(k, v);
    }
    if (contentType) h.set('content-type', contentType);
    if (o.secret && clientIp) {
      const at = Math.floor(now() / 1000);
      h.set(FORWARD_HEADERS.ip, clientIp);
      h.set(FORWARD_HEADERS.at, String(at));
      h.set(FORWARD_HEADERS.signature, signForwardedIp(o.secret, at, clientIp, payload));
    }
    return h;
  };

  /** Forwards, and answers the browser with the collector's status, body and Retry-After. */
  const forward = async (url: string, init: RequestInit, setCookie: string | null): Promise<Response> => {
    let res: Response;
    try {
      res = await fetchFn(url, init);
    } catch {
      // The tag retries a 502 with backoff; the event stays in its outbox.
      return json(502, { error: 'collector_unreachable', reason: 'the collector did not answer; retry later' }, setCookie);
    }
    const headers = new Headers({ 'cache-control': 'no-store' });
    for (const k of ['content-type', 'retry-after']) {
      const v = res.headers.get(k);
      if (v !== null) headers.set(k, v);
    }
    if (setCookie) headers.append('set-cookie', setCookie);
    return new Response(await res.arrayBuffer(), { status: res.status, headers });
  };

  /**
   * Adds the held click IDs to the page views and conversions sent with consent, and learns the IDs
   * they carried. Returns the held list after it, and whether any event changed.
   */
  const withClickIds = (events: Record<string, unknown>[], held: HeldClickId[], nowS: number) => {
    let changed = false;
    for (const e of events) {
      if (!e || typeof e !== 'object' || (e.t !== 'pv' && e.t !== 'cv') || e.cl === '1') continue;
      if (e.k !== undefined && (typeof e.k !== 'string' || !/^[A-Za-z0-9_-]{1,39}(,[A-Za-z0-9_-]{1,39}){0,4}$/.test(e.k))) continue;
      const sent = e.k ? (e.k as string).split(',') : [];
      held = holdClickIds(held, sent, nowS);
      const k = mergeClickIds(sent, held);
      if (k.length > 0 && k.join(',') !== e.k) {
        e.k = k.join(',');
        changed = true;
      }
    }
    return { held, changed };
  };

  const cookieFor = (request: Request, before: HeldClickId[], after: HeldClickId[], nowS: number) =>
    after === before ? null : clickCookie(name, after, nowS, days, o.secure ?? new URL(request.url).protocol === 'https:');

  const beacon = async (request: Request, clientIp: string | undefined): Promise<Response> => {
    // A declared length over the cap is refused unread; otherwise the stream is read up to it.
    const raw = Number(request.headers.get('content-length') ?? NaN) > MAX_FORWARD_BYTES ? null : await readCappedText(request.body, MAX_FORWARD_BYTES);
    if (raw === null) return json(413, { error: 'body_too_large', reason: `a batch may hold at most ${MAX_FORWARD_BYTES} bytes` });
    const nowS = Math.floor(now() / 1000);
    const held = readClickCookie(request.headers.get('cookie'), name, nowS, days);
    let body = raw;
    let after = held;
    try {
      const batch = JSON.parse(raw) as { e?: unknown };
      if (Array.isArray(batch?.e)) {
        const r = withClickIds(batch.e as Record<string, unknown>[], held, nowS);
        after = r.held;
        if (r.changed) body = JSON.stringify(batch);
      }
    } catch {
      // Not JSON: the collector answers it with its reason.
    }
    const init = { method: 'POST', headers: forwardHeaders(request, clientIp, body, request.headers.get('content-type') ?? 'text/plain;charset=UTF-8'), body };
    return forward(`${collector}/e`, init, cookieFor(request, held, after, nowS));
  };

  const pixel = async (request: Request, clientIp: string | undefined): Promise<Response> => {
    const url = new URL(request.url);
    const nowS = Math.floor(now() / 1000);
    const held = readClickCookie(request.headers.get('cookie'), name, nowS, days);
    const event = Object.fromEntries(url.searchParams) as Record<string, unknown>;
    event.t ??= 'cv';
    const r = withClickIds([event], held, nowS);
    if (r.changed) url.searchParams.set('k', event.k as string);
    const query = url.search.slice(1);
    return forward(`${collector}/p.gif?${query}`, { method: 'GET', headers: forwardHeaders(request, clientIp, query) }, cookieFor(request, held, r.held, nowS));
  };

  const file = async (request: Request, fileName: string): Promise<Response> => {
    // The collector picks the encoding; we keep one copy per encoding it may pick.
    const accept = request.headers.get('accept-encoding') ?? '';
    const encoding = /\bbr\b/.test(accept) ? 'br' : /\bgzip\b/.test(accept) ? 'gzip' : 'identity';
    const key = `${fileName}|${encoding}`;
    let hit = files.get(key);
    if (!hit || hit.until < now()) {
      let res: Response;
      try {
        res = await fetchFn(`${collector}/${fileName}`, { method: 'GET', headers: { 'accept-encoding': encoding } });
      } catch {
        return json(502, { error: 'collector_unreachable', reason: `could not fetch ${fileName}` });
      }
      const keep = ['content-type', 'content-encoding', 'cache-control', 'etag', 'vary'];
      const headers = keep.flatMap((k): [string, string][] => (res.headers.get(k) !== null ? [[k, res.headers.get(k)!]] : []));
      const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1] ?? 300);
      hit = { until: now() + Math.min(maxAge, 86_400) * 1000, status: res.status, headers, body: await res.arrayBuffer() };
      if (res.ok) {
        if (files.size > 100) files.clear();
        files.set(key, hit);
      }
    }
    return new Response(hit.body.slice(0), { status: hit.status, headers: hit.headers });
  };

  return {
    path,
    async handle(request, clientIp) {
      const url = new URL(request.url);
      if (url.pathname !== path && !url.pathname.startsWith(`${path}/`)) return null;
      const rest = url.pathname.slice(path.length);
      const m = request.method;
      if (m === 'POST' && rest === '/e') return beacon(request, clientIp);
      if (m === 'GET' && rest === '/p.gif') return pixel(request, clientIp);
      if (m === 'GET' && rest === '/ad') return forward(`${collector}/ad${url.search}`, { method: 'GET', headers: forwardHeaders(request, undefined, '') }, null);
      if (m === 'POST' && rest === '/forget') return new Response(null, { status: 204, headers: { 'set-cookie': clickCookie(name, [], 0, days, o.secure ?? url.protocol === 'https:'), 'cache-control': 'no-store' } });
      const js = /^\/([a-z0-9][a-z0-9.-]{0,80}\.js)$/.exec(rest);
      if ((m === 'GET' || m === 'HEAD') && js) return file(request, js[1]!);
      return json(404, { error: 'not_found', reason: `first-party mode answers ${path}/pp.js, ${path}/e, ${path}/p.gif, ${path}/ad and ${path}/forget` });
    },
  };
}

function json(status: number, body: unknown, setCookie?: string | null): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  if (setCookie) headers.append('set-cookie', setCookie);
  return new Response(JSON.stringify(body), { status, headers });
}
