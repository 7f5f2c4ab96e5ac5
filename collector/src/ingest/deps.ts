/**
 * What every part of the ingest pipeline is handed besides its transaction, and the small helpers
 * they share: the invalid-traffic limits, the race a second process can win, the billed fields of
 * an answer. A module of its own so the pipeline's parts import it, not each other.
 */
import type { Keys } from './keys';
import type { ItemResult } from './items';

/** Limits of the stateful invalid-traffic rules (windows on the collector's receive time). */
export interface IvtLimits {
  /** Clicks from one source (IP + user agent) in `clickFloodWindowMs` above which the rest are flagged. */
  clickFloodLimit: number;
  clickFloodWindowMs: number;
  /**
   * Clicks from one IP (its /64 for IPv6), whatever user agents it sends, in `clickFloodWindowMs`
   * and in `ipClickHourWindowMs`, above which the rest are flagged `ip_click_flood`: rotating user
   * agents must not reset the flood count. Higher than the per-source limit: an office or a carrier
   * NAT puts many real visitors behind one address.
   */
  ipClickFloodLimit: number;
  ipClickHourLimit: number;
  ipClickHourWindowMs: number;
  /** Tokens older than this no longer bill (an ad left open for a week). */
  tokenMaxAgeMs: number;
}

export const DEFAULT_IVT_LIMITS: IvtLimits = {
  clickFloodLimit: 10,
  clickFloodWindowMs: 60_000,
  ipClickFloodLimit: 30,
  ipClickHourLimit: 120,
  ipClickHourWindowMs: 3_600_000,
  tokenMaxAgeMs: 7 * 86_400_000,
};

/** What the pipeline needs besides the transaction. */
export interface PipelineDeps {
  keys: Keys;
  /** Random bytes (click IDs). */
  random: (bytes: number) => Uint8Array;
  /** A new unique ID with a prefix (conversions). */
  newId: (prefix: string) => string;
  limits: IvtLimits;
}

/** Thrown when another process recorded the same key first: the item is re-run and sees it. */
export class RaceLost extends Error {}

/** The billed fields of a result when money moved. */
export function billed(micros: bigint | undefined, currency: string): Pick<ItemResult, 'billedMicros' | 'currency'> {
  return micros && micros > 0n ? { billedMicros: String(micros), currency } : {};
}
