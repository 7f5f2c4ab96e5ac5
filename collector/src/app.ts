/**
 * Builds the collector's Hono app from what it is given; opens no port and reads no environment.
 *
 * ```ts
 * const app = createApp({ clock: () => Date.now() });
 * const res = await app.request('/healthz');
 * ```
 */
import { Hono } from 'hono';

/** What the app is built from. */
export interface AppOptions {
  clock: () => number;
}

/** Creates the collector app. */
export function createApp(_options: AppOptions): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  return app;
}
