/** JSON for documents stored in TEXT columns: bigint becomes a string ("micros") and back. */
import type { CampaignTerms } from '../core/terms';

/** JSON.stringify that writes bigint as a decimal string. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

const TERMS_MONEY = ['cpcMicros', 'cpmMicros', 'cpaFlatMicros', 'totalBudgetMicros', 'dailyBudgetMicros', 'publisherDailyCapMicros'] as const;

/** Serializes terms; money fields become strings. */
export function termsToJson(t: Omit<CampaignTerms, 'version' | 'campaignId' | 'advertiserId'>): string {
  return toJson(t);
}

/** Reads terms written by termsToJson. */
export function termsFromJson(json: string, ids: { campaignId: string; advertiserId: string; version: number }): CampaignTerms {
  const raw = JSON.parse(json) as Record<string, unknown>;
  const t = { ...raw, ...ids } as Record<string, unknown>;
  for (const k of TERMS_MONEY) t[k] = raw[k] === null || raw[k] === undefined ? null : BigInt(raw[k] as string);
  for (const k of ['cpcMicros', 'cpmMicros', 'cpaFlatMicros'] as const) t[k] ??= 0n;
  const payout = raw.payout as { kind: 'share'; bps: number } | { kind: 'fixed'; micros: string };
  t.payout = payout.kind === 'fixed' ? { kind: 'fixed', micros: BigInt(payout.micros) } : payout;
  return t as unknown as CampaignTerms;
}
