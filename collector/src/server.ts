/**
 * Server entry: the only place that reads the environment and opens a port.
 *
 * ```sh
 * tsx collector/src/server.ts   # the collector alone
 * npm start                     # collector + demo site (demo-site/server/start.ts calls startServer)
 * DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm start
 * ```
 *
 * Start: validate config → open the store and migrate → seed the demo on an empty store → listen.
 * Stop (SIGINT/SIGTERM): stop accepting connections → drain the group commit (every acknowledged
 * event is already committed; this flushes the ones still queued) → close the store.
 */
import { serve } from '@hono/node-server';
import pino from 'pino';
import { createCollector } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { openStore } from './store/open-store';
import { createMetrics } from './http/metrics';
import type { Hono } from 'hono';
import type { Store } from './store/store';
import type { Collector } from './http/context';
import { openLogMode } from './log/open-log-mode';

/** What an extension (the demo site) is handed before the server listens. */
export interface ServerContext {
  app: Hono;
  store: Store;
  collector: Collector;
  config: Config;
  clock: () => number;
}

/** Options of startServer. */
export interface StartOptions {
  /** Mounts more routes (the demo site, seeding) before the server listens. */
  extend?: (ctx: ServerContext) => Promise<void>;
  /** Lines printed once listening (URLs). */
  banner?: (config: Config) => string[];
}

/** Reads the environment, opens the store, builds the app and listens. */
export async function startServer(options: StartOptions = {}): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel });
  const clock = () => Date.now();
  const store = await openStore(config.databaseUrl, { clock, sqliteSynchronous: config.sqliteSynchronous, pgSchema: config.databaseSchema });
  logger.info({ store: store.kind, synchronous: store.kind === 'sqlite' ? config.sqliteSynchronous : undefined }, 'store open and migrated');

  // Log mode (issue 15) when NATS_URL is set: events go to the JetStream log, billing workers commit them.
  const logMode = process.env.NATS_URL ? await openLogMode(process.env, config, logger) : null;
  const { app, drain, collector } = createCollector({
    store,
    clock,
    secret: config.secret,
    operatorKey: config.operatorKey,
    signingKey: config.signingKey,
    retiredSigningKeys: config.retiredSigningKeys,
    publicUrl: config.publicUrl,
    datacenterCidrs: config.datacenterCidrs,
    trustedProxies: config.trustedProxies,
    maxQueue: config.maxQueue,
    ...(logMode ? { ingestLog: logMode.ingestLog } : {}),
    logger,
    metrics: createMetrics({ defaults: true }),
  });
  await options.extend?.({ app, store, collector, config, clock });

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => {
    const u = config.publicUrl;
    const lines = options.banner?.(config) ?? [`  API docs         ${u}/docs`, `  health           ${u}/healthz`];
    const mode = logMode ? `, log mode: ${logMode.describe}` : '';
    console.log(['', `perfpixel is running on ${u} (${store.kind}${store.kind === 'sqlite' ? `, synchronous=${config.sqliteSynchronous}` : ''}${mode})`, ...lines, ''].join('\n'));
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: draining queued events');
    server.close();
    await drain();
    await logMode?.close();
    await store.close();
    logger.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startServer().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
