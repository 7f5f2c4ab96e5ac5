/**
 * Finding conversions (issue 14): the filter bar of the conversions list — state (with "held for
 * review": pending and disputed), campaign, publisher, conversion action, exact order ID and a
 * date range — kept in the URL (`#conversions?status=held&orderId=A-1`) so a filtered list can be
 * bookmarked, shared and reloaded. The collector does the filtering (GET /v1/conversions query
 * parameters, checked by its query-schemas.ts); the bar only writes the query.
 *
 * Test hooks: `conversion-filters` (the form), `filter-<name>` fields, `filter-apply`,
 * `filter-clear`, `held-queue` (the queue link).
 */
import type { ReportQuery } from './api';
import { campaignName, publisherName, type DashboardContext } from './context';
import { h } from './dom';
import { dayStart, utcDay } from './format-time';

/** The filters a conversions list can carry in its URL. */
export interface ConversionFilters {
  status?: string;
  campaignId?: string;
  publisherId?: string;
  action?: string;
  orderId?: string;
  /** UTC days, inclusive ("2026-11-15"). */
  fromDay?: string;
  toDay?: string;
}

const KEYS = ['status', 'campaignId', 'publisherId', 'action', 'orderId', 'fromDay', 'toDay'] as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The filters in a location hash (`#conversions?…`); unknown or malformed values are dropped. */
export function readFilters(hash: string): ConversionFilters {
  const i = hash.indexOf('?');
  const p = new URLSearchParams(i < 0 ? '' : hash.slice(i + 1));
  const f: ConversionFilters = {};
  for (const k of KEYS) {
    const v = p.get(k)?.trim();
    if (!v) continue;
    if ((k === 'fromDay' || k === 'toDay') && !DAY.test(v)) continue;
    f[k] = v;
  }
  return f;
}

/** The hash of the conversions list with these filters. */
export function filtersHash(f: ConversionFilters): string {
  const p = new URLSearchParams();
  for (const k of KEYS) if (f[k]) p.set(k, f[k]!);
  const s = p.toString();
  return `#conversions${s ? `?${s}` : ''}`;
}

/** Whether any filter is set. */
export const hasFilters = (f: ConversionFilters) => KEYS.some((k) => !!f[k]);

/** The API query of the filters; the date range, when given, replaces the range picker's. */
export function filtersQuery(f: ConversionFilters, defaultFrom: number): ReportQuery {
  return {
    from: f.fromDay ? dayStart(f.fromDay) : defaultFrom,
    to: f.toDay ? dayStart(f.toDay) + 86_400_000 : undefined,
    status: f.status,
    campaignId: f.campaignId,
    publisherId: f.publisherId,
    action: f.action,
    orderId: f.orderId,
  };
}

const STATES: [string, string][] = [
  ['', 'Any state'],
  ['held', 'Held for review (pending or disputed)'],
  ['pending', 'Pending'],
  ['disputed', 'Disputed'],
  ['approved', 'Approved'],
  ['restated', 'Restated'],
  ['reversed', 'Reversed'],
  ['rejected', 'Rejected'],
  ['unattributed', 'No ad touch'],
];

/** The filter bar; `go` is given the new filters (the caller puts them in the URL). */
export function filterBar(ctx: DashboardContext, f: ConversionFilters, go: (f: ConversionFilters) => void): HTMLElement {
  const field = (name: string, label: string, control: HTMLElement) => {
    control.id = `filter-${name}`;
    control.setAttribute('data-testid', `filter-${name}`);
    return h('div', { class: 'filter' }, h('label', { for: control.id }, label), control);
  };
  const select = (options: [string, string][], value: string | undefined) =>
    h('select', {}, options.map(([v, l]) => h('option', { value: v, selected: (value ?? '') === v }, l)));
  const status = select(STATES, f.status);
  const campaign = select([['', 'Any campaign'], ...[...ctx.campaigns.keys()].map((id): [string, string] => [id, campaignName(ctx, id)])], f.campaignId);
  const publisherIds = new Set([...ctx.publishers.keys(), ...(f.publisherId ? [f.publisherId] : [])]);
  // An advertiser has no publisher list (names are the operator's): it types the ID shown on a row.
  const publisher = publisherIds.size
    ? select([['', 'Any publisher'], ...[...publisherIds].map((id): [string, string] => [id, publisherName(ctx, id)])], f.publisherId)
    : h('input', { value: f.publisherId ?? '', autocomplete: 'off', placeholder: 'publisher ID' });
  const action = h('input', { value: f.action ?? '', autocomplete: 'off', placeholder: 'purchase', pattern: '[a-z0-9_\\-]{1,64}' });
  const order = h('input', { value: f.orderId ?? '', autocomplete: 'off', placeholder: 'exact order ID', maxlength: '128' });
  const from = h('input', { type: 'date', value: f.fromDay ?? '', max: utcDay(Date.now()) });
  const to = h('input', { type: 'date', value: f.toDay ?? '', max: utcDay(Date.now()) });
  const form = h(
    'form',
    { class: 'filters', 'data-testid': 'conversion-filters', role: 'search', 'aria-label': 'Filter conversions' },
    field('status', 'State', status),
    field('campaign', 'Campaign', campaign),
    field('publisher', 'Publisher', publisher),
    field('action', 'Conversion action', action),
    field('order', 'Order ID', order),
    field('from', 'From (UTC day)', from),
    field('to', 'To (UTC day)', to),
    h(
      'div',
      { class: 'filter actions' },
      h('button', { type: 'submit', class: 'button', 'data-testid': 'filter-apply' }, 'Find'),
      h('button', { type: 'button', class: 'button secondary', 'data-testid': 'filter-clear', onclick: () => go({}) }, 'Clear'),
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = (el: HTMLInputElement | HTMLSelectElement) => el.value.trim() || undefined;
    go({ status: v(status), campaignId: v(campaign), publisherId: v(publisher as HTMLInputElement), action: v(action)?.toLowerCase(), orderId: v(order), fromDay: v(from), toDay: v(to) });
  });
  return form;
}

/** The link to the review queue. */
export function heldQueueLink(active: boolean): HTMLElement {
  return h('a', { href: filtersHash({ status: 'held' }), class: `button ${active ? '' : 'secondary'}`, 'data-testid': 'held-queue', 'aria-current': active ? 'page' : null }, 'Held for review');
}
