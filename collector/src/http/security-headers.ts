/**
 * Security headers, set in one place (issue 16 item 8). Every answer of the app — the API, the
 * collector's pages and the demo site's — passes through `securityHeaders()`:
 *
 * | header                    | value                                   | why                                        |
 * |---------------------------|-----------------------------------------|--------------------------------------------|
 * | X-Content-Type-Options    | nosniff                                 | a JSON or text answer is never run as script |
 * | X-Frame-Options           | DENY                                    | no page or answer can be framed (clickjacking; the dashboard holds a key) |
 * | Content-Security-Policy   | frame-ancestors 'none' (the default)    | the same for browsers that read only CSP   |
 * |                           | PAGE_CSP on the dashboard, verify and docs pages | no inline script, nothing loaded from elsewhere |
 * | Referrer-Policy           | strict-origin-when-cross-origin (default), no-referrer on the PAGE_CSP pages | never a path or query to another site |
 *
 * What third-party pages load from the collector — `pp.js`, `ads.js`, `vitals.js`, `p.gif`, `/e`,
 * `/ad` and ad images — gets no Cross-Origin-Resource-Policy (it must load on any site) and keeps
 * its CORS headers; X-Frame-Options and CSP on a script, image or beacon answer change nothing for
 * the page that loads it. A route that sets one of these headers itself keeps its value.
 *
 * Cost on the hot paths: four header writes after the handler, nothing else (no per-request work).
 */
import type { MiddlewareHandler } from 'hono';

/**
 * The strict policy of the collector's own pages (dashboard, verify, docs): scripts, styles, images
 * and API calls from this origin only; no inline script, no plugins, no framing, no form posts out.
 */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Headers of the PAGE_CSP pages: give them to `c.html`/`c.body` of such a page. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = { 'Content-Security-Policy': PAGE_CSP, 'Referrer-Policy': 'no-referrer' };

const DEFAULTS: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Content-Security-Policy', "frame-ancestors 'none'"],
  ['Referrer-Policy', 'strict-origin-when-cross-origin'],
];

/** Sets the security headers on every answer (keeping any a route set itself). */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    for (const [name, value] of DEFAULTS) if (!h.has(name)) h.set(name, value);
  };
}
