/**
 * General invalid traffic (GIVT, MRC/IAB definitions) found from the request alone. Flagged
 * traffic is stored with its reason and never billed (SPEC §3.6); it is not refused, so reports can
 * show gross, invalid and net.
 *
 * | rule                                   | reason           |
 * |----------------------------------------|------------------|
 * | no User-Agent header, or a blank one   | `empty_ua`       |
 * | a declared bot or crawler (isbot)      | `declared_bot`   |
 * | a configured data-center CIDR          | `datacenter_ip`  |
 * | `Sec-Purpose`/`Purpose: prefetch`      | `prefetch`       |
 *
 * The stateful rules (double clicks, click floods, stacked impressions, too-fast conversions) need
 * the store and live in the pipeline.
 */
import { isIP } from 'node:net';
import { createIsbotFromList, list as isbotList } from 'isbot';
import { ipRanges, type IpRanges } from './ip-ranges';

// Declared bots isbot 5 does not list, found with the reliability suite's corpora (the npm
// `crawler-user-agents` list and test/reliability/fixtures/bot-user-agents.txt): a scanner, page
// speed and screenshot services, a scraping farm, and the URL fetchers of code editors (VS Code's and
// Trae's, which coding agents use to read a page — not a person looking at an ad). Patterns are
// case-insensitive regex fragments.
//
// Deliberately NOT flagged, though that list names them: the in-app browsers of Instagram and
// Facebook (`Instagram 406.0…`, `MetaIAB Facebook`) — a person tapping an ad inside the app. Meta's
// own link-preview crawler (`facebookexternalhit`) is flagged by isbot.
const EXTRA_BOT_PATTERNS = ['nikto', 'gtmetrix', 'miniature\\.io', 'tsm-turingos', '\\bylt chrome', '\\bfluid/', '\\bcode/[\\d.]+ chrome/[\\d.]+ electron/', '\\btrae/'];
/** In-app browsers of social apps that the crawler lists name but that carry real visitors (see above). */
export const HUMAN_IN_APP_BROWSERS = [/ Instagram \d/, / MetaIAB Facebook/];
const isbot = createIsbotFromList([...isbotList, ...EXTRA_BOT_PATTERNS]);

/** Request facts the classifier looks at. */
export interface RequestFacts {
  userAgent: string | undefined;
  ip: string;
  /** `Sec-Purpose` or `Purpose` header. */
  purpose: string | undefined;
}

/** The request-level IVT classifier. */
export type IvtClassifier = (r: RequestFacts) => string | null;

/** Builds a classifier with the configured data-center ranges. */
export function createIvtClassifier(datacenterCidrs: readonly string[] = []): IvtClassifier {
  const dc = ipRanges(datacenterCidrs);
  return (r) => {
    const ua = r.userAgent?.trim() ?? '';
    if (!ua) return 'empty_ua';
    if (isbot(ua)) return 'declared_bot';
    if (r.ip && dc.has(r.ip)) return 'datacenter_ip';
    // Chrome sends `Sec-Purpose: prefetch` (and `prefetch;prerender`); older browsers `Purpose: prefetch`.
    if (r.purpose && /\bprefetch\b/i.test(r.purpose)) return 'prefetch';
    return null;
  };
}

/**
 * The client IP: the socket peer, or — only when the peer is a trusted proxy — the rightmost
 * X-Forwarded-For entry that is not itself a trusted proxy (a client can prepend anything).
 */
export function clientIp(peer: string, forwardedFor: string | undefined, trusted: IpRanges | null): string {
  if (!trusted || !forwardedFor || !trusted.has(peer)) return peer;
  const hops = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!isIP(hop)) return peer;
    if (!trusted.has(hop)) return hop;
  }
  return hops[0] ?? peer;
}
