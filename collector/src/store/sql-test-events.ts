/**
 * The test-events reads (test-events.ts) in SQL, for both dialects. Each event table is read newest
 * first through an index that starts with its owner (page views and rejected events by site,
 * conversions by advertiser, impressions and clicks by publisher), then merged.
 *
 * ```ts
 * const reports = { ...createSqlReports(db) }; // includes createSqlTestEventReports(db)
 * ```
 */
import { big, num, type Db, type SqlValue } from './db';
import { formatMicros } from '../core/money';
import { toConversion } from './sql-write-tx';
import type { InvalidCount, TestEvent, TestEventOutcome, TestEventReports } from './test-events';

type Row = Record<string, unknown>;
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const json = (v: unknown, fallback: unknown) => {
  try {
    return v === null || v === undefined ? fallback : JSON.parse(String(v));
  } catch {
    return fallback;
  }
};

/** A test code as the SDK sends it (test-mode.ts): 1–24 letters or digits. */
export const TEST_CODE = /^[A-Za-z0-9]{1,24}$/;

/** Builds the test-events reads over a Db. */
export function createSqlTestEventReports(db: Db): TestEventReports {
  return {
    async testEvents(site, filter, limit) {
      // Test mode prefixes every event ID with `CODE_` (the IDs the tag makes never have `_`). The
      // code is checked here too, since its length is written into the SQL.
      const code = filter.code !== undefined && TEST_CODE.test(filter.code) ? `${filter.code}_` : null;
      if (filter.code !== undefined && !code) return [];
      const mine = code ? ` AND substr(event_id, 1, ${code.length}) = ?` : '';
      const p = (...params: SqlValue[]): SqlValue[] => (code ? [...params, code] : params);
      const out: TestEvent[] = [];

      for (const r of await db.all<Row>(
        `SELECT * FROM page_views WHERE site_id = ? AND received_at >= ?${mine} ORDER BY received_at DESC LIMIT ?`,
        [...p(site.id, filter.since), limit],
      )) {
        const clickIds = json(r.click_ids, []) as string[];
        out.push({
          receivedAt: num(r.received_at),
          type: 'pv',
          eventId: str(r.event_id),
          ...invalidOr(str(r.invalid_reason), 'counted', null),
          clickId: clickIds.length > 0,
          consent: num(r.cookieless) === 1 ? 'denied' : 'granted',
          costMicros: 0n,
          fields: compact({
            url: r.url,
            referrer: r.referrer,
            pageViewId: r.page_view_id,
            clickIds,
            otherClickIds: json(r.other_click_ids, {}),
            utm: json(r.utm, {}),
          }),
        });
      }

      if (site.ownerType === 'publisher') {
        // Publisher events are indexed by publisher and event time; a day of skew covers clocks.
        for (const r of await db.all<Row>(
          `SELECT * FROM impressions WHERE publisher_id = ? AND at >= ? AND site_id = ? AND received_at >= ?${mine} ORDER BY at DESC LIMIT ?`,
          [...p(site.ownerId, filter.since - 86_400_000, site.id, filter.since), limit],
        )) {
          const cost = big(r.cost_micros);
          out.push({
            receivedAt: num(r.received_at),
            type: r.kind === 'served' ? 'imp' : 'vi',
            eventId: str(r.event_id),
            ...invalidOr(str(r.invalid_reason), cost > 0n ? 'billed' : 'counted', billingReason(str(r.billing))),
            clickId: null,
            consent: null,
            costMicros: cost,
            fields: compact({ slotId: r.slot_id, campaignId: r.campaign_id, creativeId: r.creative_id, pageViewId: r.page_view_id, billing: r.billing }),
          });
        }
        for (const r of await db.all<Row>(
          `SELECT * FROM clicks WHERE publisher_id = ? AND at >= ? AND site_id = ? AND received_at >= ?${mine} ORDER BY at DESC LIMIT ?`,
          [...p(site.ownerId, filter.since - 86_400_000, site.id, filter.since), limit],
        )) {
          const cost = big(r.cost_micros);
          const duplicate = str(r.duplicate_of);
          out.push({
            receivedAt: num(r.received_at),
            type: 'clk',
            eventId: str(r.event_id),
            ...invalidOr(str(r.invalid_reason), cost > 0n ? 'billed' : 'counted', duplicate ? `repeat click of ${duplicate}` : billingReason(str(r.billing))),
            clickId: null,
            consent: null,
            costMicros: cost,
            fields: compact({ clickId: r.click_id, via: r.via, slotId: r.slot_id, campaignId: r.campaign_id, creativeId: r.creative_id, billing: r.billing }),
          });
        }
      } else {
        for (const r of await db.all<Row>(
          `SELECT * FROM conversions WHERE advertiser_id = ? AND received_at >= ? AND site_id = ?${mine} ORDER BY received_at DESC LIMIT ?`,
          [...p(site.ownerId, filter.since, site.id), limit],
        )) {
          const c = toConversion(r);
          out.push({
            receivedAt: c.receivedAt,
            type: 'cv',
            eventId: c.eventId,
            ...conversionOutcome(c.status, c.statusReason, c.origin, c.costMicros),
            clickId: c.clickIds.length > 0,
            // A browser conversion sent without ad_storage has no source key (tracker.ts marks it `cl`).
            consent: c.origin === 's2s' ? null : c.sourceKey === null ? 'denied' : 'granted',
            costMicros: c.costMicros,
            fields: compact({
              action: c.actionKey,
              orderId: c.orderId,
              value: c.currency ? `${formatMicros(c.valueMicros)} ${c.currency}` : formatMicros(c.valueMicros),
              clickIds: c.clickIds,
              otherClickIds: c.otherClickIds,
              utm: c.utm ?? {},
              origin: c.origin,
              status: c.status,
              campaignId: c.campaignId,
              conversionId: c.id,
            }),
          });
        }
      }

      for (const r of await db.all<Row>(
        `SELECT * FROM rejected_events WHERE site_id = ? AND received_at >= ?${mine} ORDER BY id DESC LIMIT ?`,
        [...p(site.id, filter.since), limit],
      )) {
        const sent = json(r.payload, null) as Record<string, unknown> | null;
        const event = sent && typeof sent === 'object' && !Array.isArray(sent) ? sent : null;
        out.push({
          receivedAt: num(r.received_at),
          type: str(r.event_type),
          eventId: str(r.event_id),
          outcome: 'refused',
          reason: str(r.detail) ? `${r.reason}: ${r.detail}` : String(r.reason),
          clickId: event ? typeof event.k === 'string' && event.k.length > 0 : null,
          consent: event && 't' in event ? (event.cl === '1' ? 'denied' : 'granted') : null,
          costMicros: 0n,
          fields: event ? compact({ endpoint: r.endpoint, ...event }) : compact({ endpoint: r.endpoint, payload: str(r.payload) }),
        });
      }

      return out.sort((a, b) => b.receivedAt - a.receivedAt).slice(0, limit);
    },

    async consentSummary(siteId, since) {
      const r = await db.get<Row>(
        `SELECT COUNT(*) AS n,
                SUM(CASE WHEN click_ids IS NULL OR click_ids = '[]' THEN 1 ELSE 0 END) AS bare,
                SUM(CASE WHEN (click_ids IS NULL OR click_ids = '[]') AND source_key IS NULL AND origin <> 's2s' THEN 1 ELSE 0 END) AS denied
           FROM conversions WHERE site_id = ? AND received_at >= ?`,
        [siteId, since],
      );
      return { conversions: num(r?.n), withoutClickId: num(r?.bare), storageDenied: num(r?.denied) };
    },

    async invalidCounts(site, since) {
      const count = async (type: InvalidCount['type'], sql: string, params: SqlValue[], reasonCol: string): Promise<InvalidCount> => {
        const rows = await db.all<Row>(`SELECT ${reasonCol} AS reason, COUNT(*) AS n FROM ${sql} GROUP BY ${reasonCol}`, params);
        const reasons = rows.filter((x) => x.reason !== null && x.reason !== undefined).map((x) => ({ reason: String(x.reason), count: num(x.n) }));
        return {
          type,
          total: rows.reduce((s, x) => s + num(x.n), 0),
          invalid: reasons.reduce((s, x) => s + x.count, 0),
          reasons: reasons.sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
        };
      };
      const out = [await count('pageview', 'page_views WHERE site_id = ? AND received_at >= ?', [site.id, since], 'invalid_reason')];
      if (site.ownerType === 'publisher') {
        const imp = 'impressions WHERE publisher_id = ? AND at >= ? AND site_id = ? AND received_at >= ? AND kind = ?';
        out.push(await count('served', imp, [site.ownerId, since - 86_400_000, site.id, since, 'served'], 'invalid_reason'));
        out.push(await count('viewable', imp, [site.ownerId, since - 86_400_000, site.id, since, 'viewable'], 'invalid_reason'));
        out.push(await count('click', 'clicks WHERE publisher_id = ? AND at >= ? AND site_id = ? AND received_at >= ?', [site.ownerId, since - 86_400_000, site.id, since], 'invalid_reason'));
      } else {
        // A conversion from invalid traffic is stored rejected with `invalid: <reason>` (conversion-pipeline.ts).
        const reason = "CASE WHEN status = 'rejected' AND status_reason LIKE 'invalid: %' THEN substr(status_reason, 10) ELSE NULL END";
        out.push(await count('conversion', 'conversions WHERE advertiser_id = ? AND received_at >= ? AND site_id = ?', [site.ownerId, since, site.id], reason));
      }
      return out;
    },

    async straySiteIds(since, limit) {
      const rows = await db.all<Row>(
        `SELECT site_id, COUNT(*) AS n, MAX(received_at) AS last FROM rejected_events
          WHERE received_at >= ? AND reason = 'unknown_site' AND site_id IS NOT NULL
          GROUP BY site_id ORDER BY COUNT(*) DESC, site_id LIMIT ?`,
        [since, limit],
      );
      return rows.map((r) => ({ siteId: String(r.site_id), count: num(r.n), lastAt: num(r.last) }));
    },
  };
}

/** Invalid traffic wins over any other outcome: it is stored, never billed. */
function invalidOr(invalid: string | null, outcome: TestEventOutcome, reason: string | null): { outcome: TestEventOutcome; reason: string | null } {
  return invalid ? { outcome: 'invalid', reason: invalid } : { outcome, reason };
}

/** Why a valid impression or click cost nothing, in the store's words (`no_charge`, `over_cap`…). */
function billingReason(billing: string | null): string | null {
  return billing === 'charged' || billing === null ? null : billing;
}

/** A conversion's outcome from its status (conversion-status.ts) and origin. */
function conversionOutcome(status: string, statusReason: string | null, origin: string, cost: bigint): { outcome: TestEventOutcome; reason: string | null } {
  if (status === 'rejected' && statusReason?.startsWith('invalid: ')) return { outcome: 'invalid', reason: statusReason.slice(9) };
  if (status === 'rejected') return { outcome: 'refused', reason: statusReason };
  if (status === 'pending') return { outcome: 'held', reason: statusReason };
  if (origin === 'both') return { outcome: 'merged', reason: statusReason ?? (status === 'unattributed' ? 'no ad to credit' : null) };
  if (cost > 0n) return { outcome: 'billed', reason: statusReason };
  return { outcome: 'counted', reason: statusReason ?? (status === 'unattributed' ? 'no ad to credit' : null) };
}

/** Drops null, undefined, empty strings, empty lists and empty objects, so each event shows only what it has. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o).filter(
      ([, v]) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0),
    ),
  );
}
