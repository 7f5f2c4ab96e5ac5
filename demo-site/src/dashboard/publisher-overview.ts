/**
 * The publisher's view (SPEC §4): earnings per slot and per day, served vs viewable, invalid traffic
 * removed — from `GET /v1/reports/performance?groupBy=slot&perDay=1`. Test hooks: `slot-row` rows with
 * `data-slot-id`, the `earnings-per-day` table.
 */
import type { PerformanceRow } from './api';
import { slotName, type DashboardContext } from './context';
import { empty, h, loading, mount } from './dom';
import { formatCount, formatMoney } from './format-money';
import { dayLabel, daysBetween, rangeStart } from './format-time';
import { chartPanel, kpiGrid, pageHead, rangePicker } from './panels';
import { ctr, ecpm, grandTotal, invalidRemoved, totalsByDay, totalsByKey, viewability, type Totals } from './report-math';
import { currencyPicker, inOneCurrency } from './currency-choice';
import { dataTable, td } from './table';

const PALETTE = ['#4f46e5', '#0d9488', '#d97706', '#db2777', '#0284c7', '#65a30d'];

/** Renders the publisher overview. */
export async function renderPublisherOverview(el: HTMLElement, ctx: DashboardContext, days: number, setDays: (d: number) => void): Promise<void> {
  const head = pageHead('Earnings', 'What your ad slots earned, per slot and per day.', rangePicker(days, setDays));
  mount(el, head, loading('earnings'));
  const now = Date.now();
  const from = rangeStart(now, days);
  const perf = await ctx.api.performance({ from, groupBy: 'slot', perDay: true });
  const money = inOneCurrency(perf.rows, ctx);
  const rows = money.rows;
  const dayList = daysBetween(from, now);
  const cur = money.currency;
  // The tables below read the currency from the context: theirs is the one shown.
  const vctx: DashboardContext = { ...ctx, currency: cur };
  const t = grandTotal(rows);
  const e = ecpm(t, t.earningMicros);

  const picker = currencyPicker(money, (c) => {
    ctx.pickedCurrency = c;
    void renderPublisherOverview(el, ctx, days, setDays);
  });
  const parts: HTMLElement[] = [
    ...(picker ? [picker] : []),
    kpiGrid([
      { label: 'Earnings', value: formatMoney(t.earningMicros, cur), testid: 'kpi-earnings' },
      { label: 'eCPM', value: e === null ? '–' : formatMoney(e, cur), note: 'earnings per 1,000 served' },
      { label: 'Served', value: formatCount(t.served) },
      { label: 'Viewable', value: viewability(t), note: `${formatCount(t.viewable)} impressions` },
      { label: 'Clicks', value: formatCount(t.clicks), note: `CTR ${ctr(t)}` },
      { label: 'Invalid removed', value: formatCount(invalidRemoved(t)), note: 'never paid, never billed' },
    ]),
  ];
  if (rows.length === 0) {
    parts.push(empty('No ads served in this range yet — open your news page and scroll through the article.', h('a', { href: '/news/', class: 'button secondary' }, 'Open the news page')));
    mount(el, head, ...parts);
    return;
  }

  const slots = [...new Set([...ctx.slots.keys(), ...rows.map((r) => r.key)])];
  const earningsBySlot = slots.map((id, i) => ({ id, color: PALETTE[i % PALETTE.length]!, perDay: totalsByDay(rows, dayList, id) }));
  const all = totalsByDay(rows, dayList);
  parts.push(
    chartPanel('Per day', dayList, [
      { name: 'Earnings per slot', series: earningsBySlot.map((s) => ({ label: slotName(ctx, s.id), color: s.color, money: s.perDay.map((d) => d.earningMicros) })) },
      {
        name: 'Served vs viewable',
        series: [
          { label: 'Served', color: '#64748b', counts: all.map((d) => d.served) },
          { label: 'Viewable', color: '#0d9488', counts: all.map((d) => d.viewable) },
          { label: 'Invalid', color: '#dc2626', counts: all.map((d) => d.invalidImpressions) },
        ],
      },
    ], cur),
  );
  parts.push(slotTable(vctx, rows, slots));
  parts.push(dailyTable(vctx, rows, dayList, slots));
  mount(el, head, ...parts);
}

function slotTable(ctx: DashboardContext, rows: readonly PerformanceRow[], slots: readonly string[]): HTMLElement {
  const cur = ctx.currency;
  const by = totalsByKey(rows);
  const line = (t: Totals) => {
    const e = ecpm(t, t.earningMicros);
    return [
      td(formatCount(t.served), true),
      td(formatCount(t.viewable), true),
      td(viewability(t), true),
      td(formatCount(t.clicks), true),
      td(ctr(t), true),
      td(h('span', { title: `${formatCount(t.invalidImpressions)} impressions, ${formatCount(t.invalidClicks)} clicks` }, formatCount(invalidRemoved(t))), true),
      td(e === null ? '–' : formatMoney(e, cur), true),
      td(formatMoney(t.earningMicros, cur), true, { 'data-testid': 'earnings' }),
    ];
  };
  const body = slots.map((id) => {
    const s = ctx.slots.get(id);
    return h(
      'tr',
      { 'data-testid': 'slot-row', 'data-slot-id': id },
      h('th', { scope: 'row', class: 'name' }, h('span', { class: 'primary' }, slotName(ctx, id)), h('span', { class: 'secondary' }, s ? `${s.width}×${s.height} · ` : '', h('code', {}, id))),
      line(by.get(id) ?? grandTotal([])),
    );
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'slots-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'slots-title' }, 'Slots'), h('p', { class: 'sub' }, 'Served counts exclude invalid traffic; viewable means at least half the ad was in view for one second.')),
    dataTable({
      caption: 'Earnings per slot',
      testid: 'slot-table',
      className: 'sticky-first',
      columns: [
        { label: 'Slot' },
        { label: 'Served', num: true },
        { label: 'Viewable', num: true },
        { label: 'Viewability', num: true },
        { label: 'Clicks', num: true },
        { label: 'CTR', num: true },
        { label: 'Invalid removed', num: true, title: 'Invalid impressions and clicks, filtered out and never paid' },
        { label: 'eCPM', num: true, title: 'Earnings per 1,000 served impressions' },
        { label: 'Earnings', num: true },
      ],
      body,
      foot: [h('tr', {}, h('th', { scope: 'row' }, 'Total'), line(grandTotal(rows)))],
    }),
  );
}

/** Earnings per day (rows) and slot (columns), newest day first. */
function dailyTable(ctx: DashboardContext, rows: readonly PerformanceRow[], dayList: readonly string[], slots: readonly string[]): HTMLElement {
  const cur = ctx.currency;
  const per = new Map(slots.map((id) => [id, totalsByDay(rows, dayList, id)]));
  const all = totalsByDay(rows, dayList);
  const body = dayList
    .map((d, i) =>
      h(
        'tr',
        { 'data-day': d },
        h('th', { scope: 'row' }, dayLabel(d)),
        slots.map((id) => td(formatMoney(per.get(id)![i]!.earningMicros, cur), true)),
        td(h('strong', {}, formatMoney(all[i]!.earningMicros, cur)), true),
      ),
    )
    .reverse();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'daily-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'daily-title' }, 'Earnings per day'), h('p', { class: 'sub' }, 'Days are UTC.')),
    dataTable({
      caption: 'Earnings per day and slot',
      testid: 'earnings-per-day',
      className: 'sticky-first',
      columns: [{ label: 'Day' }, ...slots.map((id) => ({ label: slotName(ctx, id), num: true })), { label: 'Total', num: true }],
      body,
    }),
  );
}
