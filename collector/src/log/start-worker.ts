/**
 * `perfpixel worker`: the billing worker process of log mode. Reads the environment (the same
 * variables as the collector, plus the log's: README "Running past one machine"), migrates the
 * PostgreSQL store, makes sure the stream and its consumers exist, and runs until SIGINT/SIGTERM,
 * when it finishes the batches in hand, acknowledges them and gives its shards back.
 *
 * ```sh
 * DATABASE_URL=postgres://… NATS_URL=nats://127.0.0.1:4222 SECRET=… OPERATOR_KEY=… perfpixel worker
 * ```
 */
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../config';
import { createKeys } from '../ingest/keys';
import { timeOrderedId } from '../ingest/ids';
import { DEFAULT_IVT_LIMITS } from '../ingest/pipeline';
import { isStoreUnavailable } from '../store/db';
import { openPgDb } from '../store/pg-db';
import { createSqlStore } from '../store/sql-store';
import { createLeases } from './lease';
import { loadLogSettings } from './log-settings';
import { ensureOffsets } from './offsets';
import { connectLog, ensureStream, untilReady } from './stream';
import { createWorker } from './worker';

/** Starts a billing worker from `vars` (normally process.env); resolves once it is running. */
export async function startWorker(vars: Record<string, string | undefined>): Promise<{ stop: () => Promise<void> }> {
  const config = loadConfig(vars);
  const settings = loadLogSettings(vars);
  if (!/^postgres(ql)?:\/\//.test(config.databaseUrl)) throw new Error('perfpixel worker needs DATABASE_URL=postgres://… (log mode bills into PostgreSQL)');
  const logger = pino({ level: config.logLevel }).child({ role: 'worker' });
  const clock = () => Date.now();
  const db = openPgDb(config.databaseUrl, { schema: config.databaseSchema });
  // A worker (re)started while PostgreSQL cannot be reached waits for it, as it waits for the log
  // below (a supervisor restarting it in a loop would only add noise); any other error stops it.
  const store = createSqlStore(db, { clock });
  await untilReady(
    async () => {
      await store.migrate();
      await ensureOffsets(db, settings.stream, settings.shards);
    },
    (err) => logger.warn({ err }, 'PostgreSQL not reachable; retrying'),
    60_000,
    isStoreUnavailable,
  );
  const log = await connectLog(settings, 'perfpixel-worker');
  await untilReady(
    () => ensureStream(log.jsm, settings),
    (err) => logger.warn({ err }, 'log not ready; retrying'),
  );

  const random = (n: number) => randomBytes(n);
  const leases = createLeases({ url: config.databaseUrl, schema: config.databaseSchema, stream: settings.stream, onLost: (err) => logger.warn({ err }, 'lease connection lost: shards given up') });
  let crashArmed = false;
  if (config.env === 'test') {
    // test:cluster's fault: SIGUSR2 makes the next committed batch kill the process before its ack.
    process.on('SIGUSR2', () => {
      crashArmed = true;
    });
  }
  const worker = createWorker({
    log,
    settings,
    db,
    leases,
    logger,
    clock,
    pipeline: {
      keys: createKeys(config.secret),
      random,
      newId: (prefix) => `${prefix}_${timeOrderedId(clock(), random)}`,
      limits: DEFAULT_IVT_LIMITS,
    },
    afterCommit: (b) => {
      if (!crashArmed || b.fresh === 0) return;
      // writeSync: the line must be out before SIGKILL (a pipe write may still be queued).
      writeSync(2, `crash-after-commit shard=${b.shard} first=${b.firstSeq} last=${b.lastSeq} fresh=${b.fresh}\n`);
      process.kill(process.pid, 'SIGKILL');
    },
  });
  await worker.start();
  logger.info({ shards: worker.shards() }, 'worker running');
  const report = setInterval(() => logger.info({ shards: worker.shards(), processed: worker.processed() }, 'worker progress'), 10_000).unref();
  return {
    async stop() {
      clearInterval(report);
      await worker.stop();
      await leases.close();
      await log.nc.drain();
      await db.close();
    },
  };
}
