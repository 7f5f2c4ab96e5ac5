/**
 * The operator's payouts page (issue 14): pick a publisher, see its balance per currency, record a
 * payout (at most the payable balance, at least the threshold — the collector refuses anything else
 * with the reason, shown here), set a currency's reversal window and threshold, and read the
 * publisher's statement (statement-view.ts) below.
 *
 * A payout form carries one idempotency key from the moment it is drawn, so a double click or a
 * retry after a lost answer never pays twice; a recorded payout draws the form anew with a new key.
 * Test hooks: `payout-publisher`, `payout-currency`, `payout-amount`, `payout-reference`,
 * `payout-submit`, `payout-message`, `policy-window`, `policy-threshold`, `policy-submit`.
 */
import { parseDecimalMicros } from '../../../collector/src/core/money';
import { ApiError } from './api';
import type { DashboardContext } from './context';
import { empty, h, loading, mount } from './dom';
import { formatMoney } from './format-money';
import { pageHead } from './panels';
import { payoutBalance, recordPayout, setPayoutPolicy } from './payout-api';
import { renderStatement } from './statement-view';

/** A labelled field. */
const field = (id: string, label: string, input: HTMLElement) => h('div', { class: 'field' }, h('label', { for: id }, label), input);

/** A fresh idempotency key for one payout form. */
const newKey = () => `dash-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** Renders the operator's payouts page. */
export async function renderPayoutsAdmin(el: HTMLElement, ctx: DashboardContext, days: number, setDays: (d: number) => void): Promise<void> {
  const head = pageHead('Payouts', 'Publisher balances: pending inside the reversal window, payable after it, paid. Recording a payout posts a ledger entry group (debit the publisher, credit payouts).');
  const publishers = [...ctx.publishers].sort((a, b) => a[1].localeCompare(b[1]));
  if (publishers.length === 0) {
    mount(el, head, empty('No publishers yet.'));
    return;
  }
  const picked = new URLSearchParams(location.hash.split('?')[1] ?? '').get('publisher');
  const pid = publishers.some(([id]) => id === picked) ? picked! : publishers[0]![0];
  const select = h('select', { id: 'payout-publisher', 'data-testid': 'payout-publisher' }, publishers.map(([id, name]) => h('option', { value: id, selected: id === pid }, name)));
  select.addEventListener('change', () => {
    location.hash = `#payouts?publisher=${encodeURIComponent(select.value)}`;
  });
  mount(el, head, h('div', { class: 'site-form' }, field('payout-publisher', 'Publisher', select)), loading('the balance'));

  const bal = await payoutBalance(ctx.api, pid);
  const currencies = bal.balances.map((b) => b.currency).sort();
  const message = h('p', { class: 'form-message', role: 'status', 'data-testid': 'payout-message' });
  const statementEl = h('div', {});
  const rerender = () => void renderPayoutsAdmin(el, ctx, days, setDays);

  let key = newKey();
  const curSelect = h('select', { id: 'payout-currency', 'data-testid': 'payout-currency' }, currencies.map((c) => h('option', { value: c, selected: c === (ctx.pickedCurrency ?? currencies[0]) }, c)));
  const amount = h('input', { id: 'payout-amount', 'data-testid': 'payout-amount', inputmode: 'decimal', placeholder: 'all that is payable', autocomplete: 'off' });
  const reference = h('input', { id: 'payout-reference', 'data-testid': 'payout-reference', maxlength: '200', placeholder: 'bank transfer ID', autocomplete: 'off' });
  const submit = h('button', { type: 'submit', class: 'button', 'data-testid': 'payout-submit' }, 'Record payout');
  const payable = () => bal.balances.find((b) => b.currency === curSelect.value);
  const payoutForm = h(
    'form',
    { class: 'site-form', 'aria-label': 'Record a payout' },
    field('payout-currency', 'Currency', curSelect),
    field('payout-amount', 'Amount', amount),
    field('payout-reference', 'Reference', reference),
    submit,
  );
  payoutForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message.textContent = '';
    let micros: string | undefined;
    if (amount.value.trim()) {
      const m = parseDecimalMicros(amount.value.trim());
      if (!m.ok) {
        message.textContent = `The amount: ${m.reason}.`;
        amount.focus();
        return;
      }
      micros = String(m.micros);
    }
    const b = payable();
    const shown = micros ?? b?.payableMicros ?? '0';
    if (!confirm(`Record a payout of ${formatMoney(shown, curSelect.value, { exact: true })} to ${ctx.publishers.get(pid) ?? pid}? It posts a ledger entry that cannot be edited.`)) return;
    submit.disabled = true;
    try {
      await recordPayout(ctx.api, { publisherId: pid, currency: curSelect.value, idempotencyKey: key, amountMicros: micros, reference: reference.value.trim() || undefined });
      key = newKey();
      ctx.pickedCurrency = curSelect.value;
      rerender();
    } catch (err) {
      message.textContent = err instanceof ApiError ? err.message : 'The payout could not be recorded.';
    } finally {
      submit.disabled = false;
    }
  });

  const policy = payable();
  const windowInput = h('input', { id: 'policy-window', 'data-testid': 'policy-window', type: 'number', min: '0', max: '365', value: String(policy?.reversalWindowDays ?? 30) });
  const thresholdInput = h('input', { id: 'policy-threshold', 'data-testid': 'policy-threshold', inputmode: 'decimal', value: policy ? formatMoney(policy.thresholdMicros, null, { exact: true }).replace(/,/g, '') : '0' });
  const policyForm = h(
    'form',
    { class: 'site-form', 'aria-label': 'Payout policy' },
    field('policy-window', 'Reversal window (days)', windowInput),
    field('policy-threshold', 'Payout threshold', thresholdInput),
    h('button', { type: 'submit', class: 'button secondary', 'data-testid': 'policy-submit' }, 'Save policy'),
  );
  policyForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message.textContent = '';
    const t = parseDecimalMicros(thresholdInput.value.trim() || '0');
    if (!t.ok) {
      message.textContent = `The threshold: ${t.reason}.`;
      return;
    }
    try {
      await setPayoutPolicy(ctx.api, curSelect.value, { reversalWindowDays: Number(windowInput.value), thresholdMicros: String(t.micros) });
      ctx.pickedCurrency = curSelect.value;
      rerender();
    } catch (err) {
      message.textContent = err instanceof ApiError ? err.message : 'The policy could not be saved.';
    }
  });

  mount(
    el,
    head,
    h('div', { class: 'site-form' }, field('payout-publisher', 'Publisher', select)),
    currencies.length === 0
      ? empty('This publisher has earned nothing yet.')
      : h(
          'section',
          { class: 'card', 'aria-labelledby': 'record-title' },
          h('div', { class: 'card-head' }, h('h2', { id: 'record-title' }, 'Record a payout'), h('p', { class: 'sub' }, 'Leave the amount empty to pay everything payable. The policy applies to the currency chosen.')),
          payoutForm,
          policyForm,
          message,
        ),
    statementEl,
  );
  if (currencies.length > 0) await renderStatement(statementEl, ctx, days, setDays, pid);
}
