/**
 * The visitor's IP as a first-party proxy forwards it (`perfpixel/first-party`, issue 13). Beacons
 * that go through a shop's own server reach the collector from that server's address, so without
 * this every visitor of the shop would share one source key: one rate-limit bucket, no view-through
 * match, and the server's data-center address flagged as invalid traffic. A bare X-Forwarded-For
 * from an untrusted peer could name any address, so the proxy signs what it forwards with the
 * advertiser's S2S secret, as the server-to-server conversions are signed (SPEC §3.1):
 *
 * | header                     | value                                                          |
 * |----------------------------|----------------------------------------------------------------|
 * | `X-PP-Client-IP`           | the visitor's IP as the proxy's socket saw it                  |
 * | `X-PP-Forwarded-At`        | unix seconds when the proxy signed it (300 s tolerance)         |
 * | `X-PP-Forward-Signature`   | hex HMAC-SHA256 of `<at>.<ip>.<payload>` with an S2S secret     |
 *
 * The payload is the raw body of `POST /e`, or the query string of `GET /p.gif` without its `?`, so a
 * captured signature cannot vouch for other events. Either live secret verifies (rotation). A request
 * without `X-PP-Client-IP` is taken from its peer, as always; one with a bad or stale signature is
 * refused 403, never silently credited to the proxy's address.
 *
 * ```ts
 * const fwd = await forwardedIp(col, c, site, raw);
 * if (!fwd.ok) return fail(c, 403, 'invalid_forwarded_ip', fwd.reason);
 * const ctx = requestContext(col, c, '/e', fwd.ip ?? undefined);
 * ```
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Context } from 'hono';
import type { Advertiser, Site } from '../store/store';
import type { Collector } from './context';

/** The headers a first-party proxy sets (lower case, as Hono reads them). */
export const FORWARD_HEADERS = { ip: 'x-pp-client-ip', at: 'x-pp-forwarded-at', signature: 'x-pp-forward-signature' } as const;

/** How far the proxy's signing time may be from the collector's clock. */
export const FORWARD_TOLERANCE_S = 300;

/** The signature a proxy sends for `ip` and `payload` at `at` (unix seconds). */
export function signForwardedIp(secret: string, at: number, ip: string, payload: string): string {
  return createHmac('sha256', secret).update(`${at}.${ip}.${payload}`).digest('hex');
}

/** The forwarded IP when the request carries a valid one, null when it carries none, or why it is refused. */
export type ForwardedIp = { ok: true; ip: string | null } | { ok: false; reason: string };

// Every proxied beacon needs its advertiser's secrets: kept briefly, like the catalog cache's sites
// (a rotated secret is seen within the TTL; the old one stays live during a rotation anyway).
const advertisers = new WeakMap<Collector, Map<string, { at: number; value: Promise<Advertiser | null> }>>();
const ADVERTISER_TTL_MS = 5000;

function advertiserOf(col: Collector, id: string): Promise<Advertiser | null> {
  let seen = advertisers.get(col);
  if (!seen) advertisers.set(col, (seen = new Map()));
  const hit = seen.get(id);
  const now = col.clock();
  if (hit && now - hit.at < ADVERTISER_TTL_MS) return hit.value;
  const value = col.store.catalog.getAdvertiser(id);
  if (seen.size > 10_000) seen.clear();
  seen.set(id, { at: now, value });
  value.catch(() => seen.delete(id));
  return value;
}

/** Checks the forwarded visitor IP of a beacon request for `site` (null: unknown site). */
export async function forwardedIp(col: Collector, c: Context, site: Site | null, payload: string): Promise<ForwardedIp> {
  const ip = c.req.header(FORWARD_HEADERS.ip);
  if (ip === undefined) return { ok: true, ip: null };
  const at = Number(c.req.header(FORWARD_HEADERS.at));
  const signature = c.req.header(FORWARD_HEADERS.signature) ?? '';
  if (!isIP(ip)) return { ok: false, reason: `${FORWARD_HEADERS.ip} is not an IP address` };
  if (!Number.isInteger(at) || Math.abs(col.clock() / 1000 - at) > FORWARD_TOLERANCE_S)
    return { ok: false, reason: `${FORWARD_HEADERS.at} missing or more than ${FORWARD_TOLERANCE_S} s from the collector's clock` };
  // Only an advertiser has a secret both sides know; a publisher site is not proxied.
  const advertiser = site?.ownerType === 'advertiser' ? await advertiserOf(col, site.ownerId) : null;
  if (!advertiser) return { ok: false, reason: 'a forwarded IP is only taken for a conversion site of an advertiser' };
  const given = Buffer.from(signature, 'utf8');
  for (const secret of advertiser.s2sSecrets) {
    const want = Buffer.from(signForwardedIp(secret, at, ip, payload), 'utf8');
    if (given.length === want.length && timingSafeEqual(given, want)) return { ok: true, ip };
  }
  return { ok: false, reason: `${FORWARD_HEADERS.signature} does not match: sign with one of the advertiser's S2S secrets` };
}
