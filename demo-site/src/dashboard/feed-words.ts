/**
 * One live-feed row in words (issue 14): "Purchase · approved · Winter jackets · €5.00" instead of
 * "purchase · approved → cmp_main · charged 5000000 µ", and "click · Winter jackets · not charged"
 * instead of "no_charge". Built from the feed's structured facts (campaignId, billing, status,
 * actionKey, costMicros / earningMicros); rows without them (page views, refusals) keep the
 * collector's summary, made readable. A conversion row links to its conversion.
 */
import type { FeedItem } from './api';
import { campaignName, type DashboardContext } from './context';
import { actionName } from './conversions-list';
import { formatMoney, toMicros } from './format-money';
import { readableSummary } from './feed-view';
import { chargeWords, statusWords } from './verdict-words';

/** The words of a feed row and, for a conversion, the link to its page. */
export function feedWords(i: FeedItem, ctx: DashboardContext): { text: string; href: string | null } {
  const money = i.costMicros ?? i.earningMicros;
  const amount = money && toMicros(money) !== 0n ? formatMoney(money, ctx.currency, { exact: true }) : null;
  const earned = i.costMicros === undefined && i.earningMicros !== undefined;
  const campaign = i.campaignId ? campaignName(ctx, i.campaignId) : null;
  if (i.type === 'conversion' && i.status) {
    const parts = [i.actionKey ? actionName(i.actionKey) : 'Conversion', statusWords(i.status, null).label.toLowerCase(), campaign ?? (i.status === 'unattributed' ? null : 'no ad touch'), amount ? `cost ${amount}` : null];
    return { text: parts.filter(Boolean).join(' · '), href: i.conversionId ? `#conversion/${encodeURIComponent(i.conversionId)}` : null };
  }
  if ((i.type === 'click' || i.type === 'served' || i.type === 'viewable') && i.campaignId) {
    const what = i.type === 'click' ? 'Click' : i.type === 'served' ? 'Ad served' : 'Ad seen (viewable)';
    // The billing code is the advertiser's side; a publisher sees what it earned.
    const billed = i.billing ? chargeWords(i.billing, null, null).label : null;
    const parts = [what, campaign, earned ? (amount ? `earned ${amount}` : null) : billed ? (amount && i.billing === 'charged' ? `${billed} ${amount}` : billed) : amount ? `cost ${amount}` : null];
    return { text: parts.filter(Boolean).join(' · '), href: null };
  }
  return { text: readableSummary(i.summary, ctx.currency, new Map([...ctx.campaigns.values()].map((c) => [c.id, c.name]))), href: null };
}
