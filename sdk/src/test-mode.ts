/** Name of the session cookie that keeps a browser in test mode from page to page. */
export const TEST_COOKIE = 'pp_test';

/**
 * Test mode (`?pp_test=CODE` in the page URL, issue 13): the code is kept for the browser session in
 * the `pp_test` cookie (the owner's own browser, on their own site: the next pages of a checkout carry it
 * too) and every event ID the tag makes starts with `CODE_`, which the verify page's test-events view
 * filters on to show this browser's events only. Returns that prefix, or '' outside test mode.
 * A code is 1–24 letters or digits (a UUID event ID plus the prefix stays within the collector's 64).
 */
export function testPrefix(w: Window): string {
  const d = w.document;
  const code = /[?&]pp_test=([A-Za-z0-9]{1,24})(&|$)/.exec(w.location.search);
  if (code) d.cookie = TEST_COOKIE + '=' + code[1] + ';path=/;SameSite=Lax';
  const kept = (d.cookie.match('(^|; )' + TEST_COOKIE + '=([A-Za-z0-9]{1,24})(;|$)') || [])[2];
  return kept ? kept + '_' : '';
}
