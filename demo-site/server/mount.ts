/**
 * The demo site's server side, mounted on the collector's app by `npm start`:
 *
 * | path                     | what                                                            |
 * |--------------------------|-----------------------------------------------------------------|
 * | /                        | the demo's front page: the three users and where to start        |
 * | /news/, /news/trail.html | publisher article pages with ad slots (one tag, `<ins>` slots)  |
 * | /shop/…                  | the advertiser shop (meant to be opened on 127.0.0.1: another site) |
 * | /shop/api/orders         | the shop's own server: takes an order, confirms it server-to-server (signed) |
 * | /dashboard/, /verify/    | dashboard and "verify my tag" (static pages over the report API), their bundles under /assets/<set>/<version>/ |
 * | /dashboard/verify-statement/ | "verify a statement": re-runs a statement file in the browser (no server call) |
 * | /pp.js, /nocode.js, …    | the SDK builds at stable URLs (5 minutes of cache), brotli or gzip |
 * | /sdk/<version>/pp.js, …  | the same build under its content hash, cached for a year (immutable) |
 * | /sdk/current.json        | the current version: each file's versioned URL and SRI hash (for snippets) |
 * | /demo-assets/:id.svg     | creative images                                                  |
 * | /demo/keys.json          | the seeded API keys, development only (one-click demo sign-in)   |
 *
 * Security headers are the collector's (collector/src/http/security-headers.ts); the dashboard and
 * verify pages get its strict PAGE_CSP. The SDK files and creative images carry no
 * Cross-Origin-Resource-Policy: publishers' pages load them from another site.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { signS2s } from '../../collector/src/http/s2s-routes';
import { PAGE_HEADERS } from '../../collector/src/http/security-headers';
import type { Config } from '../../collector/src/config';
import type { DemoKeys } from './seed';
import { creativeSvg } from './creative-svg';
import { createAssetSet, serveAsset, type AssetSet } from './static-assets';
import { PRODUCTS } from './products';

/** What the demo mount needs. */
export interface DemoOptions {
  config: Pick<Config, 'env' | 'publicUrl'>;
  /** The seeded keys (null when the store was seeded elsewhere and the keys file is gone). */
  keys: () => DemoKeys | null;
  clock: () => number;
  /** Repository root (for sdk/dist and demo-site/*). */
  root: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** The SDK's built files, served together (static-assets.ts). */
export const SDK_FILES = ['pp.js', 'nocode.js', 'ads.js', 'vitals.js', 'pp.debug.js', 'pp.idb.js'];

/** Mounts the demo routes on the app. */
export function mountDemoSite(app: Hono, o: DemoOptions): void {
  const publicDir = resolve(o.root, 'demo-site/public');
  // The dashboard and "verify my tag" hold an API key: they run under the collector's strict page
  // policy (no inline script, same-origin only). The other headers come from securityHeaders().
  const strict = new Set([join(publicDir, 'dashboard/index.html'), join(publicDir, 'verify/index.html')]);
  const file = (c: Context, path: string, cache: string) => {
    if (!existsSync(path) || !statSync(path).isFile()) return c.text('not found', 404);
    return c.body(readFileSync(path), 200, { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', 'Cache-Control': cache, ...(strict.has(path) ? PAGE_HEADERS : {}) });
  };

  // The SDK, served from the collector's origin like a CDN: any site may load it (and check it with
  // SRI, which needs CORS). One set: a versioned pp.js loads the add-ons of its own build.
  const sdk = createAssetSet(resolve(o.root, 'sdk/dist'), SDK_FILES);
  const cors = { 'Access-Control-Allow-Origin': '*' };
  const missing = (c: Context) => c.json({ error: 'not_built', reason: 'run npm run build' }, 404);
  for (const name of SDK_FILES) {
    app.get(`/${name}`, (c) => {
      const v = sdk.current();
      return v ? serveAsset(c, v.files.get(name)!, 'stable', cors) : missing(c);
    });
  }
  app.get('/sdk/current.json', (c) => {
    const v = sdk.current();
    if (!v) return missing(c);
    const files = Object.fromEntries(
      [...v.files.values()].map((a) => [a.name, { url: `/sdk/${v.version}/${a.name}`, integrity: a.integrity, bytes: a.body.length, gzip: a.gzip.length, br: a.br.length }]),
    );
    return c.json({ version: v.version, files }, 200, { 'Cache-Control': 'no-cache', ...cors });
  });
  app.get('/sdk/:version/:name', (c) => {
    const a = sdk.version(c.req.param('version'))?.files.get(c.req.param('name'));
    return a ? serveAsset(c, a, 'immutable', cors) : c.json({ error: 'not_found', reason: 'no such version of the SDK: copy the snippet again, or use the stable /pp.js' }, 404, cors);
  });

  // The dashboard's and the verify page's bundles: compressed, and versioned in their pages' HTML.
  const bundles: Record<string, AssetSet> = {
    dashboard: createAssetSet(resolve(o.root, 'demo-site/dist'), ['app.js', 'app.css'], { 'app.js': 'dashboard.js', 'app.css': 'dashboard.css' }),
    verify: createAssetSet(resolve(o.root, 'demo-site/dist'), ['app.js'], { 'app.js': 'verify.js' }),
    'dashboard/verify-statement': createAssetSet(resolve(o.root, 'demo-site/dist'), ['app.js'], { 'app.js': 'verify-statement.js' }),
  };
  for (const [set, assets] of Object.entries(bundles)) {
    for (const name of ['app.js', 'app.css']) {
      app.get(`/${set}/${name}`, (c) => {
        const a = assets.current()?.files.get(name);
        return a ? serveAsset(c, a, 'no-cache') : c.text('not found', 404);
      });
    }
    app.get(`/assets/${set}/:version/:name`, (c) => {
      const a = assets.version(c.req.param('version'))?.files.get(c.req.param('name'));
      return a ? serveAsset(c, a, 'immutable') : c.text('not found', 404);
    });
  }
  // The page shells point at their bundles' current version, with SRI; the verify page also takes
  // the dashboard's stylesheet.
  const shell = (c: Context, page: string) => {
    let html = readFileSync(join(publicDir, page, 'index.html'), 'utf8');
    const pin = (url: string, set: string, name: string, attr: 'src' | 'href') => {
      const v = bundles[set]!.current();
      const a = v?.files.get(name);
      if (v && a) html = html.replace(`${attr}="${url}"`, `${attr}="/assets/${set}/${v.version}/${name}" integrity="${a.integrity}"`);
    };
    pin('/dashboard/app.css', 'dashboard', 'app.css', 'href');
    pin(`/${page}/app.js`, page, 'app.js', 'src');
    return c.body(html, 200, { 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-cache', ...PAGE_HEADERS });
  };
  for (const page of Object.keys(bundles)) {
    app.get(`/${page}/`, (c) => shell(c, page));
    app.get(`/${page}/index.html`, (c) => shell(c, page));
  }
  app.get('/demo-assets/:name', (c) => {
    const m = /^([a-z0-9-]{1,60})\.svg$/.exec(c.req.param('name'));
    const svg = m ? creativeSvg(m[1]!) : null;
    return svg ? c.body(svg, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=3600' }) : c.text('not found', 404);
  });
  app.get('/demo/keys.json', (c) => {
    // Demo sign-in only makes sense on a developer's machine; a production collector never shows keys.
    const keys = o.keys();
    if (o.config.env === 'production' || !keys) return c.json({ error: 'not_found', reason: 'demo keys are not available' }, 404);
    return c.json(keys, 200, { 'Cache-Control': 'no-store' });
  });
  app.get('/demo/products.json', (c) => c.json(PRODUCTS));

  // The shop's own server. A real shop would store the order; ours prices it from the catalog
  // (never from the browser) and confirms the purchase to the collector server-to-server.
  app.post('/shop/api/orders', async (c) => {
    let body: { items?: { id?: unknown; qty?: unknown }[] };
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'malformed_json', reason: 'send {"items":[{"id":"…","qty":1}]}' }, 400);
    }
    const lines = (Array.isArray(body.items) ? body.items : []).flatMap((i) => {
      const p = PRODUCTS.find((x) => x.id === i.id);
      const qty = typeof i.qty === 'number' && Number.isInteger(i.qty) && i.qty > 0 && i.qty < 100 ? i.qty : 0;
      return p && qty ? [{ ...p, qty }] : [];
    });
    if (lines.length === 0) return c.json({ error: 'empty_order', reason: 'the basket is empty' }, 422);
    const cents = lines.reduce((s, l) => s + l.priceCents * l.qty, 0);
    const total = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    const orderId = `NW-${o.clock().toString(36).toUpperCase()}-${randomUUID().slice(0, 4).toUpperCase()}`;
    const { confirmed, conversionId } = await confirmServerToServer(app, o, { orderId, total });
    // The conversion's ID lets the thank-you page link straight to its page in the dashboard.
    return c.json({ orderId, total, currency: 'EUR', confirmed, conversionId });
  });

  app.get('/', (c) => file(c, join(publicDir, 'index.html'), 'no-cache'));
  app.get('/*', async (c, next) => {
    // Static pages; `..` can never leave demo-site/public.
    let p = decodeURIComponent(c.req.path);
    if (p.endsWith('/')) p += 'index.html';
    const full = normalize(join(publicDir, p));
    if (!full.startsWith(publicDir + '/') || !existsSync(full) || !statSync(full).isFile()) return next();
    return file(c, full, 'no-cache');
  });
}

/** Posts the order to the collector as a signed S2S conversion (in-process, as the shop's server would over HTTPS). */
async function confirmServerToServer(app: Hono, o: DemoOptions, order: { orderId: string; total: string }): Promise<{ confirmed: boolean; conversionId: string | null }> {
  const northwind = o.keys()?.advertisers.find((a) => a.id === 'northwind');
  if (!northwind) return { confirmed: false, conversionId: null };
  const raw = JSON.stringify({ event_id: `srv-${order.orderId}`, action: 'purchase', order_id: order.orderId, value: order.total, currency: 'EUR', site_id: 'shop-site' });
  const ts = Math.floor(o.clock() / 1000);
  const res = await app.request('/v1/conversions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-PP-Advertiser': northwind.id, 'X-PP-Timestamp': String(ts), 'X-PP-Signature': signS2s(northwind.s2sSecret, ts, raw) },
    body: raw,
  });
  if (res.status >= 300) return { confirmed: false, conversionId: null };
  const body = (await res.json().catch(() => null)) as { conversion?: { id?: string } | null } | null;
  return { confirmed: true, conversionId: body?.conversion?.id ?? null };
}
