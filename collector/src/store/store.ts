/**
 * The Store: perfpixel's one domain storage interface. Adapters: SQLite (embedded default) and
 * PostgreSQL (`DATABASE_URL=postgres://…`), both the same SQL implementation over a small driver
 * (see sql-store.ts), both held to one contract suite (store.case.test.ts).
 *
 * ```ts
 * const store = await openStore('sqlite:./data/perfpixel.db', { clock: Date.now });
 * await store.write(async (tx) => { await tx.insertClick(row); });   // one transaction
 * const campaigns = await store.catalog.listCampaigns({ advertiserId: 'adv_shop' });
 * ```
 */
import type { CampaignTerms, ConversionAction } from '../core/terms';
import type { EntryGroup, Leg } from '../core/ledger';
import type { Spend } from '../core/caps';
import type { CpmTotals } from '../core/billing';
import type { ConversionStatus } from '../core/conversion-status';
import type { ExplainRecord } from '../core/explain';
import type { PayoutReports, PayoutWrites } from './payouts';
import type { TestEventReports } from './test-events';

// ---------------------------------------------------------------- catalog

export interface Advertiser {
  id: string;
  name: string;
  currency: string;
  /** One or two live S2S signing secrets (two during a rotation). */
  s2sSecrets: string[];
  createdAt: number;
  updatedAt: number;
}

export interface Publisher {
  id: string;
  name: string;
  revShareBps: number;
  createdAt: number;
  updatedAt: number;
}

export interface Site {
  id: string;
  ownerType: 'advertiser' | 'publisher';
  ownerId: string;
  name: string;
  /** Origins allowed to send beacons for this site (CORS allow-list); empty = any. */
  origins: string[];
  createdAt: number;
  updatedAt: number;
}

export interface Slot {
  id: string;
  siteId: string;
  publisherId: string;
  name: string;
  width: number;
  height: number;
  status: 'active' | 'paused';
  createdAt: number;
  updatedAt: number;
}

export type CampaignStatus = 'active' | 'paused' | 'archived';

export interface Campaign {
  id: string;
  advertiserId: string;
  name: string;
  status: CampaignStatus;
  /** The registered landing URL: the click redirect's default destination. */
  landingUrl: string;
  /** Hosts creatives may land on (the landing URL's host is always allowed). */
  allowedHosts: string[];
  /** The current terms (their `version` is the campaign's terms version). */
  terms: CampaignTerms;
  createdAt: number;
  updatedAt: number;
}

export interface Creative {
  id: string;
  campaignId: string;
  width: number;
  height: number;
  imageUrl: string;
  alt: string;
  landingUrl: string;
  status: 'active' | 'paused';
  createdAt: number;
  updatedAt: number;
}

export interface ConversionActionRecord extends ConversionAction {
  advertiserId: string;
  name: string;
  createdAt: number;
  updatedAt: number;
}

/** Who an API key belongs to. */
export type Principal = { kind: 'advertiser'; id: string } | { kind: 'publisher'; id: string };

/** Catalog reads and writes (admin API, ad decisions, the pipeline's lookups). */
export interface Catalog {
  createAdvertiser(a: Omit<Advertiser, 'createdAt' | 'updatedAt'>, apiKeyHash: string): Promise<Advertiser>;
  updateAdvertiser(id: string, patch: Partial<Pick<Advertiser, 'name' | 's2sSecrets'>>): Promise<Advertiser | null>;
  getAdvertiser(id: string): Promise<Advertiser | null>;
  listAdvertisers(): Promise<Advertiser[]>;

  createPublisher(p: Omit<Publisher, 'createdAt' | 'updatedAt'>, apiKeyHash: string): Promise<Publisher>;
  updatePublisher(id: string, patch: Partial<Pick<Publisher, 'name' | 'revShareBps'>>): Promise<Publisher | null>;
  getPublisher(id: string): Promise<Publisher | null>;
  listPublishers(): Promise<Publisher[]>;

  /** Finds who holds an API key, by the key's SHA-256 hash. */
  principalByKeyHash(hash: string): Promise<Principal | null>;
  /** Replaces a principal's API key hash (key rotation). */
  setKeyHash(principal: Principal, hash: string): Promise<void>;

  createSite(s: Omit<Site, 'createdAt' | 'updatedAt'>): Promise<Site>;
  updateSite(id: string, patch: Partial<Pick<Site, 'name' | 'origins'>>): Promise<Site | null>;
  getSite(id: string): Promise<Site | null>;
  listSites(owner?: { ownerType: Site['ownerType']; ownerId: string }): Promise<Site[]>;

  createSlot(s: Omit<Slot, 'createdAt' | 'updatedAt'>): Promise<Slot>;
  updateSlot(id: string, patch: Partial<Pick<Slot, 'name' | 'width' | 'height' | 'status'>>): Promise<Slot | null>;
  getSlot(id: string): Promise<Slot | null>;
  listSlots(filter?: { publisherId?: string; siteId?: string }): Promise<Slot[]>;

  /** Creates a campaign with terms version 1. */
  createCampaign(c: Omit<Campaign, 'createdAt' | 'updatedAt'>): Promise<Campaign>;
  /** Updates a campaign; new `terms` become a new version (past versions are kept unchanged). */
  updateCampaign(
    id: string,
    patch: Partial<Pick<Campaign, 'name' | 'status' | 'landingUrl' | 'allowedHosts'>> & { terms?: Omit<CampaignTerms, 'version'> },
  ): Promise<Campaign | null>;
  getCampaign(id: string): Promise<Campaign | null>;
  listCampaigns(filter?: { advertiserId?: string; status?: CampaignStatus }): Promise<Campaign[]>;
  /** One past or current terms version. */
  getTerms(campaignId: string, version: number): Promise<CampaignTerms | null>;
  listTermsVersions(campaignId: string): Promise<(CampaignTerms & { createdAt: number })[]>;

  createCreative(c: Omit<Creative, 'createdAt' | 'updatedAt'>): Promise<Creative>;
  updateCreative(id: string, patch: Partial<Pick<Creative, 'imageUrl' | 'alt' | 'landingUrl' | 'status' | 'width' | 'height'>>): Promise<Creative | null>;
  getCreative(id: string): Promise<Creative | null>;
  listCreatives(filter?: { campaignId?: string; advertiserId?: string }): Promise<Creative[]>;

  putConversionAction(a: Omit<ConversionActionRecord, 'createdAt' | 'updatedAt'>): Promise<ConversionActionRecord>;
  getConversionAction(advertiserId: string, key: string): Promise<ConversionActionRecord | null>;
  listConversionActions(advertiserId: string): Promise<ConversionActionRecord[]>;

  /** True when nothing has been created yet (first start: seed the demo). */
  isEmpty(): Promise<boolean>;
}

// ---------------------------------------------------------------- events

export type Billing = 'charged' | 'no_charge' | 'not_billable' | 'over_cap' | 'held';

export interface ImpressionRecord {
  decisionId: string;
  kind: 'served' | 'viewable';
  eventId: string;
  siteId: string;
  slotId: string;
  publisherId: string;
  campaignId: string;
  creativeId: string;
  advertiserId: string;
  termsVersion: number;
  pageViewId: string | null;
  sourceKey: string;
  at: number;
  receivedAt: number;
  invalidReason: string | null;
  billing: Billing;
  costMicros: bigint;
}

export interface ClickRecord {
  clickId: string;
  decisionId: string;
  via: 'redirect' | 'beacon';
  eventId: string;
  siteId: string;
  slotId: string;
  publisherId: string;
  campaignId: string;
  creativeId: string;
  advertiserId: string;
  termsVersion: number;
  pageViewId: string | null;
  sourceKey: string;
  /** Salted hash of the client IP (its /64 for IPv6): click floods are counted per IP across user agents. */
  ipKey: string | null;
  at: number;
  receivedAt: number;
  invalidReason: string | null;
  duplicateOf: string | null;
  billing: Billing;
  costMicros: bigint;
}

export interface ConversionRecord {
  id: string;
  advertiserId: string;
  siteId: string | null;
  actionKey: string;
  orderId: string | null;
  eventId: string;
  origin: 'beacon' | 's2s' | 'both';
  clickIds: string[];
  otherClickIds: Record<string, string>;
  /** The landing's UTM parameters the beacon carried (reporting only; `{}` when none). */
  utm?: Record<string, string>;
  sourceKey: string | null;
  valueMicros: bigint;
  currency: string | null;
  at: number;
  receivedAt: number;
  status: ConversionStatus;
  statusReason: string | null;
  campaignId: string | null;
  publisherId: string | null;
  creativeId: string | null;
  slotId: string | null;
  touchId: string | null;
  touchKind: 'click' | 'view' | null;
  termsVersion: number | null;
  costMicros: bigint;
  /** The explain record (core/explain.ts; JSON-safe: money as strings). */
  decision: ExplainRecord | null;
  payloadHash: string;
  restatements: number;
  updatedAt: number;
}

export interface PageViewRecord {
  siteId: string;
  eventId: string;
  pageViewId: string | null;
  url: string | null;
  referrer: string | null;
  clickIds: string[];
  otherClickIds: Record<string, string>;
  /** The landing's UTM parameters (reporting only). */
  utm?: Record<string, string>;
  cookieless: boolean;
  invalidReason: string | null;
  at: number;
  receivedAt: number;
}

export interface RejectedEvent {
  receivedAt: number;
  siteId: string | null;
  endpoint: string;
  eventType: string | null;
  eventId: string | null;
  reason: string;
  detail: string | null;
  /** The refused payload, truncated. */
  payload: string | null;
}

/** A touch as the attribution query finds it (clicks by click ID, views by source). */
export interface TouchRecord {
  id: string;
  kind: 'click' | 'view';
  at: number;
  advertiserId: string;
  campaignId: string;
  publisherId: string;
  creativeId: string;
  slotId: string;
  termsVersion: number;
  invalidReason: string | null;
}

/** A posted entry group with its row ID. */
export interface PostedGroup extends EntryGroup {
  id: number;
  postedAt: number;
}

/** Operations inside one write transaction (the group-commit unit); payouts: payouts.ts. */
export interface WriteTx extends PayoutWrites {
  /** Runs `fn` so that, if it throws, only its own writes are undone. */
  savepoint<T>(fn: () => Promise<T>): Promise<T>;

  /**
   * Reads, in a few statements, the event keys and impressions a group is about to look up one by
   * one, so those lookups need no statement each (optional: a store may answer every lookup itself).
   * Impression IDs are `<decisionId>:<kind>`; `pageSlots` are the page views' slots that
   * `otherServedInPageSlot` will ask about. `money` names the budget rows (campaign, day,
   * publisher) and CPM running totals (campaign, terms version) the group will bill against: the
   * store takes them at once, in one fixed order, so processes sharing a database cannot deadlock
   * on them (rows met later are taken when met).
   */
  prefetch?(want: {
    eventKeys: [siteId: string, type: string, eventId: string][];
    impressions: string[];
    pageSlots?: [pageViewId: string, slotId: string][];
    money?: { spend: [campaignId: string, day: string, publisherId: string][]; cpm: [campaignId: string, termsVersion: number][] };
    /** Conversions the group brings: looked up by order (when it has one) and by event ID, and the clicks they carry. */
    conversions?: [advertiserId: string, actionKey: string, orderId: string | null, eventId: string, clickIds: string[]][];
  }): Promise<void>;
  eventKey(siteId: string, type: string, eventId: string): Promise<{ payloadHash: string; result: string } | null>;
  /** Records an event key; false when it already exists (another process won the race). */
  putEventKey(siteId: string, type: string, eventId: string, payloadHash: string, result: string, at: number): Promise<boolean>;

  insertPageView(p: PageViewRecord): Promise<void>;
  insertVital(v: { siteId: string; pageViewId: string | null; name: string; value: number; at: number; receivedAt: number }): Promise<void>;

  /** False when this decision already has an impression of this kind. */
  insertImpression(i: ImpressionRecord): Promise<boolean>;
  impression(decisionId: string, kind: 'served' | 'viewable'): Promise<ImpressionRecord | null>;
  /**
   * Whether a served impression other than `decisionId` is in one page view's slot (ad stacking).
   * A yes or no, not a count: the page view ID comes from the visitor's request, and a page view
   * with thousands of impressions piled into it must cost the check no more than one with two.
   */
  otherServedInPageSlot(pageViewId: string, slotId: string, decisionId: string): Promise<boolean>;

  insertClick(c: ClickRecord): Promise<void>;
  click(clickId: string): Promise<ClickRecord | null>;
  /** Flags a click found invalid later, so it can no longer win attribution. */
  markClickInvalid(clickId: string, reason: string): Promise<void>;
  /** The latest valid click on this decision or by this source on this campaign received since `since`. */
  recentClick(campaignId: string, decisionId: string, sourceKey: string, since: number): Promise<ClickRecord | null>;
  /** Clicks received from a source (IP + user agent) since `since`, counted up to `atMost` (a bounded scan). */
  countClicksFromSource(sourceKey: string, since: number, atMost: number): Promise<number>;
  /** Clicks received from an IP key (any user agent) since `since`, counted up to `atMost`. */
  countClicksFromIp(ipKey: string, since: number, atMost: number): Promise<number>;

  conversion(id: string): Promise<ConversionRecord | null>;
  conversionByOrder(advertiserId: string, actionKey: string, orderId: string): Promise<ConversionRecord | null>;
  conversionByEvent(advertiserId: string, eventId: string): Promise<ConversionRecord | null>;
  /** The conversions a touch won that still count (pending, approved or restated), locked for update. */
  conversionsWonBy(touchId: string): Promise<ConversionRecord[]>;
  insertConversion(c: ConversionRecord): Promise<void>;
  updateConversion(c: ConversionRecord): Promise<void>;
  /** Clicks with these IDs, plus viewable impressions of the advertiser from `sourceKey` since `since`. */
  touchesFor(advertiserId: string, clickIds: readonly string[], sourceKey: string | null, since: number): Promise<TouchRecord[]>;
  /** The last (up to) `limit` approved or restated values of an advertiser's action: its usual value (outliers). */
  recentValues(advertiserId: string, actionKey: string, limit: number): Promise<{ count: number; totalMicros: bigint }>;
  /** For counting `one`: touch ID → the conversion of this action already counted on it. */
  countedConversions(touchIds: readonly string[], actionKey: string, exceptId: string): Promise<Map<string, string>>;

  /** Spend so far; on PostgreSQL the rows are locked until the transaction ends. */
  spend(campaignId: string, publisherId: string, day: string): Promise<Spend>;
  addSpend(campaignId: string, publisherId: string, day: string, deltaMicros: bigint): Promise<void>;
  cpmTotals(campaignId: string, termsVersion: number): Promise<CpmTotals>;
  setCpmTotals(campaignId: string, termsVersion: number, totals: CpmTotals): Promise<void>;

  /** Appends an entry group; false (and nothing written) when its key was posted before. */
  postGroup(group: EntryGroup, postedAt: number): Promise<boolean>;
  /** Every group posted for one action, oldest first. */
  groupsFor(refType: EntryGroup['meta']['refType'], refId: string): Promise<PostedGroup[]>;

  insertRejected(r: RejectedEvent): Promise<void>;

  /** Catalog lookups inside the transaction. */
  site(id: string): Promise<Site | null>;
  campaign(id: string): Promise<Campaign | null>;
  /**
   * The campaign's status and terms in force now, read inside the transaction after its budget rows
   * were locked: the caps every charge is checked against (SPEC §3.8).
   */
  campaignNow(campaignId: string): Promise<{ status: CampaignStatus; terms: CampaignTerms } | null>;
  /** Terms of a version; with `publisherId`, a publisher-default payout is resolved to that publisher's share. */
  terms(campaignId: string, version: number, publisherId?: string): Promise<CampaignTerms | null>;
  conversionAction(advertiserId: string, key: string): Promise<ConversionActionRecord | null>;
  creative(id: string): Promise<Creative | null>;
}

// ---------------------------------------------------------------- reports

export interface ReportRange {
  from: number;
  to: number;
}

/** One row of the advertiser campaign table (or of the publisher slot table). */
export interface PerformanceRow {
  key: string;
  day?: string;
  /**
   * The currency of this row's money: a row holds the facts of advertisers paying in it, and a key
   * with facts in two currencies has two rows. Money is never summed across currencies.
   */
  currency: string;
  served: number;
  viewable: number;
  clicks: number;
  /** Invalid served + invalid viewable impressions. */
  invalidImpressions: number;
  /** Served impressions flagged invalid (gross served = served + invalidServed). */
  invalidServed: number;
  invalidViewable: number;
  invalidClicks: number;
  conversions: number;
  valueMicros: bigint;
  costMicros: bigint;
  earningMicros: bigint;
  /** The platform's margin of these charges (its leg: credits − debits). */
  platformMicros: bigint;
}

export interface LedgerLine extends PostedGroup {}

/** Which conversions a list shows (every field optional; `status` may name several states: the review queue). */
export interface ConversionFilter {
  advertiserId?: string;
  campaignId?: string;
  publisherId?: string;
  actionKey?: string;
  orderId?: string;
  status?: ConversionStatus | readonly ConversionStatus[];
}

/** Where a page of conversions ended: the last row's received_at and id. */
export interface ConversionCursor {
  receivedAt: number;
  id: string;
}

export interface FeedItem {
  type: 'pageview' | 'served' | 'viewable' | 'click' | 'conversion' | 'rejected';
  at: number;
  siteId: string | null;
  /** What happened, without money: the HTTP layer adds the money the caller may see (role-view.ts). */
  summary: string;
  invalidReason: string | null;
  /** How an impression or click was billed (`charged`, `no_charge`, …); null for the other types. */
  billing: string | null;
  /** What the advertiser was charged for it. */
  costMicros: bigint;
  /** What its publisher earned on it (net of corrections); 0 for conversions, page views and refusals. */
  earningMicros: bigint;
  /** Structured facts for the dashboard's words (issue 14): the conversion's ID, state and action; the campaign. */
  conversionId?: string | null;
  status?: string | null;
  actionKey?: string | null;
  campaignId?: string | null;
}

/** One link of the ledger chain with its group (legs and recorded facts, as JSON) and salt. */
export interface ChainEntry {
  seq: number;
  salt: string;
  contentHash: string;
  hash: string;
  group: PostedGroup & { facts: unknown };
}

/** Read-only queries for dashboards, reports and CSV exports; the verify page's test events (test-events.ts). */
export interface Reports extends TestEventReports, PayoutReports {
  /** The ledger chain's head (0 and the genesis hash when empty). */
  chainHead(): Promise<{ seq: number; hash: string }>;
  /** The chain heads around the links sealed in [from, to): the one before the first, and the last. */
  chainRange(range: ReportRange): Promise<{ start: { seq: number; hash: string }; end: { seq: number; hash: string } }>;
  /** Links after `afterSeq` up to `toSeq`, at most `limit`, in chain order. */
  chainPage(afterSeq: number, toSeq: number, limit: number): Promise<ChainEntry[]>;
  /** The groups of these actions sealed at or before `beforeSeq`, oldest first (context for corrections). */
  groupsOfActions(actions: { refType: string; refId: string }[], beforeSeq: number): Promise<(PostedGroup & { facts: unknown })[]>;
  /** Performance grouped by campaign (advertiser view), or by slot (publisher view), optionally per day. */
  performance(
    filter: { advertiserId?: string; publisherId?: string; campaignId?: string },
    range: ReportRange,
    groupBy: 'campaign' | 'slot' | 'publisher' | 'creative',
    perDay: boolean,
  ): Promise<PerformanceRow[]>;
  /** Newest first (received_at DESC, id); `before` continues after the last row of a page (keyset paging). */
  conversions(
    filter: ConversionFilter,
    range: ReportRange,
    limit: number,
    before?: ConversionCursor,
  ): Promise<ConversionRecord[]>;
  conversion(id: string): Promise<ConversionRecord | null>;
  /** Entry groups newest first (id DESC), each with all its legs; `beforeId` continues a page. */
  ledger(filter: { advertiserId?: string; publisherId?: string; campaignId?: string; kind?: string }, range: ReportRange, limit: number, beforeId?: number): Promise<LedgerLine[]>;
  /** Σ debits and Σ credits over the whole ledger (they must be equal). */
  ledgerTotals(): Promise<{ debits: bigint; credits: bigint; groups: number }>;
  /** Balance per account (debits − credits). */
  balances(accounts?: string[]): Promise<Map<string, bigint>>;
  /**
   * The ledger per currency: Σ debits, Σ credits, entry groups and the balance of every account, in
   * that currency only (a publisher or the platform holds money in each currency it earned in).
   */
  ledgerByCurrency(): Promise<{ currency: string; debits: bigint; credits: bigint; groups: number; balances: Map<string, bigint> }[]>;
  rejected(filter: { siteId?: string }, range: ReportRange, limit: number): Promise<RejectedEvent[]>;
  rejectedCounts(filter: { siteId?: string }, range: ReportRange): Promise<{ reason: string; count: number }[]>;
  feed(filter: { advertiserId?: string; publisherId?: string; siteId?: string }, limit: number, after?: number): Promise<FeedItem[]>;
  /** Beacons from a site in a range, by type, with the last one seen ("verify my tag"). */
  siteActivity(siteId: string, range: ReportRange): Promise<{ type: string; count: number; lastAt: number | null }[]>;
  /** Observed counts per campaign for CTR/CVR estimates of the ad decision. */
  campaignStats(since: number): Promise<Map<string, { impressions: number; clicks: number; conversions: number; valueMicros: bigint }>>;
  /** Spend per campaign today and in total (for serving eligibility and pacing). */
  campaignSpend(day: string): Promise<Map<string, { totalMicros: bigint; dayMicros: bigint }>>;
  /** Spend per campaign and publisher on one UTC day (per-publisher caps when serving). */
  publisherSpend(day: string): Promise<Map<string, Map<string, bigint>>>;
  /** Counts of every event table (tests, crash harness, metrics). */
  counts(): Promise<Record<string, number>>;
}

/** The store: catalog, write transactions, reports. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly catalog: Catalog;
  readonly reports: Reports;
  /** Creates or upgrades the schema. */
  migrate(): Promise<void>;
  /** Resolves when the database answers (readiness). */
  ping(): Promise<void>;
  /** Runs `fn` in one write transaction; all its writes commit together or not at all. */
  write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type { Leg };
