/**
 * The report API as the dashboard uses it: same-origin `fetch` with `Authorization: Bearer <key>`,
 * JSON in, readable errors out. Types mirror collector/src/http/json.ts (money as strings of micros,
 * times as epoch ms).
 *
 *     const api = createApi(key);
 *     const me = await api.me();
 *     const { rows } = await api.performance({ perDay: true });
 */

import type { ExplainCandidate, ExplainRecord } from '../../../collector/src/core/explain';

/** Who a key belongs to (`GET /v1/me`). */
export type Me =
  | { kind: 'advertiser'; id: string; advertiser: { id: string; name: string; currency: string } | null }
  | { kind: 'publisher'; id: string; publisher: { id: string; name: string; revShareBps: number } | null }
  | { kind: 'operator' };

/** One row of `GET /v1/reports/performance`. */
export interface PerformanceRow {
  key: string;
  day?: string;
  /** The currency of the row's money; a key with facts in two currencies has a row for each. */
  currency: string;
  served: number;
  viewable: number;
  clicks: number;
  invalidImpressions: number;
  invalidClicks: number;
  /** Conversions, their value and the advertiser's cost: absent from a publisher's rows (role table, ARCHITECTURE.md). */
  conversions?: number;
  valueMicros?: string;
  costMicros?: string;
  earningMicros: string;
  /** The platform's margin: operator and advertiser rows only. */
  platformMicros?: string;
  /** Publisher earning per 1,000 served / viewable impressions: operator and publisher rows. */
  ecpmServedMicros?: string | null;
  ecpmViewableMicros?: string | null;
}

/**
 * The explain record stored with a conversion, and one candidate of it: the core's own types
 * (collector/src/core/explain.ts), never a copy — the API serves the record as the pipeline wrote it
 * (to the advertiser and the operator; a publisher never gets it, ARCHITECTURE.md "What each role may see").
 */
export type Decision = ExplainRecord;
export type Candidate = ExplainCandidate;

/** A conversion with its explain record. */
export interface Conversion {
  id: string;
  advertiserId: string;
  siteId: string | null;
  actionKey: string;
  orderId: string | null;
  eventId: string;
  origin: 'beacon' | 's2s' | 'both';
  clickIds: string[];
  valueMicros: string;
  currency: string | null;
  at: number;
  receivedAt: number;
  status: string;
  statusReason: string | null;
  campaignId: string | null;
  publisherId: string | null;
  creativeId: string | null;
  slotId: string | null;
  touchId: string | null;
  touchKind: 'click' | 'view' | null;
  termsVersion: number | null;
  costMicros: string;
  decision: Decision | null;
  restatements: number;
  updatedAt: number;
}

/** One leg of an entry group. */
export interface Leg {
  account: string;
  side: 'debit' | 'credit';
  micros: string;
}

/** A posted ledger entry group. */
export interface EntryGroup {
  id: number;
  key: string;
  kind: string;
  postedAt: number;
  meta: {
    refType: string;
    refId: string;
    campaignId: string;
    advertiserId: string;
    publisherId: string;
    slotId?: string | null;
    /** null in a publisher's view: the advertiser's terms are not shown to it. */
    termsVersion: number | null;
    currency: string;
    at: number;
    reason: string | null;
  };
  legs: Leg[];
}

/**
 * An entry group as a publisher receives it (collector/src/http/role-view.ts): its own legs, and none
 * of the advertiser's action IDs or keys.
 */
export interface PublisherEntryGroup {
  id: number;
  kind: string;
  meta: { at: number; campaignId: string; slotId: string | null; currency: string; reason: string | null };
  legs: Leg[];
}

/** A publisher's group in the shape the ledger view draws (no key, no action, no advertiser, no terms). */
export function asEntryGroup(g: EntryGroup | PublisherEntryGroup): EntryGroup {
  if ('key' in g) return g;
  return {
    id: g.id,
    key: '',
    kind: g.kind,
    postedAt: g.meta.at,
    meta: { refType: '', refId: '', advertiserId: '', publisherId: '', termsVersion: null, ...g.meta },
    legs: g.legs,
  };
}

/** `GET /v1/ledger/totals` (operator). */
export interface LedgerTotals {
  debitsMicros: string;
  creditsMicros: string;
  balanced: boolean;
  groups: number;
  balances: Record<string, string>;
  /** The amounts, one currency at a time (the top-level sums are only a balance check). */
  currencies: { currency: string; debitsMicros: string; creditsMicros: string; balanced: boolean; groups: number; balances: Record<string, string> }[];
}

/** One line of the live feed. */
export interface FeedItem {
  type: 'pageview' | 'served' | 'viewable' | 'click' | 'conversion' | 'rejected';
  at: number;
  siteId: string | null;
  summary: string;
  invalidReason: string | null;
  /** Structured facts (issue 14); conversions and billing codes are not sent to publishers. */
  campaignId?: string | null;
  billing?: string | null;
  conversionId?: string | null;
  status?: string | null;
  actionKey?: string | null;
  /** The advertiser's cost (operator, advertiser) or the publisher's own earning (publishers). */
  costMicros?: string;
  earningMicros?: string;
}

/** A site (where the tag runs). */
export interface Site {
  id: string;
  ownerType: 'advertiser' | 'publisher';
  ownerId: string;
  name: string;
  origins: string[];
}

/** A rejected event as "verify my tag" lists it. */
export interface RejectedEvent {
  receivedAt: number;
  siteId: string | null;
  endpoint: string;
  eventType: string | null;
  eventId: string | null;
  reason: string;
  detail: string | null;
  payload: string | null;
}

/** `GET /v1/sites/:id/activity`. */
export interface SiteActivity {
  site: Site;
  from: number;
  to: number;
  activity: { type: string; count: number; lastAt: number | null }[];
  rejectedReasons: { reason: string; count: number }[];
  recentRejected: RejectedEvent[];
}

/** A slot on a publisher site. */
export interface Slot {
  id: string;
  siteId: string;
  publisherId: string;
  name: string;
  width: number;
  height: number;
  status: string;
}

/** A campaign (only the fields the dashboard shows). */
export interface Campaign {
  id: string;
  advertiserId: string;
  name: string;
  status: string;
  terms: { version: number; currency: string; costModel: string; cpcMicros: string | null; cpmMicros: string | null; cpmBasis: string; cpaFlatMicros: string | null; cpaBps: number; clickWindowDays: number; viewWindowDays: number };
}

/** The seeded demo keys (`GET /demo/keys.json`, development only). */
export interface DemoKeys {
  operatorKey: string;
  advertisers: { id: string; name: string; apiKey: string }[];
  publishers: { id: string; name: string; apiKey: string }[];
  sites: Record<string, string>;
}

/** An API answer that was not 2xx, with a message a person can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The message shown for a failed call. */
export function describeFailure(status: number, code: string, reason: string): string {
  if (status === 401) return 'That key was not accepted. Check that you pasted the whole key (it starts with ppa_, ppp_ or ppo_).';
  if (status === 403) return `This key may not see that: ${reason || 'forbidden'}.`;
  if (status === 404) return reason ? `Not found: ${reason}.` : 'Not found.';
  if (status === 429 || status === 503) return 'The collector is busy right now. Try again in a few seconds.';
  if (status >= 500) return 'The collector had a problem answering. Try again; if it keeps failing, look at the server log.';
  return reason ? `${reason} (${code})` : `The request failed (${status}).`;
}

/** Range and grouping of report queries. */
export interface ReportQuery {
  from?: number;
  to?: number;
  groupBy?: 'campaign' | 'slot' | 'publisher' | 'creative';
  perDay?: boolean;
  limit?: number;
  after?: number;
  /** Paging cursor: the `next` of the previous page. */
  before?: string;
  siteId?: string;
  status?: string;
  /** Conversion filters (issue 14): campaign, publisher, conversion action, exact order ID; ledger filters (ledger-filters.ts): kind, campaign, advertiser, publisher. */
  campaignId?: string;
  publisherId?: string;
  action?: string;
  orderId?: string;
  kind?: string;
  advertiserId?: string;
}

const query = (q: ReportQuery = {}) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== false) p.set(k, v === true ? '1' : String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

/** The API client. */
export type Api = ReturnType<typeof createApi>;

/** Creates an API client for one key; `fetchFn` is injectable for tests. */
export function createApi(key: string, fetchFn: typeof fetch = (...a) => fetch(...a)) {
  const raw = async (path: string, init: { method?: string; body?: string } = {}): Promise<Response> => {
    let res: Response;
    try {
      const headers: Record<string, string> = { Authorization: `Bearer ${key}`, Accept: 'application/json' };
      if (init.body !== undefined) headers['Content-Type'] = 'application/json';
      res = await fetchFn(path, { ...init, headers });
    } catch {
      throw new ApiError(0, 'network', 'Could not reach the collector. Is the server running?');
    }
    if (!res.ok) {
      let body: { error?: string; reason?: string } = {};
      try {
        body = (await res.json()) as typeof body;
      } catch {
        /* not JSON: the status says enough */
      }
      throw new ApiError(res.status, body.error ?? String(res.status), describeFailure(res.status, body.error ?? '', body.reason ?? ''));
    }
    return res;
  };
  const get = async <T>(path: string): Promise<T> => (await raw(path)).json() as Promise<T>;
  const post = async <T>(path: string, body: unknown): Promise<T> => (await raw(path, { method: 'POST', body: JSON.stringify(body) })).json() as Promise<T>;
  const put = async <T>(path: string, body: unknown): Promise<T> => (await raw(path, { method: 'PUT', body: JSON.stringify(body) })).json() as Promise<T>;
  return {
    key,
    /** Plain calls for the typed wrappers kept beside their views (payout-api.ts). */
    get,
    post,
    put,
    file: async (path: string) => (await raw(path)).blob(),
    me: () => get<Me>('/v1/me'),
    performance: (q: ReportQuery = {}) => get<{ from: number; to: number; groupBy: string; rows: PerformanceRow[] }>(`/v1/reports/performance${query(q)}`),
    conversions: (q: ReportQuery = {}) => get<{ conversions: Conversion[]; next: string | null }>(`/v1/conversions${query(q)}`),
    conversion: (id: string) => get<{ conversion: Conversion; ledger: EntryGroup[] }>(`/v1/conversions/${encodeURIComponent(id)}`),
    ledger: async (q: ReportQuery = {}) => {
      const page = await get<{ groups: (EntryGroup | PublisherEntryGroup)[]; next: string | null }>(`/v1/ledger${query(q)}`);
      return { groups: page.groups.map(asEntryGroup), next: page.next };
    },
    ledgerTotals: () => get<LedgerTotals>('/v1/ledger/totals'),
    feed: (q: ReportQuery = {}) => get<{ items: FeedItem[]; now: number }>(`/v1/feed${query(q)}`),
    campaigns: () => get<{ campaigns: Campaign[] }>('/v1/campaigns'),
    slots: (siteId?: string) => get<{ slots: Slot[] }>(`/v1/slots${siteId ? `?siteId=${encodeURIComponent(siteId)}` : ''}`),
    sites: () => get<{ sites: Site[] }>('/v1/sites'),
    publishers: () => get<{ publishers: { id: string; name: string; revShareBps: number }[] }>('/v1/publishers'),
    advertisers: () => get<{ advertisers: { id: string; name: string; currency: string }[] }>('/v1/advertisers'),
    siteActivity: (siteId: string) => get<SiteActivity>(`/v1/sites/${encodeURIComponent(siteId)}/activity`),
    /** A review decision on a held conversion (or a reversal): the collector posts any ledger entries it needs. */
    command: (id: string, command: 'approve' | 'reject' | 'reverse', reason: string) =>
      post<{ conversion?: Conversion }>(`/v1/conversions/${encodeURIComponent(id)}/${command}`, { reason }),
    /**
     * The signed statement of the key's own party for a period (`GET /v1/statements`, NDJSON) as a
     * Blob, with the file name the collector suggests; verify it on /dashboard/verify-statement/.
     */
    statement: async (q: { from?: number; to?: number } = {}) => {
      const res = await raw(`/v1/statements${query(q)}`);
      const named = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
      return { blob: await res.blob(), filename: named ?? 'statement.ndjson' };
    },
    /** A conversion command (issue 14); `dry_run: true` answers the money it would move and keeps nothing. */
    adjust: (id: string, command: AdjustCommand, body: { reason: string; value?: string; dry_run?: boolean }) =>
      post<AdjustAnswer>(`/v1/conversions/${encodeURIComponent(id)}/${command}`, body),
    /** A bulk-adjustment CSV, previewed (`dryRun`) or applied. */
    bulkAdjust: (csv: string, dryRun: boolean) => post<BulkAnswer>('/v1/conversions/bulk', { csv, dryRun }),
    /** The postback console's test run: what POST /v1/conversions would answer, nothing kept. */
    testPostback: (body: Record<string, unknown>) => post<TestPostbackAnswer>('/v1/conversions/test', body),
    /** A CSV export as a Blob (the key travels in the header, never in a link). */
    csv: async (path: '/v1/conversions.csv' | '/v1/ledger.csv', q: ReportQuery = {}) => (await raw(`${path}${query(q)}`)).blob(),
  };
}

/** The demo keys, or null when the collector does not offer them (production, or seeded elsewhere). */
export async function fetchDemoKeys(fetchFn: typeof fetch = (...a) => fetch(...a)): Promise<DemoKeys | null> {
  try {
    const res = await fetchFn('/demo/keys.json', { headers: { Accept: 'application/json' } });
    return res.status === 200 ? ((await res.json()) as DemoKeys) : null;
  } catch {
    return null;
  }
}

/** The commands on one conversion (collector/src/core/conversion-status.ts). */
export type AdjustCommand = 'approve' | 'reject' | 'reverse' | 'restate' | 'dispute';

/** A command's answer: the conversion after it and the advertiser's cost it moved (negative: given back). */
export interface AdjustAnswer {
  conversion: Conversion;
  dryRun: boolean;
  costDeltaMicros: string;
  currency: string | null;
}

/** One line of a bulk-adjustment answer. */
export interface BulkLineAnswer {
  line: number;
  orderId: string;
  command: string | null;
  conversionId: string | null;
  outcome: 'applied' | 'would_apply' | 'unchanged' | 'error';
  reason: string | null;
  status: string | null;
  costDeltaMicros: string;
  currency: string | null;
}

/** `POST /v1/conversions/bulk`. */
export interface BulkAnswer {
  dryRun: boolean;
  lines: BulkLineAnswer[];
  totals: { currency: string; costDeltaMicros: string }[];
  counts: Record<BulkLineAnswer['outcome'], number>;
}

/** `POST /v1/conversions/test`. */
export interface TestPostbackAnswer {
  test: true;
  kept: false;
  http: { status: number; body: Record<string, unknown> };
  verdict: { conversion: Conversion | null; ledger: EntryGroup[] };
}
