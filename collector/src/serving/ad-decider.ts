/**
 * The ad decision for one slot (SPEC §3.5): eligible creatives — active campaign, the slot's size
 * (a smaller one only when none of that size is eligible), landing host allowed, budget and the
 * per-publisher cap left, on pace — ranked by sampled eCPM (core/ad-ranking.ts).
 * Catalog, stats and spend are read through short caches, so a decision costs no query in the
 * common case; the charge itself is still capped atomically at ingest, so a stale cache can at
 * worst serve an ad whose click is then recorded as `over_cap`, never overspend.
 */
import { rankAds, type AdCandidate, type CampaignStats } from '../core/ad-ranking';
import { budgetLeft } from '../core/caps';
import { dayShare, utcDay } from '../core/day';
import { pacingAllows } from '../core/pacing';
import type { CampaignTerms } from '../core/terms';
import { DAY_MS } from '../core/terms';
import type { Campaign, Creative, Slot, Store } from '../store/store';
import { allowedHosts, landsOn } from './landing';

/** A chosen ad. */
export interface AdChoice {
  creative: Creative;
  campaign: Campaign;
  ecpmMicros: number;
}

/** Options of the decider. */
export interface AdDeciderOptions {
  store: Store;
  clock: () => number;
  rng: () => number;
  /** How long catalog/stats/spend snapshots are reused. */
  catalogTtlMs?: number;
  statsTtlMs?: number;
  spendTtlMs?: number;
  /** Told when a snapshot refresh fails (the decider keeps serving from the last good one). */
  onRefreshError?: (err: unknown) => void;
}

/** Decides ads for slots. */
export interface AdDecider {
  decide(slot: Slot): Promise<AdChoice | null>;
  /** Drops the cached snapshots (after an admin write or a charge in tests). */
  invalidate(): void;
}

const NO_STATS: CampaignStats = { impressions: 0, clicks: 0, conversions: 0, valueMicros: 0n };

/** Creates the ad decider. */
export function createAdDecider(o: AdDeciderOptions): AdDecider {
  /**
   * A snapshot refreshed every `ttl` ms. A refresh that fails keeps the last good snapshot for
   * another `ttl` (SPEC §3.8 failure containment: one tenant's bad row must not stop serving for
   * every tenant); only a decider that never loaded one answers with the error.
   */
  const cached = <T>(ttl: number, load: () => Promise<T>) => {
    let at = -Infinity;
    let good: { value: T } | null = null;
    let pending: Promise<T> | null = null;
    return {
      get(): Promise<T> {
        if (good && o.clock() - at < ttl) return Promise.resolve(good.value);
        pending ??= load()
          .then((value) => {
            good = { value };
            at = o.clock();
            return value;
          })
          .catch((err: unknown) => {
            o.onRefreshError?.(err);
            if (!good) throw err;
            at = o.clock();
            return good.value;
          })
          .finally(() => {
            pending = null;
          });
        return pending;
      },
      /** Marks the snapshot stale; the last good one stays as the fallback. */
      clear() {
        at = -Infinity;
      },
    };
  };
  const catalog = cached(o.catalogTtlMs ?? 5000, async () => {
    const campaigns = await o.store.catalog.listCampaigns({ status: 'active' });
    const byId = new Map(campaigns.map((c) => [c.id, c]));
    const creatives = (await o.store.catalog.listCreatives()).filter((c) => c.status === 'active' && byId.has(c.campaignId));
    return { byId, creatives };
  });
  const stats = cached(o.statsTtlMs ?? 30_000, () => o.store.reports.campaignStats(o.clock() - 30 * DAY_MS));
  let spendDay = '';
  const spend = cached(o.spendTtlMs ?? 2000, () => Promise.all([o.store.reports.campaignSpend(spendDay), o.store.reports.publisherSpend(spendDay)]));

  return {
    async decide(slot) {
      const now = o.clock();
      const day = utcDay(now);
      if (day !== spendDay) {
        spendDay = day;
        spend.clear();
      }
      const [{ byId, creatives }, st, [sp, byPublisher]] = await Promise.all([catalog.get(), stats.get(), spend.get()]);
      const exact: (AdCandidate & { creative: Creative; campaign: Campaign })[] = [];
      const smaller: typeof exact = [];
      for (const creative of creatives) {
        const campaign = byId.get(creative.campaignId)!;
        if (creative.width > slot.width || creative.height > slot.height) continue;
        if (!landsOn(creative.landingUrl, allowedHosts(campaign))) continue;
        const t = campaign.terms;
        const s = sp.get(campaign.id) ?? { totalMicros: 0n, dayMicros: 0n };
        const left = budgetLeft(t, s);
        if (left !== null && left < unitCost(t)) continue;
        const withPublisher = byPublisher.get(campaign.id)?.get(slot.publisherId) ?? 0n;
        if (t.publisherDailyCapMicros !== null && t.publisherDailyCapMicros - withPublisher < unitCost(t)) continue;
        if (!pacingAllows(t.dailyBudgetMicros, s.dayMicros, dayShare(now), unitCost(t))) continue;
        const c = { creativeId: creative.id, terms: t, stats: st.get(campaign.id) ?? NO_STATS, creative, campaign };
        (creative.width === slot.width && creative.height === slot.height ? exact : smaller).push(c);
      }
      // A creative of the slot's own size first (SPEC §3.5 "matching slot size"); a smaller one only
      // when nothing of that size is eligible, rather than leaving the slot empty.
      const candidates = exact.length > 0 ? exact : smaller;
      const best = rankAds(candidates, o.rng)[0] as (AdCandidate & { creative: Creative; campaign: Campaign; ecpmMicros: number }) | undefined;
      return best ? { creative: best.creative, campaign: best.campaign, ecpmMicros: best.ecpmMicros } : null;
    },
    invalidate() {
      catalog.clear();
      stats.clear();
      spend.clear();
    },
  };
}

/** The smallest charge one action of this campaign can cause (what "budget left" must cover). */
function unitCost(t: CampaignTerms): bigint {
  if (t.costModel === 'cpc') return t.cpcMicros;
  if (t.costModel === 'cpm') return t.cpmMicros / 1000n || 1n;
  return t.cpaFlatMicros > 0n ? t.cpaFlatMicros : 1n;
}
