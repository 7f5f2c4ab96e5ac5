/**
 * The crash suite's load: 16 at-least-once clients send beacons (billed CPM impressions, a quarter
 * of them on a capped campaign; and every fifth time a click on a CPA ad through the redirect, then
 * a conversion with an order ID and that click ID, which the capped CPA campaign pays for) to one or
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
  kind: 'imp' | 'clk' | 'cv';
  /** Clicks: the click ID the redirect carried (the acknowledgement). */
  clickId?: string;
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

/**
 * Drives load on `processes` for `seconds` with a SIGKILL every 2 s; returns every acknowledged
 * event. On a machine so busy that a restart takes longer than the run, it goes on until
 * `minKills` kills (at most twice `seconds`).
 */
export async function loadUnderKills(processes: CollectorProcess[], seconds: number, minKills = 3): Promise<{ acked: Sent[]; stats: LoadStats }> {
  const acked: Sent[] = [];
  const down = new Set<CollectorProcess>();
  let stop = false;
  const started = Date.now();
  const stats: LoadStats = { seconds: 0, kills: 0, attempts: 0, refused: 0, restartMs: [], inFlightAtKill: [] };
  const inFlight = new Map<CollectorProcess, number>(processes.map((p) => [p, 0]));

  let visitors = 0;
  const client = async (n: number) => {
    let target = n % processes.length;
    /**
     * Sends with `attempt` until it says acknowledged; false when the run stopped first. A request
     * that fails to connect goes to the next process; any other answer is retried where it was.
     */
    const untilAcked = async (attempt: (c: CollectorProcess) => Promise<boolean>): Promise<boolean> => {
      for (;;) {
        const c = processes[target]!;
        if (stop && down.size > 0) return false;
        stats.attempts++;
        inFlight.set(c, inFlight.get(c)! + 1);
        try {
          if (await attempt(c)) return true;
          stats.refused++;
        } catch {
          // Connection refused or reset while this process is down: the retry goes to the next one.
          target = (target + 1) % processes.length;
        } finally {
          inFlight.set(c, inFlight.get(c)! - 1);
        }
        if (stop) return false;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
      }
    };
    /** Retries the very same bytes until acknowledged: an at-least-once client. */
    const beacon = (body: string) =>
      untilAcked(async (c) => {
        const r = await fetch(`${c.url}/e`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'user-agent': userAgent(n) },
          body,
          signal: AbortSignal.timeout(5000),
        });
        const answer = (await r.json()) as { accepted?: number; duplicate?: number };
        return r.status === 202 && (answer.accepted ?? 0) + (answer.duplicate ?? 0) === 1;
      });

    let seq = 0;
    while (!stop) {
      seq++;
      const now = Date.now();
      if (seq % 5 !== 0) {
        // A billed impression; every fourth on the capped campaign.
        const t = adToken(seq % 4 === 1 ? 'capped' : 'cpm', now);
        const sent: Sent = { eventId: randomUUID(), kind: 'imp', decision: t.decision };
        if (await beacon(JSON.stringify({ s: CATALOG.publisherSite, n: now, e: [{ t: 'imp', i: sent.eventId, ts: now, tk: t.token }] }))) acked.push(sent);
        continue;
      }
      // A click on the CPA ad through the redirect, acknowledged by the ppclid in its Location; each
      // attempt is a new ad and a new visitor (behind the trusted proxy), so none is a double click
      // or a flood. Then the purchase it led to, which the CPA campaign pays for.
      let clickId: string | null = null;
      const clicked = await untilAcked(async (c) => {
        const visitor = ++visitors;
        const r = await fetch(`${c.url}/c/${adToken('cpa', Date.now()).token}`, {
          redirect: 'manual',
          headers: { 'user-agent': userAgent(n), 'x-forwarded-for': `10.${(visitor >> 16) & 255}.${(visitor >> 8) & 255}.${visitor & 255}` },
          signal: AbortSignal.timeout(5000),
        });
        const location = r.headers.get('location');
        clickId = r.status === 302 && location ? new URL(location).searchParams.get('ppclid') : null;
        return clickId !== null;
      });
      if (!clicked || clickId === null) continue;
      acked.push({ eventId: clickId, kind: 'clk', clickId });
      const sent: Sent = { eventId: randomUUID(), kind: 'cv', orderId: `O-${n}-${seq}-${randomUUID().slice(0, 8)}` };
      const cv = { t: 'cv', i: sent.eventId, ts: Date.now(), a: 'purchase', v: '19.99', c: 'EUR', o: sent.orderId, k: clickId };
      if (await beacon(JSON.stringify({ s: CATALOG.advertiserSite, n: now, e: [cv] }))) acked.push(sent);
    }
  };

  // One process at a time is down: with several, the next is killed 2 s after the last kill or as
  // soon as the last victim is back, whichever is later; a single process is up 2 s between kills.
  const killer = (async () => {
    const end = started + seconds * 1000;
    const hardEnd = started + 2 * seconds * 1000;
    const going = () => Date.now() < end || (stats.kills < minKills && Date.now() < hardEnd);
    let restarting: Promise<void> = Promise.resolve();
    while (going()) {
      await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
      await restarting;
      if (!going()) break;
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
