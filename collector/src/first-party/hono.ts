/**
 * First-party mode as Hono middleware: mount it before the shop's own routes.
 *
 * ```ts
 * import { firstParty } from 'perfpixel/first-party';
 * app.use(firstParty({ collector: 'https://collector.example', path: '/k3x', secret: process.env.PP_S2S_SECRET }));
 * ```
 *
 * The visitor's IP is the socket's under `@hono/node-server`; elsewhere (another runtime, or behind a
 * load balancer) pass `clientIp`, e.g. from the balancer's header — which only your balancer sets.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { createFirstParty, type FirstPartyOptions } from './first-party';

/** Options of the middleware: those of first-party mode, and where the visitor's IP comes from. */
export interface FirstPartyMiddlewareOptions extends FirstPartyOptions {
  clientIp?: (c: Context) => string | undefined;
}

/** The Node adapter's socket address (`c.env.incoming`), when there is one. */
const socketIp = (c: Context) => (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;

/** Answers requests under `path` (the tag, its beacons); every other request goes on to the shop. */
export function firstParty(o: FirstPartyMiddlewareOptions): MiddlewareHandler {
  const fp = createFirstParty(o);
  return async (c, next) => {
    const res = await fp.handle(c.req.raw, (o.clientIp ?? socketIp)(c));
    if (res) return res;
    await next();
  };
}
