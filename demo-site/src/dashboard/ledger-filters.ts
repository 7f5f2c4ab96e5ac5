/**
 * The ledger page's filters (issue 14): entry-group kind, and whose groups — a campaign (advertiser
 * and operator), an advertiser or a publisher (operator). The period is the page's range picker.
 * The filters go to the collector (`GET /v1/ledger?kind=&campaignId=&advertiserId=&publisherId=`),
 * so paging and the CSV export hold exactly the filtered groups. They last while the tab is open.
 *
 * Test hooks: `ledger-kind`, `ledger-account`.
 */
import type { ReportQuery } from './api';
import type { DashboardContext } from './context';
import { h } from './dom';
import { ledgerKindWords } from './verdict-words';

/** The filters in force. */
export type LedgerFilter = Pick<ReportQuery, 'kind' | 'campaignId' | 'advertiserId' | 'publisherId'>;

let current: LedgerFilter = {};

/** The filters chosen so far in this tab. */
export const ledgerFilter = (): LedgerFilter => ({ ...current });

/** The filter controls; `onChange` re-renders the page with the new filter. */
export function ledgerFilterControls(ctx: DashboardContext, onChange: (f: LedgerFilter) => void): HTMLElement {
  const kinds = ['charge', 'reversal', 'invalidation', 'restatement', ...(ctx.me.kind === 'operator' ? ['payout'] : [])];
  const kind = h('select', { id: 'ledger-kind', 'data-testid': 'ledger-kind' }, h('option', { value: '' }, 'All kinds'), kinds.map((k) => h('option', { value: k, selected: current.kind === k }, ledgerKindWords(k))));
  // One select for "whose": value `<field>:<id>`.
  const opts: { value: string; label: string }[] = [...ctx.campaigns.values()].map((c) => ({ value: `campaignId:${c.id}`, label: `Campaign: ${c.name}` }));
  if (ctx.me.kind === 'operator') {
    opts.push(...[...ctx.advertisers].map(([id, name]) => ({ value: `advertiserId:${id}`, label: `Advertiser: ${name}` })));
    opts.push(...[...ctx.publishers].map(([id, name]) => ({ value: `publisherId:${id}`, label: `Publisher: ${name}` })));
  }
  const chosen = current.campaignId ? `campaignId:${current.campaignId}` : current.advertiserId ? `advertiserId:${current.advertiserId}` : current.publisherId ? `publisherId:${current.publisherId}` : '';
  const account = h('select', { id: 'ledger-account', 'data-testid': 'ledger-account' }, h('option', { value: '' }, 'Everything'), opts.map((o) => h('option', { value: o.value, selected: o.value === chosen }, o.label)));
  kind.value = current.kind ?? '';
  account.value = chosen;
  const apply = () => {
    const [field, id] = account.value ? (account.value.split(/:(.*)/s) as [keyof LedgerFilter, string]) : [null, ''];
    current = { ...(kind.value ? { kind: kind.value } : {}), ...(field ? { [field]: id } : {}) };
    onChange(ledgerFilter());
  };
  kind.addEventListener('change', apply);
  account.addEventListener('change', apply);
  return h(
    'div',
    { class: 'range ledger-filters' },
    h('label', { for: 'ledger-kind', class: 'visually-hidden' }, 'Kind of entry'),
    kind,
    opts.length > 0 ? [h('label', { for: 'ledger-account', class: 'visually-hidden' }, 'Whose entries'), account] : null,
  );
}
