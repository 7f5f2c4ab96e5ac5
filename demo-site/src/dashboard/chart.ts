/**
 * The daily time-series chart (uPlot, bundled — no CDN). Points are plotted as floats, because a
 * canvas needs numbers, but every figure a person reads — legend values under the cursor — comes
 * from the exact BigInt micros of that day, formatted by `formatMoney`.
 *
 *     renderDailyChart(el, days, [{ label: 'Cost', money: costPerDay, color: '#4f46e5' }], 'EUR');
 */
import uPlot from 'uplot';
import { formatCount, formatMoney, microsToChartNumber } from './format-money';
import { dayLabel, dayStart } from './format-time';
import { h } from './dom';

/** One line: money (BigInt micros per day) or counts. */
export type ChartSeries = { label: string; color: string } & ({ money: bigint[] } | { counts: number[] });

const live = new WeakMap<HTMLElement, { plot: uPlot; ro: ResizeObserver }>();

/** Draws (or redraws) a chart of daily values into `el`. */
export function renderDailyChart(el: HTMLElement, days: readonly string[], series: readonly ChartSeries[], currency: string | null, title: string): void {
  live.get(el)?.plot.destroy();
  live.get(el)?.ro.disconnect();
  el.replaceChildren();
  const isMoney = series.some((s) => 'money' in s);
  const exact = (s: ChartSeries, i: number) => ('money' in s ? formatMoney(s.money[i] ?? 0n, currency) : formatCount(s.counts[i] ?? 0));
  // Without a hovered day the legend shows the whole range's total, summed exactly.
  const total = (s: ChartSeries) => ('money' in s ? formatMoney(s.money.reduce((a, b) => a + b, 0n), currency) : formatCount(s.counts.reduce((a, b) => a + b, 0)));
  const data: uPlot.AlignedData = [
    days.map((d) => dayStart(d) / 1000),
    ...series.map((s) => ('money' in s ? s.money.map((m) => microsToChartNumber(m)) : s.counts)),
  ];
  const axisFont = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  const symbol = currency === 'EUR' ? '€' : currency === 'USD' ? '$' : currency === 'GBP' ? '£' : '';
  const width = () => Math.max(280, Math.floor(el.clientWidth));
  const opts: uPlot.Options = {
    width: width(),
    height: 240,
    padding: [12, 28, 0, 4],
    cursor: { points: { size: 7 }, drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min * 1.1), max > 0 ? max * 1.1 : 1] } },
    axes: [
      {
        stroke: '#64748b',
        font: axisFont,
        grid: { show: false },
        ticks: { stroke: '#e2e8f0' },
        values: (_u, splits) => splits.map((s) => dayLabel(new Date(s * 1000).toISOString().slice(0, 10))),
      },
      {
        stroke: '#64748b',
        font: axisFont,
        size: 60,
        grid: { stroke: '#eef2f7', width: 1 },
        ticks: { show: false },
        // Tick positions are round numbers chosen by uPlot; they label the axis, they are not amounts.
        values: (_u, splits) => splits.map((v) => (isMoney ? `${symbol}${v.toLocaleString('en-GB', { maximumFractionDigits: 2 })}` : v.toLocaleString('en-GB'))),
      },
    ],
    series: [
      { label: 'Day (UTC)', value: (_u, _v, _s, idx) => (idx === null || idx === undefined ? `${days.length} days` : dayLabel(days[idx]!)) },
      ...series.map(
        (s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: `${s.color}14`,
          points: { show: days.length <= 31, size: 5, fill: '#fff' },
          value: (_u, _v, _seriesIdx, idx) => (idx === null || idx === undefined ? total(s) : exact(s, idx)),
        }),
      ),
    ],
  };
  const wrap = h('figure', { class: 'chart', 'aria-label': title, role: 'img' });
  el.append(wrap);
  const plot = new uPlot(opts, data, wrap);
  const ro = new ResizeObserver(() => {
    const w = width();
    if (Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height: 240 });
  });
  ro.observe(el);
  live.set(el, { plot, ro });
}
