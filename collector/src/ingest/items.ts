/** What enters a group commit, and what each item answers. */
import type { AdToken } from './keys';
import type { BeaconEvent, S2sConversion } from './beacon-schema';
import type { RejectedEvent, Site } from '../store/store';

/** Facts about the HTTP request an item came in. */
export interface RequestContext {
  receivedAt: number;
  /** Salted hash of IP + user agent. */
  sourceKey: string;
  /** Salted hash of the IP alone (its /64 for IPv6), for per-IP click-flood limits. */
  ipKey?: string;
  /** Request-level invalid-traffic reason (isbot, empty UA, data center, prefetch), or null. */
  ivt: string | null;
  endpoint: string;
}

/** One unit of work for the pipeline. */
export type IngestItem =
  | {
      kind: 'beacon';
      siteId: string;
      event: BeaconEvent;
      /** Event time corrected for the client's clock: receivedAt − (n − ts), clamped. */
      at: number;
      /** How long before receipt the event claims to have happened (n − ts), unclamped (time rule). */
      claimedAgeMs?: number;
      /** Hash of the event as sent, for exact-replay detection. */
      payloadHash: string;
      ctx: RequestContext;
      /** The site as the request handler already read it (sites are never deleted), saving a query. */
      site?: Site | null;
    }
  | {
      kind: 'redirect_click';
      token: AdToken;
      /** Why the click cannot be billed before looking at the store (expired token…), or null. */
      invalidReason: string | null;
      clickId: string;
      eventId: string;
      ctx: RequestContext;
    }
  | { kind: 's2s'; advertiserId: string; body: S2sConversion; payloadHash: string; ctx: RequestContext }
  | { kind: 'rejected'; rejected: RejectedEvent };

/** What happened to one item. */
export interface ItemResult {
  /** The event ID (or click ID) the result is about. */
  i: string;
  status: 'accepted' | 'duplicate' | 'conflict' | 'rejected';
  reason?: string;
  conversionId?: string;
  clickId?: string;
  /** For conversions: where it stands after processing. */
  conversionStatus?: string;
  /** Micros charged to the advertiser by this item (metrics), and in which currency. */
  billedMicros?: string;
  currency?: string;
}
