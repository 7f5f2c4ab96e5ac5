/**
 * Signing keys and the two signed identifiers the collector issues: ad decision tokens and click IDs.
 *
 * ```ts
 * const keys = createKeys(config.secret);
 * const tk = keys.signToken({ d: 'dec_1', … });   // → "eyJk….Q2x"
 * const clickId = keys.mintClickId('adv_shop', randomBytes(12));
 * keys.verifyClickId(clickId, 'adv_shop');        // true; false for any other advertiser
 * ```
 *
 * Click IDs (SPEC §3.2) are 12 random bytes + the first 8 bytes of HMAC-SHA256(clickKey,
 * advertiserId ‖ random), base64url (27 characters). A forged, altered, cross-tenant or never-issued
 * ID fails verification without trusting anything the browser says. Every key is derived from the
 * one SECRET with HMAC, so one secret serves every purpose without reuse.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/** The fields an ad decision token carries (short keys: it travels in every ad URL). */
export interface AdToken {
  /** decision ID */ d: string;
  /** site ID */ si: string;
  /** slot ID */ s: string;
  /** publisher ID */ p: string;
  /** advertiser ID */ a: string;
  /** campaign ID */ c: string;
  /** creative ID */ cr: string;
  /** terms version the decision used */ v: number;
  /** page-view ID */ pv: string | null;
  /** issued at, epoch ms */ t: number;
}

/** The collector's keys and what it signs with them. */
export interface Keys {
  signToken(t: AdToken): string;
  /** The token's fields, or why it is refused. */
  verifyToken(token: string): { ok: true; token: AdToken } | { ok: false; reason: 'malformed_token' | 'bad_signature' };
  mintClickId(advertiserId: string, random: Uint8Array): string;
  verifyClickId(clickId: string, advertiserId: string): boolean;
  /** A salted hash of a source (IP + user agent): joins touches without storing raw IPs. */
  sourceKey(ip: string, userAgent: string): string;
  /** A salted hash of an IP alone — of its /64 for IPv6, the block one subscriber holds — for per-IP limits. */
  ipKey(ip: string): string;
  /** A salted, truncated hash of an IP for logs. */
  ipTag(ip: string): string;
}

const TOKEN_MAX = 1024;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** Derives every key from one secret (≥ 32 characters). */
export function createKeys(secret: string): Keys {
  if (secret.length < 32) throw new Error('SECRET must be at least 32 characters');
  const derive = (purpose: string) => createHmac('sha256', secret).update(`perfpixel:${purpose}`).digest();
  const tokenKey = createSecretKey(derive('ad-token:v1'));
  const clickKey = createSecretKey(derive('click-id:v1'));
  const sourceSalt = createSecretKey(derive('source:v1'));
  const logSalt = createSecretKey(derive('log-ip:v1'));
  // Key objects made once: createHmac with raw bytes imports the key again on every call, and a
  // billed beacon makes two or three of these (bench/ingest-profile.ts).
  const mac = (key: KeyObject, data: string | Buffer, bytes: number) => createHmac('sha256', key).update(data).digest().subarray(0, bytes);

  return {
    signToken(t) {
      const body = Buffer.from(JSON.stringify(t)).toString('base64url');
      return `${body}.${mac(tokenKey, body, 16).toString('base64url')}`;
    },
    verifyToken(token) {
      if (token.length > TOKEN_MAX) return { ok: false, reason: 'malformed_token' };
      const dot = token.indexOf('.');
      if (dot < 1 || token.indexOf('.', dot + 1) !== -1) return { ok: false, reason: 'malformed_token' };
      const body = token.slice(0, dot);
      const sig = token.slice(dot + 1);
      if (!B64URL.test(body) || !B64URL.test(sig)) return { ok: false, reason: 'malformed_token' };
      const given = Buffer.from(sig, 'base64url');
      const want = mac(tokenKey, body, 16);
      // Base64 decoding ignores the spare low bits of the last character, so several spellings
      // decode to the same bytes: only the canonical one is the token we issued.
      if (given.length !== want.length || given.toString('base64url') !== sig || !timingSafeEqual(given, want)) return { ok: false, reason: 'bad_signature' };
      try {
        const t = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as AdToken;
        // Signed by us, but checked anyway: a token is parsed JSON and a type error here must be a 400, not a 500.
        const str = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 64;
        if (![t.d, t.si, t.s, t.p, t.a, t.c, t.cr].every(str) || !Number.isSafeInteger(t.v) || !Number.isSafeInteger(t.t) || (t.pv !== null && !str(t.pv))) {
          return { ok: false, reason: 'malformed_token' };
        }
        return { ok: true, token: t };
      } catch {
        return { ok: false, reason: 'malformed_token' };
      }
    },
    mintClickId(advertiserId, random) {
      const r = Buffer.from(random);
      if (r.length !== 12) throw new RangeError('click IDs take 12 random bytes');
      return Buffer.concat([r, mac(clickKey, Buffer.concat([Buffer.from(`${advertiserId}\u0000`), r]), 8)]).toString('base64url');
    },
    verifyClickId(clickId, advertiserId) {
      if (clickId.length !== 27 || !B64URL.test(clickId)) return false;
      const raw = Buffer.from(clickId, 'base64url');
      // 27 characters carry 162 bits for 160: refuse the three other spellings of the same bytes.
      if (raw.length !== 20 || raw.toString('base64url') !== clickId) return false;
      const r = raw.subarray(0, 12);
      const want = mac(clickKey, Buffer.concat([Buffer.from(`${advertiserId}\u0000`), r]), 8);
      return timingSafeEqual(raw.subarray(12), want);
    },
    sourceKey(ip, userAgent) {
      return mac(sourceSalt, `${ip}\u0000${userAgent}`, 12).toString('base64url');
    },
    ipKey(ip) {
      return mac(sourceSalt, `ip\u0000${ipBlock(ip)}`, 12).toString('base64url');
    },
    ipTag(ip) {
      return mac(logSalt, ip, 6).toString('base64url');
    },
  };
}

/**
 * The block an address stands for in per-IP limits: an IPv4 address itself (IPv4-mapped IPv6 too),
 * or the /64 of an IPv6 address — one subscriber gets a whole /64 (RFC 6177) and can rotate within it.
 */
export function ipBlock(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return mapped;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head = '', tail] = ip.toLowerCase().split('%')[0]!.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => Number.parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}
