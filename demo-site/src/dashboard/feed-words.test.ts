// @vitest-environment happy-dom
/** Live-feed rows in words, and a conversion row's link to its page. */
import { describe, expect, it } from 'vitest';
import type { FeedItem } from './api';
import type { DashboardContext } from './context';
import { feedWords } from './feed-words';

const ctx = { currency: 'EUR', campaigns: new Map([['cmp_a', { id: 'cmp_a', name: 'Winter jackets' }]]), publishers: new Map(), advertisers: new Map(), slots: new Map() } as unknown as DashboardContext;
const item = (o: Partial<FeedItem>): FeedItem => ({ type: 'click', at: 0, siteId: null, summary: '', invalidReason: null, ...o });

describe('feedWords', () => {
  it('says a conversion in words and links to it', () => {
    const w = feedWords(item({ type: 'conversion', conversionId: 'cv_9', status: 'approved', actionKey: 'purchase', campaignId: 'cmp_a', costMicros: '5000000', summary: 'purchase · approved → cmp_a' }), ctx);
    expect(w).toEqual({ text: 'Purchase · approved · Winter jackets · cost €5.00', href: '#conversion/cv_9' });
  });

  it('says an unattributed conversion once', () => {
    expect(feedWords(item({ type: 'conversion', conversionId: 'cv_8', status: 'unattributed', actionKey: 'purchase', campaignId: null, costMicros: '0' }), ctx).text).toBe('Purchase · no ad touch');
  });

  it('says "not charged" instead of no_charge, and names the campaign', () => {
    const w = feedWords(item({ billing: 'no_charge', campaignId: 'cmp_a', costMicros: '0', summary: 'click (redirect) · cmp_a from slot · no_charge' }), ctx);
    expect(w.text).toBe('Click · Winter jackets · not charged');
    expect(w.text).not.toMatch(/no_charge|cmp_a/);
    expect(feedWords(item({ type: 'served', billing: 'charged', campaignId: 'cmp_a', costMicros: '4000' }), ctx).text).toBe('Ad served · Winter jackets · charged €0.004');
  });

  it('shows a publisher what it earned', () => {
    expect(feedWords(item({ campaignId: 'cmp_a', earningMicros: '700000' }), ctx).text).toBe('Click · Winter jackets · earned €0.70');
  });
});
