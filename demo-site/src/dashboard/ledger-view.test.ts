// @vitest-environment happy-dom
/**
 * The ledger page: sums per currency (never euros plus dollars) over the groups shown, and older
 * groups loaded on demand with the collector's cursor until none are left.
 */
import { describe, expect, it } from 'vitest';
import type { Api, EntryGroup, ReportQuery } from './api';
import type { DashboardContext } from './context';
import { renderLedger } from './ledger-view';

/** Group `id` charging `micros` in `currency`: advertiser debit, publisher and platform credits. */
const group = (id: number, currency: string, micros: number): EntryGroup =>
  ({
    id,
    key: `impression:i${id}:charge`,
    kind: 'charge',
    postedAt: 1_764_400_000_000,
    meta: { refType: 'impression', refId: `i${id}`, campaignId: 'c', advertiserId: 'a', publisherId: 'p', slotId: null, termsVersion: 1, currency, at: 1_764_400_000_000 - id, reason: null },
    legs: [
      { account: 'advertiser:a', side: 'debit', micros: String(micros) },
      { account: 'publisher:p', side: 'credit', micros: String((micros * 7) / 10) },
      { account: 'platform', side: 'credit', micros: String((micros * 3) / 10) },
    ],
  }) as unknown as EntryGroup;

function fakeApi(all: EntryGroup[]) {
  const calls: ReportQuery[] = [];
  const api = {
    ledger: async (q: ReportQuery = {}) => {
      calls.push(q);
      const start = q.before ? all.findIndex((g) => g.id < Number(q.before)) : 0;
      const page = start < 0 ? [] : all.slice(start, start + (q.limit ?? 200));
      const full = page.length === (q.limit ?? 200) && start + page.length < all.length;
      return { groups: page, next: full ? String(page.at(-1)!.id) : null };
    },
  } as unknown as Api;
  return { api, calls };
}

const ctxFor = (api: Api): DashboardContext =>
  ({ api, me: { kind: 'operator' }, currency: null, campaigns: new Map(), publishers: new Map(), advertisers: new Map(), slots: new Map() }) as DashboardContext;
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('ledger page', () => {
  it('sums each currency apart and loads older groups until none are left', async () => {
    // 450 groups, newest first: every third in dollars, 1.00 each; the rest in euros, 2.00 each.
    const all = Array.from({ length: 450 }, (_, i) => (i % 3 === 0 ? group(1000 - i, 'USD', 1_000_000) : group(1000 - i, 'EUR', 2_000_000)));
    const { api, calls } = fakeApi(all);
    const el = document.createElement('div');
    await renderLedger(el, ctxFor(api), 30, () => undefined);
    const summary = () => el.querySelector('[data-testid="ledger-summary"]')!.textContent!.replace(/\s+/g, ' ');
    const groups = () => el.querySelectorAll('[data-testid="ledger-group"]').length;
    const more = () => el.querySelector<HTMLButtonElement>('[data-testid="ledger-more"]')!;

    expect(groups()).toBe(200);
    // 200 shown: 67 dollar groups and 133 euro groups.
    expect(summary()).toContain('200 entry groups in the last 30 days (the newest 200; older ones load below — the totals are of those shown)');
    expect(summary()).toContain('Σ debits €266.00 · Σ credits €266.00');
    expect(summary()).toContain('Σ debits $67.00 · Σ credits $67.00');
    expect(summary()).toContain('balanced');

    more().click();
    await settle();
    expect(calls.at(-1)).toMatchObject({ before: String(all[199]!.id), limit: 200 });
    expect(groups()).toBe(400);
    more().click();
    await settle();
    expect(groups()).toBe(450);
    expect(more().hidden).toBe(true);
    expect(summary()).toContain('450 entry groups in the last 30 days:');
    expect(summary()).toContain('Σ debits €600.00'); // 300 euro groups
    expect(summary()).toContain('Σ debits $150.00'); // 150 dollar groups
    const ids = [...el.querySelectorAll<HTMLElement>('[data-testid="ledger-group"]')].map((g) => Number(g.dataset.groupId));
    expect(ids).toEqual(all.map((g) => g.id));
  });

  it('asks the collector for the kind and the party chosen, and the older pages with them', async () => {
    const all = Array.from({ length: 250 }, (_, i) => group(1000 - i, 'EUR', 2_000_000));
    const { api, calls } = fakeApi(all);
    const ctx = { ...ctxFor(api), advertisers: new Map([['a', 'Northwind']]) } as DashboardContext;
    const el = document.createElement('div');
    document.body.replaceChildren(el);
    await renderLedger(el, ctx, 30, () => undefined);
    const kind = el.querySelector<HTMLSelectElement>('[data-testid="ledger-kind"]')!;
    kind.value = 'reversal';
    kind.dispatchEvent(new Event('change'));
    await settle();
    expect(calls.at(-1)).toMatchObject({ kind: 'reversal' });
    const account = el.querySelector<HTMLSelectElement>('[data-testid="ledger-account"]')!;
    account.value = 'advertiserId:a';
    account.dispatchEvent(new Event('change'));
    await settle();
    expect(calls.at(-1), JSON.stringify(calls.at(-1))).toMatchObject({ kind: 'reversal', advertiserId: 'a' });
    el.querySelector<HTMLButtonElement>('[data-testid="ledger-more"]')!.click();
    await settle();
    expect(calls.at(-1)).toMatchObject({ kind: 'reversal', advertiserId: 'a', before: String(all[199]!.id) });
    expect(el.textContent).toContain('matching the filters');
  });
});
