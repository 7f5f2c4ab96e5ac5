/**
 * The advertiser's (and the operator's) overview: headline figures, the daily chart and the campaign
 * table, all from one `GET /v1/reports/performance?perDay=1` over the chosen range. The operator also
 * gets the ledger totals (Σ debits = Σ credits) and earnings per publisher.
 */
import type { LedgerTotals, PerformanceRow } from './api';
import { campaignTable } from './campaign-table';
import { currencyPicker, inOneCurrency } from './currency-choice';
import { type DashboardContext } from './context';
import { empty, h, loading, mount } from './dom';
import { formatCount, formatMoney } from './format-money';
import { daysBetween, rangeStart } from './format-time';
import { chartPanel, kpiGrid, pageHead, rangePicker } from './panels';
import { costPerConversion, grandTotal, invalidRemoved, roas, totalsByDay, totalsByKey, viewability } from './report-math';
import { dataTable, pill, td } from './table';
import { accountWords } from './verdict-words';
import { funnelTable } from './funnel-table';
import { shopUrl } from './links';
import { previousPeriod, versus } from './period-compare';

/** Renders the overview for an advertiser or the operator. */
export async function renderAdvertiserOverview(el: HTMLElement, ctx: DashboardContext, days: number, setDays: (d: number) => void): Promise<void> {
  const operator = ctx.me.kind === 'operator';
  const head = pageHead(
    'Overview',
    operator ? 'Every advertiser and publisher on this collector.' : 'What your campaigns delivered and what they cost.',
    rangePicker(days, setDays),
  );
  mount(el, head, loading('performance'));
  const now = Date.now();
  const from = rangeStart(now, days);
  const prev = previousPeriod(from, now);
  const [perf, before, byPublisher, totals] = await Promise.all([
    ctx.api.performance({ from, perDay: true }),
    ctx.api.performance({ from: prev.from, to: prev.to }),
    operator ? ctx.api.performance({ from, groupBy: 'publisher' }) : Promise.resolve(null),
    operator ? ctx.api.ledgerTotals() : Promise.resolve(null),
  ]);
  const dayList = daysBetween(from, now);
  const money = inOneCurrency(perf.rows, ctx);
  const rows = money.rows;
  const t = grandTotal(rows);
  const cur = money.currency;
  // The previous period of the same length, in the currency shown (issue 14: compare periods).
  const p = grandTotal(before.rows.filter((r) => r.currency === cur));
  const vs = (a: number | bigint, b: number | bigint) => versus(a, b, days);
  // The tables below read the currency from the context: theirs is the one shown.
  const vctx: DashboardContext = { ...ctx, currency: cur };
  const picker = currencyPicker(money, (c) => {
    ctx.pickedCurrency = c;
    void renderAdvertiserOverview(el, ctx, days, setDays);
  });
  const cpc = costPerConversion(t);

  const parts: HTMLElement[] = [
    kpiGrid([
      { label: 'Cost', value: formatMoney(t.costMicros, cur), note: vs(t.costMicros, p.costMicros), testid: 'kpi-cost' },
      // Counted here: attributed to an ad and approved (what is charged). The Conversions page lists
      // every one received — unattributed, held and rejected too — so its count is larger: say which.
      {
        label: 'Credited conversions',
        value: formatCount(t.conversions),
        note: `attributed and approved (the Conversions page lists all received)${cpc === null ? '' : ` · ${formatMoney(cpc, cur)} each`} · ${vs(t.conversions, p.conversions)}`,
        testid: 'kpi-conversions',
      },
      { label: 'Conversion value', value: formatMoney(t.valueMicros, cur), note: `ROAS ${roas(t)} · ${vs(t.valueMicros, p.valueMicros)}`, testid: 'kpi-value' },
      { label: 'Clicks', value: formatCount(t.clicks), note: `${formatCount(t.served)} served · ${vs(t.clicks, p.clicks)}`, testid: 'kpi-clicks' },
      { label: 'Viewable', value: viewability(t), note: `${formatCount(t.viewable)} impressions` },
      { label: 'Invalid removed', value: formatCount(invalidRemoved(t)), note: 'never billed' },
    ]),
  ];
  if (picker) parts.unshift(picker);
  if (totals) parts.unshift(ledgerTotalsCard(ctx, totals));

  if (rows.length === 0 && ctx.campaigns.size === 0) {
    parts.push(empty('No campaigns yet. Create one with POST /v1/campaigns (see the API docs).', h('a', { href: '/docs', class: 'button secondary' }, 'Open the API docs')));
    mount(el, head, ...parts);
    return;
  }

  const perDay = totalsByDay(rows, dayList);
  const views = [
    {
      name: 'Cost & value',
      series: [
        { label: 'Cost', color: '#4f46e5', money: perDay.map((d) => d.costMicros) },
        { label: 'Conversion value', color: '#0d9488', money: perDay.map((d) => d.valueMicros) },
      ],
    },
    {
      name: 'Clicks & conversions',
      series: [
        { label: 'Clicks', color: '#4f46e5', counts: perDay.map((d) => d.clicks) },
        { label: 'Conversions', color: '#d97706', counts: perDay.map((d) => d.conversions) },
      ],
    },
    {
      name: 'Impressions',
      series: [
        { label: 'Served', color: '#64748b', counts: perDay.map((d) => d.served) },
        { label: 'Viewable', color: '#0d9488', counts: perDay.map((d) => d.viewable) },
        { label: 'Invalid', color: '#dc2626', counts: perDay.map((d) => d.invalidImpressions) },
      ],
    },
  ];
  if (operator) {
    views.unshift({
      name: 'Revenue split',
      series: [
        { label: 'Advertiser cost', color: '#4f46e5', money: perDay.map((d) => d.costMicros) },
        { label: 'Publisher earnings', color: '#0d9488', money: perDay.map((d) => d.earningMicros) },
        { label: 'Platform margin', color: '#d97706', money: perDay.map((d) => d.costMicros - d.earningMicros) },
      ],
    });
  }
  parts.push(chartPanel('Per day', dayList, views, cur));
  parts.push(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'campaigns-title' },
      h('div', { class: 'card-head' }, h('h2', { id: 'campaigns-title' }, 'Campaigns'), h('p', { class: 'sub' }, 'Invalid traffic is removed before anything is counted or billed.')),
      rows.length === 0 ? empty('No traffic in this range yet — open the news page to serve a few ads.', h('a', { href: '/news/', class: 'button secondary' }, 'Open the news page')) : null,
      campaignTable(vctx, aggregate(rows)),
    ),
  );
  if (rows.length > 0) parts.push(funnelTable(vctx, totalsByKey(rows)));
  if (byPublisher) parts.push(publisherTable(vctx, byPublisher.rows.filter((r) => r.currency === cur)));
  if (!operator && t.conversions === 0) {
    parts.push(empty('No conversions in this range yet — open the shop and buy something.', h('a', { href: shopUrl(), class: 'button secondary' }, 'Open the shop')));
  }
  mount(el, head, ...parts);
}

/** Per-day rows folded into one row per key (the table shows the whole range). */
function aggregate(rows: readonly PerformanceRow[]): PerformanceRow[] {
  return [...totalsByKey(rows).entries()].map(([key, t]) => ({
    key,
    currency: rows[0]?.currency ?? '',
    ...t,
    valueMicros: String(t.valueMicros),
    costMicros: String(t.costMicros),
    earningMicros: String(t.earningMicros),
  }));
}

/** Why a balance such as −€84.7128 has more than two decimals (issue 14). */
export const SUB_CENT_NOTE =
  'Balances are exact to the micro (a millionth of the currency unit): a CPM charge is a fraction of a cent, and a revenue share is rounded down per charge, so the accounts end in fractions of a cent. Publishers are owed (negative), advertisers owe (positive).';

/** The operator's card: the ledger balances, and the balance of every account — per currency, never summed across. */
function ledgerTotalsCard(ctx: DashboardContext, t: LedgerTotals): HTMLElement {
  const names = new Map([...ctx.advertisers, ...ctx.publishers]);
  const several = t.currencies.length > 1;
  const block = (x: LedgerTotals['currencies'][number]) => [
    several ? h('h3', { class: 'currency-head' }, x.currency) : null,
    kpiGrid([
      { label: 'Σ debits', value: formatMoney(x.debitsMicros, x.currency, { exact: true }), testid: several ? undefined : 'ledger-debits' },
      { label: 'Σ credits', value: formatMoney(x.creditsMicros, x.currency, { exact: true }), testid: several ? undefined : 'ledger-credits' },
      { label: 'Entry groups', value: formatCount(x.groups) },
    ]),
    dataTable({
      caption: `Balance per account in ${x.currency} (debits − credits)`,
      columns: [{ label: 'Account' }, { label: 'Balance', num: true, title: 'Debits minus credits: advertisers owe (positive), publishers and the platform are owed (negative)' }],
      body: Object.entries(x.balances).map(([account, micros]) =>
        h('tr', {}, h('th', { scope: 'row' }, accountWords(account, names)), td(formatMoney(micros, x.currency, { exact: true }), true)),
      ),
    }),
  ];
  return h(
    'section',
    { class: 'card ledger-totals', 'data-testid': 'ledger-totals', 'aria-labelledby': 'totals-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'totals-title' }, 'Ledger totals'),
      t.balanced ? pill('Balanced: Σ debits = Σ credits', 'won', { 'data-testid': 'ledger-balanced' }) : pill('NOT BALANCED', 'bad', { 'data-testid': 'ledger-balanced' }),
    ),
    t.currencies.length === 0 ? h('p', { class: 'sub' }, 'No entries yet.') : null,
    t.currencies.length === 0 ? null : h('p', { class: 'sub', 'data-testid': 'sub-cent-note' }, SUB_CENT_NOTE),
    t.currencies.flatMap(block),
  );
}

/** The operator's earnings per publisher. */
function publisherTable(ctx: DashboardContext, rows: readonly PerformanceRow[]): HTMLElement {
  const cur = ctx.currency;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'publishers-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'publishers-title' }, 'Publishers')),
    dataTable({
      caption: 'Performance per publisher',
      columns: [
        { label: 'Publisher' },
        { label: 'Served', num: true },
        { label: 'Viewable', num: true },
        { label: 'Clicks', num: true },
        { label: 'Invalid removed', num: true },
        { label: 'Advertiser cost', num: true },
        { label: 'Publisher earnings', num: true },
        { label: 'Platform margin', num: true },
      ],
      body: rows.map((r) => {
        const t = grandTotal([r]);
        return h(
          'tr',
          { 'data-publisher-id': r.key },
          h('th', { scope: 'row' }, ctx.publishers.get(r.key) ?? r.key),
          td(formatCount(t.served), true),
          td(formatCount(t.viewable), true),
          td(formatCount(t.clicks), true),
          td(formatCount(invalidRemoved(t)), true),
          td(formatMoney(t.costMicros, cur), true),
          td(formatMoney(t.earningMicros, cur), true),
          td(formatMoney(t.costMicros - t.earningMicros, cur), true),
        );
      }),
    }),
  );
}
