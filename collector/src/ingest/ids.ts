/**
 * Time-ordered IDs for what the collector mints (ad decisions, conversions): a fixed-width base-36
 * millisecond timestamp, then random bits. Sorted by time as text, so the B-tree indexes keyed by
 * them (impressions, ledger keys, conversions) grow at their right edge: one commit touches a few
 * pages instead of one random page per event — measured, random keys made the write volume per
 * event several times larger. The random part keeps them unguessable and unique.
 */
import { randomBytes } from 'node:crypto';

/** `<9 base-36 chars of ms><12 base64url chars>`; text order = time order until the year 5188. */
export function timeOrderedId(now: number, random: (bytes: number) => Uint8Array = randomBytes): string {
  return `${Math.max(0, Math.floor(now)).toString(36).padStart(9, '0')}${Buffer.from(random(9)).toString('base64url')}`;
}
