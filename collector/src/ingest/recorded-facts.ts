/**
 * References to terms for the facts recorded with entry groups (core/facts.ts): a version by
 * campaign, number and the SHA-256 of its canonical JSON, so the chain commits to the terms a charge
 * used without copying them into every group. Hashes are cached by the canonical text itself, never
 * by campaign and version: two stores in one process (tests) may hold different terms under one name.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical';
import type { PricedRef, TermsRef } from '../core/facts';
import type { CampaignTerms } from '../core/terms';

const hashes = new Map<string, string>();
/** Terms objects are never changed once read (a change is a new version, a new object). */
const byObject = new WeakMap<CampaignTerms, string>();

/** The hash of a terms version as stored (its canonical JSON). */
export function termsHash(stored: CampaignTerms): string {
  // The same object is asked again for the priced and the caps reference of one charge, and a cached
  // campaign's for every charge: canonical JSON of the terms was ~4 % of a billed event's CPU
  // (bench/ingest-profile.ts). Keyed by the object itself, so a copy of other terms never hits it.
  const known = byObject.get(stored);
  if (known) return known;
  const key = canonicalJson(stored);
  let h = hashes.get(key);
  if (!h) {
    h = createHash('sha256').update(key).digest('hex');
    if (hashes.size > 10_000) hashes.clear();
    hashes.set(key, h);
  }
  byObject.set(stored, h);
  return h;
}

/** A reference to a stored terms version. */
export function termsRef(stored: CampaignTerms): TermsRef {
  return { campaignId: stored.campaignId, version: stored.version, hash: termsHash(stored) };
}

/** The reference of the terms a charge was priced on, with the payout resolved for its publisher then. */
export function pricedRef(stored: CampaignTerms, resolved: CampaignTerms): PricedRef {
  return { ...termsRef(stored), payout: resolved.payout, subsidy: resolved.subsidy === true };
}
