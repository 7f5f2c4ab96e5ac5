/**
 * In-process cost of the write path, without HTTP: billed CPM impressions through `commitGroup` on
 * the real store (SQLite file, synchronous=FULL), in groups of the size a loaded collector commits.
 * For profiling (`node --cpu-prof --import tsx bench/ingest-profile.ts`), and for a figure that a
 * busy neighbour on the load-generator core cannot move: CPU time per event is reported beside wall time,
 * since on a shared machine the wall time is mostly waiting for a core.
 *
 *   npx tsx bench/ingest-profile.ts [events=20000] [group=64] [postgres://…]
 *   PRELOAD_ROWS=2000000 npx tsx bench/ingest-profile.ts      # on a copy of the preloaded database
 *   KIND=s2s npx tsx bench/ingest-profile.ts 5000 32 [postgres://…]   # S2S conversions attributed to clicks, CPA billed
 *   KIND=click npx tsx bench/ingest-profile.ts 20000 32         # billed CPC clicks through the redirect's path
 *   SHOW_SQL=1 …                                                 # and which statements each path sends, how often
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import pg from 'pg';
import Database from 'better-sqlite3';
import { openStore } from '../collector/src/store/open-store';
import { createKeys, type AdToken } from '../collector/src/ingest/keys';
import { commitGroup } from '../collector/src/ingest/commit-group';
import { DEFAULT_IVT_LIMITS, type PipelineDeps } from '../collector/src/ingest/pipeline';
import { timeOrderedId } from '../collector/src/ingest/ids';
import type { CampaignTerms } from '../collector/src/core/terms';
import type { IngestItem } from '../collector/src/ingest/items';
import { preloadTemplate } from './preload';
import { sdkEventId } from './sdk-ids';

/**
 * Statements sent to the database, counted at the drivers (better-sqlite3's statement calls and
 * exec, node-postgres' Client#query): a figure no neighbour's load can move, and on PostgreSQL each
 * one is a round trip inside the group's transaction.
 */
let statements = 0;
/** SHOW_SQL=1: how often each statement text was sent (its first 90 characters), to see which lookups a path makes. */
const texts = new Map<string, number>();
const note = (sql: unknown) => {
  statements++;
  if (process.env.SHOW_SQL) {
    const k = String(sql).replace(/\s+/g, ' ').slice(0, 90);
    texts.set(k, (texts.get(k) ?? 0) + 1);
  }
};
function countStatements() {
  const proto = Database.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const prepare = proto.prepare!;
  proto.prepare = function (this: unknown, ...a: unknown[]) {
    const st = prepare.apply(this, a) as Record<string, (...b: unknown[]) => unknown>;
    for (const m of ['run', 'get', 'all']) {
      const f = st[m]!.bind(st);
      st[m] = (...b: unknown[]) => {
        note(a[0]);
        return f(...b);
      };
    }
    return st;
  };
  const exec = proto.exec!;
  proto.exec = function (this: unknown, ...a: unknown[]) {
    note(a[0]);
    return exec.apply(this, a);
  };
  const q = pg.Client.prototype.query as (...a: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: unknown }).query = function (this: unknown, ...a: unknown[]) {
    note(typeof a[0] === 'string' ? a[0] : (a[0] as { text?: string })?.text);
    return q.apply(this, a);
  };
}
countStatements();

/** Bytes this process asked the kernel to write (Linux /proc/self/io `wchar`: the WAL, checkpoints); NaN elsewhere. */
function bytesWritten(): number {
  try {
    return Number(/^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** Microseconds per billed event of `kind`, committed in groups of `group`; on SQLite also the kilobytes written per event. */
export async function profileIngest(events: number, group: number, url?: string, kind: 'impression' | 's2s' | 'click' = 'impression'): Promise<{ events: number; group: number; microsPerEvent: number; cpuMicrosPerEvent: number; statementsPerEvent: number; commitsPerSecond: number; kbWrittenPerEvent?: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pp-profile-'));
  const schema = `profile_${process.pid}`;
  // PRELOAD_ROWS=n: on a copy of the HTTP bench's preloaded database (bench/preload.ts), to see what
  // a big file costs the write path without HTTP and its noise.
  if (!url && process.env.PRELOAD_ROWS) copyFileSync((await preloadTemplate(Number(process.env.PRELOAD_ROWS), console.log)).file, join(dir, 'p.db'));
  const store = await openStore(url ?? `sqlite:${join(dir, 'p.db')}`, { clock: Date.now, sqliteSynchronous: process.env.SYNC === 'NORMAL' ? 'NORMAL' : 'FULL', pgSchema: schema });
  try {
    const keys = createKeys('profile-secret-'.padEnd(40, 'x'));
    const c = store.catalog;
    await c.createAdvertiser({ id: 'adv', name: 'A', currency: 'EUR', s2sSecrets: ['s'.repeat(32)] }, 'h1');
    await c.createPublisher({ id: 'pub', name: 'P', revShareBps: 7000 }, 'h2');
    const site = await c.createSite({ id: 'news', ownerType: 'publisher', ownerId: 'pub', name: 'N', origins: [] });
    await c.createSlot({ id: 'slot', siteId: 'news', publisherId: 'pub', name: 'S', width: 300, height: 250, status: 'active' });
    const campaign = (id: string, price: Pick<CampaignTerms, 'costModel' | 'cpmMicros' | 'cpaFlatMicros' | 'cpaBps'> & Partial<Pick<CampaignTerms, 'cpcMicros'>>) =>
      c.createCampaign({
        id, advertiserId: 'adv', name: id, status: 'active', landingUrl: 'https://x.example/', allowedHosts: [],
        terms: {
          campaignId: id, advertiserId: 'adv', version: 1, currency: 'EUR', cpcMicros: 0n, cpmBasis: 'served', ...price, payoutFromPublisher: true,
          payout: { kind: 'share', bps: 7000 }, totalBudgetMicros: null, dailyBudgetMicros: null, publisherDailyCapMicros: null, clickWindowDays: 30,
          viewWindowDays: 1, minConversionDelayMs: 0, duplicateClickWindowMs: 30_000, priority: 0,
        },
      });
    await campaign('cpm', { costModel: 'cpm', cpmMicros: 2_500_000n, cpaFlatMicros: 0n, cpaBps: 0 });
    const pipeline: PipelineDeps = { keys, random: (n) => randomBytes(n), newId: (p) => `${p}_${randomUUID()}`, limits: DEFAULT_IVT_LIMITS };
    // An ad served now on the one slot, for campaign `c`; and a click on it through the redirect.
    const adToken = (c: string, now: number): AdToken => ({ d: timeOrderedId(now), si: 'news', s: 'slot', p: 'pub', a: 'adv', c, cr: 'cr', v: 1, pv: sdkEventId(now), t: now });
    const redirectClick = (c: string, clickId: string, sourceKey: string, now: number): IngestItem => ({
      kind: 'redirect_click', token: adToken(c, now), invalidReason: null, clickId, eventId: clickId, ctx: { receivedAt: now, sourceKey, ivt: null, endpoint: '/c' },
    });
    const item = (): IngestItem => {
      const now = Date.now();
      const t = adToken('cpm', now);
      const i = sdkEventId(now);
      return { kind: 'beacon', siteId: 'news', site, event: { t: 'imp', i, ts: now, tk: keys.signToken(t) }, at: now, payloadHash: i, ctx: { receivedAt: now, sourceKey: randomBytes(12).toString('base64url'), ivt: null, endpoint: '/e' } };
    };
    const logger = pino({ level: 'silent' });
    const run = (batch: IngestItem[]) => commitGroup((fn) => store.write(fn), batch, { pipeline, logger, clock: Date.now });
    // KIND=s2s: the heaviest path — signed conversions carrying a click ID, attributed to one of 200
    // recorded clicks of a CPA campaign and billed, as the HTTP bench's S2S scenario sends them.
    let clicks: string[] = [];
    if (kind === 's2s') {
      await campaign('cpa', { costModel: 'cpa', cpmMicros: 0n, cpaFlatMicros: 1_000_000n, cpaBps: 500 });
      await c.putConversionAction({ advertiserId: 'adv', key: 'purchase', name: 'Purchase', counting: 'every', clickWindowDays: null, viewWindowDays: null, model: 'last_click' });
      const now = Date.now();
      clicks = Array.from({ length: 200 }, () => keys.mintClickId('adv', randomBytes(12)));
      await run(clicks.map((clickId, n) => redirectClick('cpa', clickId, `src${n}`, now)));
    }
    const conversion = (): IngestItem => {
      const now = Date.now();
      const body = { event_id: randomUUID(), action: 'purchase', click_id: clicks[Math.floor(Math.random() * clicks.length)]!, order_id: `o-${randomUUID()}`, value: '49.90', currency: 'EUR' };
      return { kind: 's2s', advertiserId: 'adv', body, payloadHash: body.event_id, ctx: { receivedAt: now, sourceKey: randomBytes(12).toString('base64url'), ivt: null, endpoint: '/v1/conversions' } };
    };
    // KIND=click: billed CPC clicks as the redirect records them, each from its own source so none
    // is a duplicate.
    if (kind === 'click') await campaign('cpc', { costModel: 'cpc', cpcMicros: 300_000n, cpmMicros: 0n, cpaFlatMicros: 0n, cpaBps: 0 });
    const click = (): IngestItem => redirectClick('cpc', keys.mintClickId('adv', randomBytes(12)), randomBytes(12).toString('base64url'), Date.now());
    const items = Array.from({ length: events }, kind === 's2s' ? conversion : kind === 'click' ? click : item);
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    const written0 = bytesWritten();
    const statements0 = statements;
    texts.clear();
    let billed = 0;
    for (let g = 0; g < events; g += group) {
      for (const r of await run(items.slice(g, g + group))) if (r.billedMicros) billed++;
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const written = bytesWritten() - written0;
    if (billed !== events) throw new Error(`only ${billed} of ${events} ${kind === 's2s' ? 'conversions' : kind === 'click' ? 'clicks' : 'impressions'} billed`);
    if (process.env.SHOW_SQL) for (const [sql, n] of [...texts].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${(n / events).toFixed(2).padStart(6)} per event  ${sql}`);
    return { events, group, microsPerEvent: Math.round((seconds * 1e6) / events), cpuMicrosPerEvent: Math.round((cpu.user + cpu.system) / events), statementsPerEvent: Number(((statements - statements0) / events).toFixed(2)), commitsPerSecond: Math.round(Math.ceil(events / group) / seconds), ...(url || Number.isNaN(written) ? {} : { kbWrittenPerEvent: Number((written / 1024 / events).toFixed(1)) }) };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    if (url) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [events = '20000', group = '64', url] = process.argv.slice(2);
  console.log(await profileIngest(Number(events), Number(group), url, process.env.KIND === 's2s' || process.env.KIND === 'click' ? process.env.KIND : 'impression'));
}
