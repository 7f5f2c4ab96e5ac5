/**
 * The collector's side of log mode, opened by the server entry when NATS_URL is set: connects to
 * the log, makes sure the stream exists, and hands createCollector the wrapper that turns its
 * committer into a log committer.
 *
 * ```ts
 * const logMode = await openLogMode(process.env, config, logger);
 * createCollector({ …, ingestLog: logMode.ingestLog });
 * ```
 */
import type { Logger } from 'pino';
import type { Config } from '../config';
import { createKeys } from '../ingest/keys';
import type { GroupCommitter } from '../ingest/group-commit';
import type { IngestItem, ItemResult } from '../ingest/items';
import { createLogCommitter } from './log-committer';
import { loadLogSettings } from './log-settings';
import { connectLog, ensureStream, untilReady } from './stream';

/** What the server entry needs of log mode. */
export interface LogMode {
  ingestLog: (direct: GroupCommitter<IngestItem, ItemResult>) => GroupCommitter<IngestItem, ItemResult>;
  /** One line for the start banner. */
  describe: string;
  /** Closes the connection once every publish was answered (after the committer drained). */
  close(): Promise<void>;
}

/** Connects the collector to the log named by `vars`. */
export async function openLogMode(vars: Record<string, string | undefined>, config: Config, logger: Logger): Promise<LogMode> {
  const settings = loadLogSettings(vars);
  if (!/^postgres(ql)?:\/\//.test(config.databaseUrl)) throw new Error('log mode needs DATABASE_URL=postgres://… (the workers bill into it; the collector reads its catalog)');
  const log = await connectLog(settings, 'perfpixel-collector');
  await untilReady(
    () => ensureStream(log.jsm, settings),
    (err) => logger.warn({ err }, 'log not ready; retrying'),
  );
  logger.info({ stream: settings.stream, shards: settings.shards, replicas: settings.replicas }, 'log mode: publishing events to JetStream');
  const keys = createKeys(config.secret);
  return {
    ingestLog: (direct) => createLogCommitter({ js: log.js, settings, keys, direct }),
    describe: `stream ${settings.stream}, ${settings.shards} shards`,
    close: () => log.nc.drain(),
  };
}
