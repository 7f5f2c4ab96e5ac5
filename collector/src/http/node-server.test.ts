/**
 * The collector as it runs in production — server.ts, the Node adapter, real sockets — talked to by
 * a real `node:http` client with a keep-alive agent (issue 16 item 11). On SQLite in `npm test`, on
 * PostgreSQL in `npm run test:pg`:
 *
 * - a body over the limit, chunked or with a Content-Length, is answered 413 and the client reads
 *   that answer: no connection reset, also for the requests that follow on the same agent. (Before:
 *   every other 1 MB chunked POST /e got ECONNRESET — the 413 left half a body on a keep-alive
 *   socket, which the adapter then closed under the next request.)
 * - a NUL byte in a path ID is a 400, never a 500 (PostgreSQL refuses NUL in text).
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_KEY } from '../test-fixtures';
import { startCollectorProcess, type CollectorProcess } from '../test-server';

let server: CollectorProcess;
let agent: Agent;

beforeAll(async () => {
  server = await startCollectorProcess();
  agent = new Agent({ keepAlive: true, maxSockets: 1 });
}, 90_000);
afterAll(async () => {
  agent?.destroy();
  await server?.stop();
});

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** Bytes to send, in 16 KiB chunks. */
  bytes?: number;
  body?: string;
  /** Send a Content-Length (otherwise chunked). */
  length?: boolean;
}

/** One request over the shared keep-alive agent; resolves with the answer or the socket error. */
function send(o: Sent): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0', ...o.headers };
    if (o.length) headers['content-length'] = String(o.body !== undefined ? Buffer.byteLength(o.body) : o.bytes);
    const req = request({ host: '127.0.0.1', port: server.port, method: o.method, path: o.path, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    });
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    if (o.body !== undefined) return void req.end(o.body);
    const chunk = Buffer.alloc(16 * 1024, 'a');
    let sent = 0;
    const write = () => {
      while (sent < (o.bytes ?? 0)) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

const MB = 1024 * 1024;

describe('bodies over the limit on a real server', () => {
  it('answers a 1 MB chunked POST /e with a readable 413, five times in a row on one keep-alive agent', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await send({ method: 'POST', path: '/e', bytes: MB });
      expect(r, server.output()).toEqual({ status: 413, body: expect.stringContaining('body_too_large') });
    }
    // The agent's next request is answered normally.
    const ok = await send({ method: 'POST', path: '/e', body: JSON.stringify({ s: 'site_x', e: [{ t: 'pv', i: 'evt-after-413', ts: Date.now() }] }), length: true });
    expect(ok).toMatchObject({ status: expect.any(Number) });
    expect((ok as { status: number }).status).toBeLessThan(500);
  });

  it.each([
    ['POST /e with a Content-Length', { method: 'POST', path: '/e', bytes: MB, length: true }],
    ['POST /e, 10 MB chunked', { method: 'POST', path: '/e', bytes: 10 * MB }],
    ['POST /v1/conversions (16 KiB limit)', { method: 'POST', path: '/v1/conversions', bytes: MB, headers: { 'content-type': 'application/json' } }],
    ['PATCH /v1/campaigns/:id (64 KiB limit)', { method: 'PATCH', path: '/v1/campaigns/cmp_x', bytes: MB, headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_KEY}` } }],
  ] as [string, Sent][])('answers %s 413, read by the client', async (_name, o) => {
    const r = await send(o);
    expect(r, server.output()).toEqual({ status: 413, body: expect.stringContaining('body_too_large') });
  });
});

describe('path IDs on a real server', () => {
  it.each([
    ['GET', '/v1/campaigns/%00'],
    ['PATCH', '/v1/campaigns/%00'],
    ['POST', '/v1/conversions/%00/approve'],
    ['POST', '/v1/conversions/%00/reject'],
    ['POST', '/v1/conversions/%00/reverse'],
  ])('answers %s %s 400, not 500', async (method, path) => {
    const r = await send({ method, path, body: method === 'GET' ? '' : '{}', length: true, headers: { authorization: `Bearer ${OPERATOR_KEY}`, 'content-type': 'application/json' } });
    expect(r, server.output()).toMatchObject({ status: 400, body: expect.stringContaining('invalid_path') });
  });
});
