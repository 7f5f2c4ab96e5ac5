/**
 * HTTP benchmarks, reported as ratios to a plain node:http server measured in the same round
 * (SPEC §3.1, §5, issue 17): same machine, the servers on core 0, the load generator on core 1,
 * fixed duration, loopback only, bounded and self-stopping.
 *
 * Every scenario runs in several interleaved rounds — in each round the plain server, the
 * hand-written reference (bench/reference-server.mjs: one multi-row INSERT per group commit,
 * synchronous=FULL) and every collector target, in a rotating order — and the report gives the
 * min / median / max of each target's ratio to the plain server of the same round, so a busy
 * neighbour shows up as spread instead of as a verdict.
 *
 * Targets: the collector on SQLite (fresh file), on SQLite with rows preloaded into the real schema
 * (bench/preload.ts), on PostgreSQL with one process, and on PostgreSQL with two processes sharing
 * one database (the load split between them; both pinned to core 0 like every other server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import { createKeys } from '../collector/src/ingest/keys';
import { timeOrderedId } from '../collector/src/ingest/ids';
import type { AdToken } from '../collector/src/ingest/keys';
import { preloadTemplate } from './preload';
import { sdkEventId } from './sdk-ids';

/** One measured run of one scenario against one target. */
export interface HttpResult {
  name: string;
  server: string;
  requestsPerSec: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  /** Mean items per group commit during the phase (collectors only, from /metrics). */
  groupSize?: number;
}

/** The collector's group-commit counters (items, commits) from /metrics; null for other servers. */
async function commitCounters(port: number): Promise<{ items: number; commits: number } | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const items = read('pp_group_commit_size_sum');
    const commits = read('pp_group_commit_size_count');
    return Number.isFinite(items) && Number.isFinite(commits) ? { items, commits } : null;
  } catch {
    return null;
  }
}

/** A scenario's figures for one target over all rounds. */
export interface ScenarioSummary {
  scenario: string;
  target: string;
  rounds: number;
  ratio: { min: number; median: number; max: number };
  requestsPerSec: { min: number; median: number; max: number };
  eventsPerSec: { min: number; median: number; max: number };
  p50Ms: number;
  p99Ms: number;
  refused: string;
}

export type TargetName = 'plain' | 'reference' | 'sqlite' | 'sqlite-preloaded' | 'pg-1' | 'pg-2' | 'sqlite-before' | 'pg-1-before';

const SECRET = 'bench-secret-'.padEnd(40, 'x');
const OPERATOR = 'bench-operator-key-'.padEnd(32, 'k');
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pinned = cpus().length >= 2;

/** Starts a child process pinned to core 0 and resolves once it answers `readyPath`. */
export async function startServer(cmd: string[], env: Record<string, string>, port: number, readyPath: string): Promise<ChildProcess> {
  const argv = pinned ? ['taskset', '-c', '0', ...cmd] : cmd;
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 60_000;
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
export async function load(name: string, server: string, port: number, seconds: number, connections: number, next: () => Req, eventsPerRequest: number): Promise<HttpResult> {
  const first = next();
  const before = server === 'plain' || server === 'reference' ? null : await commitCounters(port);
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
  const after = before ? await commitCounters(port) : null;
  const groupSize = before && after && after.commits > before.commits ? (after.items - before.items) / (after.commits - before.commits) : undefined;
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
    groupSize,
  };
}

/** The same load split over several processes of one target, run at once and summed. */
async function loadSplit(name: string, server: string, ports: number[], seconds: number, connections: number, next: () => Req, per: number): Promise<HttpResult> {
  if (ports.length === 1) return load(name, server, ports[0]!, seconds, connections, next, per);
  const parts = await Promise.all(ports.map((p) => load(name, server, p, seconds, Math.ceil(connections / ports.length), next, per)));
  const codes: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.statusCodes)) codes[k] = (codes[k] ?? 0) + v;
  return {
    name,
    server,
    requestsPerSec: parts.reduce((s, p) => s + p.requestsPerSec, 0),
    eventsPerSec: parts.reduce((s, p) => s + p.eventsPerSec, 0),
    p50Ms: Math.max(...parts.map((p) => p.p50Ms)),
    p99Ms: Math.max(...parts.map((p) => p.p99Ms)),
    non2xx: parts.reduce((s, p) => s + p.non2xx, 0),
    errors: parts.reduce((s, p) => s + p.errors, 0),
    statusCodes: codes,
  };
}

/** A running target: its ports, its processes and what the scenarios need from its setup. */
interface Target {
  name: TargetName;
  ports: number[];
  children: ChildProcess[];
  /** Click IDs recorded on this target, for conversions to be attributed to. */
  clicks: string[];
  s2sSecret: string;
}

interface Scenario {
  name: string;
  per: number;
  targets: TargetName[];
  next: (t: Target) => Req;
}

/** A scenario's targets with the "before" build of each, right after it. */
const withBefore = (ts: TargetName[]): TargetName[] =>
  ts.flatMap((t) => (t === 'sqlite' ? ['sqlite', 'sqlite-before'] : t === 'pg-1' ? ['pg-1', 'pg-1-before'] : [t])) as TargetName[];

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const r = (v: number) => Number(v.toFixed(v < 10 ? 3 : 0));
  return { min: r(s[0]!), median: r(s[Math.floor((s.length - 1) / 2)]! + (s.length % 2 === 0 ? (s[s.length / 2]! - s[(s.length - 1) >> 1]!) / 2 : 0)), max: r(s[s.length - 1]!) };
};

/** Options of the HTTP benchmark. */
export interface HttpBenchOptions {
  seconds: number;
  connections: number;
  rounds: number;
  /** Rows to preload into the real schema for the `sqlite-preloaded` target (0: no such target). */
  preloadRows: number;
  /** Run the PostgreSQL targets (skipped, and said so, when PostgreSQL cannot be reached). */
  postgres: boolean;
  /** A checkout of earlier code to measure as `sqlite-before` and `pg-1-before` in the same rounds. */
  beforeDir?: string;
  /** Short list of scenarios (--quick). */
  quick: boolean;
  log: (s: string) => void;
}

/** Runs the HTTP scenarios in interleaved rounds against every target. */
export async function runHttpBenchmarks(opts: HttpBenchOptions): Promise<{ results: HttpResult[]; summary: ScenarioSummary[]; pinned: boolean; preload: unknown; skipped: string[] }> {
  const keys = createKeys(SECRET);
  const dir = mkdtempSync(join(tmpdir(), 'pp-bench-'));
  const results: HttpResult[] = [];
  const skipped: string[] = [];
  // A distinct browser and address per request: the click-flood rules (per source and per IP) must
  // not turn the benchmark's clicks into invalid, unbilled ones. The collector trusts 127.0.0.1 as a
  // proxy so X-Forwarded-For names the visitor.
  const ua = (n: number) => `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.${n}.0 Safari/537.36`;
  let n = 0;
  const visitor = () => {
    n++;
    return { 'user-agent': ua(n), 'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
  };

  // Decision IDs minted the way GET /ad mints them (time-ordered), as real tokens carry.
  const tokenFor = (kind: 'cpm' | 'cpc' | 'cpa'): string => {
    const [c, cr] = kind === 'cpm' ? ['bench-cpm', 'bench-cr'] : kind === 'cpc' ? ['bench-cpc', 'bench-cr-cpc'] : ['bench-cpa', 'bench-cr-cpa'];
    const t: AdToken = { d: timeOrderedId(Date.now()), si: 'bench-pub', s: 'bench-slot', p: 'bench-p', a: 'bench-a', c, cr, v: 1, pv: sdkEventId(), t: Date.now() };
    return keys.signToken(t);
  };
  const impressionBatch = (size: number, kind: 'cpm' | 'cpc' = 'cpm'): Req => {
    const now = Date.now();
    const e = Array.from({ length: size }, () => ({ t: 'imp', i: sdkEventId(now), ts: now, tk: tokenFor(kind) }));
    return { method: 'POST', path: '/e', headers: { 'content-type': 'text/plain', ...visitor() }, body: JSON.stringify({ s: 'bench-pub', n: now, e }) };
  };
  const pick = (t: Target) => t.clicks[Math.floor(Math.random() * t.clicks.length)] ?? 'none';
  const s2s = (t: Target): Req => {
    const body = JSON.stringify({ event_id: randomUUID(), action: 'purchase', click_id: pick(t), order_id: `o-${randomUUID()}`, value: '49.90', currency: 'EUR' });
    const ts = Math.floor(Date.now() / 1000);
    const sig = `v1=${createHmac('sha256', t.s2sSecret).update(`${ts}.${body}`).digest('hex')}`;
    return { method: 'POST', path: '/v1/conversions', headers: { 'content-type': 'application/json', 'x-pp-advertiser': 'bench-a', 'x-pp-timestamp': String(ts), 'x-pp-signature': sig }, body };
  };
  const beaconConversion = (t: Target): Req => {
    const now = Date.now();
    const e = [{ t: 'cv', i: sdkEventId(now), ts: now, a: 'purchase', k: pick(t), v: '49.90', c: 'EUR', o: `o-${randomUUID()}` }];
    return { method: 'POST', path: '/e', headers: { 'content-type': 'text/plain', ...visitor() }, body: JSON.stringify({ s: 'bench-shop', n: now, e }) };
  };

  const all: TargetName[] = ['plain', 'reference', 'sqlite', 'sqlite-preloaded', 'pg-1', 'pg-2'];
  const scenarios: Scenario[] = [
    { name: 'POST /e, 1 event (billed CPM)', per: 1, targets: all, next: () => impressionBatch(1) },
    // The same impression of a CPC campaign: stored, deduplicated and checked, but no ledger entry —
    // the difference is what the money path (running totals, budget rows, entry group) costs.
    { name: 'POST /e, 1 event (not billed)', per: 1, targets: ['plain', 'sqlite'], next: () => impressionBatch(1, 'cpc') },
    { name: 'POST /e, 20 events (billed CPM)', per: 20, targets: ['plain', 'reference', 'sqlite', 'pg-1', 'pg-2'], next: () => impressionBatch(20) },
    { name: 'GET /c/:token (billed CPC click)', per: 1, targets: ['plain', 'sqlite'], next: () => ({ method: 'GET', path: `/c/${tokenFor('cpc')}`, headers: visitor() }) },
    { name: 'GET /ad (ad decision)', per: 1, targets: ['plain', 'sqlite'], next: () => ({ method: 'GET', path: `/ad?slot=bench-slot&p=${sdkEventId()}` }) },
    // The heaviest path: a conversion attributed to a recorded click and billed (CPA), both ways in.
    { name: 'POST /v1/conversions (S2S, CPA billed)', per: 1, targets: ['plain', 'sqlite', 'pg-1'], next: s2s },
    { name: 'POST /e, conversion beacon (CPA billed)', per: 1, targets: ['plain', 'sqlite'], next: beaconConversion },
  ]
    .filter((s) => !opts.quick || !/not billed|GET \/ad|GET \/c|beacon/.test(s.name))
    // BENCH_SCENARIOS=regex and BENCH_TARGETS=a,b narrow a run while working on one path (the
    // plain server always runs: every ratio is read against it).
    .filter((s) => !process.env.BENCH_SCENARIOS || new RegExp(process.env.BENCH_SCENARIOS).test(s.name))
    .map((s) => ({ ...s, targets: s.targets.filter((t) => t === 'plain' || !process.env.BENCH_TARGETS || process.env.BENCH_TARGETS.split(',').includes(t)) })) as Scenario[];
  const wanted = (t: TargetName) => scenarios.some((s) => withBefore(s.targets).includes(t));

  const targets = new Map<TargetName, Target>();
  const collectorEnv = (port: number, extra: Record<string, string>) => ({
    DATA_DIR: dir,
    SECRET,
    OPERATOR_KEY: OPERATOR,
    SEED: 'never',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    MAX_QUEUE: '20000',
    TRUSTED_PROXIES: '127.0.0.1/32',
    ...extra,
  });
  // BENCH_CPU_PROF=/some/dir: every collector writes a V8 CPU profile there when it stops (what the
  // ingest profile cannot show: the HTTP layer around the write path).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const collectorCmd = (root: string) => [process.execPath, ...profile, '--import', 'tsx', join(root, 'collector/src/server.ts')];
  const startCollectors = async (name: TargetName, ports: number[], env: Record<string, string>, root = '.') => {
    const children: ChildProcess[] = [];
    // One after the other: the first runs the migrations, the second finds them done.
    for (const p of ports) children.push(await startServer(collectorCmd(root), collectorEnv(p, env), p, '/readyz'));
    const t: Target = { name, ports, children, clicks: [], s2sSecret: '' };
    targets.set(name, t);
    return t;
  };

  let preload: unknown = null;
  const pgSchemas = ['bench_pg1', 'bench_pg2', 'bench_pg1_before'];
  const pgAdmin = opts.postgres && (['pg-1', 'pg-2'] as const).some(wanted) ? new pg.Client({ connectionString: PG_URL }) : null;
  try {
    targets.set('plain', { name: 'plain', ports: [18788], children: [await startServer(['node', 'bench/plain-server.mjs'], {}, 18788, '/')], clicks: [], s2sSecret: '' });
    if (wanted('reference')) targets.set('reference', { name: 'reference', ports: [18790], children: [await startServer(['node', 'bench/reference-server.mjs'], {}, 18790, '/')], clicks: [], s2sSecret: '' });
    if (wanted('sqlite')) await setup(await startCollectors('sqlite', [18789], { DATABASE_URL: `sqlite:${join(dir, 'bench.db')}` }), tokenFor, visitor, opts.log);

    // Before/after in the same rounds: a checkout of the earlier code (BENCH_BEFORE_DIR, its own
    // node_modules or a link to these) runs as two more targets, so both see the same machine state.
    if (opts.beforeDir && wanted('sqlite-before')) {
      await setup(await startCollectors('sqlite-before', [18795], { DATABASE_URL: `sqlite:${join(dir, 'before.db')}` }, opts.beforeDir), tokenFor, visitor, opts.log);
    }

    if (opts.preloadRows > 0 && wanted('sqlite-preloaded')) {
      const file = join(dir, 'preloaded.db');
      const template = await preloadTemplate(opts.preloadRows, opts.log);
      copyFileSync(template.file, file);
      preload = template.info;
      await setup(await startCollectors('sqlite-preloaded', [18791], { DATABASE_URL: `sqlite:${file}` }), tokenFor, visitor, opts.log);
    }

    if (pgAdmin) {
      try {
        await pgAdmin.connect();
        for (const s of pgSchemas) await pgAdmin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
        if (wanted('pg-1')) await setup(await startCollectors('pg-1', [18792], { DATABASE_URL: PG_URL, DATABASE_SCHEMA: 'bench_pg1' }), tokenFor, visitor, opts.log);
        if (opts.beforeDir && wanted('pg-1-before')) {
          await setup(await startCollectors('pg-1-before', [18796], { DATABASE_URL: PG_URL, DATABASE_SCHEMA: 'bench_pg1_before' }, opts.beforeDir), tokenFor, visitor, opts.log);
        }
        if (wanted('pg-2')) await setup(await startCollectors('pg-2', [18793, 18794], { DATABASE_URL: PG_URL, DATABASE_SCHEMA: 'bench_pg2' }), tokenFor, visitor, opts.log);
      } catch (err) {
        skipped.push(`PostgreSQL targets: ${(err as Error).message}`);
        opts.log(`  PostgreSQL targets skipped: ${(err as Error).message}`);
      }
    }

    // Round 0, not recorded: every target once through every scenario for a second, so the first
    // measured round does not time the JIT compiling the path (it read about half the later rounds).
    opts.log('  warm-up (not recorded)');
    for (const s of scenarios) for (const name of withBefore(s.targets).filter((t) => targets.has(t))) {
      const t = targets.get(name)!;
      await loadSplit(s.name, name, t.ports, 1, opts.connections, () => s.next(t), s.per);
    }
    for (let round = 1; round <= opts.rounds; round++) {
      opts.log(`  round ${round}/${opts.rounds}`);
      for (const s of scenarios) {
        const here = withBefore(s.targets).filter((t) => targets.has(t));
        // Rotate the order each round so no target always runs right after another's load.
        const order = here.map((_, i) => here[(i + round - 1) % here.length]!);
        const line: string[] = [];
        for (const name of order) {
          const t = targets.get(name)!;
          const r = await loadSplit(s.name, name, t.ports, opts.seconds, opts.connections, () => s.next(t), s.per);
          results.push({ ...r, name: `${s.name}#${round}` });
          line.push(`${name} ${r.requestsPerSec}${r.groupSize ? ` (${r.groupSize.toFixed(1)}/commit)` : ''}`);
        }
        opts.log(`    ${s.name}: ${line.join(', ')} req/s`);
      }
    }
  } finally {
    for (const t of targets.values()) for (const c of t.children) await stop(c);
    if (pgAdmin) {
      for (const s of pgSchemas) await pgAdmin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
      await pgAdmin.end().catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  }

  const summary: ScenarioSummary[] = [];
  for (const s of scenarios) {
    for (const name of withBefore(s.targets).filter((t) => targets.has(t) && t !== 'plain')) {
      const ratios: number[] = [];
      const mine: HttpResult[] = [];
      for (let round = 1; round <= opts.rounds; round++) {
        const p = results.find((r) => r.name === `${s.name}#${round}` && r.server === 'plain');
        const c = results.find((r) => r.name === `${s.name}#${round}` && r.server === name);
        if (!p || !c) continue;
        ratios.push(c.requestsPerSec / p.requestsPerSec);
        mine.push(c);
      }
      if (!mine.length) continue;
      const codes: Record<string, number> = {};
      for (const m of mine) for (const [k, v] of Object.entries(m.statusCodes)) if (Number(k) >= 400) codes[k] = (codes[k] ?? 0) + v;
      summary.push({
        scenario: s.name,
        target: name,
        rounds: mine.length,
        ratio: stats(ratios),
        requestsPerSec: stats(mine.map((m) => m.requestsPerSec)),
        eventsPerSec: stats(mine.map((m) => m.eventsPerSec)),
        p50Ms: stats(mine.map((m) => m.p50Ms)).median,
        p99Ms: stats(mine.map((m) => m.p99Ms)).median,
        refused: Object.entries(codes).map(([k, v]) => `${k}:${v}`).join(' ') || '0',
      });
    }
  }
  return { results, summary, pinned, preload, skipped };
}

/** The catalog every scenario needs, created through the admin API, and a pool of recorded clicks. */
async function setup(t: Target, tokenFor: (k: 'cpm' | 'cpc' | 'cpa') => string, visitor: () => Record<string, string>, log: (s: string) => void) {
  const port = t.ports[0]!;
  const call = async (method: string, path: string, body: unknown) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { Authorization: `Bearer ${OPERATOR}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (r.status >= 300) throw new Error(`bench setup ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as Record<string, unknown>;
  };
  const adv = await call('POST', '/v1/advertisers', { id: 'bench-a', name: 'Bench advertiser', currency: 'EUR' });
  t.s2sSecret = (adv.advertiser as { s2sSecrets: string[] }).s2sSecrets[0]!;
  await call('POST', '/v1/publishers', { id: 'bench-p', name: 'Bench publisher', revShareBps: 7000 });
  await call('POST', '/v1/sites', { id: 'bench-pub', name: 'Bench publisher site', ownerType: 'publisher', ownerId: 'bench-p' });
  await call('POST', '/v1/sites', { id: 'bench-shop', name: 'Bench shop', ownerType: 'advertiser', ownerId: 'bench-a' });
  await call('POST', '/v1/slots', { id: 'bench-slot', siteId: 'bench-pub', name: 'Bench slot', size: '300x250' });
  // A served-basis CPM campaign: every served impression is billed, so the benchmark pays for
  // the whole money path (running totals, budget rows, ledger legs), not just an insert.
  await call('POST', '/v1/campaigns', { id: 'bench-cpm', advertiserId: 'bench-a', name: 'Bench CPM', landingUrl: 'https://bench.example/', terms: { costModel: 'cpm', cpmMicros: '2500000', cpmBasis: 'served' } });
  await call('POST', '/v1/creatives', { id: 'bench-cr', campaignId: 'bench-cpm', size: '300x250', imageUrl: '/x.svg', alt: 'bench' });
  await call('POST', '/v1/campaigns', { id: 'bench-cpc', advertiserId: 'bench-a', name: 'Bench CPC', landingUrl: 'https://bench.example/', terms: { costModel: 'cpc', cpcMicros: '400000' } });
  await call('POST', '/v1/creatives', { id: 'bench-cr-cpc', campaignId: 'bench-cpc', size: '300x250', imageUrl: '/y.svg', alt: 'bench' });
  // CPA: a flat fee plus a share of the order value, no minimum delay, every conversion counted.
  await call('POST', '/v1/campaigns', { id: 'bench-cpa', advertiserId: 'bench-a', name: 'Bench CPA', landingUrl: 'https://bench.example/', terms: { costModel: 'cpa', cpaFlatMicros: '1000000', cpaBps: 500, minConversionDelayMs: 0 } });
  await call('POST', '/v1/creatives', { id: 'bench-cr-cpa', campaignId: 'bench-cpa', size: '300x250', imageUrl: '/z.svg', alt: 'bench' });
  await fetch(`http://127.0.0.1:${port}/v1/conversion-actions/purchase`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${OPERATOR}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ advertiserId: 'bench-a', name: 'Purchase', counting: 'every' }),
  });
  // Clicks recorded on this target, each from its own visitor, for the conversions to win.
  for (let i = 0; i < 10; i++) {
    const got = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const r = await fetch(`http://127.0.0.1:${port}/c/${tokenFor('cpa')}`, { redirect: 'manual', headers: visitor() });
        return new URL(r.headers.get('location') ?? 'http://x/').searchParams.get('ppclid');
      }),
    );
    for (const c of got) if (c) t.clicks.push(c);
  }
  if (t.clicks.length === 0) throw new Error(`bench setup on ${t.name}: no click recorded`);
  log(`  ${t.name}: catalog and ${t.clicks.length} clicks set up`);
}

