/** What every route module is handed: the store, the clock, keys, committer, metrics and helpers. */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { IpRanges } from '../ingest/ip-ranges';
import type { Store } from '../store/store';
import type { Keys } from '../ingest/keys';
import type { GroupCommitter } from '../ingest/group-commit';
import type { IngestItem, ItemResult, RequestContext } from '../ingest/items';
import type { IvtClassifier } from '../ingest/ivt';
import { clientIp } from '../ingest/ivt';
import type { PipelineDeps } from '../ingest/pipeline';
import type { Metrics } from './metrics';
import type { RateLimiter } from './rate-limit';
import type { CatalogCache } from './catalog-cache';
import type { Auth } from './auth';

/** The collector's parts, shared by the route modules. */
export interface Collector {
  store: Store;
  clock: () => number;
  keys: Keys;
  committer: GroupCommitter<IngestItem, ItemResult>;
  metrics: Metrics;
  logger: Logger;
  ivt: IvtClassifier;
  trustedProxies: IpRanges | null;
  rateLimiter: RateLimiter;
  cache: CatalogCache;
  pipeline: PipelineDeps;
  publicUrl: string;
  operatorKey: string;
  /** The TCP peer of a request (the Node adapter's socket; tests may set `x-test-peer`). */
  peer: (c: Context) => string;
  random: (bytes: number) => Uint8Array;
}

/** The Hono environment of every route: what the middleware puts on the context (`c.var`). */
export interface AppEnv {
  Variables: {
    /** Who is calling, set by the `auth(...roles)` middleware (auth.ts) on the routes that use it. */
    principal: Auth;
    /** The body `limitBody` read while counting a chunked request (body-limit.ts). */
    'pp.body': string;
    requestId: string;
  };
}

/** A JSON error answer: `{ error, reason }`. */
export function fail(c: Context, status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503, error: string, reason: string, headers?: Record<string, string>) {
  return c.json({ error, reason }, status, headers);
}

/**
 * Request facts for invalid-traffic rules and the source key; `forwardedIp` is a visitor IP a
 * first-party proxy signed (forwarded-ip.ts), which wins over the peer.
 */
export function requestContext(col: Collector, c: Context, endpoint: string, forwardedIp?: string): RequestContext & { ip: string } {
  const ip = forwardedIp ?? clientIp(col.peer(c), c.req.header('x-forwarded-for'), col.trustedProxies);
  const ua = c.req.header('user-agent');
  const purpose = c.req.header('sec-purpose') ?? c.req.header('purpose');
  let ipKey: string | undefined;
  return {
    receivedAt: col.clock(),
    sourceKey: col.keys.sourceKey(ip, ua ?? ''),
    // An HMAC computed only when asked for: only clicks use it (per-IP flood limits), and most
    // requests carry impressions and page views. (An own enumerable getter: JSON and spreads still carry it.)
    get ipKey() {
      return (ipKey ??= col.keys.ipKey(ip));
    },
    ivt: col.ivt({ userAgent: ua, ip, purpose }),
    endpoint,
    ip,
  };
}

/** SHA-256 of a value's JSON with sorted keys: the payload hash for exact-replay checks. */
export function payloadHash(value: Record<string, unknown>): string {
  const sorted = Object.keys(value)
    .sort()
    .map((k) => [k, value[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64url').slice(0, 32);
}
