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
import { BlockList, isIP } from 'node:net';
import { createIsbotFromList, list as isbotList } from 'isbot';

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
  const dc = toBlockList(datacenterCidrs);
  return (r) => {
    const ua = r.userAgent?.trim() ?? '';
    if (!ua) return 'empty_ua';
    if (isbot(ua)) return 'declared_bot';
    if (r.ip && inList(dc, r.ip)) return 'datacenter_ip';
    // Chrome sends `Sec-Purpose: prefetch` (and `prefetch;prerender`); older browsers `Purpose: prefetch`.
    if (r.purpose && /\bprefetch\b/i.test(r.purpose)) return 'prefetch';
    return null;
  };
}

/** A BlockList of CIDRs like "10.0.0.0/8" or "2001:db8::/32". */
export function toBlockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const family = isIP(addr ?? '');
    if (!family || bits === undefined) throw new Error(`not a CIDR: ${c}`);
    list.addSubnet(addr!, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** True when `ip` is in `list` (IPv4-mapped IPv6 addresses are checked as IPv4). */
export function inList(list: BlockList, ip: string): boolean {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const addr = v4 ?? ip;
  const family = isIP(addr);
  if (!family) return false;
  return list.check(addr, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client IP: the socket peer, or — only when the peer is a trusted proxy — the rightmost
 * X-Forwarded-For entry that is not itself a trusted proxy (a client can prepend anything).
 */
export function clientIp(peer: string, forwardedFor: string | undefined, trusted: BlockList | null): string {
  if (!trusted || !forwardedFor || !inList(trusted, peer)) return peer;
  const hops = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!isIP(hop)) return peer;
    if (!inList(trusted, hop)) return hop;
  }
  return hops[0] ?? peer;
}
