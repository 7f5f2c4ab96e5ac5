/**
 * A SQLite file in the collector's real schema (migrated by the store itself) with `rows` stored
 * served impressions and their idempotency keys already in it, for the "how does ingest age"
 * scenario. Rows go in by direct multi-row INSERTs (no ledger legs: those index on time-ordered keys
 * and grow at their right edge; the event keys and the page-view/slot index are what a big
 * database could make slow). Event and page-view IDs are the SDK's (bench/sdk-ids.ts: time-ordered,
 * from thirty days ago; `BENCH_IDS=uuid` builds a separate file with random UUIDs). Bounded: past
 * three minutes the preload stops and says how many rows it stored. Built once per schema version,
 * ID shape and row count, and copied for each run.
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { openStore } from '../collector/src/store/open-store';
import { MIGRATIONS } from '../collector/src/store/schema';
import { timeOrderedId } from '../collector/src/ingest/ids';
import { sdkEventId } from './sdk-ids';

/** What a preloaded template holds. */
export interface PreloadInfo {
  asked: number;
  rows: number;
  seconds: number;
  megabytes: number;
  reused: boolean;
}

const BUDGET_MS = 180_000;
const PER_STATEMENT = 200;
const ROW_RANDOM = 9 + 16 + 16;

/** Builds (or reuses) the template file; the caller copies it before use. */
export async function preloadTemplate(rows: number, log: (s: string) => void): Promise<{ file: string; info: PreloadInfo }> {
  const version = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  const file = join(tmpdir(), `pp-bench-preload-v${version}-${process.env.BENCH_IDS === 'uuid' ? 'uuid' : 'sdk'}-${rows}.db`);
  const infoOf = (reused: boolean, seconds: number) => {
    const db = new Database(file, { readonly: true });
    const n = Number((db.prepare('SELECT COUNT(*) AS n FROM impressions').get() as { n: number }).n);
    db.close();
    return { asked: rows, rows: n, seconds, megabytes: Math.round(statSync(file).size / 1e6), reused };
  };
  if (existsSync(file)) return { file, info: infoOf(true, 0) };

  const tmp = `${file}.building`;
  rmSync(tmp, { force: true });
  const store = await openStore(`sqlite:${tmp}`, { clock: Date.now });
  await store.close();
  const db = new Database(tmp);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000'); // 1 GB: the random-keyed indexes stay in memory while building
  const cols = 18;
  const imp = db.prepare(
    `INSERT INTO impressions (id, decision_id, kind, event_id, site_id, slot_id, publisher_id, campaign_id, creative_id, advertiser_id,
       terms_version, page_view_id, source_key, at, received_at, invalid_reason, billing, cost_micros)
     VALUES ${Array.from({ length: PER_STATEMENT }, () => `(${Array(cols).fill('?').join(', ')})`).join(', ')}`,
  );
  const keys = db.prepare(
    `INSERT INTO event_keys (site_id, type, event_id, payload_hash, result, received_at) VALUES ${Array.from({ length: PER_STATEMENT }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
  );
  const started = Date.now();
  // The stored events are older than anything the benchmark sends: thirty days up to an hour ago.
  const t0 = started - 30 * 86_400_000;
  const step = Math.max(1, Math.floor((30 * 86_400_000 - 3_600_000) / rows));
  let done = 0;
  const batch = db.transaction((from: number) => {
    for (let s = 0; s < 100; s++) {
      const a: unknown[] = [];
      const k: unknown[] = [];
      // One random draw per statement, sliced: a draw per value was 44 % of the preload's CPU.
      // Per row: 9 bytes for the decision ID, 16 for the source key, 16 for the payload hash.
      const rnd = randomBytes(PER_STATEMENT * ROW_RANDOM);
      for (let j = 0; j < PER_STATEMENT; j++) {
        const at = t0 + (from + s * PER_STATEMENT + j) * step;
        const o = j * ROW_RANDOM;
        const d = timeOrderedId(at, () => rnd.subarray(o, o + 9));
        const ev = sdkEventId(at);
        a.push(`${d}:served`, d, 'served', ev, 'bench-pub', 'bench-slot', 'bench-p', 'bench-cpm', 'bench-cr', 'bench-a', 1, sdkEventId(at), rnd.toString('base64url', o + 9, o + 25), at, at, null, 'billed', 2500);
        k.push('bench-pub', 'imp', ev, rnd.toString('hex', o + 25, o + ROW_RANDOM), `{"i":"${ev}","status":"accepted","billed":{"micros":"2500","currency":"EUR"}}`, at);
      }
      imp.run(a);
      keys.run(k);
    }
  });
  while (done + 100 * PER_STATEMENT <= rows) {
    batch(done);
    done += 100 * PER_STATEMENT;
    if (done % 500_000 === 0) log(`  preload: ${done.toLocaleString('en')} rows in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (Date.now() - started > BUDGET_MS) {
      log(`  preload: stopped at ${done.toLocaleString('en')} rows (three-minute bound)`);
      break;
    }
  }
  db.close();
  renameSync(tmp, file);
  return { file, info: infoOf(false, Math.round((Date.now() - started) / 1000)) };
}

