/**
 * Crash consistency (issue "Proof", suite 1): the collector runs as a child process on SQLite,
 * 16 concurrent clients send beacons (billed CPM impressions and CPA conversions) and retry until
 * acknowledged, and the process is SIGKILLed and restarted every 2 s. Afterwards, straight from
 * the database file: every acknowledged event is stored exactly once, no action is charged twice,
 * the ledger balances and `PRAGMA integrity_check` is ok.
 *
 * The harness is itself tested: pointed at a build that acknowledges before it commits
 * (UNSAFE_ACK_BEFORE_COMMIT=1, the 50 ms-buffer design SPEC §3.1 rejects), the same check must
 * find acknowledged events missing. If that second test ever passes, the harness has gone blind.
 *
 * Duration: CRASH_SECONDS (default 60 for the safe build, 12 for the broken one).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { adToken, CATALOG, setupCatalog, startCollector, userAgent, type CollectorProcess } from './harness';

const SECONDS = Number(process.env.CRASH_SECONDS ?? 60);
const CLIENTS = 16;
const KILL_EVERY_MS = 2000;

interface Sent {
  eventId: string;
  kind: 'imp' | 'cv';
  decision?: string;
  orderId?: string;
}

/** Drives load with kills and restarts; returns every acknowledged event. */
async function runUnderCrashes(c: CollectorProcess, seconds: number, siteFor: (k: Sent['kind']) => string) {
  const acked: Sent[] = [];
  let down = false;
  let stop = false;
  const stats = { kills: 0, attempts: 0, refused: 0 };

  const client = async (n: number) => {
    let seq = 0;
    while (!stop) {
      seq++;
      // Mostly billed impressions, every fifth a CPA conversion with an order ID.
      const kind: Sent['kind'] = seq % 5 === 0 ? 'cv' : 'imp';
      const now = Date.now();
      const sent: Sent = { eventId: randomUUID(), kind };
      let event: Record<string, unknown>;
      if (kind === 'imp') {
        const t = adToken('cpm', now);
        sent.decision = t.decision;
        event = { t: 'imp', i: sent.eventId, ts: now, tk: t.token };
      } else {
        sent.orderId = `O-${n}-${seq}-${randomUUID().slice(0, 8)}`;
        event = { t: 'cv', i: sent.eventId, ts: now, a: 'purchase', v: '19.99', c: 'EUR', o: sent.orderId };
      }
      // Retry the very same bytes until the collector acknowledges them: an at-least-once client.
      for (;;) {
        if (stop && down) return;
        stats.attempts++;
        try {
          const r = await fetch(`${c.url}/e`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain', 'user-agent': userAgent(n) },
            body: JSON.stringify({ s: siteFor(kind), n: now, e: [event] }),
            signal: AbortSignal.timeout(5000),
          });
          const body = (await r.json()) as { accepted?: number; duplicate?: number };
          if (r.status === 202 && (body.accepted ?? 0) + (body.duplicate ?? 0) === 1) {
            acked.push(sent);
            break;
          }
          stats.refused++;
        } catch {
          // connection refused or reset while the collector is down: retry
        }
        if (stop) return;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
      }
    }
  };

  const killer = (async () => {
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
      if (Date.now() >= end) break;
      down = true;
      await c.kill('SIGKILL');
      stats.kills++;
      await c.restart();
      down = false;
    }
    stop = true;
  })();
  await Promise.all([killer, ...Array.from({ length: CLIENTS }, (_, n) => client(n))]);
  return { acked, stats };
}

/** Checks the database file against what was acknowledged. */
function audit(dbFile: string, acked: Sent[]) {
  const db = new Database(dbFile, { readonly: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    // By the full key (site, type, event_id): a lookup on event_id alone would scan the table each time.
    const keyCount = db.prepare('SELECT COUNT(*) AS n FROM event_keys WHERE site_id = ? AND type = ? AND event_id = ?');
    const impCount = db.prepare("SELECT COUNT(*) AS n FROM impressions WHERE decision_id = ? AND kind = 'served'");
    const convCount = db.prepare('SELECT COUNT(*) AS n FROM conversions WHERE order_id = ?');
    let missing = 0;
    let duplicated = 0;
    for (const s of acked) {
      const keys = (keyCount.get(s.kind === 'imp' ? CATALOG.publisherSite : CATALOG.advertiserSite, s.kind, s.eventId) as { n: number }).n;
      const rows = s.kind === 'imp' ? (impCount.get(s.decision) as { n: number }).n : (convCount.get(s.orderId) as { n: number }).n;
      if (keys === 0 || rows === 0) missing++;
      if (keys > 1 || rows > 1) duplicated++;
    }
    const legs = db.prepare("SELECT SUM(CASE WHEN side = 'debit' THEN micros ELSE 0 END) AS d, SUM(CASE WHEN side = 'credit' THEN micros ELSE 0 END) AS c FROM ledger_legs").get() as { d: number; c: number };
    const doubleCharged = db.prepare('SELECT COUNT(*) AS n FROM (SELECT ref_id FROM ledger_groups WHERE kind = ? GROUP BY ref_type, ref_id HAVING COUNT(*) > 1)').get('charge') as { n: number };
    const billedImpressions = db.prepare("SELECT COUNT(*) AS n FROM impressions WHERE billing = 'charged'").get() as { n: number };
    const impressionGroups = db.prepare("SELECT COUNT(*) AS n FROM ledger_groups WHERE ref_type = 'impression'").get() as { n: number };
    const cpm = db.prepare('SELECT billable_count, charged_micros FROM cpm_totals WHERE campaign_id = ?').get(CATALOG.cpm) as { billable_count: number; charged_micros: number } | undefined;
    return { integrity, missing, duplicated, debits: legs.d ?? 0, credits: legs.c ?? 0, doubleCharged: doubleCharged.n, billedImpressions: billedImpressions.n, impressionGroups: impressionGroups.n, cpm };
  } finally {
    db.close();
  }
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('crash consistency under SIGKILL every 2 s', () => {
  it(
    'stores every acknowledged event exactly once, never charges twice and keeps the database intact',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pp-crash-'));
      dirs.push(dir);
      const c = await startCollector({ dataDir: dir });
      await setupCatalog(c.url);
      const site = (k: Sent['kind']) => (k === 'imp' ? CATALOG.publisherSite : CATALOG.advertiserSite);
      const { acked, stats } = await runUnderCrashes(c, SECONDS, site);
      await c.stop();
      const a = audit(join(dir, 'collector.db'), acked);
      console.log(`crash harness: ${SECONDS} s, ${stats.kills} SIGKILLs, ${acked.length} events acknowledged (${stats.attempts} attempts), audit`, a);

      // Up for 2 s, then killed; a restart takes about a second more.
      expect(stats.kills).toBeGreaterThanOrEqual(Math.floor(SECONDS / 4));
      expect(acked.length).toBeGreaterThan(100);
      expect(a.integrity).toBe('ok');
      expect(a.missing).toBe(0);
      expect(a.duplicated).toBe(0);
      expect(a.doubleCharged).toBe(0);
      expect(a.debits).toBe(a.credits);
      // One ledger group per billed impression, and the running total agrees with them.
      expect(a.impressionGroups).toBe(a.billedImpressions);
      expect(a.cpm?.billable_count).toBe(a.billedImpressions);
    },
    (SECONDS + 120) * 1000,
  );

  it(
    'catches a build that acknowledges before it commits (a test of the harness itself)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pp-crash-unsafe-'));
      dirs.push(dir);
      const c = await startCollector({ dataDir: dir, env: { UNSAFE_ACK_BEFORE_COMMIT: '1' } });
      await setupCatalog(c.url);
      const site = (k: Sent['kind']) => (k === 'imp' ? CATALOG.publisherSite : CATALOG.advertiserSite);
      const seconds = Number(process.env.CRASH_UNSAFE_SECONDS ?? 12);
      const { acked, stats } = await runUnderCrashes(c, seconds, site);
      await c.stop();
      const a = audit(join(dir, 'collector.db'), acked);
      console.log(`crash harness vs ack-before-commit: ${stats.kills} SIGKILLs, ${acked.length} acknowledged, ${a.missing} of them lost`);
      expect(a.missing).toBeGreaterThan(0);
    },
    180_000,
  );
});
