/**
 * Starts the demo the way `npm start` does — the collector with the demo site mounted, seeded on an
 * empty SQLite store — as a child process on loopback, with a fresh data directory and a free port.
 *
 * ```ts
 * const demo = await startDemo();
 * await page.goto(`${demo.url}/news/`);            // publisher, http://localhost:PORT
 * await page.goto(`${demo.shopUrl}/shop/`);        // advertiser shop, http://127.0.0.1:PORT
 * const { conversions } = await demo.api('/v1/conversions', demo.keys.advertisers[0]!.apiKey);
 * await demo.stop();                               // SIGTERM (SIGKILL after 5 s), data removed
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoKeys } from '../../demo-site/server/seed';

/** Repository root. */
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** A running demo server. */
export interface Demo {
  /** The collector and publisher origin, `http://localhost:PORT` (also PUBLIC_URL). */
  url: string;
  /** The shop's origin, `http://127.0.0.1:PORT`: the same server, another site. */
  shopUrl: string;
  port: number;
  dataDir: string;
  /** The operator key the server generated under DATA_DIR. */
  operatorKey: string;
  /** The seeded demo keys (`/demo/keys.json`). */
  keys: DemoKeys;
  /** GET a JSON API path with a Bearer key; throws on a non-2xx answer. */
  api<T = unknown>(path: string, key: string): Promise<T>;
  /** Everything the server printed, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

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

/**
 * The parent's environment without the collector's own variables: CI exports DATABASE_URL for the
 * PostgreSQL suites, and the demo must run on its own fresh SQLite file with generated dev secrets.
 */
function demoEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = ['DATABASE_URL', 'DATABASE_SCHEMA', 'SECRET', 'OPERATOR_KEY', 'TRUSTED_PROXIES', 'DATACENTER_CIDRS', 'MAX_QUEUE', 'SQLITE_SYNCHRONOUS'];
  return Object.fromEntries(Object.entries(env).filter(([k]) => !own.includes(k)));
}

/** Spawns `demo-site/server/start.ts` and waits until `/readyz` answers 200 and the seed keys exist. */
export async function startDemo(o: { readyTimeoutMs?: number } = {}): Promise<Demo> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const shopUrl = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'perfpixel-e2e-'));
  let output = '';
  // `node --import tsx`, not the tsx CLI: the CLI runs the server in a grandchild that survives a
  // kill of the child, and would keep serving after the suite ended.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'demo-site/server/start.ts')], {
    cwd: ROOT,
    env: { ...demoEnv(process.env), PP_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, DATA_DIR: dataDir, SEED: 'auto', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const api = async <T>(path: string, key: string): Promise<T> => {
    const r = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' } });
    const text = await r.text();
    if (!r.ok) throw new Error(`GET ${path} → ${r.status} ${text}`);
    return JSON.parse(text) as T;
  };

  try {
    const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
    let keys: DemoKeys | null = null;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the demo server exited with ${child.exitCode}:\n${output}`);
      try {
        // /readyz answers as soon as the store is open; the demo keys exist once seeding is done.
        const ready = await fetch(`${url}/readyz`);
        const k = ready.status === 200 ? await fetch(`${url}/demo/keys.json`) : null;
        if (k?.status === 200) {
          keys = (await k.json()) as DemoKeys;
          break;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the demo server was not ready in time:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const operatorKey = readFileSync(join(dataDir, 'operator-key'), 'utf8').trim();
    return { url, shopUrl, port, dataDir, operatorKey, keys, api, log: () => output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
