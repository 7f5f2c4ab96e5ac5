/**
 * Process harness for the reliability suites: starts the real collector (`collector/src/server.ts`,
 * or a test-only entry) as a child process on loopback, kills and restarts it, builds a catalog
 * through the admin API, mints the signed tokens a browser would get from `GET /ad` (the harness
 * shares the SECRET), and names the database a run uses — a SQLite file or a fresh PostgreSQL
 * schema — with a read-only view of it for the audits.
 *
 * ```ts
 * const t = pgTarget();                                   // or sqliteTarget(dataDir)
 * const c = await startCollector({ dataDir, env: t.env });
 * await setupCatalog(c.url);
 * c.kill('SIGKILL'); await c.restart();
 * const db = await t.open(); await db.all('SELECT …'); await db.close(); await t.drop();
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createKeys, type AdToken } from '../../collector/src/ingest/keys';
import { toPgPlaceholders } from '../../collector/src/store/db';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const SECRET = 'reliability-secret-'.padEnd(48, 's');
export const OPERATOR_KEY = 'reliability-operator-'.padEnd(32, 'o');
export const keys = createKeys(SECRET);

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** A running collector child process. */
export interface CollectorProcess {
  url: string;
  port: number;
  child(): ChildProcess;
  /** How the current process ended (both null while it runs). */
  exit(): { code: number | null; signal: NodeJS.Signals | null };
  kill(signal: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The real server entry; the crash suite's broken build is test/reliability/fixtures/ack-before-commit-server.ts. */
export const SERVER_ENTRY = join(ROOT, 'collector/src/server.ts');

/**
 * Starts the collector and waits for /readyz: on a SQLite file under `dataDir`, or on whatever
 * `env` names (DATABASE_URL, DATABASE_SCHEMA). Processes given the same `dataDir` share its
 * signing key, written before the first start so two processes starting at once cannot each make one.
 */
export async function startCollector(o: { dataDir: string; env?: Record<string, string>; port?: number; logFile?: string; entry?: string }): Promise<CollectorProcess> {
  const port = o.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const signingKey = join(o.dataDir, 'signing-key.pem');
  if (!existsSync(signingKey)) {
    mkdirSync(o.dataDir, { recursive: true });
    writeFileSync(signingKey, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 });
  }
  let child: ChildProcess;
  const launch = async () => {
    // `node --import tsx`, not the tsx CLI: the CLI runs the server in a grandchild that a SIGKILL
    // of the child would leave running (and serving) — the crash test would kill nothing.
    child = spawn(process.execPath, ['--import', 'tsx', o.entry ?? SERVER_ENTRY], {
      cwd: ROOT,
      env: {
        ...process.env,
        PP_ENV: 'test',
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: url,
        DATA_DIR: o.dataDir,
        DATABASE_URL: `sqlite:${join(o.dataDir, 'collector.db')}`,
        SECRET,
        OPERATOR_KEY,
        SIGNING_KEY_FILE: signingKey,
        // Loopback is the load balancer: a client may name its visitor's address (X-Forwarded-For).
        TRUSTED_PROXIES: '127.0.0.1/32',
        SEED: 'never',
        LOG_LEVEL: 'error',
        ...o.env,
      },
      stdio: ['ignore', o.logFile ? openSync(o.logFile, 'a') : 'ignore', 'inherit'],
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const r = await fetch(`${url}/readyz`);
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error(`collector exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('collector did not become ready in 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await launch();
  const kill = async (signal: NodeJS.Signals) => {
    const exited = new Promise((r) => child.once('exit', r));
    if (child.exitCode !== null || child.signalCode !== null) return; // already gone (checked after listening: no race)
    child.kill(signal);
    await exited;
  };
  return {
    url,
    port,
    child: () => child,
    exit: () => ({ code: child.exitCode, signal: child.signalCode }),
    kill,
    restart: launch,
    stop: () => kill('SIGTERM'),
  };
}

/** IDs of the catalog setupCatalog creates. */
export const CATALOG = {
  advertiser: 'rel-adv',
  publisher: 'rel-pub',
  publisherSite: 'rel-news',
  advertiserSite: 'rel-shop',
  slot: 'rel-slot',
  cpm: 'rel-cpm',
  cpa: 'rel-cpa',
  /** A served-basis CPM campaign with a total budget (CAPPED_BUDGET_MICROS) that load runs past. */
  capped: 'rel-cpm-capped',
  cpmCreative: 'rel-cpm-cr',
  cpaCreative: 'rel-cpa-cr',
  cappedCreative: 'rel-cpm-capped-cr',
} as const;

/**
 * The capped campaign's price (per thousand) and total budget: 21.3 impressions, so the last one
 * that fits leaves a remainder; small enough that even a slow PostgreSQL run goes past it.
 */
export const CAPPED_CPM_MICROS = 2_345_678n;
export const CAPPED_BUDGET_MICROS = 50_000n;
/** What the CPA campaign charges for a 19.99 EUR purchase (1.50 flat + 5 %), and its budget: ten of them and 5,000 micros. */
export const CPA_PRICE_MICROS = 2_499_500n;
export const CPA_BUDGET_MICROS = 25_000_000n;

/** Creates an advertiser, publisher, sites, a slot, a served-basis CPM, a capped served-basis CPM and a capped CPA campaign. */
export async function setupCatalog(url: string, budgets: { cpmTotalMicros?: string } = {}): Promise<void> {
  const call = async (method: string, path: string, body: unknown) => {
    const r = await fetch(`${url}${path}`, { method, headers: { Authorization: `Bearer ${OPERATOR_KEY}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (r.status >= 300) throw new Error(`setup ${path}: ${r.status} ${await r.text()}`);
  };
  const c = CATALOG;
  await call('POST', '/v1/advertisers', { id: c.advertiser, name: 'Reliability advertiser', currency: 'EUR' });
  await call('POST', '/v1/publishers', { id: c.publisher, name: 'Reliability publisher', revShareBps: 7000 });
  await call('POST', '/v1/sites', { id: c.publisherSite, name: 'News', ownerType: 'publisher', ownerId: c.publisher });
  await call('POST', '/v1/sites', { id: c.advertiserSite, name: 'Shop', ownerType: 'advertiser', ownerId: c.advertiser });
  await call('POST', '/v1/slots', { id: c.slot, siteId: c.publisherSite, name: 'Slot', size: '300x250' });
  await call('POST', '/v1/campaigns', {
    id: c.cpm,
    advertiserId: c.advertiser,
    name: 'CPM',
    landingUrl: 'https://shop.example/',
    terms: { costModel: 'cpm', cpmMicros: '2345678', cpmBasis: 'served', ...(budgets.cpmTotalMicros ? { totalBudgetMicros: budgets.cpmTotalMicros } : {}) },
  });
  await call('POST', '/v1/campaigns', {
    id: c.capped,
    advertiserId: c.advertiser,
    name: 'CPM capped',
    landingUrl: 'https://shop.example/',
    terms: { costModel: 'cpm', cpmMicros: String(CAPPED_CPM_MICROS), cpmBasis: 'served', totalBudgetMicros: String(CAPPED_BUDGET_MICROS) },
  });
  await call('POST', '/v1/campaigns', {
    id: c.cpa,
    advertiserId: c.advertiser,
    name: 'CPA',
    landingUrl: 'https://shop.example/',
    terms: { costModel: 'cpa', cpaFlatMicros: '1500000', cpaBps: 500, minConversionDelayMs: 0, totalBudgetMicros: String(CPA_BUDGET_MICROS) },
  });
  await call('POST', '/v1/creatives', { id: c.cpmCreative, campaignId: c.cpm, size: '300x250', imageUrl: '/a.svg', alt: 'cpm' });
  await call('POST', '/v1/creatives', { id: c.cpaCreative, campaignId: c.cpa, size: '300x250', imageUrl: '/b.svg', alt: 'cpa' });
  await call('POST', '/v1/creatives', { id: c.cappedCreative, campaignId: c.capped, size: '300x250', imageUrl: '/c.svg', alt: 'capped' });
}

/** A signed ad decision token for a campaign, as `GET /ad` would mint it. */
export function adToken(campaign: 'cpm' | 'cpa' | 'capped', at = Date.now()): { token: string; decision: string } {
  const c = CATALOG;
  const decision = `${at.toString(36)}${randomBytes(8).toString('base64url')}`;
  const t: AdToken = {
    d: decision,
    si: c.publisherSite,
    s: c.slot,
    p: c.publisher,
    a: c.advertiser,
    c: c[campaign],
    cr: { cpm: c.cpmCreative, cpa: c.cpaCreative, capped: c.cappedCreative }[campaign],
    v: 1,
    pv: randomBytes(8).toString('base64url'),
    t: at,
  };
  return { token: keys.signToken(t), decision };
}

/** A browser-like user agent, distinct per client so the per-source limits see ordinary traffic. */
export function userAgent(n: number): string {
  return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.${6478 + n}.${n % 200} Safari/537.36`;
}

/** Read-only SQL on the database a run used (`?` placeholders on both dialects). */
export interface AuditDb {
  dialect: 'sqlite' | 'postgres';
  all(sql: string, params?: (string | number)[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Opens the database read-only — with its own driver, not the store's, so the audit does not go
 * through the code it audits.
 */
export async function openAuditDb(o: { sqliteFile: string } | { pgUrl: string; schema: string }): Promise<AuditDb> {
  if ('sqliteFile' in o) {
    const db = new Database(o.sqliteFile, { readonly: true });
    return { dialect: 'sqlite', all: async (sql, params = []) => db.prepare(sql).all(...params) as Record<string, unknown>[], close: async () => void db.close() };
  }
  const client = new pg.Client({ connectionString: o.pgUrl });
  await client.connect();
  await client.query(`SET search_path TO ${o.schema}`);
  return { dialect: 'postgres', all: async (sql, params = []) => (await client.query(toPgPlaceholders(sql), params)).rows, close: () => client.end() };
}

/** The PostgreSQL the suites use (CI exports DATABASE_URL). */
export const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Where a run's collectors keep their data: the environment they are started with, and the audit's view of it. */
export interface Target {
  name: 'SQLite' | 'PostgreSQL';
  env: Record<string, string>;
  open(): Promise<AuditDb>;
  /** Removes what the target created outside `dataDir` (the PostgreSQL schema). */
  drop(): Promise<void>;
}

/** A SQLite file in `dataDir`. */
export function sqliteTarget(dataDir: string): Target {
  const file = join(dataDir, 'collector.db');
  return { name: 'SQLite', env: { DATABASE_URL: `sqlite:${file}` }, open: () => openAuditDb({ sqliteFile: file }), drop: async () => undefined };
}

/** A fresh schema on PG_URL (named as test/pg's are), which the collectors create and migrate themselves. */
export function pgTarget(): Target {
  const schema = `tst_rel_${randomBytes(5).toString('hex')}`;
  return {
    name: 'PostgreSQL',
    env: { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema },
    open: () => openAuditDb({ pgUrl: PG_URL, schema }),
    async drop() {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}
