/**
 * The list of conversions, newest first (`GET /v1/conversions`), each row opening its explain view.
 * Test hooks: `conversion-row` rows with `data-conversion-id` and `data-status`; the link inside
 * is `open-explain`.
 */
import type { Conversion } from './api';
import { campaignName, publisherLabel, type DashboardContext } from './context';
import { filterBar, filtersHash, filtersQuery, hasFilters, heldQueueLink, readFilters } from './conversion-filters';
import { csvButton } from './csv-export';
import { empty, h, loading, mount } from './dom';
import { loadMore } from './load-more';
import { formatMoney } from './format-money';
import { dateTime, rangeStart } from './format-time';
import { shopUrl } from './links';
import { pageHead, rangePicker } from './panels';
import { dataTable, pill, td } from './table';
import { statusWords } from './verdict-words';

/** Conversions per page of the list. */
const PAGE = 500;

const ACTION: Record<string, string> = { purchase: 'Purchase', signup: 'Signup', lead: 'Lead', conversion: 'Conversion' };

/** "Purchase", "Trial signup"… for an action key. */
export const actionName = (key: string) => ACTION[key] ?? key.replace(/[_-]/g, ' ');

/** Renders the conversions page. */
export async function renderConversions(el: HTMLElement, ctx: DashboardContext, days: number, setDays: (d: number) => void): Promise<void> {
  // Filters live in the URL (conversion-filters.ts); the collector filters.
  const filters = readFilters(location.hash);
  const held = filters.status === 'held';
  const q = filtersQuery(filters, rangeStart(Date.now(), days));
  const head = pageHead(
    held ? 'Held for review' : 'Conversions',
    held ? 'Conversions waiting for a decision: held by a rule (pending) or disputed by you.' : 'Every conversion we received, who earned it and what it cost. Open one to see why.',
    heldQueueLink(held),
    filters.fromDay ? null : rangePicker(days, setDays),
    csvButton(ctx.api, '/v1/conversions.csv', 'conversions.csv', 'Export CSV', q),
  );
  const bar = filterBar(ctx, filters, (f) => (location.hash = filtersHash(f)));
  mount(el, head, bar, loading('conversions'));
  const first = await ctx.api.conversions({ ...q, limit: PAGE });
  const conversions = first.conversions;
  if (conversions.length === 0) {
    mount(
      el,
      head,
      bar,
      hasFilters(filters)
        ? empty(held ? 'Nothing is waiting for review.' : 'No conversion matches these filters in this range.', h('a', { href: filtersHash({}), class: 'button secondary' }, 'Show all conversions'))
        : empty('No conversions yet — open the shop and buy something.', h('a', { href: shopUrl(), class: 'button' }, 'Open the shop')),
    );
    return;
  }
  const cur = (c: Conversion) => c.currency ?? ctx.currency;
  const row = (c: Conversion) => {
    const s = statusWords(c.status, c.statusReason);
    const href = `#conversion/${encodeURIComponent(c.id)}`;
    return h(
      'tr',
      { 'data-testid': 'conversion-row', 'data-conversion-id': c.id, 'data-status': c.status },
      td(h('a', { href, 'data-testid': 'open-explain', class: 'row-link' }, dateTime(c.receivedAt))),
      td(h('span', {}, actionName(c.actionKey), c.orderId ? h('span', { class: 'secondary' }, h('code', {}, c.orderId)) : null)),
      td(c.valueMicros === '0' ? '–' : formatMoney(c.valueMicros, cur(c)), true),
      td(h('span', { title: s.detail ?? '' }, pill(s.label, s.tone), s.detail ? h('span', { class: 'secondary' }, s.detail) : null)),
      td(c.campaignId ? h('span', {}, campaignName(ctx, c.campaignId), h('span', { class: 'secondary' }, `${c.touchKind === 'view' ? 'view' : 'click'} on `, publisherLabel(ctx, c.publisherId))) : h('span', { class: 'muted' }, 'no ad touch')),
      td(formatMoney(c.costMicros, cur(c)), true),
      td(h('a', { href, class: 'button small secondary', 'aria-label': `Explain conversion ${c.orderId ?? c.id}` }, 'Explain')),
    );
  };
  const note = h('p', { class: 'sub table-note' });
  const table = dataTable({
    caption: 'Conversions',
    testid: 'conversions-table',
    className: 'conversions',
    columns: [
      { label: 'Received' },
      { label: 'Action' },
      { label: 'Value', num: true },
      { label: 'Status' },
      { label: 'Credited to' },
      { label: 'Cost', num: true },
      { label: '' },
    ],
    body: conversions.map(row),
  });
  // Older pages load on demand (keyset cursor), so a long range is never cut off without a word.
  let next = first.next;
  let shown = conversions.length;
  const describe = () => {
    note.textContent = next ? `The newest ${shown} conversions in this range; older ones load below.` : `${shown} conversion${shown === 1 ? '' : 's'}, newest first.`;
  };
  const more = loadMore(`Show ${PAGE} older`, 'conversions-more', !!next, async () => {
    const page = await ctx.api.conversions({ ...q, limit: PAGE, before: next! });
    table.querySelector('tbody')!.append(...page.conversions.map(row));
    shown += page.conversions.length;
    next = page.next;
    describe();
    return !!next;
  });
  describe();
  mount(
    el,
    head,
    bar,
    h(
      'section',
      { class: 'card' },
      note,
      table,
      more,
    ),
  );
}
