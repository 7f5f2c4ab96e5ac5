/**
 * The first-party proxy's click-ID cookie: set by the shop's server with `HttpOnly`, so it keeps its
 * full lifetime where a cookie written by script does not (Safari caps those at 7 days, and at 24
 * hours when the landing URL carries a known tracker's click ID — WebKit's ITP, "Full Third-Party
 * Cookie Blocking and More", 2020), and no script on the page (nor a storage wipe) can remove it.
 *
 * Value: up to five of our click IDs, newest first, each with its capture time in unix seconds:
 * `ID1~1764400000.ID2~1764300000` (characters a cookie value may hold unquoted, RFC 6265 §4.1.1).
 */

/** One held click ID and when the proxy first saw it (unix seconds). */
export type HeldClickId = [id: string, capturedAt: number];

/** Our click IDs as the SDK keeps them (sdk/src/click-ids.ts): five of them fit the collector's `k`. */
const CLICK_ID = /^[A-Za-z0-9_-]{1,39}$/;
const MAX_IDS = 5;

/** The held click IDs in a `Cookie` header, newest first, without those older than `days`. */
export function readClickCookie(cookieHeader: string | null, name: string, nowS: number, days: number): HeldClickId[] {
  const raw = cookieHeader
    ?.split(/;\s*/)
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1);
  if (!raw) return [];
  const out: HeldClickId[] = [];
  for (const part of raw.split('.')) {
    const [id, at] = part.split('~');
    const capturedAt = Number(at);
    if (id && CLICK_ID.test(id) && Number.isInteger(capturedAt) && nowS - capturedAt < days * 86_400 && !out.some((x) => x[0] === id)) out.push([id, capturedAt]);
  }
  return out.slice(0, MAX_IDS);
}

/**
 * Adds the click IDs a beacon carried (newest first) to the held ones: an ID already held keeps its
 * capture time, a new one is captured now; at most five, newest first. IDs that are not ours are
 * left out. Returns the same array when nothing changed.
 */
export function holdClickIds(held: HeldClickId[], sent: readonly string[], nowS: number): HeldClickId[] {
  const fresh = sent.filter((id) => CLICK_ID.test(id) && !held.some((x) => x[0] === id));
  if (fresh.length === 0) return held;
  return [...new Set(fresh)].map((id): HeldClickId => [id, nowS]).concat(held).slice(0, MAX_IDS);
}

/** The click IDs for a beacon's `k`: the ones it carried first (the browser's newest), then the held ones; at most five. */
export function mergeClickIds(sent: readonly string[], held: readonly HeldClickId[]): string[] {
  return [...new Set([...sent, ...held.map((x) => x[0])])].slice(0, MAX_IDS);
}

/** The `Set-Cookie` value keeping `held` until the newest ID is `days` old (or removing the cookie when none is left). */
export function clickCookie(name: string, held: readonly HeldClickId[], nowS: number, days: number, secure: boolean): string {
  const newest = Math.max(0, ...held.map((x) => x[1]));
  const maxAge = held.length ? Math.max(0, newest + days * 86_400 - nowS) : 0;
  const value = held.map(([id, at]) => `${id}~${at}`).join('.');
  return `${name}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
