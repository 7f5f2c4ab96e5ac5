/**
 * The postback console (issue 14), `#postback`: build a server-to-server conversion, send it as a
 * test and see what `POST /v1/conversions` would answer — status, body — and the verdict: who it
 * would be attributed to and what it would cost. The page never holds the S2S secret: the test is
 * sent with the dashboard's API key to `POST /v1/conversions/test`, which runs the real pipeline for
 * the signed-in advertiser and rolls it back, so a test never reaches the ledger, budgets or reports.
 *
 * Test hooks: `postback-form`, `pb-<field>` inputs, `pb-send`, `pb-body` (the JSON sent),
 * `pb-status` (the HTTP status), `pb-answer` (its body), `pb-verdict`.
 */
import type { TestPostbackAnswer } from './api';
import { campaignName, publisherLabel, type DashboardContext } from './context';
import { h, mount } from './dom';
import { formatMoney } from './format-money';
import { pageHead } from './panels';
import { pill } from './table';
import { chargeWords, statusWords } from './verdict-words';

/** A fresh event ID for a test (8–64 of [A-Za-z0-9_-], as the S2S schema wants). */
const newEventId = () => `test-${crypto.randomUUID()}`;

/** Renders the console. */
export function renderPostbackConsole(el: HTMLElement, ctx: DashboardContext): void {
  const input = (name: string, label: string, attrs: Record<string, string> = {}) => {
    const control = h('input', { id: `pb-${name}`, 'data-testid': `pb-${name}`, autocomplete: 'off', ...attrs });
    return { control, row: h('div', { class: 'filter' }, h('label', { for: control.id }, label), control) };
  };
  const eventId = input('event-id', 'Event ID', { value: newEventId(), maxlength: '64' });
  const action = input('action', 'Conversion action', { value: 'purchase', pattern: '[a-z0-9_\\-]{1,64}' });
  const orderId = input('order-id', 'Order ID', { value: `TEST-${Date.now().toString(36).toUpperCase()}`, maxlength: '128' });
  const value = input('value', 'Value', { value: '49.90', inputmode: 'decimal' });
  const currency = input('currency', 'Currency', { value: ctx.currency ?? 'EUR', maxlength: '3' });
  const clickId = input('click-id', 'Click ID (ppclid)', { placeholder: 'the ppclid your landing page received', maxlength: '64' });
  const bodyView = h('pre', { class: 'code', 'data-testid': 'pb-body' });
  const out = h('div', { 'aria-live': 'polite' });
  const message = h('p', { class: 'form-message', role: 'alert' });
  const send = h('button', { type: 'submit', class: 'button', 'data-testid': 'pb-send' }, 'Send test');

  const body = (): Record<string, unknown> => {
    const b: Record<string, unknown> = { event_id: eventId.control.value.trim(), action: action.control.value.trim() || 'conversion' };
    if (orderId.control.value.trim()) b.order_id = orderId.control.value.trim();
    if (value.control.value.trim()) b.value = value.control.value.trim();
    if (currency.control.value.trim()) b.currency = currency.control.value.trim().toUpperCase();
    if (clickId.control.value.trim()) b.click_id = clickId.control.value.trim();
    return b;
  };
  const show = () => (bodyView.textContent = JSON.stringify(body(), null, 2));
  const form = h(
    'form',
    { class: 'filters', 'data-testid': 'postback-form', 'aria-label': 'Test postback' },
    eventId.row,
    action.row,
    orderId.row,
    value.row,
    currency.row,
    clickId.row,
    h('div', { class: 'filter actions' }, send, h('button', { type: 'button', class: 'button secondary', onclick: () => ((eventId.control.value = newEventId()), show()) }, 'New event ID')),
  );
  form.addEventListener('input', show);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message.textContent = '';
    send.disabled = true;
    try {
      out.replaceChildren(answerView(ctx, await ctx.api.testPostback(body())));
    } catch (err) {
      message.textContent = err instanceof Error ? err.message : 'That did not work.';
      out.replaceChildren();
    } finally {
      send.disabled = false;
    }
  });
  show();
  mount(
    el,
    pageHead('Postback console', 'Try a server-to-server conversion before your server sends real ones. Tests are never stored or billed.'),
    h(
      'section',
      { class: 'card' },
      h('p', {}, 'Your server sends this body to ', h('code', {}, 'POST /v1/conversions'), ', signed with your S2S secret (', h('code', {}, 'X-PP-Advertiser'), ', ', h('code', {}, 'X-PP-Timestamp'), ', ', h('code', {}, 'X-PP-Signature: v1=HMAC-SHA256(secret, "<timestamp>.<body>")'), '). Here the collector runs it for your account without the signature and keeps nothing.'),
      form,
      message,
      h('h2', {}, 'Body'),
      bodyView,
    ),
    out,
  );
}

/** What the collector answered, and the verdict in words. */
export function answerView(ctx: DashboardContext, a: TestPostbackAnswer): HTMLElement {
  const c = a.verdict.conversion;
  const ok = a.http.status < 300;
  const d = c?.decision;
  const verdict = c
    ? [
        h('p', {}, pill(statusWords(c.status, c.statusReason).label, statusWords(c.status, c.statusReason).tone), ' ', statusWords(c.status, c.statusReason).detail ?? ''),
        d?.winner
          ? h('p', {}, `Attributed to a ${d.winner.kind === 'view' ? 'viewable impression' : 'click'} on `, h('strong', {}, campaignName(ctx, d.winner.campaignId)), ' via ', publisherLabel(ctx, d.winner.publisherId), '.')
          : h('p', {}, 'No ad touch: it would be stored, not charged.', d?.reason ? ` (${d.reason.replace(/_/g, ' ')})` : ''),
        d?.charge ? h('p', {}, 'Price: ', h('strong', {}, formatMoney(c.costMicros, d.charge.currency ?? c.currency ?? ctx.currency, { exact: true })), ` — ${chargeWords(d.charge.outcome, d.charge.reason, d.charge.capHit).label}.`) : null,
        h('p', { class: 'sub' }, `${d?.candidates.length ?? 0} candidate touch${d?.candidates.length === 1 ? '' : 'es'} looked at.`),
      ]
    : [h('p', {}, 'Nothing would be stored.')];
  return h(
    'section',
    { class: 'card', 'data-testid': 'pb-verdict', 'data-http-status': String(a.http.status) },
    h('div', { class: 'card-head' }, h('h2', {}, 'Answer'), pill('test: not stored, not billed', 'neutral')),
    h('p', {}, 'HTTP ', h('strong', { 'data-testid': 'pb-status', class: ok ? 'good' : 'bad' }, String(a.http.status)), ok ? ' — your server should treat this as done.' : a.http.status === 409 ? ' — the same event ID or order already came with another payload.' : ' — refused; the reason is in the body.'),
    h('pre', { class: 'code', 'data-testid': 'pb-answer' }, JSON.stringify(a.http.body, null, 2)),
    h('h3', {}, 'Verdict'),
    verdict,
  );
}
