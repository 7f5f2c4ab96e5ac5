import type { WireBatch } from './wire';

/** What the tracker tells its log: a label or an answer's status, what it is about, and maybe the answer itself. */
export type DebugLog = (...a: unknown[]) => unknown;

/** An answer of `POST /e` as the debug log reads it (ARCHITECTURE.md, "Wire format"). */
interface Answer {
  rejected?: { i: string; reason: string }[];
  conflict?: { i: string; reason: string }[];
  error?: string;
  reason?: string;
}

/**
 * The debug log of `pp.debug.js` and of the npm build's `debug` option: every beacon sent, the
 * status that ended its events' lives, events dropped by the outbox caps — and, read from the
 * collector's answer, each refused event with its reason (issue 13: `[pp] 202` alone hid a refused
 * conversion). The tracker calls it as `log(status, batch, response)` once an answer is final.
 */
export const debugLog: DebugLog = (...a) => {
  const answer = a[2] as Response | undefined;
  console.log('[pp]', ...(answer?.json ? a.slice(0, 2) : a));
  if (!answer?.json) return;
  const batch = a[1] as WireBatch;
  answer.json().then(
    (x: Answer) => {
      // A committed batch lists its refused and conflicting events by ID; a refused request gives
      // one reason for all of them.
      const refused = [...(x.rejected ?? []), ...(x.conflict ?? [])];
      for (const r of refused) console.warn('[pp] refused', r.reason, batch.e.find((e) => e.i == r.i) ?? r.i);
      if (x.error) console.warn('[pp] refused', x.reason ?? x.error, batch);
    },
    // Not JSON (a proxy's error page): the status logged above is all there is.
    () => {},
  );
};
