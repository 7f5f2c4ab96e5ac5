import type { WireBatch } from './wire';

/** The collector's answer to a batch, or undefined when there was none (network error, CORS refusal). */
export type SendResult = Response | void;

/**
 * Sends one batch as `text/plain` JSON, which needs no CORS preflight: `fetch` with `keepalive` while
 * the page lives (its answer decides the events' fate), `navigator.sendBeacon` when the page is being
 * hidden or unloaded, and one `GET /p.gif` image per event as the last resort (beacon refused: too
 * large, or queue full). Beacons and images get no readable answer, so their events stay in the
 * outbox until a later `fetch` is answered.
 */
export function sendBatch(
  endpoint: string,
  batch: WireBatch,
  hidden: unknown,
  w: Window & typeof globalThis,
): Promise<SendResult> | void {
  const body = JSON.stringify(batch);
  if (!hidden)
    // size: the Response itself; the tracker reads its status and Retry-After
    return w.fetch(endpoint + '/e', { method: 'POST', body, keepalive: true }).catch(() => {});
  if (!w.navigator.sendBeacon(endpoint + '/e', body))
    // size: the events read back from the body, which has no undefined keys to become "undefined"
    for (const e of JSON.parse(body).e as WireBatch['e'])
      new w.Image().src =
        endpoint + '/p.gif?' + new URLSearchParams({ s: batch.s, n: batch.n, ...e } as unknown as Record<string, string>);
}
