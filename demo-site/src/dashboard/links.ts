/**
 * Links between the demo's sites. The shop is another site than the publisher (cookies really are
 * first-party to it), so it lives on 127.0.0.1 while the news pages and the dashboard use localhost.
 */

/** The other loopback name for this page's host: localhost ⇄ 127.0.0.1. */
export function otherLoopbackOrigin(loc: Pick<Location, 'protocol' | 'hostname' | 'port'> = location): string {
  const host = loc.hostname === '127.0.0.1' ? 'localhost' : loc.hostname === 'localhost' ? '127.0.0.1' : loc.hostname;
  return `${loc.protocol}//${host}${loc.port ? `:${loc.port}` : ''}`;
}

/** The advertiser shop's URL, as seen from a localhost page. */
export function shopUrl(path = '/shop/', loc: Pick<Location, 'protocol' | 'hostname' | 'port'> = location): string {
  return loc.hostname === 'localhost' ? `${otherLoopbackOrigin(loc)}${path}` : path;
}
