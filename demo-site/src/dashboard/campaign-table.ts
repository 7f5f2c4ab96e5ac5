/**
 * The advertiser's campaign table (SPEC §4): impressions served, viewable, clicks, CTR, conversions,
 * conversion rate, cost, cost per conversion, conversion value, ROAS and invalid traffic removed,
 * one row per campaign and a total row. Test hooks: `campaign-row` rows with `data-campaign-id`.
 */
import type { PerformanceRow } from './api';
import { campaignName, type DashboardContext } from './context';
import { h } from './dom';
import { formatCount, formatMoney } from './format-money';
import { convRate, costPerConversion, ctr, grandTotal, invalidRemoved, roas, totalsByKey, type Totals } from './report-math';
import { dataTable, td, type Column } from './table';

const COST_MODEL: Record<string, string> = { cpc: 'CPC', cpm: 'CPM', cpa: 'CPA' };

/** The columns, with what each one means. */
const columns = (withAdvertiser: boolean): Column[] => [
  { label: 'Campaign' },
  ...(withAdvertiser ? [{ label: 'Advertiser' }] : []),
  { label: 'Served', num: true, title: 'Impressions served, invalid traffic excluded' },
  { label: 'Viewable', num: true, title: 'At least 50 % in view for 1 second (MRC)' },
  { label: 'Clicks', num: true, title: 'Valid clicks (bots and repeat clicks excluded)' },
  { label: 'CTR', num: true, title: 'Clicks per served impression' },
  { label: 'Conv.', num: true, title: 'Attributed conversions (approved or restated)' },
  { label: 'Conv. rate', num: true, title: 'Conversions per click' },
  { label: 'Cost', num: true, title: 'What you were charged (net of reversals)' },
  { label: 'Cost / conv.', num: true },
  { label: 'Conv. value', num: true, title: 'Order value of attributed conversions' },
  { label: 'ROAS', num: true, title: 'Conversion value ÷ cost' },
  { label: 'Invalid removed', num: true, title: 'Invalid impressions and clicks that were filtered out and never billed' },
];

function cells(t: Totals, currency: string | null): HTMLTableCellElement[] {
  const cpc = costPerConversion(t);
  return [
    td(formatCount(t.served), true),
    td(formatCount(t.viewable), true),
    td(formatCount(t.clicks), true),
    td(ctr(t), true),
    td(formatCount(t.conversions), true),
    td(convRate(t), true),
    td(formatMoney(t.costMicros, currency), true, { 'data-testid': 'cost' }),
    td(cpc === null ? '–' : formatMoney(cpc, currency), true),
    td(formatMoney(t.valueMicros, currency), true),
    td(roas(t), true),
    td(h('span', { title: `${formatCount(t.invalidImpressions)} impressions, ${formatCount(t.invalidClicks)} clicks` }, formatCount(invalidRemoved(t))), true),
  ];
}

/** The campaign table for performance rows grouped by campaign. */
export function campaignTable(ctx: DashboardContext, rows: readonly PerformanceRow[]): HTMLElement {
  const withAdvertiser = ctx.me.kind === 'operator';
  const byCampaign = totalsByKey(rows);
  // Campaigns without traffic in the range still get a row: an advertiser looks for all of them —
  // those that pay in the currency shown (currency-choice.ts); the others are under their own.
  for (const [id, c] of ctx.campaigns) if (!byCampaign.has(id) && (!ctx.currency || c.terms.currency === ctx.currency)) byCampaign.set(id, grandTotal([]));
  const body = [...byCampaign.entries()]
    .sort((a, b) => (b[1].costMicros > a[1].costMicros ? 1 : b[1].costMicros < a[1].costMicros ? -1 : a[0].localeCompare(b[0])))
    .map(([id, t]) => {
      const c = ctx.campaigns.get(id);
      return h(
        'tr',
        { 'data-testid': 'campaign-row', 'data-campaign-id': id },
        h(
          'th',
          { scope: 'row', class: 'name' },
          h('span', { class: 'primary' }, campaignName(ctx, id)),
          h(
            'span',
            { class: 'secondary' },
            c ? `${COST_MODEL[c.terms.costModel] ?? c.terms.costModel} · ${c.status === 'active' ? '' : `${c.status} · `}` : '',
            h('code', {}, id),
          ),
        ),
        withAdvertiser ? td(c ? (ctx.advertisers.get(c.advertiserId) ?? c.advertiserId) : '–') : null,
        cells(t, ctx.currency),
      );
    });
  const total = grandTotal(rows);
  const foot = h('tr', { 'data-testid': 'campaign-total' }, h('th', { scope: 'row' }, 'Total'), withAdvertiser ? td('') : null, cells(total, ctx.currency));
  return dataTable({ caption: 'Performance per campaign', columns: columns(withAdvertiser), body, foot: [foot], testid: 'campaign-table', className: 'campaigns sticky-first' });
}
