/**
 * What an advertiser (or the operator) can do to one conversion from its page (issue 14): reverse,
 * restate and dispute a charged one, approve or reject a held one, resolve a dispute. Every action
 * takes a reason and has a confirmation step that shows the money it moves — asked of the
 * collector with `dry_run: true`, so the figure comes from the same planning code that will post it
 * (core/adjustments.ts), never from arithmetic in the browser. After it is done the page reloads
 * and shows the new state, the history entry and the ledger entry.
 *
 * Test hooks: `conversion-actions`, `action-<command>` buttons, `adjust-reason`, `adjust-value`,
 * `adjust-review`, `adjust-preview` (the money sentence), `adjust-confirm`, `adjust-cancel`,
 * `conversion-history` with `history-entry` rows (`data-action`).
 */
import type { AdjustCommand, Conversion } from './api';
import type { DashboardContext } from './context';
import { h, type Child } from './dom';
import { formatMoney, toMicros } from './format-money';
import { dateTime } from './format-time';
import { statusReasonWords } from './verdict-words';

/** One offered action: its command, button label and what the form asks. */
interface Offer {
  command: AdjustCommand;
  label: string;
  /** Test hook; approve/reject keep the names the review box always had. */
  testid: string;
  explain: string;
  secondary?: boolean;
}

/** The actions a conversion in this state offers (collector/src/core/conversion-status.ts). */
export function offeredActions(c: Pick<Conversion, 'status' | 'campaignId'>, isOperator: boolean): Offer[] {
  const reverse: Offer = { command: 'reverse', label: 'Reverse', testid: 'action-reverse', explain: 'A refund or cancellation: the charge is clawed back in full.', secondary: true };
  const restate: Offer = { command: 'restate', label: 'Restate value', testid: 'action-restate', explain: 'The order value changed: the charge is re-priced at the new value and the difference posted.', secondary: true };
  switch (c.status) {
    case 'pending':
      return c.campaignId
        ? [
            { command: 'approve', label: 'Approve and charge', testid: 'approve-conversion', explain: 'It is priced and charged now under its terms.' },
            { command: 'reject', label: 'Reject', testid: 'reject-conversion', explain: 'Not genuine: it is never charged.', secondary: true },
          ]
        : [];
    case 'approved':
    case 'restated':
      return [
        reverse,
        restate,
        { command: 'dispute', label: 'Dispute', testid: 'action-dispute', explain: 'You think this charge is wrong: it is held for the operator, and the charge stands until they decide.', secondary: true },
      ];
    case 'disputed':
      return [
        { command: 'approve', label: isOperator ? 'Dismiss the dispute' : 'Withdraw the dispute', testid: 'action-approve', explain: 'The charge stands as it is; nothing is billed again.' },
        { ...reverse, label: isOperator ? 'Uphold: reverse' : 'Reverse' },
        { ...restate, label: 'Settle at a new value' },
      ];
    case 'unattributed':
      return [{ ...restate, explain: 'Record the right order value; nothing is charged (no ad touch).' }];
    default:
      return [];
  }
}

/** The sentence for the money a command moves, from the collector's own dry run. */
export function moneyMovedWords(costDeltaMicros: string, currency: string | null): string {
  const d = toMicros(costDeltaMicros);
  if (d === 0n) return 'No money moves.';
  const m = formatMoney(d < 0n ? -d : d, currency, { exact: true });
  return d < 0n ? `${m} is given back to you (the publisher's earning and the platform's margin on it are clawed back).` : `You are charged ${m} more.`;
}

/** The actions card of a conversion page, or null when its state allows none. */
export function conversionActions(ctx: DashboardContext, c: Conversion, changed: () => void): HTMLElement | null {
  if (ctx.me.kind === 'publisher') return null;
  const offers = offeredActions(c, ctx.me.kind === 'operator');
  if (!offers.length) return null;
  const formSlot = h('div', {});
  const buttons = offers.map((o) =>
    h('button', { type: 'button', class: `button${o.secondary ? ' secondary' : ''}`, 'data-testid': o.testid, onclick: () => formSlot.replaceChildren(actionForm(ctx, c, o, changed, () => formSlot.replaceChildren())) }, o.label),
  );
  return h(
    'div',
    { class: 'review', 'data-testid': 'conversion-actions' },
    h('p', {}, c.status === 'pending' ? 'Held for review — you decide.' : c.status === 'disputed' ? 'Disputed — held for the operator.' : 'Something changed with this order?'),
    h('div', { class: 'actions' }, buttons),
    formSlot,
  );
}

let formSeq = 0;

/** The form of one action: reason (and value), then a confirmation with the money it moves. */
function actionForm(ctx: DashboardContext, c: Conversion, o: Offer, changed: () => void, close: () => void): HTMLElement {
  const n = ++formSeq;
  const reason = h('textarea', { id: `adjust-reason-${n}`, 'data-testid': 'adjust-reason', required: true, maxlength: '500', rows: '2' });
  const value = o.command === 'restate' ? h('input', { id: `adjust-value-${n}`, 'data-testid': 'adjust-value', required: true, inputmode: 'decimal', autocomplete: 'off', placeholder: '49.90' }) : null;
  const message = h('p', { class: 'form-message', role: 'alert' });
  const confirmSlot = h('div', {});
  const body = () => ({ reason: reason.value.trim(), ...(value ? { value: value.value.trim().replace(',', '.') } : {}) });
  const fail = (err: unknown) => (message.textContent = err instanceof Error ? err.message : 'That did not work.');

  const review = h('button', { type: 'submit', class: 'button', 'data-testid': 'adjust-review' }, 'Review');
  const form = h(
    'form',
    { class: 'adjust-form', 'aria-label': o.label, novalidate: true },
    h('p', { class: 'sub' }, o.explain),
    value ? h('p', {}, h('label', { for: value.id }, `New order value (${c.currency ?? ctx.currency ?? 'currency units'})`), h('br', {}), value) : null,
    h('p', {}, h('label', { for: reason.id }, 'Reason (kept in the explain record and the ledger)'), h('br', {}), reason),
    h('div', { class: 'actions' }, review, h('button', { type: 'button', class: 'button secondary', 'data-testid': 'adjust-cancel', onclick: close }, 'Cancel')),
    message,
    confirmSlot,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message.textContent = '';
    confirmSlot.replaceChildren();
    const b = body();
    if (!b.reason) return void (message.textContent = 'Give a reason: it is recorded with the change.');
    if (value && !/^\d+([.]\d{1,6})?$/.test(b.value ?? '')) return void (message.textContent = 'Give the new value as a number, e.g. 49.90.');
    review.disabled = true;
    try {
      const plan = await ctx.api.adjust(c.id, o.command, { ...b, dry_run: true });
      confirmSlot.replaceChildren(confirmBox(ctx, c, o, plan.costDeltaMicros, plan.currency ?? c.currency, async (btn) => {
        btn.disabled = true;
        try {
          await ctx.api.adjust(c.id, o.command, b);
          changed();
        } catch (err) {
          fail(err);
          btn.disabled = false;
        }
      }));
      (confirmSlot.querySelector('[data-testid="adjust-confirm"]') as HTMLButtonElement | null)?.focus();
    } catch (err) {
      fail(err);
    } finally {
      review.disabled = false;
    }
  });
  queueMicrotask(() => (value ?? reason).focus());
  return form;
}

function confirmBox(ctx: DashboardContext, c: Conversion, o: Offer, delta: string, currency: string | null, confirm: (b: HTMLButtonElement) => void): HTMLElement {
  const btn = h('button', { type: 'button', class: 'button', 'data-testid': 'adjust-confirm' }, `Confirm: ${o.label.toLowerCase()}`);
  btn.addEventListener('click', () => confirm(btn));
  return h(
    'div',
    { class: 'confirm', role: 'group', 'aria-label': 'Confirm' },
    h('p', { 'data-testid': 'adjust-preview' }, h('strong', {}, moneyMovedWords(delta, currency ?? ctx.currency)), ` Conversion ${c.orderId ?? c.id}.`),
    btn,
  );
}

/** One entry of a conversion's history (collector/src/core/explain.ts ExplainHistoryEntry). */
export interface HistoryEntry {
  at: number;
  action: string;
  reason: string | null;
  netCostMicros: string;
  valueMicros: string;
}

const HISTORY_WORDS: Record<string, string> = {
  approved: 'Approved',
  rejected: 'Rejected',
  reversed: 'Reversed',
  restated: 'Restated',
  merged: 'Merged',
  disputed: 'Disputed',
};

/** The history card: every later change with its reason and the net cost after it. */
export function historyCard(ctx: DashboardContext, c: Conversion): HTMLElement | null {
  const history = ((c.decision as { history?: HistoryEntry[] } | null)?.history ?? []).filter((e) => e.action !== 'merged' || e.reason);
  if (!history.length) return null;
  const cur = c.currency ?? ctx.currency;
  const item = (e: HistoryEntry): Child =>
    h(
      'li',
      { 'data-testid': 'history-entry', 'data-action': e.action },
      h('strong', {}, HISTORY_WORDS[e.action] ?? e.action),
      ` · ${dateTime(e.at)}`,
      e.reason ? ` · “${statusReasonWords(e.reason)}”` : null,
      h('span', { class: 'secondary' }, ` net cost after: ${formatMoney(e.netCostMicros, cur, { exact: true })}, value ${formatMoney(e.valueMicros, cur)}`),
    );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'explain-history-title', 'data-testid': 'conversion-history' },
    h('div', { class: 'card-head' }, h('h2', { id: 'explain-history-title' }, 'What happened since'), h('p', { class: 'sub' }, 'Each change, who gave which reason, and the net cost after it.')),
    h('ol', { class: 'history' }, history.map(item)),
  );
}
