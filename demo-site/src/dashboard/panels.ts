/**
 * Building blocks of the overview pages: headline figures, a chart with metric tabs and its data as
 * a table (for screen readers and for anyone who wants the numbers), and the range picker.
 */
import { renderDailyChart, type ChartSeries } from './chart';
import { h, type Child } from './dom';
import { formatCount, formatMoney } from './format-money';
import { dayLabel } from './format-time';
import { dataTable, td } from './table';
import { tabsKeyboard } from './tabs-keyboard';

/** One headline figure. */
export interface Kpi {
  label: string;
  value: string;
  note?: string;
  testid?: string;
}

/** A row of headline figures. */
export function kpiGrid(kpis: readonly Kpi[]): HTMLElement {
  return h(
    'dl',
    { class: 'kpis' },
    kpis.map((k) =>
      h('div', { class: 'kpi', 'data-testid': k.testid ?? null }, h('dt', {}, k.label), h('dd', {}, h('span', { class: 'value' }, k.value), k.note ? h('span', { class: 'note' }, k.note) : null)),
    ),
  );
}

/** A named set of lines the chart can show. */
export interface ChartView {
  name: string;
  series: ChartSeries[];
}

let chartSeq = 0;

/** A chart card with one tab per view, plus the same numbers as a table in a disclosure. */
export function chartPanel(title: string, days: readonly string[], views: readonly ChartView[], currency: string | null): HTMLElement {
  const plotId = `chart-${++chartSeq}`;
  // The chart is the tabs' panel (WAI-ARIA tabs pattern: tabs-keyboard.ts).
  const plot = h('div', { class: 'chart-area', id: plotId, role: 'tabpanel', 'aria-label': title });
  const tableSlot = h('div', {});
  const tabs = h('div', { class: 'segmented', role: 'tablist', 'aria-label': 'What the chart shows' });
  const show = (i: number) => {
    const v = views[i]!;
    for (const [j, b] of [...tabs.children].entries()) b.setAttribute('aria-selected', String(j === i));
    // Wait a frame so the card has its width before uPlot measures it.
    requestAnimationFrame(() => renderDailyChart(plot, days, v.series, currency, `${title}: ${v.name}`));
    tableSlot.replaceChildren(
      dataTable({
        caption: `${title}: ${v.name} per day`,
        columns: [{ label: 'Day (UTC)' }, ...v.series.map((s) => ({ label: s.label, num: true }))],
        body: days.map((d, di) =>
          h('tr', {}, h('th', { scope: 'row' }, dayLabel(d)), v.series.map((s) => td('money' in s ? formatMoney(s.money[di] ?? 0n, currency) : formatCount(s.counts[di] ?? 0), true))),
        ),
      }),
    );
  };
  views.forEach((v, i) => tabs.append(h('button', { type: 'button', role: 'tab', class: 'segment', 'aria-controls': plotId, onclick: () => show(i) }, v.name)));
  const card = h(
    'section',
    { class: 'card chart-card', 'aria-label': title, 'data-testid': 'chart' },
    h('div', { class: 'card-head' }, h('h2', {}, title), views.length > 1 ? tabs : null),
    plot,
    h('details', { class: 'as-table' }, h('summary', {}, 'Show these numbers as a table'), tableSlot),
  );
  show(0);
  tabsKeyboard(tabs, show);
  return card;
}

/** The range picker: last 7, 30 or 90 days. */
export function rangePicker(days: number, onChange: (days: number) => void): HTMLElement {
  const select = h(
    'select',
    { id: 'range', 'data-testid': 'range' },
    [7, 14, 30, 90].map((n) => h('option', { value: String(n), selected: n === days }, `Last ${n} days`)),
  );
  select.addEventListener('change', () => onChange(Number(select.value)));
  return h('div', { class: 'range' }, h('label', { for: 'range', class: 'visually-hidden' }, 'Date range'), select);
}

/** A page heading with actions on the right. */
export function pageHead(title: string, sub: Child, ...actions: Child[]): HTMLElement {
  return h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, title), sub ? h('p', { class: 'sub' }, sub) : null), h('div', { class: 'actions' }, actions));
}
