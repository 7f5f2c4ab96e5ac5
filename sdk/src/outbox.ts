import type { WireEvent } from './wire';

/**
 * The outbox's parts: its entries, its stores and its retry rules. The outbox itself lives in the
 * tracker's closure (tracker.ts): one closure is ~300 bytes smaller than an object API between modules.
 */

/**
 * One event waiting in the outbox. It is persisted as JSON, so its keys are short fixed names and
 * never `_`-prefixed: the minifier renames those, differently in each build.
 */
export interface Entry {
  /** The event, exactly as it will be sent. */
  e: WireEvent;
  /** Failed sends so far. */
  n: number;
  /** Not to be sent before this time (epoch ms): backoff, `Retry-After`, or a send in flight. */
  w: number;
}

/** Where the outbox keeps its entries: localStorage in the core, IndexedDB as an add-on, nowhere in cookieless mode. */
export interface OutboxStore {
  load(): Entry[] | Promise<Entry[]>;
  put(entry: Entry): unknown;
  del(eventId: string): unknown;
  /** Optional: removes the store itself once analytics_storage is withdrawn (its entries were deleted one by one). */
  clear?(): unknown;
}

/** The store of cookieless mode and of the time before consent: entries live only in the page's memory. */
export const memoryStore: OutboxStore = { load: () => [], put() {}, del() {} };

/**
 * Whether an answer ends an event's life: any 2xx, or a refusal that retrying cannot change
 * (400/401/403/409/410/413/415/422, ARCHITECTURE.md "Wire format").
 */
// size: test() converts its argument to a string itself (undefined: "undefined", not final); a status
// has three digits, so no `$`
export const isFinal = (status?: number): boolean => /^(2|40[0139]|41[035]|422)/.test(status as unknown as string);

/**
 * How long to wait before the next send of an event that failed `tries` times: exponential from 1–2 s,
 * capped at 30 min, with "equal jitter" (half fixed, half random) so that tabs which failed together do
 * not retry together; a longer `Retry-After` (in seconds, RFC 9110 §10.2.3) wins.
 *
 * Whole milliseconds: the tracker marks the events due at `now() + delay` and sets `setTimeout(flush,
 * delay)`, which truncates its delay to an integer (WebIDL `long`). With a fractional delay the timer
 * fired up to 1 ms before the events were due, the flush found nothing to send and set no new timer:
 * the retry never happened while the page lived (seen in Chromium, test/e2e/sdk-delivery.test.ts).
 */
export const retryDelay = (tries: number, retryAfter?: string | null): number =>
  Math.max(
    Math.min(9e5, 500 * 2 ** tries) * (1 + Math.random()) | 0,
    // size: only the delay-seconds form (our collector never sends an HTTP date); `| 0` turns
    // null and junk into 0
    (retryAfter as unknown as number) * 1e3 | 0,
  );

/** Caps of the outbox; past them the oldest non-money events are dropped first (conversions and clicks never are). */
export const OUTBOX_MAX_EVENTS = 500;
export const OUTBOX_MAX_CHARS = 256 * 1024;

/**
 * Caps of one request: 50 events (the wire's limit), and events only while their entries' JSON stays
 * under 60,000 characters (the first is always taken). Browsers fail a keepalive `fetch`, and refuse
 * a beacon, that would put more than 64 KiB in flight (Fetch standard, "fetch", the keepalive step),
 * and without keepalive the collector answers 413 past 64 KiB, which is final: the events of an
 * oversized batch, maybe a conversion, would never be delivered. The 4 KiB left below 64 KiB cover the
 * batch's own keys and the non-ASCII characters (2–3 bytes in UTF-8) an order ID or click ID may have.
 * An event longer than the cap on its own (another platform's click ID is kept verbatim, whatever its
 * length) goes alone, so it never holds up the others.
 */
export const BATCH_MAX_EVENTS = 50;
export const BATCH_MAX_CHARS = 6e4;

/**
 * How long a sent batch is left alone while its answer is awaited (a beacon's never comes). The mark
 * lives only in memory, so a page that dies mid-send resends on the next load; the collector dedupes
 * on event_id.
 */
export const IN_FLIGHT_MS = 3e4;
