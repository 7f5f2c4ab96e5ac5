/**
 * Ad ranking (SPEC §3.5): among eligible creatives, the one with the highest expected revenue per
 * thousand impressions (eCPM) wins. Click and conversion rates are not known for sure, so each
 * decision *samples* them from their Beta posteriors (Thompson sampling): a campaign with a lot of
 * history is ranked by what it has shown, a new one by a prior with wide uncertainty, so it still
 * wins some of the time and earns a history instead of starving.
 *
 * | cost model | eCPM (micros per 1,000 impressions)                              |
 * |------------|------------------------------------------------------------------|
 * | CPM        | cpmMicros                                                        |
 * | CPC        | cpcMicros × CTR × 1000                                           |
 * | CPA        | (cpaFlatMicros + cpaBps × average value) × CTR × CVR × 1000      |
 *
 * CTR ~ Beta(clicks + α, impressions − clicks + β) with prior mean 1 % (α = 1, β = 99);
 * CVR ~ Beta(conversions + 1, clicks − conversions + 19), prior mean 5 %. Ties go to the higher
 * campaign priority, then the smaller creative ID. Randomness comes in as `rng` (tests fix it).
 */
import type { CampaignTerms } from './terms';

/** Observed counts of a campaign (recent window). */
export interface CampaignStats {
  impressions: number;
  clicks: number;
  conversions: number;
  valueMicros: bigint;
}

/** One eligible creative with its campaign's terms and history. */
export interface AdCandidate {
  creativeId: string;
  terms: CampaignTerms;
  stats: CampaignStats;
}

/** A ranked candidate. */
export interface RankedAd extends AdCandidate {
  ecpmMicros: number;
}

export const CTR_PRIOR = { alpha: 1, beta: 99 } as const;
export const CVR_PRIOR = { alpha: 1, beta: 19 } as const;

/** Ranks candidates by sampled eCPM, best first. */
export function rankAds(candidates: readonly AdCandidate[], rng: () => number): RankedAd[] {
  return candidates
    .map((c) => ({ ...c, ecpmMicros: sampledEcpm(c.terms, c.stats, rng) }))
    .sort((a, b) => b.ecpmMicros - a.ecpmMicros || b.terms.priority - a.terms.priority || (a.creativeId < b.creativeId ? -1 : 1));
}

/** eCPM with CTR/CVR sampled from their posteriors. */
export function sampledEcpm(t: CampaignTerms, s: CampaignStats, rng: () => number): number {
  if (t.costModel === 'cpm') return Number(t.cpmMicros);
  const ctr = sampleBeta(s.clicks + CTR_PRIOR.alpha, Math.max(0, s.impressions - s.clicks) + CTR_PRIOR.beta, rng);
  if (t.costModel === 'cpc') return Number(t.cpcMicros) * ctr * 1000;
  const cvr = sampleBeta(s.conversions + CVR_PRIOR.alpha, Math.max(0, s.clicks - s.conversions) + CVR_PRIOR.beta, rng);
  const avgValue = s.conversions > 0 ? Number(s.valueMicros) / s.conversions : 0;
  return (Number(t.cpaFlatMicros) + (t.cpaBps / 10_000) * avgValue) * ctr * cvr * 1000;
}

/** Expected (mean) eCPM, for reports. */
export function expectedEcpm(t: CampaignTerms, s: CampaignStats): number {
  const ctr = (s.clicks + CTR_PRIOR.alpha) / (s.impressions + CTR_PRIOR.alpha + CTR_PRIOR.beta);
  const cvr = (s.conversions + CVR_PRIOR.alpha) / (s.clicks + CVR_PRIOR.alpha + CVR_PRIOR.beta);
  if (t.costModel === 'cpm') return Number(t.cpmMicros);
  if (t.costModel === 'cpc') return Number(t.cpcMicros) * ctr * 1000;
  const avgValue = s.conversions > 0 ? Number(s.valueMicros) / s.conversions : 0;
  return (Number(t.cpaFlatMicros) + (t.cpaBps / 10_000) * avgValue) * ctr * cvr * 1000;
}

/** A Beta(a, b) sample from two Gamma samples. */
export function sampleBeta(a: number, b: number, rng: () => number): number {
  const x = sampleGamma(a, rng);
  const y = sampleGamma(b, rng);
  return x + y === 0 ? 0 : x / (x + y);
}

/** A Gamma(shape, 1) sample (Marsaglia & Tsang 2000; shape < 1 boosted by U^(1/shape)). */
export function sampleGamma(shape: number, rng: () => number): number {
  if (shape < 1) return sampleGamma(shape + 1, rng) * Math.pow(rng() || 1e-12, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u || 1e-12) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function sampleNormal(rng: () => number): number {
  // Box–Muller; rng() may return 0, which log() must not see.
  const u = rng() || 1e-12;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
