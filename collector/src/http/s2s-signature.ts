/**
 * Server-to-server signatures (SPEC §3.1), like Stripe's webhooks:
 *
 *   X-PP-Advertiser: adv_shop
 *   X-PP-Timestamp:  1764400000            (unix seconds; refused when more than 300 s away)
 *   X-PP-Signature:  v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * Either of the advertiser's two live secrets verifies (rotation); comparison is constant-time. An
 * unknown advertiser and a wrong signature get the same answer, so the header cannot confirm IDs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { Collector } from './context';

/** Signature tolerance. */
export const S2S_TOLERANCE_SECONDS = 300;

/** Signs a body the way the collector verifies it (advertisers' servers and the demo use this). */
export function signS2s(secret: string, timestampSeconds: number, rawBody: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex')}`;
}

/** Verifies the S2S headers over the raw body; the advertiser ID or why it failed. */
export async function verifySignature(col: Collector, c: Context, raw: string): Promise<{ ok: true; advertiserId: string } | { ok: false; reason: string }> {
  const advertiserId = c.req.header('x-pp-advertiser');
  const ts = c.req.header('x-pp-timestamp');
  const sig = c.req.header('x-pp-signature');
  if (!advertiserId || !ts || !sig) return { ok: false, reason: 'missing X-PP-Advertiser, X-PP-Timestamp or X-PP-Signature' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'X-PP-Timestamp must be unix seconds' };
  if (Math.abs(col.clock() / 1000 - Number(ts)) > S2S_TOLERANCE_SECONDS) return { ok: false, reason: `timestamp outside ±${S2S_TOLERANCE_SECONDS} s` };
  const m = /^v1=([0-9a-f]{64})$/.exec(sig);
  if (!m) return { ok: false, reason: 'X-PP-Signature must be v1=<64 hex>' };
  // A malformed ID is no advertiser: answered like a wrong signature, and never sent to the store.
  const advertiser = /^[A-Za-z0-9_-]{1,128}$/.test(advertiserId) ? await col.store.catalog.getAdvertiser(advertiserId) : null;
  if (!advertiser) return { ok: false, reason: 'signature does not verify' }; // same answer: do not reveal which advertisers exist
  const given = Buffer.from(m[1]!, 'hex');
  const ok = advertiser.s2sSecrets.some((secret) => {
    const want = createHmac('sha256', secret).update(`${ts}.${raw}`).digest();
    return timingSafeEqual(given, want);
  });
  return ok ? { ok: true, advertiserId } : { ok: false, reason: 'signature does not verify' };
}
