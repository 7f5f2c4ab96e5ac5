/**
 * A collector as a real process (`tsx collector/src/server.ts`, the production entry) on a free
 * loopback port, for tests that need the Node adapter and real sockets: what `app.request()` cannot
 * show (connection handling, body streaming). The store is PP_TEST_DATABASE_URL in its own schema
 * when set (`npm run test:pg`), else a SQLite file in a temporary directory.
 *
 * ```ts
 * const server = await startCollectorProcess();
 * const res = await fetch(`${server.url}/readyz`);
 * await server.stop();   // SIGTERM to its process group (SIGKILL after 5 s), data removed
 * ```
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPERATOR_KEY, SECRET, TEST_DATABASE_URL } from './test-fixtures';
import { openPgDb } from './store/pg-db';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A running collector process. */
export interface CollectorProcess {
  url: string;
  port: number;
  /** Everything it printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

/** Starts the collector (operator key and secret of test-fixtures.ts) and waits until /readyz answers. */
export async function startCollectorProcess(env: Record<string, string> = {}): Promise<CollectorProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'pp-server-'));
  const schema = `tst_srv_${randomBytes(6).toString('hex')}`;
  const out: string[] = [];
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'collector/src/server.ts')], {
    cwd: ROOT,
    // Its own process group, so stop() ends tsx and the node process it runs together.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: TEST_DATABASE_URL ?? `sqlite:${join(dataDir, 'pp.db')}`,
      ...(TEST_DATABASE_URL ? { DATABASE_SCHEMA: schema } : {}),
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SECRET,
      OPERATOR_KEY,
      SEED: 'never',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      PP_ENV: 'test',
      ...env,
    },
  });
  child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
        const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
        if (!done) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (TEST_DATABASE_URL) {
      const admin = openPgDb(TEST_DATABASE_URL);
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => admin.close());
    }
  };
  const until = Date.now() + 60_000;
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  for (;;) {
    if (code !== undefined) throw new Error(`collector exited with ${code}:\n${out.join('')}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      await stop();
      throw new Error(`collector not ready after 60 s:\n${out.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, output: () => out.join(''), stop };
}
