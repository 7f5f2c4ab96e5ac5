/**
 * The `perfpixel` command: the roles of a deployment, configured by environment as the collector is
 * (README "Configuration" and "Running past one machine"), and the offline statement check.
 *
 * ```sh
 * perfpixel collector                                                  # HTTP collector; with NATS_URL it publishes to the log (log mode)
 * perfpixel worker                                                     # billing worker of log mode (NATS_URL and a postgres:// DATABASE_URL)
 * perfpixel verify <statement.ndjson> [--keys <perfpixel-keys.json>]   # check a statement offline
 * ```
 *
 * Exit codes: 0 the statement verifies, 1 it does not (the first entry that differs is printed),
 * 2 the command could not run (usage, a file that cannot be read, a keys file that is not the
 * operator's keys document).
 */
import { ConfigError } from '../config';
import { describeVerdict, verifyStatementFile } from './verify';

const USAGE = [
  'usage: perfpixel collector | perfpixel worker | perfpixel verify <statement.ndjson> [--keys <perfpixel-keys.json>]',
  '',
  '  collector  runs the HTTP collector (README "Configuration"); with NATS_URL it publishes to the log.',
  '  worker     runs a billing worker of log mode (NATS_URL and a postgres:// DATABASE_URL).',
  '  verify     re-runs a statement downloaded from GET /v1/statements: every charge from its facts,',
  "             the ledger chain and the operator's signature. --keys takes the operator's published keys",
  '             (GET /.well-known/perfpixel-keys.json); without it the keys inside the statement are used.',
].join('\n');

/** Runs the command line; resolves to the exit code, or to `running` for a role that keeps the process alive. */
export async function main(argv: string[]): Promise<number | 'running'> {
  const [command, ...rest] = argv;
  try {
    // The roles are imported when asked for: `verify` runs offline and needs none of the server, the
    // database drivers or the log client (loading them was a second of a short verification).
    if (command === 'collector') {
      const { startServer } = await import('../server');
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
    const files = rest.filter((a, i) => !(keysAt >= 0 && (i === keysAt || i === keysAt + 1)));
    const unknown = files.find((a) => a.startsWith('-'));
    if (files.length !== 1 || unknown || (keysAt >= 0 && (!keys || keys.startsWith('-')))) {
      console.error(unknown ? `perfpixel: unknown option ${unknown}\n${USAGE}` : USAGE);
      return 2;
    }
    let verdict;
    try {
      verdict = await verifyStatementFile(files[0]!, keys);
    } catch (err) {
      console.error(`perfpixel: ${(err as Error).message}`);
      return 2;
    }
    (verdict.ok ? console.log : console.error)(describeVerdict(verdict));
    return verdict.ok ? 0 : 1;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  console.error(USAGE);
  return 2;
}

/** Starts a billing worker and stops it cleanly on SIGINT/SIGTERM (the batches in hand are finished). */
async function runWorker(): Promise<void> {
  const { startWorker } = await import('../log/start-worker');
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
