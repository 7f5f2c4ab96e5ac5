/**
 * Server entry: the only place that reads the environment and opens a port.
 *
 * ```sh
 * npm start                     # SQLite under ./data, http://localhost:8787
 * DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm start
 * ```
 */
import { serve } from '@hono/node-server';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';

function main(): void {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const app = createApp({ clock: () => Date.now() });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => {
    console.log(`perfpixel collector listening on ${config.publicUrl}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
