/**
 * Log mode against a real JetStream server (its own, on a free loopback port): the collector's
 * log committer answers after the log's acknowledgement, re-sends are dropped by the log, a full
 * log answers 503 with Retry-After, and a billing worker killed between COMMIT and its ack
 * charges nothing twice when the batch is redelivered to the next one. `npm run test:cluster`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLog, ensureStream, waitDrained, type LogConnection } from './stream';
import { createLogCommitter } from './log-committer';
import type { LogSettings } from './log-settings';
import { openStore } from '../store/open-store';
import { openPgDb } from '../store/pg-db';
import type { Store } from '../store/store';
import { createKeys } from '../ingest/keys';
import { addCampaign, clickThrough, createHarness, expectLedgerBalanced, OPERATOR_KEY, rejectedEvents, SECRET, seedWorld, serveAd, type Harness, type World } from '../test-fixtures';
import { startNats, type NatsServers } from '../../../test/cluster/nats-servers';
import { startRole, type Role } from '../../../test/cluster/roles';

const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const base = `tst_log_${randomBytes(4).toString('hex')}`;
const schemas: string[] = [];
const stores: Store[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'pp-log-'));
const CPC = 400_000n;

let nats: NatsServers;
let log: LogConnection;
let store: Store;

/** A fresh store in a schema of its own (each test seeds its own catalog). */
async function freshStore(): Promise<Store> {
  const schema = `${base}_${schemas.length}`;
  schemas.push(schema);
  store = await openStore(PG, { clock: Date.now, pgSchema: schema });
  stores.push(store);
  return store;
}
const workers: Role[] = [];

const settingsOf = (stream: string, o: Partial<LogSettings> = {}): LogSettings => ({
  servers: nats.urls,
  stream,
  shards: 4,
  replicas: 1,
  maxBytes: 64 * 2 ** 20,
  maxAgeMs: 3_600_000,
  duplicateWindowMs: 120_000,
  publishTimeoutMs: 2000,
  maxInFlight: 1000,
  batch: 20,
  ackWaitMs: 2000,
  ...o,
});

/** A collector app (in process, fixed clock) whose committer publishes to `settings`' stream. */
async function logCollector(settings: LogSettings): Promise<Harness> {
  await ensureStream(log.jsm, settings);
  await freshStore();
  return createHarness({ store, ingestLog: (direct) => createLogCommitter({ js: log.js, settings, keys: createKeys(SECRET), direct }) });
}

const workerEnv = (stream: string) => ({
  PP_ENV: 'test',
  LOG_LEVEL: 'info',
  DATA_DIR: dataDir,
  DATABASE_URL: PG,
  DATABASE_SCHEMA: schemas.at(-1)!,
  SECRET,
  OPERATOR_KEY,
  NATS_URL: nats.urls.join(','),
  LOG_STREAM: stream,
  LOG_SHARDS: '4',
  WORKER_BATCH: '20',
  WORKER_ACK_WAIT_S: '2',
});

beforeAll(async () => {
  nats = await startNats({ servers: 1 });
  log = await connectLog({ servers: nats.urls }, 'log-mode-test');
}, 60_000);

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await log?.nc.close();
  await nats?.stop();
  for (const s of stores) await s.close();
  const db = openPgDb(PG);
  for (const schema of schemas) await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the collector in log mode', () => {
  it('answers 202 once the log holds the batch, and the log drops a re-sent event as a duplicate', async () => {
    const h = await logCollector(settingsOf('t_dup'));
    const w = await seedWorld(h, { origins: [] });
    const ev = { t: 'pv', i: 'evt-log-pv-1', ts: h.clock(), u: 'https://shop.example/' };
    const first = await h.beacon(w.shopSiteId, [ev]);
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ accepted: 1, duplicate: 0 });
    const again = await h.beacon(w.shopSiteId, [ev]);
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ accepted: 0, duplicate: 1 });
    const info = await log.jsm.streams.info('t_dup');
    expect(info.state.messages).toBe(1);
  });

  it('answers 503 with Retry-After when the log is full, and stores nothing it did not acknowledge', async () => {
    const h = await logCollector(settingsOf('t_full', { maxBytes: 4096 }));
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let k = 0; k < 40 && !retryAfter; k++) {
      const res = await h.beacon('site_shop', [{ t: 'pv', i: `evt-full-${k}`, ts: h.clock(), u: 'https://shop.example/' + 'x'.repeat(300) }]);
      statuses.push(res.status);
      retryAfter = res.headers.get('retry-after');
    }
    expect(statuses.at(-1)).toBe(503);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const info = await log.jsm.streams.info('t_full');
    expect(info.state.messages).toBe(statuses.filter((s) => s === 202).length);
  });
});

describe('a billing worker', () => {
  let h: Harness;
  let w: World;
  const stream = 't_bill';

  it('killed between COMMIT and its ack charges nothing twice when the next worker gets the batch again', async () => {
    h = await logCollector(settingsOf(stream));
    w = await seedWorld(h, { terms: { costModel: 'cpc', cpcMicros: String(CPC), totalBudgetMicros: String(100n * CPC) } });
    await addCampaign(h, w, { id: 'cmp_other', creativeId: 'cr_other', terms: { costModel: 'cpc', cpcMicros: String(CPC), totalBudgetMicros: String(100n * CPC) } });

    const first = startRole('worker', workerEnv(stream));
    workers.push(first);
    await first.waitFor(/worker running/);
    first.kill('SIGUSR2'); // test hook (PP_ENV=test): die after the next COMMIT, before its ack

    // Click redirects (each a CPC charge keyed by its click ID) from distinct visitors.
    const clickIds: string[] = [];
    for (let k = 0; k < 30; k++) {
      const { tk } = await serveAd(h, w.slotId, `pv${k}`);
      const { res, clickId } = await clickThrough(h, tk, { 'x-test-peer': `203.0.113.${k + 1}` });
      expect(res.status).toBe(302);
      expect(clickId).toBeTruthy();
      clickIds.push(clickId!);
    }
    const crash = await first.waitFor(/crash-after-commit/);
    expect(await first.exited).toBe(null); // killed by the signal, no exit code
    const committedBefore = Number(/fresh=(\d+)/.exec(crash)![1]);
    expect(committedBefore).toBeGreaterThan(0);

    const second = startRole('worker', workerEnv(stream));
    workers.push(second);
    await second.waitFor(/worker running/);
    expect(await waitDrained(log.jsm, { stream, shards: 4 }, 60_000)).toEqual({ pending: 0, ackPending: 0 });

    const clicks = await Promise.all(clickIds.map((id) => store.write((tx) => tx.click(id))));
    expect(clicks.every((c) => c !== null)).toBe(true);
    const charged = clicks.filter((c) => c!.billing === 'charged').length;
    expect(charged).toBe(30); // distinct visitors and decisions: every click is billable, once
    const totals = await expectLedgerBalanced(store);
    expect(totals.groups).toBe(30);
    const spent = (await store.catalog.listCampaigns({})).length; // both campaigns exist
    expect(spent).toBe(2);
    expect(await balance(`advertiser:${w.advertiserId}`)).toBe(30n * CPC);
    // The redelivered batch was skipped by the offset fence, not re-run: no click ID collided.
    expect((await rejectedEvents(store)).filter((r) => r.reason === 'internal_error')).toEqual([]);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});

async function balance(account: string): Promise<bigint> {
  return (await store.reports.balances([account])).get(account) ?? 0n;
}
