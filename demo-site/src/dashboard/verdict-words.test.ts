import { describe, expect, it } from 'vitest';
import { accountWords, chargeWords, duration, statusWords, verdictWords, windowLength } from './verdict-words';
import { rejectionWords } from './rejection-words';

describe('verdictWords', () => {
  it.each([
    [{ verdict: 'won', kind: 'click', detail: null }, 'last_click', 'won: last click'],
    [{ verdict: 'won', kind: 'click', detail: null }, 'first_click', 'won: first click'],
    [{ verdict: 'won', kind: 'view', detail: null }, 'last_click', 'won: last view'],
    [{ verdict: 'lost_to_click', kind: 'view', detail: null }, 'last_click', 'lost to a click'],
    [{ verdict: 'older', kind: 'click', detail: null }, 'last_click', 'lost to a more recent click'],
    [{ verdict: 'newer', kind: 'click', detail: null }, 'first_click', 'lost to an earlier click'],
    [{ verdict: 'forged', kind: 'click', detail: null }, 'last_click', 'forged click ID'],
    [{ verdict: 'other_advertiser', kind: 'click', detail: null }, 'last_click', 'a click for another advertiser'],
    [{ verdict: 'view_through_off', kind: 'view', detail: null }, 'last_click', 'views do not count for this campaign'],
    [{ verdict: 'after_conversion', kind: 'click', detail: null }, 'last_click', 'happened after the conversion'],
  ])('says %j under %s as "%s"', (line, model, label) => {
    expect(verdictWords(line, model).label).toBe(label);
  });

  it('reads the click window and the age from the detail', () => {
    const w = verdictWords({ verdict: 'outside_click_window', kind: 'click', detail: `${41 * 86_400_000 + 5} ms > ${30 * 86_400_000} ms` });
    expect(w).toEqual({ label: 'outside the 30-day click window', detail: 'clicked 41 days before the conversion', tone: 'lost' });
  });

  it('reads the view window', () => {
    expect(verdictWords({ verdict: 'outside_view_window', kind: 'view', detail: `${3 * 86_400_000} ms > 86400000 ms` }).label).toBe('outside the 1-day view window');
  });

  it('explains a too-fast conversion with both durations', () => {
    const w = verdictWords({ verdict: 'too_fast', kind: 'click', detail: 'too_fast: 1000 ms after the click < 3000 ms' });
    expect(w.detail).toBe('converted 1 second after the click; the minimum is 3 seconds');
    expect(w.tone).toBe('held');
  });

  it('names the invalid-traffic reason and the cap', () => {
    expect(verdictWords({ verdict: 'invalid', kind: 'click', detail: 'declared_bot' }).detail).toMatch(/declared bot/);
    expect(verdictWords({ verdict: 'over_cap', kind: 'click', detail: 'daily_budget' }).label).toBe('won, but over the campaign’s daily budget');
  });

  it('still shows a verdict it does not know', () => {
    expect(verdictWords({ verdict: 'some_new_rule', kind: 'click', detail: 'x' })).toEqual({ label: 'some new rule', detail: 'x', tone: 'lost' });
  });
});

describe('status and charge words', () => {
  it('words a status with its reason', () => {
    expect(statusWords('pending', 'too_fast: 1000 ms after the click < 3000 ms').detail).toBe('converted 1 second after the click (minimum 3 seconds): held for review');
    expect(statusWords('approved', 'over_cap: total_budget').detail).toBe('not charged: the campaign’s total budget was reached');
    expect(statusWords('rejected', 'counting_one').detail).toBe('counted once per click: this click already earned one');
    expect(statusWords('unattributed', null).label).toBe('No ad touch');
    expect(statusWords('reversed', 'order refunded').detail).toBe('order refunded');
    // A click ID may hold underscores: they are not turned into spaces.
    expect(statusWords('reversed', 'winning click Ab_9-x_Q invalidated: click_injection found').detail).toBe(
      'its winning click was found invalid later: click_injection found',
    );
  });

  it('words what billing decided', () => {
    expect(chargeWords('charged', null, null).label).toBe('charged');
    expect(chargeWords('no_charge', 'cpc campaign: conversions are not billed', null).detail).toBe('cpc campaign: conversions are not billed');
    expect(chargeWords('over_cap', 'daily_budget', 'daily_budget').detail).toBe('the campaign’s daily budget was reached');
  });

  it('names ledger accounts', () => {
    const names = new Map([['northwind', 'Northwind Outfitters']]);
    expect(accountWords('advertiser:northwind', names)).toBe('Northwind Outfitters (advertiser)');
    expect(accountWords('publisher:trail')).toBe('trail (publisher)');
    expect(accountWords('platform')).toBe('Platform margin');
  });
});

describe('durations', () => {
  it.each([
    [500, '500 ms'],
    [1000, '1 second'],
    [59_000, '59 seconds'],
    [3 * 60_000, '3 minutes'],
    [5 * 3_600_000, '5 hours'],
    [3 * 86_400_000, '3 days'],
  ])('%i ms reads "%s"', (ms, want) => {
    expect(duration(ms)).toBe(want);
  });

  it('names window lengths', () => {
    expect(windowLength(30 * 86_400_000)).toBe('30-day');
    expect(windowLength(12 * 3_600_000)).toBe('12-hour');
  });
});

describe('rejectionWords', () => {
  it('explains a known reason with a fix', () => {
    const r = rejectionWords('origin_not_allowed');
    expect(r.what).toMatch(/not registered/);
    expect(r.fix).toMatch(/allowed origins/);
  });

  it('keeps an unknown reason readable', () => {
    expect(rejectionWords('brand_new_reason').what).toBe('Refused: brand new reason.');
  });
});
