/**
 * What each role may see (issue 16 item 6; the table is in ARCHITECTURE.md, "What each role may see").
 * Every report, CSV and the live feed answer through these projections, after the store query has
 * been scoped to the caller's own objects:
 *
 * | figure                                         | operator | advertiser (own)        | publisher (own slots)     |
 * |------------------------------------------------|----------|-------------------------|---------------------------|
 * | served / viewable / clicks / invalid           | yes      | yes                     | yes                       |
 * | conversions, sale values, order IDs, explain   | yes      | yes                     | no                        |
 * | advertiser cost (`costMicros`)                 | yes      | yes                     | no                        |
 * | publisher earning                              | yes      | yes (its charges' split)| yes                       |
 * | platform margin (`platformMicros`)             | yes      | yes, of its charges     | no                        |
 * | eCPM (earning per 1,000 served / viewable)     | yes      | —                       | yes                       |
 * | ledger                                         | all legs | its groups, all legs    | its own legs: group, kind, time, campaign, slot, currency, leg, reason |
 * | live feed                                      | all      | its campaigns and sites | its slots, earnings instead of cost, no conversions |
 */
import type { FeedItem, LedgerLine, PerformanceRow } from '../store/store';
import type { Auth } from './auth';
import { groupJson } from './json';

const str = (v: bigint) => v.toString();

/** Earning per 1,000 impressions in micros (floor), or null without impressions. */
export function ecpmMicros(earningMicros: bigint, impressions: number): string | null {
  return impressions > 0 ? str((earningMicros * 1000n) / BigInt(impressions)) : null;
}

/** A performance row as the caller may see it. */
export function performanceView(who: Auth, r: PerformanceRow) {
  const traffic = {
    key: r.key,
    ...(r.day ? { day: r.day } : {}),
    currency: r.currency,
    served: r.served,
    viewable: r.viewable,
    clicks: r.clicks,
    invalidImpressions: r.invalidImpressions,
    invalidServed: r.invalidServed,
    invalidViewable: r.invalidViewable,
    invalidClicks: r.invalidClicks,
    earningMicros: str(r.earningMicros),
  };
  const ecpm = { ecpmServedMicros: ecpmMicros(r.earningMicros, r.served), ecpmViewableMicros: ecpmMicros(r.earningMicros, r.viewable) };
  if (who.kind === 'publisher') return { ...traffic, ...ecpm };
  const money = { conversions: r.conversions, valueMicros: str(r.valueMicros), costMicros: str(r.costMicros), platformMicros: str(r.platformMicros) };
  return who.kind === 'advertiser' ? { ...traffic, ...money } : { ...traffic, ...money, ...ecpm };
}

/** A publisher's view of an entry group: its own legs, and nothing that names the advertiser's action. */
function publisherGroup(publisherId: string, g: LedgerLine) {
  const own = `publisher:${publisherId}`;
  return {
    id: g.id,
    kind: g.kind,
    meta: { at: g.meta.at, campaignId: g.meta.campaignId, slotId: g.meta.slotId ?? null, currency: g.meta.currency, reason: g.meta.reason },
    legs: g.legs.filter((l) => l.account === own).map((l) => ({ account: l.account, side: l.side, micros: str(l.micros) })),
  };
}

/** An entry group as the caller may see it. */
export function ledgerView(who: Auth, g: LedgerLine) {
  return who.kind === 'publisher' ? publisherGroup(who.id, g) : groupJson(g);
}

/** The ledger CSV's columns and rows (one per visible leg) for the caller. */
export function ledgerCsv(who: Auth) {
  if (who.kind === 'publisher') {
    return {
      header: ['group', 'kind', 'at', 'campaign', 'slot', 'currency', 'account', 'debit', 'credit', 'reason'],
      rows: (g: LedgerLine, money: (m: bigint) => string) =>
        publisherGroup(who.id, g).legs.map((l) => [
          g.id, g.kind, new Date(g.meta.at).toISOString(), g.meta.campaignId, g.meta.slotId ?? '', g.meta.currency, l.account,
          l.side === 'debit' ? money(BigInt(l.micros)) : '', l.side === 'credit' ? money(BigInt(l.micros)) : '', g.meta.reason,
        ]),
    };
  }
  return {
    header: ['group', 'key', 'kind', 'at', 'ref_type', 'ref_id', 'campaign', 'publisher', 'slot', 'terms_version', 'currency', 'account', 'debit', 'credit', 'reason'],
    rows: (g: LedgerLine, money: (m: bigint) => string) =>
      g.legs.map((l) => [
        g.id, g.key, g.kind, new Date(g.meta.at).toISOString(), g.meta.refType, g.meta.refId, g.meta.campaignId, g.meta.publisherId, g.meta.slotId ?? '',
        g.meta.termsVersion, g.meta.currency, l.account, l.side === 'debit' ? money(l.micros) : '', l.side === 'credit' ? money(l.micros) : '', g.meta.reason,
      ]),
  };
}

/**
 * A feed line as the caller may see it: the advertiser and the operator read what was charged, a
 * publisher what it earned (conversions never reach it: the store leaves them out of a publisher's
 * feed, and this drops any that would).
 */
export function feedView(who: Auth, items: FeedItem[]) {
  const out = [];
  for (const i of items) {
    if (who.kind === 'publisher' && i.type === 'conversion') continue;
    let money = '';
    if (who.kind === 'publisher') money = i.earningMicros !== 0n ? ` · earned ${i.earningMicros} µ` : '';
    else if (i.type === 'click') money = ` · ${i.billing ?? ''}${i.costMicros > 0n ? ` ${i.costMicros} µ` : ''}`;
    else if (i.costMicros > 0n) money = ` · charged ${i.costMicros} µ`;
    // Structured facts for the dashboard's words; a publisher gets no conversion and no billing code
    // (the advertiser's side of the charge).
    const facts =
      who.kind === 'publisher'
        ? { campaignId: i.campaignId ?? null, earningMicros: String(i.earningMicros) }
        : { campaignId: i.campaignId ?? null, billing: i.billing, conversionId: i.conversionId ?? null, status: i.status ?? null, actionKey: i.actionKey ?? null, costMicros: String(i.costMicros) };
    out.push({ type: i.type, at: i.at, siteId: i.siteId, summary: `${i.summary}${money}`, invalidReason: i.invalidReason, ...facts });
  }
  return out;
}
