/** The read half of the SQL store: dashboards, reports, CSV exports, "verify my tag". */
import { DAY_MS } from '../core/terms';
import { utcDay } from '../core/day';
import { big, num, type Db, type SqlValue } from './db';
import { GROUP_SELECT, toConversion, toGroups } from './sql-write-tx';
import { readSum, sumMicros } from './sum-micros';
import { createSqlStatements } from './sql-statements';
import type { FeedItem, PerformanceRow, RejectedEvent, Reports } from './store';
import { createSqlTestEventReports } from './sql-test-events';
import { createSqlPayoutReports } from './sql-payouts';

type Row = Record<string, unknown>;
const s = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** Builds the Reports over a Db (reads see committed data only). */
export function createSqlReports(db: Db): Reports {
  const dayExpr = (col: string) => `(${col} / ${DAY_MS})`;

  const reports: Reports = {
    ...createSqlStatements(db),
    ...createSqlTestEventReports(db),
    ...createSqlPayoutReports(db),
    async performance(filter, range, groupBy, perDay) {
      // Money is only ever summed within one currency: every fact is put in the currency of the
      // advertiser it belongs to (the currency its charges are posted in), so a slot that served a
      // EUR and a USD campaign has one row per currency instead of a sum of euros and dollars.
      const keyCol = { campaign: 'campaign_id', slot: 'slot_id', publisher: 'publisher_id', creative: 'creative_id' }[groupBy];
      const where = (alias: string) => {
        const clauses = [`${alias}.at >= ?`, `${alias}.at < ?`];
        const params: SqlValue[] = [range.from, range.to];
        if (filter.advertiserId) (clauses.push(`${alias}.advertiser_id = ?`), params.push(filter.advertiserId));
        if (filter.publisherId) (clauses.push(`${alias}.publisher_id = ?`), params.push(filter.publisherId));
        if (filter.campaignId) (clauses.push(`${alias}.campaign_id = ?`), params.push(filter.campaignId));
        return { sql: clauses.join(' AND '), params };
      };
      const day = (alias: string) => (perDay ? `, ${dayExpr(`${alias}.at`)}` : '');
      const rows = new Map<string, PerformanceRow>();
      const row = (key: string, d: unknown, currency: unknown): PerformanceRow => {
        const dayText = perDay ? utcDay(num(d) * DAY_MS) : undefined;
        const cur = String(currency);
        const id = `${key}|${dayText ?? ''}|${cur}`;
        let r = rows.get(id);
        if (!r) {
          r = { key, ...(dayText ? { day: dayText } : {}), currency: cur, served: 0, viewable: 0, clicks: 0, invalidImpressions: 0, invalidServed: 0, invalidViewable: 0, invalidClicks: 0, conversions: 0, valueMicros: 0n, costMicros: 0n, earningMicros: 0n, platformMicros: 0n };
          rows.set(id, r);
        }
        return r;
      };
      /** `SELECT <key> AS k[, <day> AS d], a.currency AS cur, …` over `table alias` joined to its advertiser. */
      const select = (table: string, alias: string, columns: string, extraWhere = '', extraGroup = '') => {
        const w = where(alias);
        return db.all<Row>(
          `SELECT ${alias}.${keyCol} AS k${perDay ? `${day(alias)} AS d` : ''}, COALESCE(adv.currency, '') AS cur${extraGroup ? `, ${extraGroup} AS cur2` : ''}, ${columns}
           FROM ${table} ${alias} LEFT JOIN advertisers adv ON adv.id = ${alias}.advertiser_id
           WHERE ${w.sql}${extraWhere} GROUP BY ${alias}.${keyCol}${day(alias)}, COALESCE(adv.currency, '')${extraGroup ? `, ${extraGroup}` : ''}`,
          w.params,
        );
      };

      for (const r of await select(
        'impressions',
        'i',
        `SUM(CASE WHEN i.kind = 'served' AND i.invalid_reason IS NULL THEN 1 ELSE 0 END) AS served,
         SUM(CASE WHEN i.kind = 'viewable' AND i.invalid_reason IS NULL THEN 1 ELSE 0 END) AS viewable,
         SUM(CASE WHEN i.kind = 'served' AND i.invalid_reason IS NOT NULL THEN 1 ELSE 0 END) AS invalid_served,
         SUM(CASE WHEN i.kind = 'viewable' AND i.invalid_reason IS NOT NULL THEN 1 ELSE 0 END) AS invalid_viewable`,
      )) {
        const x = row(String(r.k), r.d, r.cur);
        x.served += num(r.served);
        x.viewable += num(r.viewable);
        x.invalidServed += num(r.invalid_served);
        x.invalidViewable += num(r.invalid_viewable);
        x.invalidImpressions += num(r.invalid_served) + num(r.invalid_viewable);
      }
      for (const r of await select(
        'clicks',
        'k',
        `SUM(CASE WHEN k.invalid_reason IS NULL AND k.duplicate_of IS NULL THEN 1 ELSE 0 END) AS clicks,
         SUM(CASE WHEN k.invalid_reason IS NOT NULL OR k.duplicate_of IS NOT NULL THEN 1 ELSE 0 END) AS invalid`,
      )) {
        const x = row(String(r.k), r.d, r.cur);
        x.clicks += num(r.clicks);
        x.invalidClicks += num(r.invalid);
      }
      // A conversion counts in its advertiser's currency; its value is summed in the currency the
      // site reported it in (the advertiser's when it gave none), so a value in another currency
      // lands in a row of its own rather than being added to the wrong one.
      for (const r of await select(
        'conversions',
        'v',
        `COUNT(*) AS n, ${sumMicros('v.value_micros', 'value')}`,
        " AND v.campaign_id IS NOT NULL AND v.status IN ('approved', 'restated', 'disputed')",
        "COALESCE(v.currency, adv.currency, '')",
      )) {
        row(String(r.k), r.d, r.cur).conversions += num(r.n);
        row(String(r.k), r.d, r.cur2).valueMicros += readSum(r, 'value');
      }
      const lg = where('g');
      // A payout moves money already earned out to the publisher: it is not performance.
      lg.sql += " AND g.kind <> 'payout'";
      // Entry groups record no creative: a group's creative is that of the click, impression or
      // conversion it bills (its ref), so the creative view joins them.
      const byCreative = groupBy === 'creative';
      const lgKey = byCreative ? 'COALESCE(ck.creative_id, im.creative_id, cv.creative_id)' : `g.${keyCol}`;
      const lgRefs = byCreative
        ? ` LEFT JOIN clicks ck ON g.ref_type = 'click' AND ck.click_id = g.ref_id
            LEFT JOIN impressions im ON g.ref_type = 'impression' AND im.id = g.ref_id
            LEFT JOIN conversions cv ON g.ref_type = 'conversion' AND cv.id = g.ref_id`
        : '';
      for (const r of await db.all<Row>(
        `SELECT ${lgKey} AS k${perDay ? `${day('g')} AS d` : ''}, g.currency AS cur,
           ${sumMicros("CASE WHEN l.account LIKE 'advertiser:%' THEN (CASE WHEN l.side = 'debit' THEN l.micros ELSE -l.micros END) ELSE 0 END", 'cost')},
           ${sumMicros("CASE WHEN l.account LIKE 'publisher:%' THEN (CASE WHEN l.side = 'credit' THEN l.micros ELSE -l.micros END) ELSE 0 END", 'earning')},
           ${sumMicros("CASE WHEN l.account = 'platform' THEN (CASE WHEN l.side = 'credit' THEN l.micros ELSE -l.micros END) ELSE 0 END", 'platform')}
         FROM ledger_groups g JOIN ledger_legs l ON l.group_id = g.id${lgRefs} WHERE ${lg.sql}
         GROUP BY ${lgKey}${day('g')}, g.currency`,
        lg.params,
      )) {
        const x = row(String(r.k), r.d, r.cur);
        x.costMicros += readSum(r, 'cost');
        x.earningMicros += readSum(r, 'earning');
        x.platformMicros += readSum(r, 'platform');
      }
      return [...rows.values()].sort((a, b) => (a.day ?? '').localeCompare(b.day ?? '') || a.key.localeCompare(b.key) || a.currency.localeCompare(b.currency));
    },

    async conversions(filter, range, limit, before) {
      // Only the filters given become conditions (every value a bound parameter).
      const where = ['received_at >= ?', 'received_at < ?'];
      const args: (string | number)[] = [range.from, range.to];
      const eq = (col: string, v: string | undefined) => {
        if (v === undefined) return;
        where.push(`${col} = ?`);
        args.push(v);
      };
      eq('advertiser_id', filter.advertiserId);
      eq('campaign_id', filter.campaignId);
      eq('publisher_id', filter.publisherId);
      eq('action_key', filter.actionKey);
      eq('order_id', filter.orderId);
      const statuses = filter.status === undefined ? [] : Array.isArray(filter.status) ? filter.status : [filter.status];
      if (statuses.length) {
        where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
        args.push(...statuses);
      }
      // Keyset paging on the sort key itself, so a page never repeats or skips a row that an
      // OFFSET would when conversions arrive between two pages.
      if (before) {
        where.push('(received_at < ? OR (received_at = ? AND id > ?))');
        args.push(before.receivedAt, before.receivedAt, before.id);
      }
      const rows = await db.all<Row>(`SELECT * FROM conversions WHERE ${where.join(' AND ')} ORDER BY received_at DESC, id LIMIT ?`, [...args, limit]);
      return rows.map(toConversion);
    },
    async conversion(id) {
      const r = await db.get<Row>('SELECT * FROM conversions WHERE id = ?', [id]);
      return r ? toConversion(r) : null;
    },

    async ledger(filter, range, limit, beforeId) {
      // Limit groups first, then fetch their legs, so a group is never cut in half.
      const ids = await db.all<Row>(
        `SELECT id FROM ledger_groups WHERE at >= ? AND at < ?
           AND (CAST(? AS TEXT) IS NULL OR advertiser_id = ?) AND (CAST(? AS TEXT) IS NULL OR publisher_id = ?)
           AND (CAST(? AS TEXT) IS NULL OR campaign_id = ?) AND (CAST(? AS TEXT) IS NULL OR kind = ?)${beforeId === undefined ? '' : ' AND id < ?'}
         ORDER BY id DESC LIMIT ?`,
        [range.from, range.to, filter.advertiserId ?? null, filter.advertiserId ?? null, filter.publisherId ?? null, filter.publisherId ?? null,
          filter.campaignId ?? null, filter.campaignId ?? null, filter.kind ?? null, filter.kind ?? null, ...(beforeId === undefined ? [] : [beforeId]), limit],
      );
      if (ids.length === 0) return [];
      const min = ids.reduce((m, r) => Math.min(m, num(r.id)), Infinity);
      const max = ids.reduce((m, r) => Math.max(m, num(r.id)), -Infinity);
      const want = new Set(ids.map((r) => num(r.id)));
      const rows = await db.all<Row>(`${GROUP_SELECT} WHERE g.id >= ? AND g.id <= ? ORDER BY g.id DESC`, [min, max]);
      return toGroups(rows).filter((g) => want.has(g.id));
    },
    async ledgerTotals() {
      const r = await db.get<Row>(
        `SELECT ${sumMicros("CASE WHEN side = 'debit' THEN micros ELSE 0 END", 'd')}, ${sumMicros("CASE WHEN side = 'credit' THEN micros ELSE 0 END", 'c')},
           COUNT(DISTINCT group_id) AS g FROM ledger_legs`,
      );
      return { debits: readSum(r, 'd'), credits: readSum(r, 'c'), groups: num(r?.g) };
    },
    async balances(accounts) {
      const rows = await db.all<Row>(
        `SELECT account, ${sumMicros("CASE WHEN side = 'debit' THEN micros ELSE -micros END", 'net')} FROM ledger_legs GROUP BY account ORDER BY account`,
      );
      const out = new Map<string, bigint>();
      for (const r of rows) if (!accounts || accounts.includes(String(r.account))) out.set(String(r.account), readSum(r, 'net'));
      return out;
    },

    async ledgerByCurrency() {
      const out = new Map<string, { currency: string; debits: bigint; credits: bigint; groups: number; balances: Map<string, bigint> }>();
      const of = (currency: unknown) => {
        const c = String(currency);
        let x = out.get(c);
        if (!x) out.set(c, (x = { currency: c, debits: 0n, credits: 0n, groups: 0, balances: new Map() }));
        return x;
      };
      for (const r of await db.all<Row>('SELECT currency, COUNT(*) AS n FROM ledger_groups GROUP BY currency')) of(r.currency).groups = num(r.n);
      for (const r of await db.all<Row>(
        `SELECT g.currency, l.account, ${sumMicros("CASE WHEN l.side = 'debit' THEN l.micros ELSE 0 END", 'd')}, ${sumMicros("CASE WHEN l.side = 'credit' THEN l.micros ELSE 0 END", 'c')}
         FROM ledger_legs l JOIN ledger_groups g ON g.id = l.group_id GROUP BY g.currency, l.account ORDER BY g.currency, l.account`,
      )) {
        const x = of(r.currency);
        const d = readSum(r, 'd');
        const c = readSum(r, 'c');
        x.debits += d;
        x.credits += c;
        x.balances.set(String(r.account), d - c);
      }
      return [...out.values()].sort((a, b) => a.currency.localeCompare(b.currency));
    },

    async rejected(filter, range, limit) {
      const rows = await db.all<Row>(
        `SELECT * FROM rejected_events WHERE received_at >= ? AND received_at < ? AND (CAST(? AS TEXT) IS NULL OR site_id = ?)
         ORDER BY id DESC LIMIT ?`,
        [range.from, range.to, filter.siteId ?? null, filter.siteId ?? null, limit],
      );
      return rows.map(
        (r): RejectedEvent => ({
          receivedAt: num(r.received_at),
          siteId: s(r.site_id),
          endpoint: String(r.endpoint),
          eventType: s(r.event_type),
          eventId: s(r.event_id),
          reason: String(r.reason),
          detail: s(r.detail),
          payload: s(r.payload),
        }),
      );
    },
    async rejectedCounts(filter, range) {
      const rows = await db.all<Row>(
        `SELECT reason, COUNT(*) AS n FROM rejected_events WHERE received_at >= ? AND received_at < ? AND (CAST(? AS TEXT) IS NULL OR site_id = ?)
         GROUP BY reason ORDER BY COUNT(*) DESC, reason`,
        [range.from, range.to, filter.siteId ?? null, filter.siteId ?? null],
      );
      return rows.map((r) => ({ reason: String(r.reason), count: num(r.n) }));
    },

    async feed(filter, limit, after = 0) {
      const items: FeedItem[] = [];
      const own = (alias: string) => {
        const c: string[] = [];
        const p: SqlValue[] = [];
        if (filter.advertiserId) (c.push(`${alias}advertiser_id = ?`), p.push(filter.advertiserId));
        if (filter.publisherId) (c.push(`${alias}publisher_id = ?`), p.push(filter.publisherId));
        if (filter.siteId) (c.push(`${alias}site_id = ?`), p.push(filter.siteId));
        return { sql: c.length ? ` AND ${c.join(' AND ')}` : '', params: p };
      };
      // What the publisher of an impression or click earned on it: its net leg over every group of that action.
      const earned = (refType: string, ref: string, alias: string) =>
        `(SELECT COALESCE(SUM(CASE WHEN l.side = 'credit' THEN l.micros ELSE -l.micros END), 0) FROM ledger_groups g JOIN ledger_legs l ON l.group_id = g.id
          WHERE g.ref_type = '${refType}' AND g.ref_id = ${alias}.${ref} AND l.account = 'publisher:' || ${alias}.publisher_id)`;
      const imp = own('i.');
      for (const r of await db.all<Row>(
        // The earning is looked up for the page only (outer query): in the select list of the inner
        // one it would run for every row the sort reads.
        `SELECT x.*, ${earned('impression', 'id', 'x')} AS earning FROM (
           SELECT i.id, i.publisher_id, i.kind, i.received_at, i.site_id, i.campaign_id, i.slot_id, i.invalid_reason, i.billing, i.cost_micros
           FROM impressions i WHERE i.received_at > ?${imp.sql} ORDER BY i.received_at DESC LIMIT ?) x ORDER BY x.received_at DESC`,
        [after, ...imp.params, limit],
      )) {
        items.push({
          type: String(r.kind) as 'served' | 'viewable',
          at: num(r.received_at),
          siteId: s(r.site_id),
          summary: `${r.kind} impression · ${r.campaign_id} in ${r.slot_id}`,
          invalidReason: s(r.invalid_reason),
          billing: s(r.billing),
          costMicros: big(r.cost_micros),
          earningMicros: big(r.earning),
          campaignId: s(r.campaign_id),
        });
      }
      const clk = own('k.');
      for (const r of await db.all<Row>(
        `SELECT x.*, ${earned('click', 'click_id', 'x')} AS earning FROM (
           SELECT k.click_id, k.publisher_id, k.received_at, k.site_id, k.campaign_id, k.slot_id, k.invalid_reason, k.duplicate_of, k.billing, k.cost_micros, k.via
           FROM clicks k WHERE k.received_at > ?${clk.sql} ORDER BY k.received_at DESC LIMIT ?) x ORDER BY x.received_at DESC`,
        [after, ...clk.params, limit],
      )) {
        items.push({
          type: 'click',
          at: num(r.received_at),
          siteId: s(r.site_id),
          summary: `click (${r.via}) · ${r.campaign_id} from ${r.slot_id}`,
          invalidReason: s(r.invalid_reason) ?? (r.duplicate_of ? 'duplicate_click' : null),
          billing: s(r.billing),
          costMicros: big(r.cost_micros),
          earningMicros: big(r.earning),
          campaignId: s(r.campaign_id),
        });
      }
      if (!filter.publisherId) {
        const cv = own('');
        for (const r of await db.all<Row>(
          `SELECT id, received_at, site_id, action_key, status, status_reason, campaign_id, value_micros, currency, cost_micros FROM conversions
           WHERE received_at > ?${cv.sql} ORDER BY received_at DESC LIMIT ?`,
          [after, ...cv.params, limit],
        )) {
          items.push({
            type: 'conversion',
            at: num(r.received_at),
            siteId: s(r.site_id),
            summary: `${r.action_key} · ${r.status}${r.campaign_id ? ` → ${r.campaign_id}` : ''}`,
            invalidReason: String(r.status) === 'rejected' ? s(r.status_reason) : null,
            billing: null,
            costMicros: big(r.cost_micros),
            earningMicros: 0n,
            conversionId: String(r.id),
            status: String(r.status),
            actionKey: String(r.action_key),
            campaignId: s(r.campaign_id),
          });
        }
      }
      if (filter.siteId || (!filter.advertiserId && !filter.publisherId)) {
        const site = filter.siteId ? ' AND site_id = ?' : '';
        const p = filter.siteId ? [filter.siteId] : [];
        for (const r of await db.all<Row>(
          `SELECT received_at, site_id, url, invalid_reason FROM page_views WHERE received_at > ?${site} ORDER BY received_at DESC LIMIT ?`,
          [after, ...p, limit],
        )) {
          items.push({ type: 'pageview', at: num(r.received_at), siteId: s(r.site_id), summary: `page view ${r.url ?? ''}`, invalidReason: s(r.invalid_reason), billing: null, costMicros: 0n, earningMicros: 0n });
        }
        for (const r of await db.all<Row>(
          `SELECT received_at, site_id, reason, event_type FROM rejected_events WHERE received_at > ?${site} ORDER BY id DESC LIMIT ?`,
          [after, ...p, limit],
        )) {
          items.push({ type: 'rejected', at: num(r.received_at), siteId: s(r.site_id), summary: `rejected ${r.event_type ?? 'request'}`, invalidReason: String(r.reason), billing: null, costMicros: 0n, earningMicros: 0n });
        }
      }
      return items.sort((a, b) => b.at - a.at).slice(0, limit);
    },

    async siteActivity(siteId, range) {
      const q = (table: string, type: string, extra = '') =>
        db.get<Row>(`SELECT COUNT(*) AS n, MAX(received_at) AS last FROM ${table} WHERE site_id = ? AND received_at >= ? AND received_at < ?${extra}`, [
          siteId,
          range.from,
          range.to,
        ]).then((r) => ({ type, count: num(r?.n), lastAt: r?.last === null || r?.last === undefined ? null : num(r.last) }));
      return Promise.all([
        q('page_views', 'pageview'),
        q('impressions', 'served', " AND kind = 'served'"),
        q('impressions', 'viewable', " AND kind = 'viewable'"),
        q('clicks', 'click'),
        q('conversions', 'conversion'),
        q('rejected_events', 'rejected'),
      ]);
    },

    async campaignStats(since) {
      const out = new Map<string, { impressions: number; clicks: number; conversions: number; valueMicros: bigint }>();
      const get = (k: string) => {
        let v = out.get(k);
        if (!v) out.set(k, (v = { impressions: 0, clicks: 0, conversions: 0, valueMicros: 0n }));
        return v;
      };
      for (const r of await db.all<Row>(
        "SELECT campaign_id, COUNT(*) AS n FROM impressions WHERE kind = 'served' AND invalid_reason IS NULL AND at >= ? GROUP BY campaign_id",
        [since],
      ))
        get(String(r.campaign_id)).impressions = num(r.n);
      for (const r of await db.all<Row>(
        'SELECT campaign_id, COUNT(*) AS n FROM clicks WHERE invalid_reason IS NULL AND duplicate_of IS NULL AND at >= ? GROUP BY campaign_id',
        [since],
      ))
        get(String(r.campaign_id)).clicks = num(r.n);
      for (const r of await db.all<Row>(
        `SELECT campaign_id, COUNT(*) AS n, ${sumMicros('value_micros', 'v')} FROM conversions WHERE campaign_id IS NOT NULL AND status IN ('approved', 'restated', 'disputed') AND at >= ? GROUP BY campaign_id`,
        [since],
      )) {
        const x = get(String(r.campaign_id));
        x.conversions = num(r.n);
        x.valueMicros = readSum(r, 'v');
      }
      return out;
    },
    async campaignSpend(day) {
      const out = new Map<string, { totalMicros: bigint; dayMicros: bigint }>();
      for (const r of await db.all<Row>("SELECT campaign_id, scope, micros FROM spend WHERE publisher_id = '' AND scope IN ('total', ?)", [day])) {
        const k = String(r.campaign_id);
        const v = out.get(k) ?? { totalMicros: 0n, dayMicros: 0n };
        if (String(r.scope) === 'total') v.totalMicros = big(r.micros);
        else v.dayMicros = big(r.micros);
        out.set(k, v);
      }
      return out;
    },
    async publisherSpend(day) {
      const out = new Map<string, Map<string, bigint>>();
      for (const r of await db.all<Row>("SELECT campaign_id, publisher_id, micros FROM spend WHERE scope = ? AND publisher_id <> ''", [day])) {
        const k = String(r.campaign_id);
        let m = out.get(k);
        if (!m) out.set(k, (m = new Map()));
        m.set(String(r.publisher_id), big(r.micros));
      }
      return out;
    },
    async counts() {
      const tables = ['page_views', 'impressions', 'clicks', 'conversions', 'ledger_groups', 'ledger_legs', 'rejected_events', 'event_keys', 'vitals'];
      const out: Record<string, number> = {};
      for (const t of tables) out[t] = num((await db.get<Row>(`SELECT COUNT(*) AS n FROM ${t}`))?.n);
      return out;
    },
  };
  return reports;
}
