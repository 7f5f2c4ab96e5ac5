/**
 * The crash suite's load: 16 at-least-once clients send beacons (billed CPM impressions, a quarter
 * of them on a capped campaign, and every fifth event a CPA conversion with an order ID) to one or
 * more collector processes, each retrying the very same bytes until acknowledged, while every
 * 2 s one process is SIGKILLed and restarted (in turn, when there are several; never two down at
 * once). A client whose process is down sends its retry to the next one, as a load balancer would.
 *
 * ```ts
 * const { acked, stats } = await loadUnderKills([a, b], 60);
 * ```
 */
import { randomUUID } from 'node:crypto';
import { adToken, CATALOG, userAgent, type CollectorProcess } from './harness';

const CLIENTS = 16;
const KILL_EVERY_MS = 2000;

/** One acknowledged event, with what the audit finds it by. */
export interface Sent {
  eventId: string;
  kind: 'imp' | 'cv';
  /** Impressions: the ad decision (unique per served impression). */
  decision?: string;
  /** Conversions: the order ID (unique per advertiser and action). */
  orderId?: string;
}

/** What a run did. */
export interface LoadStats {
  seconds: number;
  kills: number;
  attempts: number;
  /** Answers other than "acknowledged" (503 while a database connection died, …), retried. */
  refused: number;
  /** How long each restart took, until /readyz answered. */
  restartMs: number[];
  /** Requests the victim had been sent and not yet answered, at each kill: the work a crash cut. */
  inFlightAtKill: number[];
}

/** Drives load on `processes` for `seconds` with a SIGKILL every 2 s; returns every acknowledged event. */
export async function loadUnderKills(processes: CollectorProcess[], seconds: number): Promise<{ acked: Sent[]; stats: LoadStats }> {
  const acked: Sent[] = [];
  const down = new Set<CollectorProcess>();
  let stop = false;
  const started = Date.now();
  const stats: LoadStats = { seconds: 0, kills: 0, attempts: 0, refused: 0, restartMs: [], inFlightAtKill: [] };
  const inFlight = new Map<CollectorProcess, number>(processes.map((p) => [p, 0]));

  const client = async (n: number) => {
    let target = n % processes.length;
    let seq = 0;
    while (!stop) {
      seq++;
      const kind: Sent['kind'] = seq % 5 === 0 ? 'cv' : 'imp';
      const now = Date.now();
      const sent: Sent = { eventId: randomUUID(), kind };
      let body: string;
      if (kind === 'imp') {
        const t = adToken(seq % 4 === 1 ? 'capped' : 'cpm', now);
        sent.decision = t.decision;
        body = JSON.stringify({ s: CATALOG.publisherSite, n: now, e: [{ t: 'imp', i: sent.eventId, ts: now, tk: t.token }] });
      } else {
        sent.orderId = `O-${n}-${seq}-${randomUUID().slice(0, 8)}`;
        body = JSON.stringify({ s: CATALOG.advertiserSite, n: now, e: [{ t: 'cv', i: sent.eventId, ts: now, a: 'purchase', v: '19.99', c: 'EUR', o: sent.orderId }] });
      }
      for (;;) {
        const c = processes[target]!;
        if (stop && down.size > 0) return;
        stats.attempts++;
        inFlight.set(c, inFlight.get(c)! + 1);
        try {
          const r = await fetch(`${c.url}/e`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain', 'user-agent': userAgent(n) },
            body,
            signal: AbortSignal.timeout(5000),
          });
          const answer = (await r.json()) as { accepted?: number; duplicate?: number };
          if (r.status === 202 && (answer.accepted ?? 0) + (answer.duplicate ?? 0) === 1) {
            acked.push(sent);
            break;
          }
          stats.refused++;
        } catch {
          // Connection refused or reset while this process is down: the retry goes to the next one.
          target = (target + 1) % processes.length;
        } finally {
          inFlight.set(c, inFlight.get(c)! - 1);
        }
        if (stop) return;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
      }
    }
  };

  // One process at a time is down: with several, the next is killed 2 s after the last kill or as
  // soon as the last victim is back, whichever is later; a single process is up 2 s between kills.
  const killer = (async () => {
    const end = started + seconds * 1000;
    let restarting: Promise<void> = Promise.resolve();
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
      await restarting;
      if (Date.now() >= end) break;
      const victim = processes[stats.kills % processes.length]!;
      down.add(victim);
      stats.inFlightAtKill.push(inFlight.get(victim)!);
      await victim.kill('SIGKILL');
      stats.kills++;
      const killedAt = Date.now();
      restarting = victim.restart().then(() => {
        down.delete(victim);
        stats.restartMs.push(Date.now() - killedAt);
      });
      if (processes.length === 1) await restarting;
    }
    await restarting;
    stop = true;
  })();
  await Promise.all([killer, ...Array.from({ length: CLIENTS }, (_, n) => client(n))]);
  stats.seconds = Math.round((Date.now() - started) / 100) / 10;
  return { acked, stats };
}
