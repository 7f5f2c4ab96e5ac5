/**
 * The demo seed: a believable little market, created through the real admin API and filled with
 * two weeks of history pushed through the real ingest pipeline, so every number on the first
 * dashboard screen was computed by the same code that bills live traffic.
 *
 * ```ts
 * const keys = await seedDemo({ app, collector, store, clock, config });   // on an empty store
 * ```
 *
 * Who is in it:
 * | who                     | kind       | pays / earns                                            |
 * |-------------------------|------------|---------------------------------------------------------|
 * | Northwind Outfitters    | advertiser | CPA on purchases (€2 + 8 % of the order), CPM brand campaign (€4 vCPM), confirms orders server-to-server |
 * | Ledgerly                | advertiser | CPC €0.60 per click, signups counted once per click     |
 * | The Daily Commute       | publisher  | 70 % revenue share; 728×90, 300×250, 320×50 slots        |
 * | Trailhead Journal       | publisher  | 65 % revenue share; 300×600, 300×250 slots               |
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import type { Collector } from '../../collector/src/http/context';
import type { Store } from '../../collector/src/store/store';
import type { IngestItem, RequestContext } from '../../collector/src/ingest/items';
import type { AdToken } from '../../collector/src/ingest/keys';
import { payloadHash } from '../../collector/src/http/context';
import { commandConversion } from '../../collector/src/ingest/conversion-commands';

/** Keys the demo pages and the dashboard's demo sign-in use (development only). */
export interface DemoKeys {
  operatorKey: string;
  advertisers: { id: string; name: string; apiKey: string; s2sSecret: string }[];
  publishers: { id: string; name: string; apiKey: string }[];
  sites: { shop: string; saas: string; daily: string; trail: string };
}

/** What seeding needs. */
export interface SeedOptions {
  app: Hono;
  collector: Collector;
  store: Store;
  clock: () => number;
  operatorKey: string;
  /** Origin of the publisher pages (the collector's own). */
  publisherOrigin: string;
  /** Origin of the advertiser shop (a different site, as in real life). */
  shopOrigin: string;
  dataDir?: string;
  /** Days of history to generate (default 14; 0 for none). */
  days?: number;
  /** Deterministic randomness for tests. */
  rng?: () => number;
}

const DAY = 86_400_000;

/** Creates the demo catalog and history; returns (and saves) the demo keys. */
export async function seedDemo(o: SeedOptions): Promise<DemoKeys> {
  const rng = o.rng ?? Math.random;
  const api = async <T = Record<string, unknown>>(method: string, path: string, body: unknown, key = o.operatorKey): Promise<T> => {
    const res = await o.app.request(path, { method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as T & { reason?: string };
    if (res.status >= 300) throw new Error(`seed: ${method} ${path} → ${res.status} ${json.reason ?? ''}`);
    return json;
  };
  const shop = `${o.shopOrigin}/shop/`;

  const nw = await api<{ apiKey: string; advertiser: { s2sSecrets: string[] } }>('POST', '/v1/advertisers', { id: 'northwind', name: 'Northwind Outfitters', currency: 'EUR' });
  const ll = await api<{ apiKey: string; advertiser: { s2sSecrets: string[] } }>('POST', '/v1/advertisers', { id: 'ledgerly', name: 'Ledgerly', currency: 'EUR' });
  const daily = await api<{ apiKey: string }>('POST', '/v1/publishers', { id: 'daily', name: 'The Daily Commute', revShareBps: 7000 });
  const trail = await api<{ apiKey: string }>('POST', '/v1/publishers', { id: 'trail', name: 'Trailhead Journal', revShareBps: 6500 });

  await api('POST', '/v1/sites', { id: 'daily-site', name: 'The Daily Commute', ownerType: 'publisher', ownerId: 'daily', origins: [o.publisherOrigin] });
  await api('POST', '/v1/sites', { id: 'trail-site', name: 'Trailhead Journal', ownerType: 'publisher', ownerId: 'trail', origins: [o.publisherOrigin] });
  await api('POST', '/v1/sites', { id: 'shop-site', name: 'Northwind shop', ownerType: 'advertiser', ownerId: 'northwind', origins: [o.shopOrigin] });
  await api('POST', '/v1/sites', { id: 'saas-site', name: 'Ledgerly app', ownerType: 'advertiser', ownerId: 'ledgerly', origins: [o.shopOrigin] });
  const slots: [string, string, string, string][] = [
    ['daily-leaderboard', 'daily-site', 'Leaderboard above the article', '728x90'],
    ['daily-mrec', 'daily-site', 'In-article rectangle', '300x250'],
    ['daily-mobile', 'daily-site', 'Mobile banner', '320x50'],
    ['trail-sky', 'trail-site', 'Half-page sidebar', '300x600'],
    ['trail-mrec', 'trail-site', 'Sidebar rectangle', '300x250'],
  ];
  for (const [id, siteId, name, size] of slots) await api('POST', '/v1/slots', { id, siteId, name, size });

  const host = new URL(o.shopOrigin).host;
  await api('POST', '/v1/campaigns', {
    id: 'nw-winter',
    advertiserId: 'northwind',
    name: 'Winter jackets — pay per sale',
    landingUrl: `${shop}?utm_campaign=winter`,
    allowedHosts: [host],
    terms: { costModel: 'cpa', cpaFlatMicros: '2000000', cpaBps: 800, totalBudgetMicros: '5000000000', dailyBudgetMicros: '400000000', clickWindowDays: 30 },
  });
  await api('POST', '/v1/campaigns', {
    id: 'nw-brand',
    advertiserId: 'northwind',
    name: 'Northwind brand — viewable CPM',
    landingUrl: shop,
    terms: { costModel: 'cpm', cpmMicros: '4000000', cpmBasis: 'viewable', totalBudgetMicros: '2000000000', dailyBudgetMicros: '60000000' },
  });
  await api('POST', '/v1/campaigns', {
    id: 'll-trial',
    advertiserId: 'ledgerly',
    name: 'Ledgerly free trial — CPC',
    landingUrl: `${o.shopOrigin}/shop/saas.html`,
    terms: { costModel: 'cpc', cpcMicros: '600000', totalBudgetMicros: '3000000000', dailyBudgetMicros: '150000000', payout: { kind: 'share', bps: 6000 } },
  });
  await api('PUT', '/v1/conversion-actions/purchase', { advertiserId: 'northwind', name: 'Purchase', counting: 'every' });
  await api('PUT', '/v1/conversion-actions/signup', { advertiserId: 'ledgerly', name: 'Trial signup', counting: 'one' });

  const creatives: [string, string, string, string][] = [
    ['nw-winter-mrec', 'nw-winter', '300x250', 'Northwind winter jackets — 20% off this week'],
    ['nw-winter-leader', 'nw-winter', '728x90', 'Northwind winter jackets — free returns'],
    ['nw-winter-sky', 'nw-winter', '300x600', 'Northwind: built for cold commutes'],
    ['nw-brand-mrec', 'nw-brand', '300x250', 'Northwind Outfitters — gear that lasts'],
    ['nw-brand-mobile', 'nw-brand', '320x50', 'Northwind Outfitters'],
    ['ll-trial-mrec', 'll-trial', '300x250', 'Ledgerly — bookkeeping in ten minutes a week'],
    ['ll-trial-leader', 'll-trial', '728x90', 'Ledgerly — try it free for 30 days'],
    ['ll-trial-mobile', 'll-trial', '320x50', 'Ledgerly free trial'],
  ];
  for (const [id, campaignId, size, alt] of creatives) {
    await api('POST', '/v1/creatives', { id, campaignId, size, alt, imageUrl: `/demo-assets/${id}.svg` });
  }

  const keys: DemoKeys = {
    operatorKey: o.operatorKey,
    advertisers: [
      { id: 'northwind', name: 'Northwind Outfitters', apiKey: nw.apiKey, s2sSecret: nw.advertiser.s2sSecrets[0]! },
      { id: 'ledgerly', name: 'Ledgerly', apiKey: ll.apiKey, s2sSecret: ll.advertiser.s2sSecrets[0]! },
    ],
    publishers: [
      { id: 'daily', name: 'The Daily Commute', apiKey: daily.apiKey },
      { id: 'trail', name: 'Trailhead Journal', apiKey: trail.apiKey },
    ],
    sites: { shop: 'shop-site', saas: 'saas-site', daily: 'daily-site', trail: 'trail-site' },
  };
  if (o.dataDir) {
    mkdirSync(o.dataDir, { recursive: true });
    writeFileSync(join(o.dataDir, 'demo-keys.json'), JSON.stringify(keys, null, 2), { mode: 0o600 });
  }
  await seedHistory(o, rng, creatives, slots);
  return keys;
}

/** Two weeks of traffic through the real pipeline, day by day, ending an hour ago. */
async function seedHistory(o: SeedOptions, rng: () => number, creatives: [string, string, string, string][], slots: [string, string, string, string][]) {
  const days = o.days ?? 14;
  if (days <= 0) return;
  const col = o.collector;
  const end = o.clock() - 3_600_000;
  const advertiserOf: Record<string, string> = { 'nw-winter': 'northwind', 'nw-brand': 'northwind', 'll-trial': 'ledgerly' };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)]!;
  const id = (p: string) => `${p}-${randomBytes(9).toString('base64url')}`;
  let seq = 0;

  for (let d = days; d >= 1; d--) {
    const dayStart = end - d * DAY;
    const items: IngestItem[] = [];
    const later: IngestItem[] = [];
    // Traffic grows a little over the fortnight and dips at weekends, so the chart has a shape.
    const weekday = new Date(dayStart).getUTCDay();
    const volume = Math.round((220 + (days - d) * 12) * (weekday === 0 || weekday === 6 ? 0.7 : 1));
    for (const [slotId, siteId, , size] of slots) {
      const publisherId = siteId === 'daily-site' ? 'daily' : 'trail';
      const fits = creatives.filter(([, , s]) => s === size);
      if (fits.length === 0) continue;
      for (let n = 0; n < volume; n++) {
        const at = dayStart + Math.floor(rng() * DAY);
        const [creativeId, campaignId] = pick(fits);
        const bot = rng() < 0.04;
        const ctx: RequestContext = { receivedAt: at, sourceKey: id('src'), ivt: bot ? pick(['declared_bot', 'datacenter_ip', 'empty_ua']) : null, endpoint: '/e' };
        const pv = id('pv');
        const token: AdToken = { d: id('d'), si: siteId, s: slotId, p: publisherId, a: advertiserOf[campaignId]!, c: campaignId, cr: creativeId, v: 1, pv, t: at };
        const tk = col.keys.signToken(token);
        const beacon = (t: 'imp' | 'vi', when: number): IngestItem => {
          const event = { t, i: id(t), ts: when, tk } as const;
          return { kind: 'beacon', siteId, event, at: when, payloadHash: payloadHash(event), ctx: { ...ctx, receivedAt: when } };
        };
        items.push(beacon('imp', at));
        if (rng() < 0.62) items.push(beacon('vi', at + 1500));
        const ctr = campaignId === 'nw-brand' ? 0.004 : bot ? 0.05 : 0.025;
        if (rng() < ctr) {
          const clickAt = at + 4000 + Math.floor(rng() * 60_000);
          const clickId = col.keys.mintClickId(token.a, randomBytes(12));
          items.push({ kind: 'redirect_click', token, invalidReason: null, clickId, eventId: clickId, ctx: { ...ctx, receivedAt: clickAt, endpoint: '/c' } });
          // Now and then a purchase lands a second after the click (click injection?): held for review.
          const delay = rng() < 0.05 ? 1000 : 60_000 + Math.floor(rng() * 3 * DAY);
          if (!bot && token.a === 'northwind' && rng() < 0.18) later.push(conversion('shop-site', 'purchase', clickId, clickAt + delay, ctx, true));
          if (!bot && token.a === 'ledgerly' && rng() < 0.3) later.push(conversion('saas-site', 'signup', clickId, clickAt + 30_000 + Math.floor(rng() * DAY), ctx, false));
        }
      }
    }
    // Organic purchases with no click: stored, shown, never charged.
    for (let n = 0; n < 4; n++) {
      const at = dayStart + Math.floor(rng() * DAY);
      items.push(conversion('shop-site', 'purchase', null, at, { receivedAt: at, sourceKey: id('src'), ivt: null, endpoint: '/e' }, true));
    }
    // A few beacons a real site would get wrong, so "verify my tag" has something to explain.
    for (let n = 0; n < 3; n++) {
      items.push({
        kind: 'rejected',
        rejected: { receivedAt: dayStart + Math.floor(rng() * DAY), siteId: 'shop-site', endpoint: '/e', eventType: 'cv', eventId: id('bad'), reason: 'invalid_event', detail: pick(['c: must be an ISO-4217 code like EUR', 'v: amount must be a plain decimal with at most 6 decimal places', 'unknown field "email"']), payload: null },
      });
    }
    await col.committer.submit(items.sort((a, b) => timeOf(a) - timeOf(b)));
    const due = later.filter((x) => timeOf(x) < end).sort((a, b) => timeOf(a) - timeOf(b));
    if (due.length) await col.committer.submit(due);
  }

  // After-sales: two refunds and one partial return, posted as the correcting entries they are.
  const charged = (await o.store.reports.conversions({ advertiserId: 'northwind', status: 'approved' }, { from: 0, to: end + 1 }, 50)).filter((c) => c.costMicros > 0n);
  for (const [k, c] of charged.slice(0, 3).entries()) {
    const at = Math.min(end, c.at + DAY);
    await o.store.write((tx) =>
      k < 2
        ? commandConversion(tx, c.id, 'reverse', { reason: 'order refunded', at })
        : commandConversion(tx, c.id, 'restate', { reason: 'one item returned', valueMicros: c.valueMicros / 2n, at }),
    );
  }

  function conversion(siteId: string, action: string, clickId: string | null, at: number, ctx: RequestContext, withValue: boolean): IngestItem {
    seq++;
    const value = withValue ? (19 + Math.floor(rng() * 180) + 0.9).toFixed(2) : undefined;
    const event = { t: 'cv' as const, i: id('cv'), ts: at, a: action, ...(clickId ? { k: clickId } : {}), ...(value ? { v: value, c: 'EUR', o: `NW-${100000 + seq}` } : {}) };
    return { kind: 'beacon', siteId, event, at, payloadHash: payloadHash(event), ctx: { ...ctx, receivedAt: at } };
  }
}

function timeOf(i: IngestItem): number {
  return i.kind === 'rejected' ? i.rejected.receivedAt : i.ctx.receivedAt;
}
