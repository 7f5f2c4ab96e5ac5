// @vitest-environment happy-dom
/**
 * The conversions list pages with the collector's keyset cursor: the first page says when there are
 * older conversions, "Show 500 older" appends the next page with `before`, and the button goes away
 * on the last page — nothing in the range is cut off without a word.
 */
import { describe, expect, it } from 'vitest';
import type { Api, Conversion, ReportQuery } from './api';
import type { DashboardContext } from './context';
import { renderConversions } from './conversions-list';

const conversion = (n: number): Conversion =>
  ({
    id: `cv_${n}`,
    receivedAt: 1_764_400_000_000 - n * 1000,
    actionKey: 'purchase',
    orderId: `O-${n}`,
    valueMicros: '10000000',
    currency: 'EUR',
    status: 'approved',
    statusReason: null,
    campaignId: null,
    publisherId: null,
    touchKind: null,
    costMicros: '1000000',
  }) as unknown as Conversion;

/** An API with `total` conversions, served in pages by `before` (the index of the next one). */
function fakeApi(total: number) {
  const calls: ReportQuery[] = [];
  const api = {
    conversions: async (q: ReportQuery = {}) => {
      calls.push(q);
      const start = q.before ? Number(q.before) : 0;
      const end = Math.min(total, start + (q.limit ?? 200));
      return { conversions: Array.from({ length: end - start }, (_, i) => conversion(start + i)), next: end < total ? String(end) : null };
    },
  } as unknown as Api;
  return { api, calls };
}

const ctxFor = (api: Api): DashboardContext => ({ api, me: { kind: 'operator' }, currency: 'EUR', campaigns: new Map(), publishers: new Map(), advertisers: new Map(), slots: new Map() }) as DashboardContext;

const rows = (el: HTMLElement) => el.querySelectorAll('[data-testid="conversion-row"]').length;
const more = (el: HTMLElement) => el.querySelector<HTMLButtonElement>('[data-testid="conversions-more"]')!;
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('conversions list', () => {
  it('loads older pages on demand until the last one', async () => {
    const { api, calls } = fakeApi(1_200);
    const el = document.createElement('div');
    await renderConversions(el, ctxFor(api), 30, () => undefined);
    expect(rows(el)).toBe(500);
    expect(el.textContent).toContain('The newest 500 conversions in this range');
    expect(more(el).hidden).toBe(false);

    more(el).click();
    await settle();
    expect(rows(el)).toBe(1_000);
    expect(calls.at(-1)).toMatchObject({ before: '500', limit: 500 });
    more(el).click();
    await settle();
    expect(rows(el)).toBe(1_200);
    expect(more(el).hidden).toBe(true);
    expect(el.textContent).toContain('1200 conversions, newest first.');
    // Every conversion once, in order.
    const ids = [...el.querySelectorAll<HTMLElement>('[data-testid="conversion-row"]')].map((r) => r.dataset.conversionId);
    expect(ids).toEqual(Array.from({ length: 1_200 }, (_, i) => `cv_${i}`));
  });

  it('shows no button when everything fits on one page', async () => {
    const { api } = fakeApi(3);
    const el = document.createElement('div');
    await renderConversions(el, ctxFor(api), 30, () => undefined);
    expect(rows(el)).toBe(3);
    expect(more(el).hidden).toBe(true);
    expect(el.textContent).toContain('3 conversions, newest first.');
  });
});
