import { attempt, local } from './attempt';
import { readCookie, writeCookie } from './cookie';

/** A click ID held by the browser: URL parameter name, value verbatim, capture time (epoch ms). */
export type ClickId = [name: string, value: string, capturedAt: number];

/**
 * Other ad platforms' click IDs and the landing's UTM parameters, recorded verbatim for reporting
 * (never used for billing): each keeps its newest value, and is sent under its own name.
 */
export const PLATFORM_CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];

/** Cookie and localStorage key of the held click IDs. */
export const CLICK_IDS_KEY = '_ppk';

/**
 * Adds the click IDs found in `search` to `held`, newest first. Expired ones (captured more than `days`
 * ago) are dropped, other platforms keep only their newest ID, and at most 5 of ours are kept (the
 * wire's `k` limit). Last click wins: a new ID goes first; with `firstClick` it is ignored while one of
 * ours is still held. Values are kept verbatim; one of ours that is not `[A-Za-z0-9_-]{1,39}` is ignored:
 * the collector takes at most 200 characters of `k`, and five of 39 with their commas make 199.
 */
export function captureClickIds(
  held: ClickId[],
  search: string,
  now: number,
  param: string,
  days: number,
  firstClick?: boolean,
): ClickId[] {
  const q = new URLSearchParams(search);
  let n = 0;
  let list = held.filter((x) => now - x[2] < days * 864e5);
  for (const name of [param, ...PLATFORM_CLICK_IDS]) {
    const value = q.get(name);
    // Ours must look like a click ID the collector mints (27 characters): a malformed or overlong one
    // would get every conversion that carries it refused for the whole window.
    if (value && !(name == param && (!/^[\w-]{1,39}$/.test(value) || (firstClick && list.some((x) => x[0] == param)))))
      list = [[name, value, now], ...list.filter((x) => x[1] != value && (name == param || x[0] != name))];
  }
  return list.filter((x) => x[0] != param || ++n < 6);
}

/** Reads the click IDs from the cookie, or from its localStorage mirror when the cookie is gone (Safari ITP caps script-set cookies at 7 days). */
export const readClickIds = (w: Window): ClickId[] =>
  attempt(() => JSON.parse(decodeURIComponent(readCookie(CLICK_IDS_KEY, w.document)) || local(w, 'getItem', CLICK_IDS_KEY)!)) || [];

/** Keeps click IDs in a first-party cookie mirrored to localStorage for `days`, or removes both when `list` is missing or false. */
export function storeClickIds(list: ClickId[] | false | undefined, days: number, w: Window): void {
  const value = JSON.stringify(list);
  writeCookie(CLICK_IDS_KEY, list ? encodeURIComponent(value) : '', list ? days * 86400 : -1, w);
  local(w, list ? 'setItem' : 'removeItem', CLICK_IDS_KEY, value);
}
