/**
 * The funnel per campaign (issue 14): served → viewable → click → conversion, each step with its
 * count and the share of the step before it (viewability, click-through on viewable, conversion
 * rate), so where a campaign loses people shows at a glance. Test hook: `funnel-row` (`data-campaign-id`).
 */
import { campaignName, type DashboardContext } from './context';
import { h } from './dom';
import { formatCount, percent } from './format-money';
import type { Totals } from './report-math';
import { dataTable, td } from './table';

/** One funnel step: its count and the share of the step before. */
const step = (n: number, of: number | null) => h('span', {}, formatCount(n), of === null ? null : h('span', { class: 'secondary' }, percent(n, of, 1)));

/** The funnel card for campaigns' totals (campaign ID → totals). */
export function funnelTable(ctx: DashboardContext, byCampaign: ReadonlyMap<string, Totals>): HTMLElement {
  const body = [...byCampaign]
    .sort((a, b) => b[1].served - a[1].served || a[0].localeCompare(b[0]))
    .map(([id, t]) =>
      h(
        'tr',
        { 'data-testid': 'funnel-row', 'data-campaign-id': id },
        h('th', { scope: 'row' }, campaignName(ctx, id)),
        td(step(t.served, null), true),
        td(step(t.viewable, t.served), true),
        td(step(t.clicks, t.viewable > 0 ? t.viewable : t.served), true),
        td(step(t.conversions, t.clicks), true),
      ),
    );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'funnel-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'funnel-title' }, 'Funnel per campaign'), h('p', { class: 'sub' }, 'Served → viewable → click → credited conversion; under each count, its share of the step before (clicks: of viewable impressions when there are any).')),
    dataTable({
      caption: 'Funnel per campaign',
      columns: [{ label: 'Campaign' }, { label: 'Served', num: true }, { label: 'Viewable', num: true }, { label: 'Clicks', num: true }, { label: 'Conversions', num: true }],
      body,
      className: 'stack',
    }),
  );
}
