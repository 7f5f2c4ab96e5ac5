/**
 * Reports for the dashboards: performance tables and time series, conversions with their explain
 * record, the ledger, balances, the live feed, rejected events, "verify my tag", CSV exports.
 * Advertisers see their own numbers, publishers theirs, the operator everything.
 */
import type { Context, Hono } from 'hono';
import { formatMicros } from '../core/money';
import { DAY_MS } from '../core/terms';
import { describeIssues } from '../ingest/beacon-schema';
import { reportQuery } from './admin-schemas';
import { authenticate, type Auth } from './auth';
import { fail, type Collector } from './context';
import { conversionJson, groupJson, performanceJson } from './json';
import type { ConversionCursor, LedgerLine } from '../store/store';

/** Registers the report routes. */
export function reportRoutes(app: Hono, col: Collector): void {
  const docs = (path: string, summary: string, auth: ('operator' | 'advertiser' | 'publisher')[] = ['operator', 'advertiser', 'publisher']) =>
    col.docs.push({ method: 'get', path, summary, tag: 'Reports', auth, query: reportQuery, responses: { 200: 'ok', 400: 'invalid query', 401: 'unauthenticated', 403: 'forbidden' } });

  /** Parses the query and scopes it to the caller. */
  const scoped = async (c: Context) => {
    const auth = await authenticate(col, c);
    if (!auth) return { res: fail(c, 401, 'unauthenticated', 'send Authorization: Bearer <API key>') } as const;
    const q = reportQuery.safeParse(c.req.query());
    if (!q.success) return { res: fail(c, 400, 'invalid_query', describeIssues(q.error)) } as const;
    const now = col.clock();
    const to = q.data.to ? Number(q.data.to) : now + 1;
    const from = q.data.from ? Number(q.data.from) : to - 30 * DAY_MS;
    const filter = {
      advertiserId: auth.kind === 'advertiser' ? auth.id : q.data.advertiserId,
      publisherId: auth.kind === 'publisher' ? auth.id : q.data.publisherId,
      campaignId: q.data.campaignId,
    };
    const limit = Math.min(Number(q.data.limit ?? 200), 5000);
    return { auth, q: q.data, range: { from, to }, filter, limit } as const;
  };

  docs('/v1/me', 'Who the API key belongs to (dashboard sign-in).');
  app.get('/v1/me', async (c) => {
    const auth = await authenticate(col, c);
    if (!auth) return fail(c, 401, 'unauthenticated', 'unknown API key');
    if (auth.kind === 'advertiser') return c.json({ kind: 'advertiser', id: auth.id, advertiser: await col.store.catalog.getAdvertiser(auth.id).then((a) => a && { id: a.id, name: a.name, currency: a.currency }) });
    if (auth.kind === 'publisher') return c.json({ kind: 'publisher', id: auth.id, publisher: await col.store.catalog.getPublisher(auth.id) });
    return c.json({ kind: 'operator' });
  });

  docs('/v1/reports/performance', 'Served, viewable, clicks, invalid, conversions, value, cost and earnings, grouped by campaign, slot, publisher or creative, optionally per UTC day.');
  app.get('/v1/reports/performance', async (c) => {
    const s = await scoped(c);
    if ('res' in s) return s.res;
    const groupBy = s.q.groupBy ?? (s.auth.kind === 'publisher' ? 'slot' : 'campaign');
    const rows = await col.store.reports.performance(s.filter, s.range, groupBy, s.q.perDay === '1');
    return c.json({ from: s.range.from, to: s.range.to, groupBy, rows: rows.map(performanceJson) });
  });

  docs('/v1/conversions', 'Conversions, newest first, each with its explain record.', ['operator', 'advertiser']);
  app.get('/v1/conversions', async (c) => {
    const s = await scoped(c);
    if ('res' in s) return s.res;
    if (s.auth.kind === 'publisher') return fail(c, 403, 'forbidden', 'publishers see earnings, not conversions');
    const before = conversionCursor(s.q.before);
    if (before === false) return fail(c, 400, 'invalid_query', 'before: not a conversions cursor (use the `next` of the previous page)');
    const list = await col.store.reports.conversions({ ...s.filter, status: s.q.status }, s.range, s.limit, before);
    const last = list.at(-1);
    return c.json({ conversions: list.map(conversionJson), next: list.length === s.limit && last ? `${last.receivedAt}_${last.id}` : null });
  });
  docs('/v1/conversions/:id', 'One conversion: every candidate touch, why it won or lost, and the money split.', ['operator', 'advertiser']);
  app.get('/v1/conversions/:id', async (c) => {
    const auth = await authenticate(col, c);
    if (!auth) return fail(c, 401, 'unauthenticated', 'send Authorization: Bearer <API key>');
    const conv = await col.store.reports.conversion(c.req.param('id'));
    if (!conv || (auth.kind === 'advertiser' && conv.advertiserId !== auth.id)) return fail(c, 404, 'not_found', 'no such conversion');
    if (auth.kind === 'publisher') return fail(c, 403, 'forbidden', 'publishers see earnings, not conversions');
    const ledger = await col.store.write((tx) => tx.groupsFor('conversion', conv.id));
    return c.json({ conversion: conversionJson(conv), ledger: ledger.map(groupJson) });
  });

  docs('/v1/ledger', 'Ledger entry groups with their legs, newest first.');
  app.get('/v1/ledger', async (c) => {
    const s = await scoped(c);
    if ('res' in s) return s.res;
    const beforeId = ledgerCursor(s.q.before);
    if (beforeId === false) return fail(c, 400, 'invalid_query', 'before: not a ledger cursor (use the `next` of the previous page)');
    const groups = visibleLegs(s.auth, await col.store.reports.ledger(s.filter, s.range, s.limit, beforeId));
    return c.json({ groups: groups.map(groupJson), next: groups.length === s.limit ? String(groups.at(-1)!.id) : null });
  });
  docs('/v1/ledger/totals', 'Σ debits and Σ credits (always equal) and the balance of every account, per currency (`currencies`) and over the whole ledger as a check.', ['operator']);
  app.get('/v1/ledger/totals', async (c) => {
    const auth = await authenticate(col, c);
    if (!auth) return fail(c, 401, 'unauthenticated', 'operator key required');
    if (auth.kind !== 'operator') return fail(c, 403, 'forbidden', 'operator only');
    // One pass over the ledger, per currency; the whole-ledger figures are their sums — a balance
    // check across currencies, not an amount of money.
    const perCurrency = await col.store.reports.ledgerByCurrency();
    const debits = perCurrency.reduce((s, x) => s + x.debits, 0n);
    const credits = perCurrency.reduce((s, x) => s + x.credits, 0n);
    const balances = new Map<string, bigint>();
    for (const x of perCurrency) for (const [account, v] of x.balances) balances.set(account, (balances.get(account) ?? 0n) + v);
    const money = (m: Map<string, bigint>) => Object.fromEntries([...[...m].sort((a, b) => a[0].localeCompare(b[0]))].map(([k, v]) => [k, String(v)]));
    return c.json({
      debitsMicros: String(debits),
      creditsMicros: String(credits),
      balanced: debits === credits && perCurrency.every((x) => x.debits === x.credits),
      groups: perCurrency.reduce((s, x) => s + x.groups, 0),
      balances: money(balances),
      currencies: perCurrency.map((x) => ({
        currency: x.currency,
        debitsMicros: String(x.debits),
        creditsMicros: String(x.credits),
        balanced: x.debits === x.credits,
        groups: x.groups,
        balances: money(x.balances),
      })),
    });
  });

  const ownsSite = async (auth: Auth, siteId: string) => {
    if (auth.kind === 'operator') return true;
    const site = await col.store.catalog.getSite(siteId);
    return !!site && site.ownerType === auth.kind && site.ownerId === auth.id;
  };
  docs('/v1/feed', 'Live events feed (newest first); poll with after=<epoch ms>.');
  app.get('/v1/feed', async (c) => {
    const s = await scoped(c);
    if ('res' in s) return s.res;
    // Page views and rejected events of a site carry no advertiser or publisher: only its owner may
    // ask for them by siteId.
    if (s.q.siteId && !(await ownsSite(s.auth, s.q.siteId))) return fail(c, 403, 'forbidden', 'not your site');
    const items = await col.store.reports.feed({ ...s.filter, siteId: s.q.siteId }, Math.min(s.limit, 200), s.q.after ? Number(s.q.after) : 0);
    return c.json({ items, now: col.clock() });
  });

  docs('/v1/sites/:id/activity', '"Verify my tag": beacons from a site by type, the last one seen, and why any were rejected.');
  app.get('/v1/sites/:id/activity', async (c) => {
    const s = await scoped(c);
    if ('res' in s) return s.res;
    const siteId = c.req.param('id');
    const site = await col.store.catalog.getSite(siteId);
    if (!site) return fail(c, 404, 'not_found', `no site ${siteId}`);
    if (!(await ownsSite(s.auth, siteId))) return fail(c, 403, 'forbidden', 'not your site');
    const range = s.q.from ? s.range : { from: col.clock() - DAY_MS, to: col.clock() + 1 };
    const [activity, reasons, recent] = await Promise.all([
      col.store.reports.siteActivity(siteId, range),
      col.store.reports.rejectedCounts({ siteId }, range),
      col.store.reports.rejected({ siteId }, range, 20),
    ]);
    return c.json({ site, from: range.from, to: range.to, activity, rejectedReasons: reasons, recentRejected: recent });
  });

  docs('/v1/rejected', 'Rejected events with their reasons (operator: all; others: their sites).');
  app.get('/v1/rejected', async (c) => {
    const s = await scoped(c);
    if ('res' in s) return s.res;
    if (s.auth.kind !== 'operator' && (!s.q.siteId || !(await ownsSite(s.auth, s.q.siteId)))) return fail(c, 403, 'forbidden', 'give one of your siteId');
    const [events, reasons] = await Promise.all([
      col.store.reports.rejected({ siteId: s.q.siteId }, s.range, s.limit),
      col.store.reports.rejectedCounts({ siteId: s.q.siteId }, s.range),
    ]);
    return c.json({ events, reasons });
  });

  docs('/v1/conversions.csv', 'Conversions as CSV.', ['operator', 'advertiser']);
  app.get('/v1/conversions.csv', async (c) => {
    const s = await scoped(c);
    if ('res' in s) return s.res;
    if (s.auth.kind === 'publisher') return fail(c, 403, 'forbidden', 'publishers see earnings, not conversions');
    const { range } = s;
    const filter = { ...s.filter, status: s.q.status };
    // Every conversion of the range, page by page, streamed: an export is never silently cut short.
    async function* pages() {
      let before: ConversionCursor | undefined;
      for (;;) {
        const page = await col.store.reports.conversions(filter, range, EXPORT_PAGE, before);
        yield page.map((v) => [
          v.id, new Date(v.receivedAt).toISOString(), v.advertiserId, v.actionKey, v.orderId, v.status, v.statusReason, formatMicros(v.valueMicros), v.currency,
          v.campaignId, v.publisherId, v.slotId, v.touchId, v.touchKind, v.termsVersion, formatMicros(v.costMicros),
        ]);
        if (page.length < EXPORT_PAGE) return;
        before = { receivedAt: page.at(-1)!.receivedAt, id: page.at(-1)!.id };
      }
    }
    return csv(
      c,
      'conversions.csv',
      ['id', 'received_at', 'advertiser', 'action', 'order_id', 'status', 'status_reason', 'value', 'currency', 'campaign', 'publisher', 'slot', 'touch', 'touch_kind', 'terms_version', 'cost'],
      pages(),
    );
  });
  docs('/v1/ledger.csv', 'Ledger legs as CSV (one row per leg).');
  app.get('/v1/ledger.csv', async (c) => {
    const s = await scoped(c);
    if ('res' in s) return s.res;
    const { auth, filter, range } = s;
    async function* pages() {
      let beforeId: number | undefined;
      for (;;) {
        const page = await col.store.reports.ledger(filter, range, EXPORT_PAGE, beforeId);
        yield visibleLegs(auth, page).flatMap((g) =>
          g.legs.map((l) => [
            g.id, g.key, g.kind, new Date(g.meta.at).toISOString(), g.meta.refType, g.meta.refId, g.meta.campaignId, g.meta.publisherId, g.meta.slotId ?? '',
            g.meta.termsVersion, g.meta.currency, l.account, l.side === 'debit' ? formatMicros(l.micros) : '', l.side === 'credit' ? formatMicros(l.micros) : '', g.meta.reason,
          ]),
        );
        if (page.length < EXPORT_PAGE) return;
        beforeId = page.at(-1)!.id;
      }
    }
    return csv(
      c,
      'ledger.csv',
      ['group', 'key', 'kind', 'at', 'ref_type', 'ref_id', 'campaign', 'publisher', 'slot', 'terms_version', 'currency', 'account', 'debit', 'credit', 'reason'],
      pages(),
    );
  });
}

/**
 * What a caller may see of each entry group: a publisher sees its own earning legs only — not what
 * the advertiser paid nor the platform's margin; advertisers and the operator see every leg (the
 * advertiser is shown exactly where its money went).
 */
function visibleLegs(auth: Auth, groups: LedgerLine[]): LedgerLine[] {
  if (auth.kind !== 'publisher') return groups;
  const own = `publisher:${auth.id}`;
  return groups.map((g) => ({ ...g, legs: g.legs.filter((l) => l.account === own) }));
}

/** Rows per store query while exporting. */
const EXPORT_PAGE = 1000;

/** A `before` cursor of the conversions list (`<receivedAt>_<id>`); undefined when absent, false when malformed. */
function conversionCursor(before: string | undefined): ConversionCursor | undefined | false {
  if (before === undefined) return undefined;
  const cut = before.indexOf('_');
  if (cut < 0) return false;
  return { receivedAt: Number(before.slice(0, cut)), id: before.slice(cut + 1) };
}

/** A `before` cursor of the ledger (a group id); undefined when absent, false when malformed. */
function ledgerCursor(before: string | undefined): number | undefined | false {
  if (before === undefined) return undefined;
  return /^\d+$/.test(before) ? Number(before) : false;
}

/**
 * RFC 4180 CSV, streamed page by page so an export of any size is complete without holding it all
 * in memory. Cells that a spreadsheet would run as a formula are prefixed with ' (CSV injection).
 * A failure after the first bytes aborts the stream, so the download fails instead of looking whole.
 */
function csv(c: Context, name: string, header: unknown[], pages: AsyncGenerator<unknown[][]>) {
  const cell = (v: unknown) => {
    let s = v === null || v === undefined ? '' : String(v);
    // Only a cell that is wholly a number may start with "-": `-1+cmd|' /C calc'!A0` is a formula.
    if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const line = (r: unknown[]) => r.map(cell).join(',') + '\r\n';
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(line(header)));
    },
    async pull(controller) {
      const next = await pages.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value.map(line).join('')));
    },
    async cancel() {
      await pages.return(undefined);
    },
  });
  return c.body(body, 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${name}"`,
  });
}
