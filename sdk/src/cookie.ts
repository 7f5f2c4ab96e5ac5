/** Reads a first-party cookie, or '' when it is missing or empty. */
export const readCookie = (name: string, d: Document): string =>
  (d.cookie.match('(^|; )' + name + '=([^;]*)') || [])[2] || '';

/**
 * Writes a cookie on the registrable domain (`SameSite=Lax`, `Secure` on https); `maxAge` -1 removes it.
 * Only the browser knows the public-suffix list, so, like Plausible and GA, we try each domain suffix
 * from the shortest (`com`, `example.com`, …) and keep the first one the browser accepts, ending with a
 * host-only cookie (IP addresses, `localhost`).
 */
export function writeCookie(name: string, value: string, maxAge: number, w: Window): void {
  const { document: d, location: l } = w;
  const labels = l.hostname.split('.');
  for (let i = 0; i++ <= labels.length; ) {
    d.cookie =
      name + '=' + value + ';path=/;SameSite=Lax;max-age=' + maxAge +
      (l.protocol == 'https:' ? ';Secure' : '') +
      (labels[i - 1] ? ';domain=' + labels.slice(-i).join('.') : '');
    if (readCookie(name, d) == value) break;
  }
}
