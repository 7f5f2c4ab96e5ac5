/**
 * Overload (issue "Proof", suite 5): measure the collector's sustainable rate, then offer 5× that
 * rate for 20 s, then 0.5× for 10 s, open loop (requests leave on schedule whatever the answers).
 * The excess must be refused quickly with 503/429 + Retry-After instead of queueing without bound;
 * memory stays bounded; no acknowledged event is lost; clients that honour Retry-After get every
 * refused event stored in the end.
 *
 * Every request carries 10 events from its own user agent, so the per-source rate limit is not
 * what pushes back: the bounded commit queue (MAX_QUEUE) is.
 *
 * Run on SQLite and on PostgreSQL (one process, a fresh schema on DATABASE_URL), each bounded as
 * above (OVERLOAD_SECONDS, RELIEF_SECONDS).
 *
 * Seen to fail against a collector that queues without bound: OVERLOAD_SERVER_QUEUE=1000000 gives
 * the server a queue no load reaches; it then answers every request 202 however late (p99 in
 * seconds), refuses nothing, and the test fails on "it did push back".
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { afterAll, expect, it } from 'vitest';
import { adToken, CATALOG, pgTarget, setupCatalog, sqliteTarget, startCollector, userAgent, type Target } from './harness';

const EVENTS_PER_REQUEST = 10;
const MAX_QUEUE = 1000;
const OVERLOAD_SECONDS = Number(process.env.OVERLOAD_SECONDS ?? 20);
const RELIEF_SECONDS = Number(process.env.RELIEF_SECONDS ?? 10);
// Many independent browsers: up to 1,024 sockets, far more than the queue admits (100 requests),
// but below the listen backlog, so the kernel does not drop SYNs and stall clients for minutes.
const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

/** A POST over a pooled keep-alive agent (fetch's pool is not tunable without an extra dependency). */
function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

interface Batch {
  ids: string[];
  body: string;
  ua: string;
  notBefore: number;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const f of cleanups.reverse()) await f().catch((err) => console.error('cleanup failed', err));
}, 60_000);

const overload = (target: (dir: string) => Target) => async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-overload-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const t = target(dir);
  cleanups.push(() => t.drop());
  const c = await startCollector({
    dataDir: dir,
    env: { ...t.env, MAX_QUEUE: process.env.OVERLOAD_SERVER_QUEUE ?? String(MAX_QUEUE), LOG_LEVEL: process.env.OVERLOAD_LOG ?? 'error' },
    logFile: process.env.OVERLOAD_LOG_FILE,
  });
  cleanups.push(() => c.kill('SIGKILL'));
  await setupCatalog(c.url);
  let uaSeq = 0;
  const newBatch = (): Batch => {
    const now = Date.now();
    const e = Array.from({ length: EVENTS_PER_REQUEST }, () => ({ t: 'imp', i: randomUUID(), ts: now, tk: adToken('cpm', now).token }));
    return { ids: e.map((x) => x.i), body: JSON.stringify({ s: CATALOG.publisherSite, n: now, e }), ua: userAgent(uaSeq++), notBefore: 0 };
  };
  const acked = new Set<string>();
  const retry: Batch[] = [];
  const codes: Record<string, number> = {};
  let missingRetryAfter = 0;
  // Refusals of requests *sent* during the 5× phase, whenever answered: a request queued at the end
  // of the phase can be answered (or refused) during the relief phase.
  let refusedOverload = 0;

  const send = async (b: Batch, duringOverload = false) => {
    try {
      const r = await post(`${c.url}/e`, b.body, { 'content-type': 'text/plain', 'user-agent': b.ua });
      codes[r.status] = (codes[r.status] ?? 0) + 1;
      const body = JSON.parse(r.body) as { accepted?: number; duplicate?: number };
      if (r.status === 202 && (body.accepted ?? 0) + (body.duplicate ?? 0) === b.ids.length) {
        for (const id of b.ids) acked.add(id);
        return;
      }
      if (r.status === 503 || r.status === 429) {
        if (duringOverload) refusedOverload++;
        const ra = Number(r.headers['retry-after']);
        if (!(ra >= 1)) missingRetryAfter++;
        retry.push({ ...b, notBefore: Date.now() + (ra >= 1 ? ra : 1) * 1000 * (1 + Math.random() * 0.5) });
        return;
      }
      throw new Error(`unexpected ${r.status}`);
    } catch (err) {
      if ((err as Error).message.startsWith('unexpected')) throw err;
      retry.push({ ...b, notBefore: Date.now() + 1000 });
    }
  };

  // 1. Sustainable rate: 32 closed-loop clients for 3 s.
  const calibrateUntil = Date.now() + 3000;
  let calibrated = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (Date.now() < calibrateUntil) {
        const before = acked.size;
        await send(newBatch());
        if (acked.size > before) calibrated++;
      }
    }),
  );
  const sustainable = calibrated / 3; // requests per second
  console.log(`overload, ${t.name}: calibrated ${sustainable.toFixed(0)} requests/s`);
  // Only that the calibration measured something: how fast is not this test's question. SQLite keeps
  // the suite's first floor (10 requests/s); PostgreSQL on the busy shared 2-core machine measured 12
  // requests/s of 10 events, so its floor is lower.
  expect(sustainable).toBeGreaterThan(t.name === 'SQLite' ? 10 : 2);

  // 2. Open loop: 5× for OVERLOAD_SECONDS, then 0.5× for RELIEF_SECONDS; retries as Retry-After says.
  const rss: number[] = [];
  const depth: number[] = [];
  const sampler = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${c.child().pid}/status`, 'utf8');
      rss.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024);
    } catch {
      // process gone
    }
    void fetch(`${c.url}/metrics`)
      .then((r) => r.text())
      .then((t) => depth.push(Number(/^pp_queue_depth (\d+)/m.exec(t)?.[1] ?? 0)))
      .catch(() => undefined);
  }, 500);
  const phase = async (rate: number, seconds: number, overloaded: boolean) => {
    const start = Date.now();
    let sent = 0;
    const pending: Promise<void>[] = [];
    while (Date.now() - start < seconds * 1000) {
      const due = Math.floor(((Date.now() - start) / 1000) * rate);
      for (; sent < due; sent++) {
        const now = Date.now();
        const i = retry.findIndex((b) => b.notBefore <= now);
        pending.push(send(i >= 0 ? retry.splice(i, 1)[0]! : newBatch(), overloaded));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return pending;
  };
  const p1 = await phase(sustainable * 5, OVERLOAD_SECONDS, true);
  console.log(`overload: 5× phase done, ${retry.length} waiting to retry`);
  const p2 = await phase(sustainable * 0.5, RELIEF_SECONDS, false);
  console.log(`overload: relief phase done`);
  await Promise.all([...p1, ...p2]);
  console.log(`overload: in-flight requests answered, ${retry.length} to retry`);

  // 3. Drain: keep retrying refused batches (honouring Retry-After) until all are stored.
  const deadline = Date.now() + 60_000;
  while (retry.length > 0 && Date.now() < deadline) {
    const now = Date.now();
    const due = retry.filter((b) => b.notBefore <= now);
    for (const b of due) retry.splice(retry.indexOf(b), 1);
    await Promise.all(due.map((b) => send(b)));
    await new Promise((r) => setTimeout(r, 50));
  }
  clearInterval(sampler);
  console.log('overload: stopping the collector', c.exit());
  await c.stop();
  console.log('overload: stopped');

  // From the database, by event ID (the impressions themselves, not a dedup index the store may drop).
  const db = await t.open();
  const storedIds = new Set((await db.all("SELECT event_id FROM impressions WHERE site_id = ? AND kind = 'served'", [CATALOG.publisherSite])).map((r) => String(r.event_id)));
  await db.close();
  let lost = 0;
  for (const id of acked) if (!storedIds.has(id)) lost++;
  const stored = storedIds.size;

  const refused = refusedOverload;
  const summary = {
    sustainableRequestsPerSec: Math.round(sustainable),
    offeredRequestsPerSec: Math.round(sustainable * 5),
    codes,
    refusedDuringOverload: refused,
    maxRssMiB: Math.round(Math.max(...rss) / 2 ** 20),
    firstRssMiB: Math.round((rss[0] ?? 0) / 2 ** 20),
    maxQueueDepth: Math.max(0, ...depth),
    acknowledgedEvents: acked.size,
    storedEvents: stored,
    stillRefused: retry.length,
    lost,
  };
  console.log(`overload, ${t.name}:`, summary);

  expect(refused).toBeGreaterThan(0); // it did push back
  expect(missingRetryAfter).toBe(0); // …always saying when to come back
  expect(codes['500'] ?? 0).toBe(0);
  expect(summary.maxQueueDepth).toBeLessThanOrEqual(MAX_QUEUE); // bounded queue
  expect(summary.maxRssMiB).toBeLessThan(summary.firstRssMiB + 400); // bounded memory
  expect(lost).toBe(0); // nothing acknowledged is lost
  expect(retry.length).toBe(0); // every refused event got in once the load eased
  expect(stored).toBe(acked.size); // and nothing was stored that was not acknowledged in the end
};

it('SQLite: sheds 5× its sustainable rate with 503/429 + Retry-After, keeps memory bounded and loses nothing it acknowledged', overload(sqliteTarget), 300_000);
it('PostgreSQL: sheds 5× its sustainable rate with 503/429 + Retry-After, keeps memory bounded and loses nothing it acknowledged', overload(pgTarget), 300_000);
