/**
 * First-party mode as a plain `node:http` handler (also Express/Connect middleware: it calls `next`
 * for every request that is not under its path).
 *
 * ```ts
 * import { createServer } from 'node:http';
 * import { createFirstPartyHandler } from 'perfpixel/first-party';
 * const pp = createFirstPartyHandler({ collector: 'https://collector.example', path: '/k3x', secret: process.env.PP_S2S_SECRET });
 * createServer((req, res) => pp(req, res, () => shop(req, res))).listen(3000);
 * ```
 *
 * The visitor's IP is the socket's; behind a load balancer pass `clientIp` (from the header only
 * your balancer sets).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createFirstParty, MAX_FORWARD_BYTES, type FirstPartyOptions } from './first-party';

/** Options of the handler: those of first-party mode, and where the visitor's IP comes from. */
export interface FirstPartyHandlerOptions extends FirstPartyOptions {
  clientIp?: (req: IncomingMessage) => string | undefined;
}

/** A `(req, res, next?)` handler; without `next`, other requests are answered 404. */
export type FirstPartyHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/** Builds the handler. */
export function createFirstPartyHandler(o: FirstPartyHandlerOptions): FirstPartyHandler {
  const fp = createFirstParty(o);
  return (req, res, next) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== fp.path && !path.startsWith(`${fp.path}/`)) {
      if (next) return next();
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    void serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'first_party_error', reason: String((err as Error)?.message ?? err) }));
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    let body: Buffer | undefined;
    if (method !== 'GET' && method !== 'HEAD') {
      // Read at most one byte past the cap: the core answers 413 without buffering a huge body.
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of req) {
        size += (c as Buffer).length;
        chunks.push(c as Buffer);
        if (size > MAX_FORWARD_BYTES) break;
      }
      body = Buffer.concat(chunks);
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'content-length') headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const request = new Request(`${proto}://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { method, headers, body: body ? new Uint8Array(body) : undefined });
    const answer = (await fp.handle(request, (o.clientIp ?? ((r) => r.socket.remoteAddress))(req)))!;
    const out: Record<string, string | string[]> = {};
    answer.headers.forEach((v, k) => (out[k] = k === 'set-cookie' ? answer.headers.getSetCookie() : v));
    res.writeHead(answer.status, out);
    res.end(method === 'HEAD' ? undefined : Buffer.from(await answer.arrayBuffer()));
  }
}
