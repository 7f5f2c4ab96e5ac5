/**
 * Money of two currencies is never added up. Performance rows carry their currency (the collector
 * splits a slot that served a euro and a dollar campaign into two rows), and a view whose rows span
 * several currencies shows one at a time — traffic and money of the advertisers paying in it — with
 * a picker to switch.
 *
 * ```ts
 * const money = inOneCurrency(perf.rows, ctx);
 * render(money.rows, { ...ctx, currency: money.currency });
 * parts.unshift(currencyPicker(money, (c) => { ctx.pickedCurrency = c; rerender(); }));
 * ```
 */
import type { PerformanceRow } from './api';
import type { DashboardContext } from './context';
import { h } from './dom';

/** Rows of one currency, that currency, and every currency the rows hold. */
export interface OneCurrency<R> {
  rows: R[];
  currency: string | null;
  currencies: string[];
}

/**
 * Picks the currency to show: the one chosen before, else the context's own (the advertiser's), else
 * the one with the most rows (ties by code), and keeps only its rows.
 */
export function inOneCurrency<R extends Pick<PerformanceRow, 'currency'>>(rows: readonly R[], ctx: Pick<DashboardContext, 'currency' | 'pickedCurrency'>): OneCurrency<R> {
  const count = new Map<string, number>();
  for (const r of rows) count.set(r.currency, (count.get(r.currency) ?? 0) + 1);
  const currencies = [...count.keys()].sort();
  if (currencies.length <= 1) return { rows: [...rows], currency: currencies[0] ?? ctx.currency, currencies };
  const has = (c: string | null | undefined): c is string => !!c && count.has(c);
  const currency = has(ctx.pickedCurrency) ? ctx.pickedCurrency : has(ctx.currency) ? ctx.currency : [...currencies].sort((a, b) => count.get(b)! - count.get(a)! || a.localeCompare(b))[0]!;
  return { rows: rows.filter((r) => r.currency === currency), currency, currencies };
}

/** "Figures in [EUR ▾]" when there is more than one currency; null otherwise. */
export function currencyPicker(money: OneCurrency<unknown>, onPick: (currency: string) => void): HTMLElement | null {
  if (money.currencies.length <= 1) return null;
  const select = h(
    'select',
    { id: 'currency', 'data-testid': 'currency' },
    money.currencies.map((c) => h('option', { value: c, selected: c === money.currency }, c)),
  );
  select.addEventListener('change', () => onPick(select.value));
  return h(
    'p',
    { class: 'currency-choice', role: 'note', 'data-testid': 'currency-choice' },
    h('label', { for: 'currency' }, 'Figures in '),
    select,
    h('span', { class: 'secondary' }, ` — these figures span ${money.currencies.length} currencies, which are never added together; each shows the traffic and money of the advertisers paying in it.`),
  );
}
