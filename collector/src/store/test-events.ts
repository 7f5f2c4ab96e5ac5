/**
 * What the verify page's "test events" view reads (issue 13; Meta's Test Events and Google's Tag
 * Assistant are the anchors): the newest events of one site as they were recorded, each with its
 * outcome and why, plus the summaries that explain conversions nobody can be credited for.
 *
 * ```ts
 * const events = await store.reports.testEvents(site, { since: now - DAY_MS, code: 'Abc123' }, 50);
 * ```
 */
import type { Site } from './store';

/**
 * What became of an event:
 *
 * | outcome   | meaning                                                                      |
 * |-----------|------------------------------------------------------------------------------|
 * | `counted` | stored and counted; nothing to bill (a page view, an unattributed conversion) |
 * | `billed`  | stored and charged (`costMicros`)                                            |
 * | `merged`  | a conversion the browser and the shop's server both sent, kept once          |
 * | `held`    | a conversion held for review (too fast after its click)                      |
 * | `invalid` | stored as invalid traffic (a bot, a data-center address, prefetch…), never billed |
 * | `refused` | not stored: kept in rejected_events with its reason                          |
 */
export type TestEventOutcome = 'counted' | 'billed' | 'merged' | 'held' | 'invalid' | 'refused';

/** One event of the test-events view. */
export interface TestEvent {
  /** When the collector received it (epoch ms). */
  receivedAt: number;
  /** `pv`, `imp`, `vi`, `clk`, `cv`, `uc`, or what a refused event claimed to be (null: unreadable). */
  type: string | null;
  eventId: string | null;
  outcome: TestEventOutcome;
  /** Why it was refused, flagged or not billed; null when there is nothing to explain. */
  reason: string | null;
  /** Whether one of our click IDs came with it (null where the type has none: impressions, clicks). */
  clickId: boolean | null;
  /** `denied`: sent without ad_storage (no click IDs, `cl: "1"`); null where it cannot be told. */
  consent: 'granted' | 'denied' | null;
  costMicros: bigint;
  /** The event's fields as stored (or as sent, for a refused one). */
  fields: Record<string, unknown>;
}

/** Conversions of a site in a range, and those that can never be credited to an ad. */
export interface ConsentSummary {
  conversions: number;
  /** Sent with no click ID of ours (none held, or storage denied). */
  withoutClickId: number;
  /** Sent from the browser without ad_storage consent: no click ID, not matched by source either. */
  storageDenied: number;
}

/** Events of one kind from a site in a range, and how many were flagged as invalid traffic, by reason. */
export interface InvalidCount {
  type: 'pageview' | 'served' | 'viewable' | 'click' | 'conversion';
  total: number;
  invalid: number;
  reasons: { reason: string; count: number }[];
}

/** Beacons refused because their site ID does not exist, per site ID they named. */
export interface StraySiteId {
  siteId: string;
  count: number;
  lastAt: number;
}

/** The test-events reads, part of `Reports`. */
export interface TestEventReports {
  /**
   * The newest events of `site` received since `since`, newest first, at most `limit`; with `code`,
   * only those whose event ID starts with `CODE_` (the SDK's test mode, `?pp_test=CODE`).
   */
  testEvents(site: Site, filter: { since: number; code?: string }, limit: number): Promise<TestEvent[]>;
  consentSummary(siteId: string, since: number): Promise<ConsentSummary>;
  invalidCounts(site: Site, since: number): Promise<InvalidCount[]>;
  /** Site IDs that beacons named but that do not exist, since `since` (for "did you mean …"). */
  straySiteIds(since: number, limit: number): Promise<StraySiteId[]>;
}
