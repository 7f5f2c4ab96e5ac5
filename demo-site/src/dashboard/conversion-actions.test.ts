// @vitest-environment happy-dom
/**
 * The actions on a conversion's page: which a state offers, that the confirmation shows the money
 * the collector's dry run answered (never a figure computed here), that the reason is required and
 * that confirming sends the same command without `dry_run`, then reloads the page.
 */
import { describe, expect, it } from 'vitest';
import type { AdjustCommand, Api, Conversion } from './api';
import { conversionActions, historyCard, moneyMovedWords, offeredActions } from './conversion-actions';
import type { DashboardContext } from './context';

const conv = (o: Partial<Conversion> = {}) => ({ id: 'cv_1', orderId: 'A-1', status: 'approved', campaignId: 'cmp', currency: 'EUR', decision: null, ...o }) as unknown as Conversion;

function ctxWith(kind: 'advertiser' | 'operator' = 'advertiser') {
  const calls: { id: string; command: AdjustCommand; body: Record<string, unknown> }[] = [];
  const api = {
    adjust: async (id: string, command: AdjustCommand, body: Record<string, unknown>) => {
      calls.push({ id, command, body });
      return { conversion: conv(), dryRun: !!body.dry_run, costDeltaMicros: command === 'reverse' ? '-5990000' : '5000000', currency: 'EUR' };
    },
  } as unknown as Api;
  const ctx = { api, me: kind === 'advertiser' ? { kind, id: 'adv' } : { kind }, currency: 'EUR', campaigns: new Map(), publishers: new Map(), advertisers: new Map(), slots: new Map() } as unknown as DashboardContext;
  return { ctx, calls };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const q = (el: Element, id: string) => el.querySelector(`[data-testid="${id}"]`) as HTMLElement;

describe('offeredActions', () => {
  it.each([
    ['pending', ['approve', 'reject']],
    ['approved', ['reverse', 'restate', 'dispute']],
    ['restated', ['reverse', 'restate', 'dispute']],
    ['disputed', ['approve', 'reverse', 'restate']],
    ['unattributed', ['restate']],
    ['reversed', []],
    ['rejected', []],
  ])('a %s conversion offers %j', (status, commands) => {
    expect(offeredActions({ status, campaignId: 'cmp' }, false).map((o) => o.command)).toEqual(commands);
  });
});

describe('moneyMovedWords', () => {
  it('says what is given back, charged, or that nothing moves', () => {
    expect(moneyMovedWords('-5990000', 'EUR')).toMatch(/^€5\.99 is given back/);
    expect(moneyMovedWords('5000000', 'EUR')).toBe('You are charged €5.00 more.');
    expect(moneyMovedWords('0', 'EUR')).toBe('No money moves.');
  });
});

describe('conversionActions', () => {
  it('asks for a reason, previews with dry_run, then confirms the same command and reloads', async () => {
    const { ctx, calls } = ctxWith();
    let reloaded = 0;
    const el = conversionActions(ctx, conv(), () => reloaded++)!;
    document.body.replaceChildren(el);
    q(el, 'action-reverse').click();
    const form = el.querySelector('form')!;
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    await tick();
    expect(el.textContent).toMatch(/Give a reason/);
    expect(calls).toEqual([]);
    (q(el, 'adjust-reason') as HTMLTextAreaElement).value = 'customer refund';
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    await tick();
    expect(calls).toEqual([{ id: 'cv_1', command: 'reverse', body: { reason: 'customer refund', dry_run: true } }]);
    expect(q(el, 'adjust-preview').textContent).toMatch(/€5\.99 is given back/);
    expect(reloaded).toBe(0);
    q(el, 'adjust-confirm').click();
    await tick();
    expect(calls[1]).toEqual({ id: 'cv_1', command: 'reverse', body: { reason: 'customer refund' } });
    expect(reloaded).toBe(1);
  });

  it('needs a numeric value to restate', async () => {
    const { ctx, calls } = ctxWith();
    const el = conversionActions(ctx, conv(), () => {})!;
    q(el, 'action-restate').click();
    (q(el, 'adjust-reason') as HTMLTextAreaElement).value = 'partial refund';
    (q(el, 'adjust-value') as HTMLInputElement).value = 'ten';
    el.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }));
    await tick();
    expect(calls).toEqual([]);
    (q(el, 'adjust-value') as HTMLInputElement).value = '19,90';
    el.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }));
    await tick();
    expect(calls[0]!.body).toEqual({ reason: 'partial refund', value: '19.90', dry_run: true });
  });

  it('offers nothing to a publisher or on a reversed conversion', () => {
    const { ctx } = ctxWith();
    expect(conversionActions({ ...ctx, me: { kind: 'publisher', id: 'p', publisher: null } }, conv(), () => {})).toBeNull();
    expect(conversionActions(ctx, conv({ status: 'reversed' }), () => {})).toBeNull();
  });
});

describe('historyCard', () => {
  it('lists each change with its reason and the net cost after it', () => {
    const { ctx } = ctxWith();
    const c = conv({ decision: { outcome: 'attributed', reason: null, candidates: [], history: [{ at: 1_764_400_000_000, action: 'disputed', reason: 'never delivered', netCostMicros: '5990000', valueMicros: '49900000' }] } as never });
    const el = historyCard(ctx, c)!;
    const entry = q(el, 'history-entry');
    expect(entry.dataset.action).toBe('disputed');
    expect(entry.textContent).toMatch(/Disputed.*never delivered.*€5\.99/);
  });
});
