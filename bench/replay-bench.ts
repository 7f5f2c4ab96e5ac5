/**
 * Attribution replay through the collector's own store and pipeline: conversions go through
 * `commitGroup` → `processItem` → attribution, pricing, the ledger and the chain, on a SQLite file
 * in the real schema (synchronous=FULL, as the collector runs), over stores holding more and more
 * touches — and the report says how the time per conversion grows.
 *
 * The touches (clicks and viewable impressions of 8 CPA campaigns, spread over 100 k sources and 60
 * days) are written with direct multi-row INSERTs into the real `clicks` and `impressions` tables —
 * building a million of them through HTTP would measure the builder, not the replay. Each conversion
 * is a beacon conversion from one source presenting up to five of that source's click IDs (signed
 * with the collector's keys, as real ones are), so its candidates are those clicks plus the source's
 * viewable impressions of the last 30 days: about 1, 10 and 30 as the store grows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import pino from 'pino';
import { openStore } from '../collector/src/store/open-store';
import { createKeys } from '../collector/src/ingest/keys';
import { commitGroup } from '../collector/src/ingest/commit-group';
import { DEFAULT_IVT_LIMITS, type PipelineDeps } from '../collector/src/ingest/pipeline';
import { timeOrderedId } from '../collector/src/ingest/ids';
import type { IngestItem } from '../collector/src/ingest/items';
import type { Site } from '../collector/src/store/store';

/** One measured size. */
export interface ReplayResult {
  touches: number;
  conversions: number;
  candidatesPerConversion: number;
  buildSeconds: number;
  seconds: number;
  microsPerConversion: number;
  attributed: number;
  chargedMicros: string;
}

const CAMPAIGNS = 8;
const SOURCES = 100_000;
const DAY_MS = 86_400_000;
const GROUP = 500;
const SECRET = 'replay-secret-'.padEnd(40, 'x');

/** A deterministic generator (mulberry32), so every run replays the same data. */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds the store at each size and times the replay of `conversions` conversions through the pipeline. */
export async function runReplayBenchmarks(sizes: readonly number[], conversions: number, log: (s: string) => void): Promise<ReplayResult[]> {
  const out: ReplayResult[] = [];
  const keys = createKeys(SECRET);
  const logger = pino({ level: 'silent' });
  for (const size of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'pp-replay-'));
    const file = join(dir, 'replay.db');
    // Replay time is read from the store's own clock: "now" is the end of the 60 days of touches.
    const t0 = Date.now() - 60 * DAY_MS;
    let now = Date.now();
    const clock = () => now;
    try {
      const store = await openStore(`sqlite:${file}`, { clock, sqliteSynchronous: 'FULL' });
      await setupCatalog(store);
      const site = (await store.catalog.getSite('shop'))!;
      await store.close();

      const b0 = performance.now();
      const clicksBySource = build(file, size, keys, t0);
      const buildSeconds = (performance.now() - b0) / 1000;
      log(`  replay: built ${size.toLocaleString('en')} touches in ${buildSeconds.toFixed(1)} s`);

      const reopened = await openStore(`sqlite:${file}`, { clock, sqliteSynchronous: 'FULL' });
      const pipeline: PipelineDeps = { keys, random: (n) => randomBytes(n), newId: (p) => `${p}_${timeOrderedId(now)}`, limits: DEFAULT_IVT_LIMITS };
      const r = rng(7);
      const items: IngestItem[] = [];
      for (let n = 0; n < conversions; n++) {
        const source = n % SOURCES;
        const at = now - Math.floor(r() * 5 * DAY_MS);
        const i = randomUUID();
        const event = { t: 'cv' as const, i, ts: at, a: 'purchase', k: (clicksBySource.get(source) ?? []).join(',') || undefined, v: '49.90', c: 'EUR', o: `o-${n}` };
        items.push({ kind: 'beacon', siteId: 'shop', event, at, payloadHash: i, site: site as Site, ctx: { receivedAt: now, sourceKey: sourceKeyOf(source), ivt: null, endpoint: '/e' } });
      }
      let attributed = 0;
      let charged = 0n;
      const started = performance.now();
      for (let g = 0; g < items.length; g += GROUP) {
        now = Date.now();
        const results = await commitGroup((fn) => reopened.write(fn), items.slice(g, g + GROUP), { pipeline, logger, clock });
        for (const res of results) {
          if (res.billedMicros) {
            attributed++;
            charged += BigInt(res.billedMicros);
          }
        }
      }
      const seconds = (performance.now() - started) / 1000;
      const db = new Database(file, { readonly: true });
      const candidates = countCandidates(db, items);
      db.close();
      await reopened.close();
      out.push({
        touches: size,
        conversions,
        candidatesPerConversion: Number((candidates / conversions).toFixed(1)),
        buildSeconds: Number(buildSeconds.toFixed(1)),
        seconds: Number(seconds.toFixed(2)),
        microsPerConversion: Math.round((seconds * 1e6) / conversions),
        attributed,
        chargedMicros: charged.toString(),
      });
      log(`  replay: ${conversions.toLocaleString('en')} conversions over ${size.toLocaleString('en')} touches → ${seconds.toFixed(2)} s`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

const sourceKeyOf = (source: number) => `src${source.toString(36).padStart(6, '0')}`;

async function setupCatalog(store: Awaited<ReturnType<typeof openStore>>) {
  const c = store.catalog;
  await c.createAdvertiser({ id: 'adv', name: 'Replay shop', currency: 'EUR', s2sSecrets: ['s'.repeat(32)] }, 'hash-adv');
  await c.createPublisher({ id: 'pub', name: 'Replay publisher', revShareBps: 7000 }, 'hash-pub');
  await c.createSite({ id: 'shop', ownerType: 'advertiser', ownerId: 'adv', name: 'Shop', origins: [] });
  await c.createSite({ id: 'news', ownerType: 'publisher', ownerId: 'pub', name: 'News', origins: [] });
  await c.putConversionAction({ advertiserId: 'adv', key: 'purchase', name: 'Purchase', counting: 'every', model: 'last_click', clickWindowDays: null, viewWindowDays: null });
  for (let i = 0; i < CAMPAIGNS; i++) {
    await c.createCampaign({
      id: `c${i}`,
      advertiserId: 'adv',
      name: `Campaign ${i}`,
      status: 'active',
      landingUrl: 'https://shop.example/',
      allowedHosts: [],
      terms: {
        campaignId: `c${i}`, advertiserId: 'adv', version: 1, currency: 'EUR', costModel: 'cpa', cpcMicros: 0n, cpmMicros: 0n, cpmBasis: 'viewable',
        cpaFlatMicros: 1_000_000n + BigInt(i) * 250_000n, cpaBps: 500, payout: { kind: 'share', bps: 7000 }, totalBudgetMicros: null, dailyBudgetMicros: null,
        publisherDailyCapMicros: null, clickWindowDays: 30, viewWindowDays: 1, minConversionDelayMs: 0, duplicateClickWindowMs: 30_000, priority: i % 3,
      },
    });
  }
}

/** Clicks (20 %) and viewable impressions (80 %) straight into the real tables; returns up to five click IDs per source. */
function build(file: string, touches: number, keys: ReturnType<typeof createKeys>, t0: number): Map<number, string[]> {
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -500000');
  const r = rng(42);
  const PER = 200;
  const click = db.prepare(
    `INSERT INTO clicks (click_id, decision_id, via, event_id, site_id, slot_id, publisher_id, campaign_id, creative_id, advertiser_id, terms_version,
       page_view_id, source_key, ip_key, at, received_at, invalid_reason, duplicate_of, billing, cost_micros) VALUES (?, ?, 'redirect', ?, 'news', 'slot', 'pub', ?, 'cr', 'adv', 1, NULL, ?, NULL, ?, ?, ?, NULL, 'not_billable', 0)`,
  );
  const imp = db.prepare(
    `INSERT INTO impressions (id, decision_id, kind, event_id, site_id, slot_id, publisher_id, campaign_id, creative_id, advertiser_id, terms_version,
       page_view_id, source_key, at, received_at, invalid_reason, billing, cost_micros)
     VALUES ${Array.from({ length: PER }, () => "(?, ?, 'viewable', ?, 'news', 'slot', 'pub', ?, 'cr', 'adv', 1, NULL, ?, ?, ?, ?, 'not_billable', 0)").join(', ')}`,
  );
  const clicksBySource = new Map<number, string[]>();
  const pending: unknown[] = [];
  db.transaction(() => {
    for (let n = 0; n < touches; n++) {
      const source = Math.floor(r() * SOURCES);
      const at = t0 + Math.floor(r() * 60 * DAY_MS);
      const campaign = `c${Math.floor(r() * CAMPAIGNS)}`;
      const invalid = r() < 0.03 ? 'declared_bot' : null;
      const d = timeOrderedId(at);
      if (r() < 0.2) {
        const id = keys.mintClickId('adv', randomBytes(12));
        click.run(id, d, id, campaign, sourceKeyOf(source), at, at, invalid);
        const list = clicksBySource.get(source) ?? [];
        if (list.length < 5) list.push(id);
        clicksBySource.set(source, list);
      } else {
        pending.push(`${d}:viewable`, d, d, campaign, sourceKeyOf(source), at, at, invalid);
        if (pending.length === PER * 8) imp.run(pending.splice(0));
      }
    }
    const rest = pending.length / 8;
    if (rest) db.prepare(imp.source.replace(/VALUES .*/s, `VALUES ${Array.from({ length: rest }, () => "(?, ?, 'viewable', ?, 'news', 'slot', 'pub', ?, 'cr', 'adv', 1, NULL, ?, ?, ?, ?, 'not_billable', 0)").join(', ')}`)).run(pending);
  })();
  db.close();
  return clicksBySource;
}

/** Touches each conversion could be attributed to (its presented clicks and its source's recent viewable impressions). */
function countCandidates(db: Database.Database, items: IngestItem[]): number {
  const views = db.prepare("SELECT COUNT(*) AS n FROM (SELECT 1 FROM impressions WHERE advertiser_id = 'adv' AND source_key = ? AND kind = 'viewable' AND at >= ? LIMIT 50)");
  let n = 0;
  for (const it of items) {
    if (it.kind !== 'beacon') continue;
    const e = it.event as { k?: string };
    n += e.k ? e.k.split(',').length : 0;
    n += Number((views.get(it.ctx.sourceKey, it.at - 30 * DAY_MS) as { n: number }).n);
  }
  return n;
}
