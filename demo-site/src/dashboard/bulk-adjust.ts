/**
 * Bulk adjustments by CSV (issue 14), `#adjust`: choose or paste a file (order ID, action, amount,
 * reason), preview it — the collector plans every line with its real commands and rolls back
 * (`POST /v1/conversions/bulk` with `dryRun`) —, then apply. The preview shows, per line, the
 * conversion found or why not, the money it moves and any error, and the total per currency.
 * Re-applying a file moves nothing twice (lines already done come back "unchanged").
 *
 * Test hooks: `bulk-file` (file input), `bulk-text`, `bulk-preview`, `bulk-apply`, `bulk-result`
 * (the table, `data-dry-run`), `bulk-line` rows (`data-outcome`), `bulk-total`.
 */
import type { BulkAnswer, BulkLineAnswer } from './api';
import type { DashboardContext } from './context';
import { h, mount } from './dom';
import { formatMoney, toMicros } from './format-money';
import { pageHead } from './panels';
import { dataTable, pill, td } from './table';
import { statusWords } from './verdict-words';

/** Largest file the page reads (the collector's bound: 256 KiB). */
const MAX_BYTES = 256 * 1024;

const SAMPLE = 'order_id,action,amount,reason\nA-1001,reverse,,customer refund\nA-1002,restate,19.90,partial refund\nA-1003,dispute,,never delivered\n';

const OUTCOME: Record<BulkLineAnswer['outcome'], { label: string; tone: string }> = {
  would_apply: { label: 'will apply', tone: 'info' },
  applied: { label: 'applied', tone: 'won' },
  unchanged: { label: 'already done', tone: 'neutral' },
  error: { label: 'error', tone: 'bad' },
};

/** Renders the bulk-adjustment page. */
export function renderBulkAdjust(el: HTMLElement, ctx: DashboardContext): void {
  const text = h('textarea', { id: 'bulk-text', 'data-testid': 'bulk-text', rows: '7', spellcheck: 'false', class: 'mono' });
  const file = h('input', { id: 'bulk-file', type: 'file', accept: '.csv,text/csv', 'data-testid': 'bulk-file' });
  const message = h('p', { class: 'form-message', role: 'alert' });
  const result = h('div', { 'aria-live': 'polite' });
  const previewBtn = h('button', { type: 'button', class: 'button', 'data-testid': 'bulk-preview' }, 'Preview');
  const applyBtn = h('button', { type: 'button', class: 'button', 'data-testid': 'bulk-apply', disabled: true }, 'Apply');
  // Apply is offered for exactly the text that was previewed.
  let previewed: string | null = null;

  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    if (f.size > MAX_BYTES) return void (message.textContent = `That file is ${Math.ceil(f.size / 1024)} KiB; at most 256 KiB (1,000 lines) at a time.`);
    text.value = await f.text();
    text.dispatchEvent(new Event('input'));
  });
  text.addEventListener('input', () => {
    previewed = null;
    applyBtn.disabled = true;
  });
  const run = async (dryRun: boolean) => {
    message.textContent = '';
    const csv = text.value;
    if (!csv.trim()) return void (message.textContent = 'Choose a CSV file or paste its lines first.');
    previewBtn.disabled = applyBtn.disabled = true;
    try {
      const answer = await ctx.api.bulkAdjust(csv, dryRun);
      result.replaceChildren(resultTable(ctx, answer));
      previewed = dryRun ? csv : null;
    } catch (err) {
      message.textContent = err instanceof Error ? err.message : 'That did not work.';
      result.replaceChildren();
    } finally {
      previewBtn.disabled = false;
      applyBtn.disabled = previewed === null;
    }
  };
  previewBtn.addEventListener('click', () => void run(true));
  applyBtn.addEventListener('click', () => void run(false));

  mount(
    el,
    pageHead('Bulk adjustments', 'Reverse, restate or dispute many conversions at once from a CSV. Preview first: nothing changes until you apply.'),
    h(
      'section',
      { class: 'card' },
      h('p', {}, 'Columns: ', h('code', {}, 'order_id, action, amount, reason'), ' — action is reverse, restate, dispute, approve or reject; amount is the new order value (restate only); every line needs a reason. One line per order.'),
      h('p', {}, h('label', { for: 'bulk-file' }, 'CSV file '), file),
      h('p', {}, h('label', { for: 'bulk-text' }, 'or the lines themselves'), h('br', {}), text),
      h('p', { class: 'sub' }, h('button', { type: 'button', class: 'button small secondary', onclick: () => ((text.value = SAMPLE), text.dispatchEvent(new Event('input'))) }, 'Fill in an example')),
      h('div', { class: 'actions' }, previewBtn, applyBtn),
      message,
    ),
    result,
  );
}

/** The answer as a table: one row per line, then the money moved per currency. */
export function resultTable(ctx: DashboardContext, a: BulkAnswer): HTMLElement {
  const money = (l: BulkLineAnswer) => (toMicros(l.costDeltaMicros) === 0n ? '–' : formatMoney(l.costDeltaMicros, l.currency ?? ctx.currency, { exact: true, signed: true }));
  const rows = a.lines.map((l) => {
    const o = OUTCOME[l.outcome];
    return h(
      'tr',
      { 'data-testid': 'bulk-line', 'data-outcome': l.outcome },
      td(String(l.line), true),
      td(h('code', {}, l.orderId || '–')),
      td(l.command ?? '–'),
      td(l.conversionId ? h('a', { href: `#conversion/${encodeURIComponent(l.conversionId)}` }, l.status ? `${a.dryRun && l.outcome === 'would_apply' ? '→ ' : ''}${statusWords(l.status, null).label}` : 'open') : h('span', { class: 'muted' }, 'not found')),
      td(h('span', {}, pill(o.label, o.tone), l.reason ? h('span', { class: 'secondary' }, l.reason) : null)),
      td(money(l), true),
    );
  });
  const totals = a.totals.length ? a.totals.map((t) => formatMoney(t.costDeltaMicros, t.currency, { exact: true, signed: true })).join(' · ') : 'no money moves';
  const c = a.counts;
  return h(
    'section',
    { class: 'card', 'data-testid': 'bulk-result', 'data-dry-run': String(a.dryRun) },
    h('h2', {}, a.dryRun ? 'Preview — nothing has changed yet' : 'Applied'),
    h(
      'p',
      { 'data-testid': 'bulk-total' },
      h('strong', {}, `${a.dryRun ? 'Would move' : 'Moved'}: ${totals}`),
      ` (your cost; negative is given back) · ${a.dryRun ? c.would_apply : c.applied} to change, ${c.unchanged} already done, ${c.error} with errors.`,
    ),
    dataTable({
      caption: a.dryRun ? 'What each line would do' : 'What each line did',
      columns: [{ label: 'Line', num: true }, { label: 'Order ID' }, { label: 'Action' }, { label: 'Conversion' }, { label: 'Outcome' }, { label: 'Your cost', num: true }],
      body: rows,
    }),
  );
}
