/**
 * The `perfpixel` command: one process per role, configured by environment as the collector is
 * (README "Configuration" and "Running past one machine").
 *
 * ```sh
 * perfpixel collector   # HTTP collector; with NATS_URL it publishes to the log (log mode)
 * perfpixel worker      # billing worker of log mode (NATS_URL and a postgres:// DATABASE_URL)
 * ```
 */
import { ConfigError } from '../config';
import { startServer } from '../server';
import { startWorker } from '../log/start-worker';

const USAGE = 'usage: perfpixel collector | perfpixel worker';

async function main(role: string | undefined): Promise<void> {
  if (role === 'collector') return startServer();
  if (role === 'worker') {
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
    return;
  }
  console.error(USAGE);
  process.exit(2);
}

main(process.argv[2]).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
