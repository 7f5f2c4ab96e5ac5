/**
 * Reports for the dashboards: performance tables and time series, conversions with their explain
 * record, the ledger, balances, the live feed, rejected events, "verify my tag", CSV exports.
 *
 * Two rules hold for every one of them: the store query is scoped to the caller's own objects
 * (`scope`), and the answer is projected to what the caller's role may see (role-view.ts — the role
 * table of ARCHITECTURE.md).
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { formatMicros } from '../core/money';
import { DAY_MS } from '../core/terms';
import { HELD_STATUSES, type ConversionStatus } from '../core/conversion-status';
import type { ConversionCursor, ConversionFilter } from '../store/store';
import {
  conversionAnswer,
  entryGroupAnswer,
  errorAnswer,
  feedItemAnswer,
  ledgerTotalsAnswer,
  performanceAnswer,
  publisherEntryGroupAnswer,
  reasonCount,
  rejectedEventAnswer,
  siteAnswer,
} from './answer-schemas';
import { notFound, ownedSite, ownsSite, type Auth } from './auth';
import { type Collector } from './context';
import { conversionJson, groupJson } from './json';
import { activityQuery, conversionsCsvQuery, conversionsQuery, feedQuery, idParam, ledgerCsvQuery, ledgerQuery, noQuery, performanceQuery, rejectedQuery } from './query-schemas';
import { feedView, ledgerCsv, ledgerView, performanceView } from './role-view';
import { createRouter, type Router } from './router';

/** Rows per store query while exporting. */
const EXPORT_PAGE = 1000;
const DEFAULT_LIMIT = 200;
const csvAnswer = { description: 'CSV (RFC 4180), streamed', type: 'text/csv' };

/** The range of a report query: `to` defaults to now, `from` to 30 days before `to`. */
function rangeOf(col: Collector, q: { from?: number; to?: number }) {
  const to = q.to ?? col.clock() + 1;
  return { from: q.from ?? to - 30 * DAY_MS, to };
}

/** A filter scoped to the caller: an advertiser or publisher only ever reads its own rows. */
function scope(who: Auth, q: { advertiserId?: string; publisherId?: string; campaignId?: string }) {
  return {
    advertiserId: who.kind === 'advertiser' ? who.id : q.advertiserId,
    publisherId: who.kind === 'publisher' ? who.id : q.publisherId,
    campaignId: q.campaignId,
  };
}

/** The store filter of a conversions query, scoped to the caller; `held` is the review queue. */
function conversionFilter(
  who: Auth,
  q: { advertiserId?: string; campaignId?: string; publisherId?: string; status?: ConversionStatus | 'held'; action?: string; orderId?: string },
): ConversionFilter {
  return {
    ...scope(who, q),
    status: q.status === 'held' ? HELD_STATUSES : q.status,
    actionKey: q.action,
    orderId: q.orderId,
  };
}

/** The report routes. */
export function reportRoutes(col: Collector): Router {
  const r = createRouter(col, 'Reports');
  const everyone = ['operator', 'advertiser', 'publisher'] as const;
  const buyers = ['operator', 'advertiser'] as const;

  r.route(
    {
      method: 'get',
      path: '/v1/me',
      summary: 'Who the API key belongs to (dashboard sign-in).',
      roles: [...everyone],
      query: noQuery,
      responses: {
        200: z.object({
          kind: z.enum(['operator', 'advertiser', 'publisher']),
          id: z.string().optional(),
          advertiser: z.object({ id: z.string(), name: z.string(), currency: z.string() }).nullable().optional(),
          publisher: z.object({ id: z.string(), name: z.string(), revShareBps: z.number() }).passthrough().nullable().optional(),
        }),
      },
    },
    async (c) => {
      const who = c.var.principal;
      if (who.kind === 'advertiser') return c.json({ kind: 'advertiser', id: who.id, advertiser: await col.store.catalog.getAdvertiser(who.id).then((a) => a && { id: a.id, name: a.name, currency: a.currency }) });
      if (who.kind === 'publisher') return c.json({ kind: 'publisher', id: who.id, publisher: await col.store.catalog.getPublisher(who.id) });
      return c.json({ kind: 'operator' });
    },
  );

  r.route(
    {
      method: 'get',
      path: '/v1/reports/performance',
      summary:
        'Served, viewable, clicks and invalid traffic, with the money the caller may see: conversions, value, cost and margin (operator, advertiser), publisher earnings (all), eCPM (operator, publisher). Grouped by campaign, slot, publisher or creative, optionally per UTC day.',
      roles: [...everyone],
      query: performanceQuery,
      responses: { 200: performanceAnswer },
    },
    async (c) => {
      const who = c.var.principal;
      const q = c.req.valid('query');
      const range = rangeOf(col, q);
      const groupBy = q.groupBy ?? (who.kind === 'publisher' ? 'slot' : 'campaign');
      const rows = await col.store.reports.performance(scope(who, q), range, groupBy, q.perDay === '1');
      return c.json({ from: range.from, to: range.to, groupBy, rows: rows.map((row) => performanceView(who, row)) });
    },
  );

  r.route(
    {
      method: 'get',
      path: '/v1/conversions',
      summary: 'Conversions, newest first, each with its explain record (not for publishers: role table).',
      roles: [...buyers],
      query: conversionsQuery,
      responses: { 200: z.object({ conversions: z.array(conversionAnswer), next: z.string().nullable().describe('`before` of the next page') }) },
    },
    async (c) => {
      const q = c.req.valid('query');
      const limit = q.limit ?? DEFAULT_LIMIT;
      const list = await col.store.reports.conversions(conversionFilter(c.var.principal, q), rangeOf(col, q), limit, q.before);
      const last = list.at(-1);
      return c.json({ conversions: list.map(conversionJson), next: list.length === limit && last ? `${last.receivedAt}_${last.id}` : null });
    },
  );
  r.route(
    {
      method: 'get',
      path: '/v1/conversions/:id',
      summary: 'One conversion: every candidate touch, why it won or lost, and the money split.',
      roles: [...buyers],
      params: idParam,
      responses: { 200: z.object({ conversion: conversionAnswer, ledger: z.array(entryGroupAnswer) }) },
    },
    async (c) => {
      const who = c.var.principal;
      const { id } = c.req.valid('param');
      const conv = await col.store.reports.conversion(id);
      if (!conv || (who.kind === 'advertiser' && conv.advertiserId !== who.id)) throw notFound('conversion', id);
      const ledger = await col.store.write((tx) => tx.groupsFor('conversion', conv.id));
      return c.json({ conversion: conversionJson(conv), ledger: ledger.map(groupJson) });
    },
  );

  r.route(
    {
      method: 'get',
      path: '/v1/ledger',
      summary: "Ledger entry groups, newest first: every leg for the operator and the group's advertiser; a publisher's own legs only, without the advertiser's action IDs or keys.",
      roles: [...everyone],
      query: ledgerQuery,
      responses: { 200: z.object({ groups: z.array(z.union([entryGroupAnswer, publisherEntryGroupAnswer])), next: z.string().nullable().describe('`before` of the next page') }) },
    },
    async (c) => {
      const who = c.var.principal;
      const q = c.req.valid('query');
      const limit = q.limit ?? DEFAULT_LIMIT;
      const groups = await col.store.reports.ledger({ ...scope(who, q), kind: q.kind }, rangeOf(col, q), limit, q.before);
      return c.json({ groups: groups.map((g) => ledgerView(who, g)), next: groups.length === limit ? String(groups.at(-1)!.id) : null });
    },
  );
  r.route(
    {
      method: 'get',
      path: '/v1/ledger/totals',
      summary: 'Σ debits and Σ credits (always equal) and the balance of every account, per currency (`currencies`) and over the whole ledger as a check.',
      roles: ['operator'],
      query: noQuery,
      responses: { 200: ledgerTotalsAnswer },
    },
    async (c) => {
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
    },
  );

  /** Page views and refusals of a site carry no advertiser or publisher: only its owner may name it. */
  const siteOfCaller = async (who: Auth, siteId: string) => {
    const site = await col.store.catalog.getSite(siteId);
    return !!site && ownsSite(who, site);
  };
  const notYourSite = (c: Context, siteId: string) => c.json({ error: 'forbidden', reason: `site ${siteId} is not one of yours` }, 403);

  r.route(
    {
      method: 'get',
      path: '/v1/feed',
      summary: "Live events feed (newest first); poll with after=<now of the last answer>. Publishers: their slots' impressions and clicks with earnings, no conversions.",
      roles: [...everyone],
      query: feedQuery,
      responses: { 200: z.object({ items: z.array(feedItemAnswer), now: z.number().int() }), 403: errorAnswer.describe('a siteId that is not yours (or does not exist)') },
    },
    async (c) => {
      const who = c.var.principal;
      const q = c.req.valid('query');
      if (q.siteId && !(await siteOfCaller(who, q.siteId))) return notYourSite(c, q.siteId);
      const items = await col.store.reports.feed({ ...scope(who, q), siteId: q.siteId }, q.limit ?? DEFAULT_LIMIT, q.after ?? 0);
      return c.json({ items: feedView(who, items), now: col.clock() });
    },
  );

  r.route(
    {
      method: 'get',
      path: '/v1/sites/:id/activity',
      summary: '"Verify my tag": beacons from a site by type, the last one seen, and why any were rejected (default: the last 24 hours).',
      roles: [...everyone],
      params: idParam,
      query: activityQuery,
      responses: {
        200: z.object({
          site: siteAnswer,
          from: z.number().int(),
          to: z.number().int(),
          activity: z.array(z.object({ type: z.string(), count: z.number().int(), lastAt: z.number().int().nullable() })),
          rejectedReasons: z.array(reasonCount),
          recentRejected: z.array(rejectedEventAnswer),
        }),
      },
    },
    async (c) => {
      const site = await ownedSite(col, c.var.principal, c.req.valid('param').id);
      const q = c.req.valid('query');
      const range = q.from !== undefined || q.to !== undefined ? rangeOf(col, q) : { from: col.clock() - DAY_MS, to: col.clock() + 1 };
      const [activity, reasons, recent] = await Promise.all([
        col.store.reports.siteActivity(site.id, range),
        col.store.reports.rejectedCounts({ siteId: site.id }, range),
        col.store.reports.rejected({ siteId: site.id }, range, 20),
      ]);
      return c.json({ site, from: range.from, to: range.to, activity, rejectedReasons: reasons, recentRejected: recent });
    },
  );

  r.route(
    {
      method: 'get',
      path: '/v1/rejected',
      summary: 'Rejected events with their reasons (operator: all; others: one of their sites, by siteId).',
      roles: [...everyone],
      query: rejectedQuery,
      responses: { 200: z.object({ events: z.array(rejectedEventAnswer), reasons: z.array(reasonCount) }), 403: errorAnswer.describe('no siteId, or one that is not yours') },
    },
    async (c) => {
      const who = c.var.principal;
      const q = c.req.valid('query');
      if (who.kind !== 'operator' && !q.siteId) return c.json({ error: 'forbidden', reason: 'give one of your siteId' }, 403);
      if (q.siteId && !(await siteOfCaller(who, q.siteId))) return notYourSite(c, q.siteId);
      const range = rangeOf(col, q);
      const [events, reasons] = await Promise.all([
        col.store.reports.rejected({ siteId: q.siteId }, range, q.limit ?? DEFAULT_LIMIT),
        col.store.reports.rejectedCounts({ siteId: q.siteId }, range),
      ]);
      return c.json({ events, reasons });
    },
  );

  r.route(
    { method: 'get', path: '/v1/conversions.csv', summary: 'Conversions as CSV (not for publishers: role table).', roles: [...buyers], query: conversionsCsvQuery, responses: { 200: csvAnswer } },
    async (c) => {
      const q = c.req.valid('query');
      const filter = conversionFilter(c.var.principal, q);
      const range = rangeOf(col, q);
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
    },
  );
  r.route(
    { method: 'get', path: '/v1/ledger.csv', summary: 'Ledger legs as CSV, one row per leg the caller may see (publishers: the columns of their ledger view).', roles: [...everyone], query: ledgerCsvQuery, responses: { 200: csvAnswer } },
    async (c) => {
      const who = c.var.principal;
      const q = c.req.valid('query');
      const filter = { ...scope(who, q), kind: q.kind };
      const range = rangeOf(col, q);
      const view = ledgerCsv(who);
      async function* pages() {
        let beforeId: number | undefined;
        for (;;) {
          const page = await col.store.reports.ledger(filter, range, EXPORT_PAGE, beforeId);
          yield page.flatMap((g) => view.rows(g, formatMicros));
          if (page.length < EXPORT_PAGE) return;
          beforeId = page.at(-1)!.id;
        }
      }
      return csv(c, 'ledger.csv', view.header, pages());
    },
  );
  return r;
}

/**
 * RFC 4180 CSV, streamed page by page so an export of any size is complete without holding it all
 * in memory. Cells that a spreadsheet would run as a formula are prefixed with ' (CSV injection).
 * A failure after the first bytes aborts the stream, so the download fails instead of looking whole.
 */
export function csv(c: Context, name: string, header: unknown[], pages: AsyncGenerator<unknown[][]>) {
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
