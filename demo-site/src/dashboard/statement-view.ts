/**
 * A publisher's account statement (issue 14): what it is owed, split into pending (inside the
 * reversal window the operator set), payable and paid; then every entry on its account in the range
 * with the balance after it — earnings, clawbacks explained in words (statement-line-words.ts), payouts —
 * from the opening to the closing balance; its payout history; and the downloads (statement CSV,
 * payouts CSV, the signed statement). A publisher sees one side of each entry group, so there is no
 * "debits = credits" here: its account balances against its own opening and closing figures.
 *
 * The operator sees the same page for one publisher under its payouts page (payouts-admin-view.ts).
 * Test hooks: `balance-<state>` KPIs, `statement-table`, `statement-line` rows (`data-kind`,
 * `data-amount`, `data-balance`), `statement-opening`, `statement-closing`, `payout-row`.
 */
import { campaignName, slotName, type DashboardContext } from './context';
import { downloadButton } from './csv-export';
import { currencyPicker } from './currency-choice';
import { empty, h, loading, mount } from './dom';
import { formatMoney } from './format-money';
import { dateTime, rangeStart } from './format-time';
import { loadMore } from './load-more';
import { kpiGrid, pageHead, rangePicker } from './panels';
import { accountStatement, payoutBalance, payouts, payoutsCsv, statementCsv, type StatementLine } from './payout-api';
import { statementDownload } from './statement-download';
import { statementLineWords } from './statement-line-words';
import { dataTable, pill, td } from './table';

/** The balance cards of one currency. */
export function balanceCards(b: { balanceMicros: string; pendingMicros: string; payableMicros: string; paidMicros: string; reversalWindowDays: number; thresholdMicros: string; currency: string }): HTMLElement {
  const cur = b.currency;
  const window = b.reversalWindowDays === 0 ? 'no reversal window' : `earned in the last ${b.reversalWindowDays} day${b.reversalWindowDays === 1 ? '' : 's'}: an advertiser may still reverse it`;
  return kpiGrid([
    { label: 'Owed to you', value: formatMoney(b.balanceMicros, cur, { exact: true }), note: 'earnings net of clawbacks, minus payouts', testid: 'balance-owed' },
    { label: 'Pending', value: formatMoney(b.pendingMicros, cur, { exact: true }), note: window, testid: 'balance-pending' },
    {
      label: 'Payable now',
      value: formatMoney(b.payableMicros, cur, { exact: true }),
      note: b.thresholdMicros === '0' ? 'paid out by the operator' : `paid out from ${formatMoney(b.thresholdMicros, cur)} (threshold)`,
      testid: 'balance-payable',
    },
    { label: 'Paid out', value: formatMoney(b.paidMicros, cur, { exact: true }), testid: 'balance-paid' },
  ]);
}

/** Renders the statement of the signed-in publisher, or (operator) of `publisherId`, into `el`. */
export async function renderStatement(el: HTMLElement, ctx: DashboardContext, days: number, setDays: (d: number) => void, publisherId?: string): Promise<void> {
  const from = rangeStart(Date.now(), days);
  const own = ctx.me.kind === 'publisher';
  const head = own
    ? pageHead(
        'Statement',
        'Your account with the platform: what you earned, what was clawed back and why, what was paid out. Earnings stay pending while an advertiser may still reverse them, then become payable.',
        rangePicker(days, setDays),
        statementDownload(ctx.api, from),
      )
    : null;
  mount(el, head, loading('the statement'));
  const [bal, history] = await Promise.all([payoutBalance(ctx.api, publisherId), payouts(ctx.api, { publisherId, limit: 50 })]);
  const currencies = bal.balances.map((b) => b.currency).sort();
  if (currencies.length === 0) {
    mount(el, head, empty('Nothing earned yet. Every ad your slots serve that an advertiser pays for shows up here, with the balance it leaves.'));
    return;
  }
  const cur = currencies.includes(ctx.pickedCurrency ?? '') ? ctx.pickedCurrency! : ctx.currency && currencies.includes(ctx.currency) ? ctx.currency : currencies[0]!;
  const balance = bal.balances.find((b) => b.currency === cur)!;
  const picker = currencyPicker({ rows: [], currency: cur, currencies }, (c) => {
    ctx.pickedCurrency = c;
    void renderStatement(el, ctx, days, setDays, publisherId);
  });

  const first = await accountStatement(ctx.api, { currency: cur, from, publisherId, limit: 200 });
  const money = (m: string) => formatMoney(m, cur, { exact: true });
  const lineRow = (l: StatementLine) => {
    const where = [l.campaignId ? campaignName(ctx, l.campaignId) : '', l.slotId ? slotName(ctx, l.slotId) : ''].filter(Boolean).join(' · ');
    const w = statementLineWords(l, where);
    return h(
      'tr',
      { 'data-testid': 'statement-line', 'data-kind': l.kind, 'data-amount': l.amountMicros, 'data-balance': l.balanceMicros },
      td(dateTime(l.at)),
      td(h('span', {}, pill(w.title, w.tone), w.detail ? h('span', { class: 'secondary' }, w.detail) : null)),
      td(formatMoney(l.amountMicros, cur, { exact: true, signed: true }), true),
      td(money(l.balanceMicros), true),
    );
  };
  const opening = h('tr', { class: 'group-sum', 'data-testid': 'statement-opening', 'data-balance': first.openingMicros }, h('th', { scope: 'row' }, dateTime(first.from)), td('Opening balance'), td('', true), td(money(first.openingMicros), true));
  const closing = h('tr', { class: 'group-sum', 'data-testid': 'statement-closing', 'data-balance': first.closingMicros }, h('th', { scope: 'row' }, 'Now'), td('Closing balance'), td('', true), td(money(first.closingMicros), true));
  const table = dataTable({
    caption: `Account statement in ${cur}`,
    columns: [{ label: 'When' }, { label: 'Entry' }, { label: 'Amount', num: true }, { label: 'Balance', num: true }],
    body: [opening, ...first.lines.map(lineRow)],
    foot: [closing],
    testid: 'statement-table',
    className: 'statement',
  });
  closing.hidden = !!first.next;
  let next = first.next;
  const more = loadMore('Show 200 more', 'statement-more', !!next, async () => {
    const page = await accountStatement(ctx.api, { currency: cur, from, publisherId, limit: 200, after: next! });
    table.querySelector('tbody')!.append(...page.lines.map(lineRow));
    next = page.next;
    closing.hidden = !!next;
    return !!next;
  });

  const payoutRows = history.payouts
    .filter((p) => p.currency === cur)
    .map((p) => h('tr', { 'data-testid': 'payout-row', 'data-amount': p.amountMicros }, td(dateTime(p.at)), td(money(p.amountMicros), true), td(p.reference ?? '–'), td(h('code', {}, p.key))));
  const pid = publisherId ?? bal.publisherId;
  mount(
    el,
    head,
    picker,
    h('section', { class: 'card', 'aria-labelledby': 'balance-title' }, h('div', { class: 'card-head' }, h('h2', { id: 'balance-title' }, `Balance in ${cur}`)), balanceCards(balance)),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'statement-title' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', { id: 'statement-title' }, 'Entries'),
        h(
          'div',
          { class: 'actions' },
          downloadButton('Statement CSV', 'export-statement-csv', `statement-${pid}-${cur}.csv`, () => statementCsv(ctx.api, { currency: cur, from, publisherId })),
        ),
        h('p', { class: 'sub' }, 'Opening balance, every entry on your account with the balance after it, closing balance. Amounts to the micro: a revenue share is rounded per charge.'),
      ),
      first.lines.length === 0 ? empty('No entries in this range.') : null,
      table,
      more,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'payouts-title' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', { id: 'payouts-title' }, 'Payouts'),
        h('div', { class: 'actions' }, downloadButton('Payouts CSV', 'export-payouts-csv', `payouts-${pid}.csv`, () => payoutsCsv(ctx.api, publisherId))),
      ),
      payoutRows.length === 0
        ? empty('No payouts yet.')
        : dataTable({ caption: `Payouts in ${cur}`, columns: [{ label: 'When' }, { label: 'Amount', num: true }, { label: 'Reference' }, { label: 'Key' }], body: payoutRows, testid: 'payouts-table' }),
    ),
  );
}
