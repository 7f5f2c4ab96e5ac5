/**
 * The ledger: entry groups, newest first, each with its legs and the check that its debits equal its
 * credits (`GET /v1/ledger`). Test hooks: `ledger-group` (one tbody per group, `data-group-id`,
 * `data-kind`), `ledger-row` (one per leg, `data-account`, `data-side`, `data-micros`), `ledger-check`;
 * advertisers and publishers also get "Download statement" (statement-download.ts).
 */
import type { EntryGroup } from './api';
import { campaignName, publisherName, slotName, type DashboardContext } from './context';
import { csvButton } from './csv-export';
import { empty, h, loading, mount } from './dom';
import { ledgerFilter, ledgerFilterControls } from './ledger-filters';
import { loadMore } from './load-more';
import { statementDownload } from './statement-download';
import { formatCount, formatMoney, sumMicros } from './format-money';
import { dateTime, rangeStart } from './format-time';
import { pageHead, rangePicker } from './panels';
import { pill, thead } from './table';
import { accountWords, ledgerKindWords, statusReasonWords } from './verdict-words';

const REF: Record<string, string> = { click: 'Click', impression: 'Impression', conversion: 'Conversion' };

/** Σ debits and Σ credits of some groups, in micros. */
export function groupSums(groups: readonly EntryGroup[]): { debits: bigint; credits: bigint } {
  const legs = groups.flatMap((g) => g.legs);
  return { debits: sumMicros(legs.filter((l) => l.side === 'debit').map((l) => l.micros)), credits: sumMicros(legs.filter((l) => l.side === 'credit').map((l) => l.micros)) };
}

/** The ledger table for some entry groups. */
export function ledgerTable(ctx: DashboardContext, groups: readonly EntryGroup[], caption = 'Ledger entry groups'): HTMLElement {
  const names = new Map([...ctx.advertisers, ...ctx.publishers]);
  const bodies = groups.map((g) => {
    const cur = g.meta.currency;
    const { debits, credits } = groupSums([g]);
    // A publisher is not shown which action a group billed (role table): no reference at all.
    const ref = !g.meta.refType
      ? ''
      : g.meta.refType === 'conversion' && ctx.me.kind !== 'publisher'
        ? h('a', { href: `#conversion/${encodeURIComponent(g.meta.refId)}` }, `${REF[g.meta.refType]} ${g.meta.refId}`)
        : `${REF[g.meta.refType] ?? g.meta.refType} ${g.meta.refId.length > 24 ? `${g.meta.refId.slice(0, 22)}…` : g.meta.refId}`;
    // A publisher sees its own leg only, so its groups do not balance on screen: no check row for it.
    const own = ctx.me.kind === 'publisher';
    return h(
      'tbody',
      { 'data-testid': 'ledger-group', 'data-group-id': String(g.id), 'data-kind': g.kind, class: `group ${g.kind}` },
      h(
        'tr',
        { class: 'group-head' },
        h(
          'th',
          { scope: 'rowgroup', colspan: '3' },
          h(
            'div',
            { class: 'group-title' },
            pill(ledgerKindWords(g.kind), g.kind === 'charge' ? 'neutral' : 'bad'),
            h('span', { class: 'ref' }, ref),
            h('span', { class: 'when' }, dateTime(g.meta.at)),
          ),
          h(
            'div',
            { class: 'group-meta' },
            [campaignName(ctx, g.meta.campaignId), g.meta.publisherId ? publisherName(ctx, g.meta.publisherId) : '', g.meta.slotId ? slotName(ctx, g.meta.slotId) : '', g.meta.termsVersion !== null ? `terms v${g.meta.termsVersion}` : '']
              .filter(Boolean)
              .join(' · '),
            g.meta.reason ? ` · ${statusReasonWords(g.meta.reason)}` : '',
          ),
        ),
      ),
      g.legs.map((l) =>
        h(
          'tr',
          { 'data-testid': 'ledger-row', 'data-account': l.account, 'data-side': l.side, 'data-micros': l.micros, class: 'leg' },
          h('td', { class: 'account' }, accountWords(l.account, names)),
          h('td', { class: 'num debit' }, l.side === 'debit' ? formatMoney(l.micros, cur, { exact: true }) : ''),
          h('td', { class: 'num credit' }, l.side === 'credit' ? formatMoney(l.micros, cur, { exact: true }) : ''),
        ),
      ),
      own
        ? null
        : h(
            'tr',
            { class: 'group-sum', 'data-testid': 'ledger-check', 'data-balanced': String(debits === credits) },
            h('td', {}, debits === credits ? '✓ debits = credits' : '✗ debits ≠ credits'),
            h('td', { class: 'num' }, formatMoney(debits, cur, { exact: true })),
            h('td', { class: 'num' }, formatMoney(credits, cur, { exact: true })),
          ),
    );
  });
  return h(
    'div',
    { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': caption },
    h(
      'table',
      { class: 'data ledger', 'data-testid': 'ledger-table' },
      h('caption', { class: 'visually-hidden' }, caption),
      thead([{ label: 'Account' }, { label: 'Debit', num: true }, { label: 'Credit', num: true }]),
      bodies,
    ),
  );
}

/** Renders the ledger page. */
export async function renderLedger(el: HTMLElement, ctx: DashboardContext, days: number, setDays: (d: number) => void): Promise<void> {
  const from = rangeStart(Date.now(), days);
  const filter = ledgerFilter();
  const head = pageHead(
    'Ledger',
    'Append-only, double-entry: every charge debits the advertiser and credits the publisher and the platform. Corrections are new entries, never edits. Amounts are exact to the micro: a revenue share is rounded per charge, so sums end in fractions of a cent.',
    ledgerFilterControls(ctx, () => void renderLedger(el, ctx, days, setDays)),
    rangePicker(days, setDays),
    csvButton(ctx.api, '/v1/ledger.csv', 'ledger.csv', 'Export CSV', { from, ...filter }),
    // A statement is one party's: the operator reads every ledger and has none of its own.
    ctx.me.kind === 'operator' ? null : statementDownload(ctx.api, from),
  );
  mount(el, head, loading('the ledger'));
  const limit = 200;
  const first = await ctx.api.ledger({ from, limit, ...filter });
  const groups = [...first.groups];
  if (groups.length === 0) {
    if (Object.keys(filter).length > 0) {
      mount(el, head, empty('No ledger entries match these filters in this range.'));
      return;
    }
    mount(el, head, empty('No ledger entries in this range yet. Charges appear here the moment a billable click, impression or conversion is recorded.'));
    return;
  }
  let next = first.next;
  const summary = h('div', { class: 'ledger-summary', 'data-testid': 'ledger-summary' });
  const describe = () => {
    // Sums per currency over the groups shown: euros and dollars are never added together.
    const byCurrency = new Map<string, EntryGroup[]>();
    for (const g of groups) byCurrency.set(g.meta.currency, [...(byCurrency.get(g.meta.currency) ?? []), g]);
    const sums = [...byCurrency].sort((a, b) => a[0].localeCompare(b[0])).map(([cur, list]) => ({ cur, ...groupSums(list) }));
    summary.replaceChildren(
      h('p', {}, `${formatCount(groups.length)} entry group${groups.length === 1 ? '' : 's'}${Object.keys(filter).length > 0 ? ' matching the filters' : ''} in the last ${days} days${next ? ` (the newest ${formatCount(groups.length)}; older ones load below — the totals are of those shown)` : ''}:`),
      ...sums.map((x) =>
        h('p', {}, 'Σ debits ', h('strong', { class: 'num' }, formatMoney(x.debits, x.cur, { exact: true })), ' · Σ credits ', h('strong', { class: 'num' }, formatMoney(x.credits, x.cur, { exact: true }))),
      ),
      ...(ctx.me.kind === 'publisher' ? [] : [sums.every((x) => x.debits === x.credits) ? pill('balanced', 'won') : pill('not balanced', 'bad')]),
    );
  };
  const table = ledgerTable(ctx, groups);
  const more = loadMore(`Show ${limit} older`, 'ledger-more', !!next, async () => {
    const page = await ctx.api.ledger({ from, limit, before: next!, ...filter });
    table.querySelector('table')!.append(...ledgerTable(ctx, page.groups).querySelectorAll('tbody'));
    groups.push(...page.groups);
    next = page.next;
    describe();
    return !!next;
  });
  describe();
  mount(el, head, h('section', { class: 'card' }, summary, table, more));
}
