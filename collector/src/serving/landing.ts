/**
 * Landing URLs: where a click may send a visitor. The destination only ever comes from the
 * campaign's registered landing URL or a creative's landing URL checked against the campaign's
 * allowed hosts — never from request input — so the redirect cannot be turned into an open redirect.
 */

/** Hosts a campaign's creatives may land on: its landing URL's host plus the allowed hosts. */
export function allowedHosts(campaign: { landingUrl: string; allowedHosts: readonly string[] }): Set<string> {
  const hosts = new Set(campaign.allowedHosts.map((h) => h.toLowerCase()));
  const own = parseLanding(campaign.landingUrl);
  if (own) hosts.add(own.host);
  return hosts;
}

/** Parses a landing URL: http(s) only, no userinfo, no control characters; null otherwise. */
export function parseLanding(url: string): URL | null {
  if (/[\u0000-\u001F\u007F\\]/.test(url)) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  if (u.username || u.password || !u.hostname) return null;
  return u;
}

/** True when `url` is a valid landing URL on one of `hosts`. */
export function landsOn(url: string, hosts: Set<string>): boolean {
  const u = parseLanding(url);
  return !!u && hosts.has(u.host.toLowerCase());
}

/** The landing URL with the click ID appended, keeping its query and hash. */
export function withClickId(url: string, param: string, clickId: string): string {
  const u = new URL(url);
  // Append to the raw query rather than going through URLSearchParams, which would re-serialize
  // the advertiser's parameters as a form (`%20` → `+`, `flag` → `flag=`, `;` → `%3B`) and so
  // change what their server reads. Only an earlier value of our own parameter is dropped.
  const kept = u.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && pair.split('=')[0] !== param);
  kept.push(`${param}=${encodeURIComponent(clickId)}`);
  u.search = kept.join('&');
  return u.toString();
}
