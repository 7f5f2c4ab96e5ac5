/**
 * HTTP benchmarks, reported as ratios to a plain node:http server measured in the same run
 * (SPEC §3.1, §5): same machine, same core for the server, the load generator on the other core,
 * fixed duration, loopback only, bounded and self-stopping.
 *
 * Servers are child processes pinned with `taskset -c 0`; this process (the load generator,
 * autocannon) pins itself to core 1. On a 1-core machine both share the core and the report says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { createKeys } from '../collector/src/ingest/keys';
import { timeOrderedId } from '../collector/src/ingest/ids';
import type { AdToken } from '../collector/src/ingest/keys';

/** One measured scenario. */
export interface HttpResult {
  name: string;
  server: 'plain' | 'collector';
  requestsPerSec: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

const SECRET = 'bench-secret-'.padEnd(40, 'x');
const OPERATOR = 'bench-operator-key-'.padEnd(32, 'k');
const pinned = cpus().length >= 2;

/** Starts a child process pinned to core 0 and resolves once it answers `readyPath`. */
export async function startServer(cmd: string[], env: Record<string, string>, port: number, readyPath: string): Promise<ChildProcess> {
  const argv = pinned ? ['taskset', '-c', '0', ...cmd] : cmd;
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}${readyPath}`);
      if (r.status < 500) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server ${cmd.join(' ')} did not start`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops a server started by startServer (SIGTERM, then SIGKILL after 5 s). */
export async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** One request of a scenario. */
export type Req = { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string };

/** Runs one scenario with autocannon for `seconds` against a port. */
export async function load(name: string, server: HttpResult['server'], port: number, seconds: number, connections: number, next: () => Req, eventsPerRequest: number): Promise<HttpResult> {
  const first = next();
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    pipelining: 1,
    requests: [
      {
        method: first.method,
        path: first.path,
        setupRequest: (req: autocannon.Request) => {
          const n = next();
          return { ...req, method: n.method, path: n.path, headers: { ...req.headers, ...n.headers }, body: n.body };
        },
      },
    ],
  });
  const codes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) codes[code] = Number((v as { count: number | string }).count);
  const okCount = Object.entries(codes).filter(([k]) => Number(k) < 400).reduce((s, [, v]) => s + v, 0);
  return {
    name,
    server,
    requestsPerSec: Math.round(r.requests.total / r.duration),
    eventsPerSec: Math.round((okCount * eventsPerRequest) / r.duration),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    statusCodes: codes,
  };
}

/** Runs the HTTP scenarios against both servers, side by side. */
export async function runHttpBenchmarks(opts: { seconds: number; connections: number; log: (s: string) => void }): Promise<{ results: HttpResult[]; pinned: boolean }> {
  const keys = createKeys(SECRET);
  const dir = mkdtempSync(join(tmpdir(), 'pp-bench-'));
  const results: HttpResult[] = [];
  const plainPort = 18788;
  const colPort = 18789;
  // A distinct browser per request: the click-flood rule (10 clicks a minute per source) must not
  // turn the benchmark's clicks into invalid, unbilled ones.
  const ua = (n: number) => `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.${n}.0 Safari/537.36`;
  let n = 0;

  // Decision IDs minted the way GET /ad mints them (time-ordered), as real tokens carry.
  const tokenFor = (billed = true): string => {
    const [c, cr] = billed ? ['bench-cpm', 'bench-cr'] : ['bench-cpc', 'bench-cr-cpc'];
    const t: AdToken = { d: timeOrderedId(Date.now()), si: 'bench-pub', s: 'bench-slot', p: 'bench-p', a: 'bench-a', c, cr, v: 1, pv: randomBytes(6).toString('base64url'), t: Date.now() };
    return keys.signToken(t);
  };
  const impressionBatch = (size: number, billed = true): Req => {
    const now = Date.now();
    const e = Array.from({ length: size }, () => ({ t: 'imp', i: randomUUID(), ts: now, tk: tokenFor(billed) }));
    return { method: 'POST', path: '/e', headers: { 'content-type': 'text/plain', 'user-agent': ua(n++) }, body: JSON.stringify({ s: 'bench-pub', n: now, e }) };
  };

  const scenarios: { name: string; per: number; next: () => Req }[] = [
    { name: 'POST /e, 1 event (billed CPM)', per: 1, next: () => impressionBatch(1) },
    // The same impression of a CPC campaign: stored, deduplicated and checked, but no ledger entry —
    // the difference is what the money path (running totals, budget rows, entry group) costs.
    { name: 'POST /e, 1 event (not billed)', per: 1, next: () => impressionBatch(1, false) },
    { name: 'POST /e, 20 events (billed CPM)', per: 20, next: () => impressionBatch(20) },
    { name: 'GET /c/:token (billed CPC click)', per: 1, next: () => ({ method: 'GET', path: `/c/${tokenFor(false)}`, headers: { 'user-agent': ua(n++) } }) },
    { name: 'GET /ad (ad decision)', per: 1, next: () => ({ method: 'GET', path: `/ad?slot=bench-slot&p=${randomBytes(6).toString('base64url')}` }) },
  ];

  const plain = await startServer(['node', 'bench/plain-server.mjs'], {}, plainPort, '/');
  let collector: ChildProcess | null = null;
  try {
    collector = await startServer(
      [process.execPath, '--import', 'tsx', 'collector/src/server.ts'],
      { DATA_DIR: dir, SECRET, OPERATOR_KEY: OPERATOR, SEED: 'never', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${colPort}`, MAX_QUEUE: '20000', DATABASE_URL: `sqlite:${join(dir, 'bench.db')}` },
      colPort,
      '/readyz',
    );
    await setupCatalog(colPort);
    // The collector's per-source beacon rate limit is on; every request here comes from another UA.
    for (const s of scenarios) {
      opts.log(`  ${s.name}: plain node:http…`);
      const p = await load(s.name, 'plain', plainPort, opts.seconds, opts.connections, s.next, s.per);
      opts.log(`  ${s.name}: collector…`);
      const c = await load(s.name, 'collector', colPort, opts.seconds, opts.connections, s.next, s.per);
      results.push(p, c);
    }
  } finally {
    await stop(plain);
    if (collector) await stop(collector);
    rmSync(dir, { recursive: true, force: true });
  }
  return { results, pinned };
}

async function setupCatalog(port: number) {
  const call = async (method: string, path: string, body: unknown) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { Authorization: `Bearer ${OPERATOR}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (r.status >= 300) throw new Error(`bench setup ${path}: ${r.status} ${await r.text()}`);
  };
  await call('POST', '/v1/advertisers', { id: 'bench-a', name: 'Bench advertiser', currency: 'EUR' });
  await call('POST', '/v1/publishers', { id: 'bench-p', name: 'Bench publisher', revShareBps: 7000 });
  await call('POST', '/v1/sites', { id: 'bench-pub', name: 'Bench publisher site', ownerType: 'publisher', ownerId: 'bench-p' });
  await call('POST', '/v1/slots', { id: 'bench-slot', siteId: 'bench-pub', name: 'Bench slot', size: '300x250' });
  // A served-basis CPM campaign: every served impression is billed, so the benchmark pays for
  // the whole money path (running totals, budget rows, ledger legs), not just an insert.
  await call('POST', '/v1/campaigns', { id: 'bench-cpm', advertiserId: 'bench-a', name: 'Bench CPM', landingUrl: 'https://bench.example/', terms: { costModel: 'cpm', cpmMicros: '2500000', cpmBasis: 'served' } });
  await call('POST', '/v1/creatives', { id: 'bench-cr', campaignId: 'bench-cpm', size: '300x250', imageUrl: '/x.svg', alt: 'bench' });
  await call('POST', '/v1/campaigns', { id: 'bench-cpc', advertiserId: 'bench-a', name: 'Bench CPC', landingUrl: 'https://bench.example/', terms: { costModel: 'cpc', cpcMicros: '400000' } });
  await call('POST', '/v1/creatives', { id: 'bench-cr-cpc', campaignId: 'bench-cpc', size: '300x250', imageUrl: '/y.svg', alt: 'bench' });
}
