// @vitest-environment happy-dom
/** One currency at a time: which one is shown, and the picker that switches it. */
import { describe, expect, it } from 'vitest';
import { currencyPicker, inOneCurrency } from './currency-choice';

const rows = (...currencies: string[]) => currencies.map((currency, i) => ({ key: `k${i}`, currency }));

describe('inOneCurrency', () => {
  it('keeps every row when they share one currency, or there are none', () => {
    expect(inOneCurrency(rows('EUR', 'EUR'), { currency: null })).toMatchObject({ currency: 'EUR', currencies: ['EUR'] });
    expect(inOneCurrency(rows('EUR', 'EUR'), { currency: null }).rows).toHaveLength(2);
    expect(inOneCurrency([], { currency: 'USD' })).toEqual({ rows: [], currency: 'USD', currencies: [] });
  });

  it('shows the chosen currency, else the advertiser’s own, else the one with the most rows', () => {
    const mixed = rows('USD', 'EUR', 'USD', 'GBP');
    expect(inOneCurrency(mixed, { currency: null })).toMatchObject({ currency: 'USD', currencies: ['EUR', 'GBP', 'USD'] });
    expect(inOneCurrency(mixed, { currency: 'EUR' }).rows).toEqual([{ key: 'k1', currency: 'EUR' }]);
    expect(inOneCurrency(mixed, { currency: 'EUR', pickedCurrency: 'GBP' }).rows).toEqual([{ key: 'k3', currency: 'GBP' }]);
    // A choice that no longer has rows (another date range) falls back.
    expect(inOneCurrency(mixed, { currency: null, pickedCurrency: 'JPY' }).currency).toBe('USD');
  });
});

describe('currencyPicker', () => {
  it('is absent for one currency, and reports the pick', () => {
    expect(currencyPicker(inOneCurrency(rows('EUR'), { currency: null }), () => undefined)).toBeNull();
    const picked: string[] = [];
    const el = currencyPicker(inOneCurrency(rows('USD', 'EUR'), { currency: 'EUR' }), (c) => picked.push(c))!;
    const select = el.querySelector('select')!;
    expect(select.value).toBe('EUR');
    expect(el.textContent).toContain('never added together');
    select.value = 'USD';
    select.dispatchEvent(new Event('change'));
    expect(picked).toEqual(['USD']);
  });
});
