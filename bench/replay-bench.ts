/**
 * Attribution replay: re-run attribution and pricing (the pure core) for 100 k conversions over a
 * store of 100 k, 1 M and 3 M touches, and report how the time grows.
 *
 * The data lives in a SQLite file shaped like the collector's (touches indexed by source and time,
 * conversions with their click IDs); each conversion's candidates are read with one indexed query —
 * its clicks and the viewable impressions of its source in the last 30 days — then handed to
 * `attributeConversion` and `settleConversion`. Touches are spread over 100 k sources, so the
 * candidates per conversion grow with the store: about 1, 10 and 30.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { attributeConversion, type Touch } from '../collector/src/core/attribution';
import { settleConversion } from '../collector/src/core/billing';
import { DAY_MS, type CampaignTerms, type ConversionAction } from '../collector/src/core/terms';

/** One measured size. */
export interface ReplayResult {
  touches: number;
  conversions: number;
  candidatesPerConversion: number;
  seconds: number;
  microsPerConversion: number;
  attributed: number;
  chargedMicros: string;
}

const CAMPAIGNS = 8;
const SOURCES = 100_000;
const T0 = Date.UTC(2026, 10, 1);

function terms(i: number): CampaignTerms {
  return {
    campaignId: `c${i}`,
    advertiserId: 'adv',
    version: 1,
    currency: 'EUR',
    costModel: 'cpa',
    cpcMicros: 0n,
    cpmMicros: 0n,
    cpmBasis: 'viewable',
    cpaFlatMicros: 1_000_000n + BigInt(i) * 250_000n,
    cpaBps: 500,
    payout: { kind: 'share', bps: 7000 },
    totalBudgetMicros: null,
    dailyBudgetMicros: null,
    publisherDailyCapMicros: null,
    clickWindowDays: 30,
    viewWindowDays: 1,
    minConversionDelayMs: 3000,
    duplicateClickWindowMs: 30_000,
    priority: i % 3,
  };
}

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

function build(db: Database.Database, touches: number, conversions: number) {
  db.exec(`
    CREATE TABLE touches (id TEXT PRIMARY KEY, source INTEGER NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,
      campaign TEXT NOT NULL, publisher TEXT NOT NULL, invalid TEXT) WITHOUT ROWID;
    CREATE INDEX touches_source ON touches (source, at);
    CREATE TABLE conversions (id TEXT PRIMARY KEY, source INTEGER NOT NULL, at INTEGER NOT NULL, value INTEGER NOT NULL, click_ids TEXT NOT NULL);
  `);
  const r = rng(42);
  const insertTouch = db.prepare('INSERT INTO touches VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insertConv = db.prepare('INSERT INTO conversions VALUES (?, ?, ?, ?, ?)');
  const clicksBySource = new Map<number, string[]>();
  db.transaction(() => {
    for (let n = 0; n < touches; n++) {
      const source = Math.floor(r() * SOURCES);
      const kind = r() < 0.2 ? 'click' : 'view';
      const id = `t${n}`;
      insertTouch.run(id, source, kind, T0 + Math.floor(r() * 60 * DAY_MS), `c${Math.floor(r() * CAMPAIGNS)}`, `p${Math.floor(r() * 20)}`, r() < 0.03 ? 'declared_bot' : null);
      if (kind === 'click') {
        const list = clicksBySource.get(source) ?? [];
        if (list.length < 5) list.push(id);
        clicksBySource.set(source, list);
      }
    }
    for (let n = 0; n < conversions; n++) {
      const source = n % SOURCES;
      insertConv.run(`v${n}`, source, T0 + 30 * DAY_MS + Math.floor(r() * 30 * DAY_MS), 10_000_000 + Math.floor(r() * 190_000_000), JSON.stringify(clicksBySource.get(source) ?? []));
    }
  })();
}

/** Builds the store at each size and times the replay. */
export function runReplayBenchmarks(sizes: readonly number[], conversions: number, log: (s: string) => void): ReplayResult[] {
  const out: ReplayResult[] = [];
  const termsByCampaign = new Map<string, CampaignTerms>(Array.from({ length: CAMPAIGNS }, (_, i) => [`c${i}`, terms(i)]));
  const action: ConversionAction = { key: 'purchase', counting: 'every', model: 'last_click', clickWindowDays: null, viewWindowDays: null };
  const spend = { totalMicros: 0n, dayMicros: 0n, publisherDayMicros: 0n };
  for (const size of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'pp-replay-'));
    const db = new Database(join(dir, 'replay.db'));
    db.pragma('journal_mode = WAL');
    try {
      const t0 = performance.now();
      build(db, size, conversions);
      log(`  replay: built ${size.toLocaleString('en')} touches + ${conversions.toLocaleString('en')} conversions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const candidates = db.prepare('SELECT id, kind, at, campaign, publisher, invalid FROM touches WHERE source = ? AND at <= ? AND at >= ?');
      let seen = 0;
      let attributed = 0;
      let charged = 0n;
      const started = performance.now();
      for (const c of db.prepare('SELECT id, source, at, value, click_ids FROM conversions').iterate() as IterableIterator<{ id: string; source: number; at: number; value: number; click_ids: string }>) {
        const clicks = new Set(JSON.parse(c.click_ids) as string[]);
        const rows = candidates.all(c.source, c.at, c.at - 30 * DAY_MS) as { id: string; kind: 'click' | 'view'; at: number; campaign: string; publisher: string; invalid: string | null }[];
        const touches: Touch[] = [];
        for (const t of rows) {
          // Clicks count only when the browser presented their ID; views join by source.
          if (t.kind === 'click' && !clicks.has(t.id)) continue;
          touches.push({ id: t.id, kind: t.kind, at: t.at, advertiserId: 'adv', campaignId: t.campaign, publisherId: t.publisher, creativeId: 'cr', slotId: 's', termsVersion: 1, invalidReason: t.invalid, countedConversionId: null });
        }
        seen += touches.length;
        const value = BigInt(c.value);
        const d = attributeConversion({ conversion: { id: c.id, advertiserId: 'adv', at: c.at, valueMicros: value, action }, touches, termsByCampaign });
        if (d.outcome === 'attributed' && d.winner) {
          attributed++;
          const t = termsByCampaign.get(d.winner.campaignId)!;
          const s = settleConversion(d, t, { valueMicros: value, currency: 'EUR' }, spend, `conversion:${c.id}`, {
            refType: 'conversion', refId: c.id, campaignId: t.campaignId, advertiserId: 'adv', publisherId: d.winner.publisherId, termsVersion: 1, currency: 'EUR', at: c.at, reason: null,
          });
          charged += s.split?.costMicros ?? 0n;
        }
      }
      const seconds = (performance.now() - started) / 1000;
      out.push({
        touches: size,
        conversions,
        candidatesPerConversion: Number((seen / conversions).toFixed(1)),
        seconds: Number(seconds.toFixed(2)),
        microsPerConversion: Math.round((seconds * 1e6) / conversions),
        attributed,
        chargedMicros: charged.toString(),
      });
      log(`  replay: ${size.toLocaleString('en')} touches → ${seconds.toFixed(2)} s`);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}
