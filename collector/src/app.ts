/**
 * Builds the collector's Hono app from what it is given; opens no port and reads no environment
 * (only server.ts does). Tests hand it a store, a fixed clock and fixed randomness and talk to it
 * with `app.request()`.
 *
 * ```ts
 * const store = await openStore(':memory:', { clock });
 * const { app, drain } = createCollector({ store, clock, secret: 'x'.repeat(32), operatorKey: 'op_…' });
 * const res = await app.request('/e', { method: 'POST', body: JSON.stringify(batch) });
 * ```
 */
import { compress } from 'hono/compress';
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import pino, { type Logger } from 'pino';
import { createGroupCommitter, type GroupCommitter } from './ingest/group-commit';
import type { IngestItem, ItemResult } from './ingest/items';
import { createIvtClassifier } from './ingest/ivt';
import { ipRanges } from './ingest/ip-ranges';
import { createKeys } from './ingest/keys';
import { timeOrderedId } from './ingest/ids';
import { DEFAULT_IVT_LIMITS, type IvtLimits, type PipelineDeps } from './ingest/pipeline';
import { commitGroup } from './ingest/commit-group';
import type { Store } from './store/store';
import { isStoreUnavailable } from './store/db';
import { createAdDecider, type AdDecider } from './serving/ad-decider';
import { createCatalogCache } from './http/catalog-cache';
import type { AppEnv, Collector } from './http/context';
import { createMetrics, type Metrics } from './http/metrics';
import { createRateLimiter } from './http/rate-limit';
import { ingestRoutes } from './http/ingest-routes';
import { servingRoutes } from './http/serving-routes';
import { s2sRoutes } from './http/s2s-routes';
import { bulkAdjustRoutes } from './http/bulk-adjust-routes';
import { postbackTestRoutes } from './http/postback-test-routes';
import { opsRoutes } from './http/ops-routes';
import { adminRoutes } from './http/admin-routes';
import { reportRoutes } from './http/report-routes';
import { securityHeaders } from './http/security-headers';
import { nameRoutes } from './http/name-routes';
import { payoutRoutes } from './http/payout-routes';
import { statementRoutes } from './http/statement-routes';
import { createSigner, generateSigningKeyPem } from './http/signing';
import { testEventsRoutes } from './http/test-events-routes';

/** What the app is built from. */
export interface AppOptions {
  store: Store;
  clock: () => number;
  /** Signing secret (≥ 32 characters): ad tokens, click IDs, source hashes. */
  secret: string;
  operatorKey: string;
  publicUrl?: string;
  datacenterCidrs?: string[];
  trustedProxies?: string[];
  limits?: Partial<IvtLimits>;
  /** Per-source beacon rate: events per second and burst. */
  rate?: { rate: number; burst: number };
  maxQueue?: number;
  logger?: Logger;
  metrics?: Metrics;
  random?: (bytes: number) => Uint8Array;
  rng?: () => number;
  newId?: (prefix: string) => string;
  /** The TCP peer; defaults to the Node adapter's socket (127.0.0.1 under app.request()). */
  peer?: Collector['peer'];
  /** The operator's Ed25519 signing key (PKCS #8 PEM) for the ledger chain's head; a fresh one per process when absent (tests). */
  signingKey?: string;
  /** Retired public keys (base64, raw) still listed at /.well-known/perfpixel-keys.json. */
  retiredSigningKeys?: string[];
  /** Log mode (collector/src/log/): wraps the direct committer so events go to the log instead. */
  ingestLog?: (direct: GroupCommitter<IngestItem, ItemResult>) => GroupCommitter<IngestItem, ItemResult>;
}

/** The app plus what the server entry needs to shut down cleanly. */
export interface CollectorApp {
  /** The root app; extensions (the demo site) add plain routes to it, so its context type is Hono's own. */
  app: Hono;
  collector: Collector;
  decider: AdDecider;
  /** Resolves when every queued event has been committed. */
  drain(): Promise<void>;
}

/** Builds the collector. */
export function createCollector(o: AppOptions): CollectorApp {
  const keys = createKeys(o.secret);
  const logger = o.logger ?? pino({ level: 'silent' });
  const metrics = o.metrics ?? createMetrics();
  const random = o.random ?? ((n: number) => randomBytes(n));
  const pipeline: PipelineDeps = {
    keys,
    random,
    newId: o.newId ?? ((prefix) => `${prefix}_${timeOrderedId(o.clock(), random)}`),
    limits: { ...DEFAULT_IVT_LIMITS, ...o.limits },
  };

  const groupDeps = { pipeline, logger, clock: o.clock };

  const direct = createGroupCommitter<IngestItem, ItemResult>({
    maxQueue: o.maxQueue ?? 5000,
    commit: (items) =>
      commitGroup((fn) => o.store.write(fn), items, groupDeps).then((out) => {
        // Counted after the commit: money that rolled back was never billed.
        for (const r of out) if (r.status === 'accepted' && r.billedMicros) metrics.billed.inc({ currency: r.currency ?? '' }, Number(r.billedMicros));
        return out;
      }),
    onCommit: (size, ms) => {
      metrics.commitSize.observe(size);
      metrics.commitSeconds.observe(ms / 1000);
    },
  });
  const committer = o.ingestLog ? o.ingestLog(direct) : direct;

  const col: Collector = {
    store: o.store,
    clock: o.clock,
    keys,
    committer,
    metrics,
    logger,
    ivt: createIvtClassifier(o.datacenterCidrs ?? []),
    trustedProxies: o.trustedProxies?.length ? ipRanges(o.trustedProxies) : null,
    rateLimiter: createRateLimiter(o.rate ?? { rate: 50, burst: 200 }),
    cache: createCatalogCache(o.store, o.clock),
    pipeline,
    publicUrl: (o.publicUrl ?? 'http://localhost:8787').replace(/\/$/, ''),
    operatorKey: o.operatorKey,
    peer:
      o.peer ??
      ((c) => (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? '127.0.0.1'),
    random,
  };
  const decider = createAdDecider({
    store: o.store,
    clock: o.clock,
    rng: o.rng ?? Math.random,
    onRefreshError: (err) => logger.error({ err }, 'ad decider refresh failed; serving the last good snapshot'),
  });

  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const hot = c.req.path === '/e' || c.req.path === '/p.gif' || c.req.path === '/ad' || c.req.path.startsWith('/c/');
    const level = status >= 500 ? 'error' : hot && status < 400 ? 'debug' : 'info';
    if (logger.isLevelEnabled(level)) {
      const ip = col.peer(c);
      logger[level]({ reqId: c.get('requestId'), method: c.req.method, path: c.req.path.slice(0, 80), status, ms: Math.round(performance.now() - started), ip: keys.ipTag(ip) });
    }
  });
  app.use(securityHeaders());
  // Report reads are lists of repetitive JSON (a page of conversions or ledger groups: ~100 KiB) and
  // CSV exports: gzip them when the client accepts it (about a tenth over the wire; issue 14).
  // Writes and the hot paths stay as they are: their answers are small, and latency counts there.
  const gzip = compress({ encoding: 'gzip' });
  app.use('/v1/*', (c, next) => (c.req.method === 'GET' ? gzip(c, next) : next()));
  // A write through the API changes what the hot paths read: forget the cached catalog and snapshots.
  app.use('/v1/*', async (c, next) => {
    await next();
    if (c.req.method !== 'GET' && c.res.status < 300) {
      col.cache.clear();
      decider.invalidate();
    }
  });
  app.onError((err, c) => {
    // 400/401/403/404 raised by a loader (auth.ts `owned*`, `httpError`) carry their own JSON answer.
    if (err instanceof HTTPException) return err.getResponse();
    // The database is away (a restart, a network cut): the request is fine, it must come again later.
    if (isStoreUnavailable(err)) {
      logger.warn({ err, reqId: c.get('requestId') }, 'store unavailable');
      return c.json({ error: 'store_unavailable', reason: 'the database cannot be reached; retry later' }, 503, { 'Retry-After': '5' });
    }
    logger.error({ err, reqId: c.get('requestId') }, 'unhandled error');
    return c.json({ error: 'internal_error', reason: 'something went wrong; it has been logged' }, 500);
  });
  app.notFound((c) => c.json({ error: 'not_found', reason: `no route for ${c.req.method} ${c.req.path.slice(0, 200)}` }, 404));

  // One typed sub-app per area, mounted at the root (their paths are absolute). The OpenAPI
  // document is built from the same route definitions (router.ts).
  const signer = createSigner(o.signingKey ?? generateSigningKeyPem(), o.retiredSigningKeys);
  const areas = [ingestRoutes(col), servingRoutes(col, decider), s2sRoutes(col), bulkAdjustRoutes(col), postbackTestRoutes(col), adminRoutes(col), reportRoutes(col), statementRoutes(col, signer), testEventsRoutes(col), payoutRoutes(col), nameRoutes(col)];
  const ops = opsRoutes(col, () => [...ops.docs, ...areas.flatMap((a) => a.docs)]);
  for (const area of [ops, ...areas]) app.route('/', area.app);

  return { app: app as unknown as Hono, collector: col, decider, drain: () => committer.drain() };
}

/** Builds just the Hono app. */
export function createApp(o: AppOptions): Hono {
  return createCollector(o).app;
}
