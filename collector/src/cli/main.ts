/**
 * The `perfpixel` command: the roles of a deployment, configured by environment as the collector is
 * (README "Configuration" and "Running past one machine"), and the offline statement check.
 *
 * ```sh
 * perfpixel collector                                                  # HTTP collector; with NATS_URL it publishes to the log (log mode)
 * perfpixel worker                                                     # billing worker of log mode (NATS_URL and a postgres:// DATABASE_URL)
 * perfpixel verify <statement.ndjson> [--keys <perfpixel-keys.json>]   # check a statement offline
 * ```
 */
import { ConfigError } from '../config';
import { startWorker } from '../log/start-worker';
import { startServer } from '../server';
import { describeVerdict, verifyStatementFile } from './verify';

const USAGE = 'usage: perfpixel collector | perfpixel worker | perfpixel verify <statement.ndjson> [--keys <perfpixel-keys.json>]';

/** Runs the command line; resolves to the exit code, or to `running` for a role that keeps the process alive. */
export async function main(argv: string[]): Promise<number | 'running'> {
  const [command, ...rest] = argv;
  try {
    if (command === 'collector') {
      await startServer();
      return 'running';
    }
    if (command === 'worker') {
      await runWorker();
      return 'running';
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  if (command === 'verify') {
    const keysAt = rest.indexOf('--keys');
    const keys = keysAt >= 0 ? rest[keysAt + 1] : undefined;
    const file = rest.find((a, i) => !a.startsWith('--') && (keysAt < 0 || i !== keysAt + 1));
    if (!file || (keysAt >= 0 && !keys)) {
      console.error(USAGE);
      return 2;
    }
    const verdict = await verifyStatementFile(file, keys);
    (verdict.ok ? console.log : console.error)(describeVerdict(verdict));
    return verdict.ok ? 0 : 1;
  }
  console.error(USAGE);
  return 2;
}

/** Starts a billing worker and stops it cleanly on SIGINT/SIGTERM (the batches in hand are finished). */
async function runWorker(): Promise<void> {
  const worker = await startWorker(process.env);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`perfpixel worker: ${signal}, finishing the batches in hand`);
    worker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
