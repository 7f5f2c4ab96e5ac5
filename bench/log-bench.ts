/**
 * Log-mode benchmarks (issue 15), part of `npm run bench`:
 *
 * 1. **Collector accept rate in log mode**, as a ratio to a plain node:http server measured in the
 *    same run: the collector (pinned to core 0) answers each request once JetStream acknowledged
 *    it; the load generator and the one JetStream server (R1, file storage) share core 1.
 * 2. **Worker throughput**: the stream is filled with billed CPM impressions of 16 advertisers
 *    (16 shards), then one `perfpixel worker` (and, on a fresh stream and schema, two) bills them
 *    into PostgreSQL; events per second from the worker's start until every consumer is drained.
 *    The rows PostgreSQL wrote per event are read from pg_stat_user_tables (the capacity table's
 *    "PostgreSQL write rate").
 *
 * Loopback only, bounded, cleans up its servers, schemas and temp dirs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { createKeys, type AdToken } from '../collector/src/ingest/keys';
import { timeOrderedId } from '../collector/src/ingest/ids';
import type { IngestItem } from '../collector/src/ingest/items';
import { encodeItem, eventKeyOf } from '../collector/src/log/codec';
import { shardOf } from '../collector/src/log/shard';
import { connectLog, ensureStream, subjectOf, waitDrained } from '../collector/src/log/stream';
import { loadLogSettings } from '../collector/src/log/log-settings';
import { createCollector } from '../collector/src/app';
import { openStore } from '../collector/src/store/open-store';
import { openPgDb } from '../collector/src/store/pg-db';
import { startNats } from '../test/cluster/nats-servers';
import { startRole } from '../test/cluster/roles';
import { load, startServer, stop, type HttpResult, type Req } from './http-bench';

const SECRET = 'bench-secret-'.padEnd(40, 'x');
const OPERATOR = 'bench-operator-key-'.padEnd(32, 'k');
const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADVERTISERS = 16;
const SHARDS = 16;

/** What the log benchmarks measured. */
export interface LogBenchResult {
  accept: { plain: HttpResult; log: HttpResult }[];
  workers: { workers: number; events: number; seconds: number; eventsPerSec: number; rowsPerEvent: number; transactionsPerEvent: number }[];
  notes: string[];
}

/** Runs the log-mode benchmarks; `skipped` when nats-server or PostgreSQL is not there. */
export async function runLogBenchmarks(o: { seconds: number; connections: number; events: number; log: (s: string) => void }): Promise<LogBenchResult | { skipped: string }> {
  const probe = openPgDb(PG);
  try {
    await probe.get('SELECT 1');
  } catch (err) {
    return { skipped: `PostgreSQL not reachable at ${PG}: ${(err as Error).message}` };
  } finally {
    await probe.close();
  }
  const nats = await startNats({ servers: 1, pinCore: cpus().length >= 2 ? 1 : undefined }).catch((err: Error) => err);
  if (nats instanceof Error) return { skipped: `nats-server did not start: ${nats.message}` };
  const keys = createKeys(SECRET);
  const dir = mkdtempSync(join(tmpdir(), 'pp-logbench-'));
  const schemas: string[] = [];
  const newSchema = () => {
    const s = `bench_log_${randomBytes(4).toString('hex')}`;
    schemas.push(s);
    return s;
  };
  const env = (schema: string, stream: string) => ({
    DATA_DIR: dir,
    SECRET,
    OPERATOR_KEY: OPERATOR,
    LOG_LEVEL: 'info',
    DATABASE_URL: PG,
    DATABASE_SCHEMA: schema,
    NATS_URL: nats.urls.join(','),
    LOG_STREAM: stream,
    LOG_SHARDS: String(SHARDS),
    LOG_MAX_BYTES: String(256 * 2 ** 20), // three streams of this within the server's 2 GB max_file_store
    LOG_MAX_IN_FLIGHT: '50000',
    WORKER_BATCH: '500',
  });
  const result: LogBenchResult = { accept: [], workers: [], notes: [] };
  const ua = (n: number) => `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.${n}.0 Safari/537.36`;
  let n = 0;
  const token = (k: number): AdToken => ({ d: timeOrderedId(Date.now()), si: 'bench-pub', s: 'bench-slot', p: 'bench-p', a: `bench-a${k % ADVERTISERS}`, c: `bench-cpm${k % ADVERTISERS}`, cr: `bench-cr${k % ADVERTISERS}`, v: 1, pv: randomBytes(6).toString('base64url'), t: Date.now() });
  const batch = (size: number): Req => {
    const now = Date.now();
    const e = Array.from({ length: size }, () => ({ t: 'imp', i: randomUUID(), ts: now, tk: keys.signToken(token(n)) }));
    return { method: 'POST', path: '/e', headers: { 'content-type': 'text/plain', 'user-agent': ua(n++) }, body: JSON.stringify({ s: 'bench-pub', n: now, e }) };
  };

  let plain: ChildProcess | null = null;
  let collector: ChildProcess | null = null;
  try {
    // 1. Accept rate: plain node:http and the log-mode collector, side by side.
    const schema = newSchema();
    const plainPort = 18798;
    const colPort = 18799;
    plain = await startServer(['node', 'bench/plain-server.mjs'], {}, plainPort, '/');
    collector = await startServer([process.execPath, join('bin', 'perfpixel.mjs'), 'collector'], { ...env(schema, 'bench_accept'), LOG_LEVEL: 'warn', HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${colPort}` }, colPort, '/readyz');
    await setupCatalog((path, init) => fetch(`http://127.0.0.1:${colPort}${path}`, init));
    for (const [name, per, next] of [
      ['POST /e, 1 event, log mode', 1, () => batch(1)],
      ['POST /e, 20 events, log mode', 20, () => batch(20)],
    ] as const) {
      o.log(`  ${name}: plain node:http…`);
      const p = await load(name, 'plain', plainPort, o.seconds, o.connections, next, per);
      o.log(`  ${name}: collector in log mode…`);
      const c = await load(name, 'collector', colPort, o.seconds, o.connections, next, per);
      result.accept.push({ plain: p, log: c });
    }
    await stop(collector);
    collector = null;
    await stop(plain);
    plain = null;

    // 2. Worker throughput, one then two workers, each on a fresh stream and schema.
    const log = await connectLog({ servers: nats.urls }, 'bench');
    try {
      for (const count of [1, 2]) {
        const s = newSchema();
        const stream = `bench_w${count}`;
        // The catalog through the admin API of an in-process collector (no process to start on a loaded machine).
        const store = await openStore(PG, { clock: Date.now, pgSchema: s });
        const { app } = createCollector({ store, clock: Date.now, secret: SECRET, operatorKey: OPERATOR });
        await setupCatalog((path, init) => app.request(path, init));
        await store.close();
        await ensureStream(log.jsm, { ...loadLogSettings(env(s, stream)) });
        o.log(`  filling the log with ${o.events} billed impressions of ${ADVERTISERS} advertisers…`);
        await fill(log, stream, o.events, (k) => token(k), keys);
        const db = openPgDb(PG, { schema: s, max: 1 });
        const before = await writes(db);
        o.log(`  ${count} worker(s) billing them…`);
        // `npm run bench` pins itself to core 1; the workers may use both cores, as in production.
        const roles = Array.from({ length: count }, () => startRole('worker', env(s, stream), cpus().length >= 2 ? '0-1' : undefined));
        let started = Date.now();
        try {
          // Timed from the first worker running (process start-up, seconds on a loaded machine, left out).
          await Promise.race(roles.map((r) => r.waitFor(/worker running/, 120_000)));
          started = Date.now();
          await Promise.all(roles.map((r) => r.waitFor(/worker running/, 120_000)));
          const left = await waitDrained(log.jsm, { stream, shards: SHARDS }, 600_000);
          if (left.pending + left.ackPending > 0) throw new Error(`workers did not drain the log: ${JSON.stringify(left)}`);
          const seconds = (Date.now() - started) / 1000;
          await new Promise((r) => setTimeout(r, 1500)); // statistics reach pg_stat_user_tables within a second
          const after = await writes(db);
          result.workers.push({
            workers: count,
            events: o.events,
            seconds: Number(seconds.toFixed(1)),
            eventsPerSec: Math.round(o.events / seconds),
            rowsPerEvent: Number(((after.rows - before.rows) / o.events).toFixed(1)),
            transactionsPerEvent: Number(((after.commits - before.commits) / o.events).toFixed(3)),
          });
        } finally {
          for (const r of roles) r.kill('SIGTERM');
          await Promise.all(roles.map((r) => r.exited));
          await db.close();
        }
      }
    } finally {
      await log.nc.close();
    }
    result.notes.push(
      'worker time runs from the first worker taking its shards until every consumer is drained (process start-up left out; the second worker of two joins a moment later and shards are then rebalanced)',
      'workers, PostgreSQL, nats-server and the benchmark share the machine’s 2 cores: two workers cannot double one here',
    );
  } finally {
    if (collector) await stop(collector);
    if (plain) await stop(plain);
    await nats.stop();
    const db = openPgDb(PG);
    for (const s of schemas) await db.exec(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

/** Publishes `count` served impressions straight to the stream, as collectors would (same subjects, IDs, bytes). */
async function fill(log: Awaited<ReturnType<typeof connectLog>>, stream: string, count: number, token: (k: number) => AdToken, keys: ReturnType<typeof createKeys>) {
  const now = Date.now();
  for (let k = 0; k < count; k += 500) {
    const acks: Promise<unknown>[] = [];
    for (let j = k; j < Math.min(count, k + 500); j++) {
      const t = token(j);
      const item: IngestItem = {
        kind: 'beacon',
        siteId: 'bench-pub',
        event: { t: 'imp', i: randomUUID(), ts: now, tk: keys.signToken(t) } as never,
        at: now,
        claimedAgeMs: 0,
        payloadHash: randomBytes(12).toString('base64url'),
        ctx: { receivedAt: now, sourceKey: randomBytes(9).toString('base64url'), ipKey: randomBytes(9).toString('base64url'), ivt: null, endpoint: '/e' },
      };
      acks.push(log.js.publish(subjectOf({ stream }, shardOf(t.a, SHARDS)), encodeItem(item), { msgID: eventKeyOf(item)! }));
    }
    await Promise.all(acks);
  }
}

/** Rows inserted + updated in the schema's tables, and commits in the database, so far. */
async function writes(db: ReturnType<typeof openPgDb>): Promise<{ rows: number; commits: number }> {
  const r = await db.get<{ rows: unknown }>('SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0) AS rows FROM pg_stat_user_tables WHERE schemaname = current_schema()');
  const c = await db.get<{ commits: unknown }>('SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()');
  return { rows: Number(r?.rows ?? 0), commits: Number(c?.commits ?? 0) };
}

async function setupCatalog(send: (path: string, init: RequestInit) => Promise<Response> | Response) {
  const call = async (method: string, path: string, body: unknown) => {
    const r = await send(path, { method, headers: { Authorization: `Bearer ${OPERATOR}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (r.status >= 300) throw new Error(`bench setup ${path}: ${r.status} ${await r.text()}`);
  };
  await call('POST', '/v1/publishers', { id: 'bench-p', name: 'Bench publisher', revShareBps: 7000 });
  await call('POST', '/v1/sites', { id: 'bench-pub', name: 'Bench publisher site', ownerType: 'publisher', ownerId: 'bench-p' });
  await call('POST', '/v1/slots', { id: 'bench-slot', siteId: 'bench-pub', name: 'Bench slot', size: '300x250' });
  for (let k = 0; k < ADVERTISERS; k++) {
    await call('POST', '/v1/advertisers', { id: `bench-a${k}`, name: `Bench advertiser ${k}`, currency: 'EUR' });
    // Served-basis CPM: every impression runs the whole money path (running totals, budget rows, ledger legs).
    await call('POST', '/v1/campaigns', { id: `bench-cpm${k}`, advertiserId: `bench-a${k}`, name: 'Bench CPM', landingUrl: 'https://bench.example/', terms: { costModel: 'cpm', cpmMicros: '2500000', cpmBasis: 'served' } });
    await call('POST', '/v1/creatives', { id: `bench-cr${k}`, campaignId: `bench-cpm${k}`, size: '300x250', imageUrl: '/x.svg', alt: 'bench' });
  }
}
