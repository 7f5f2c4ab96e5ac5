/**
 * Why the collector refused a beacon, in plain words, with what to change on the site. The codes are
 * the `reason` of rows in `rejected_events` (collector/src/http/ingest-routes.ts, ingest/pipeline.ts);
 * the `detail` the collector stores (e.g. `c: must be an ISO-4217 code like EUR`) is shown beside it.
 */

/** A rejection reason explained. */
export interface Rejection {
  what: string;
  fix: string;
}

const REASONS: Record<string, Rejection> = {
  invalid_event: {
    what: 'An event had a field the collector cannot accept.',
    fix: 'Check the detail below: it names the field. Values are exact decimal strings ("49.90"), currencies ISO-4217 codes ("EUR"), and personal data (e-mail, names) must never be sent.',
  },
  invalid_batch: {
    what: 'The request was not a beacon batch.',
    fix: 'Use the perfpixel tag or SDK to send events; hand-written requests need {"s": SITE_ID, "e": [events]}.',
  },
  malformed_json: { what: 'The request body was not JSON.', fix: 'Send the batch as JSON (the tag does this for you).' },
  unsupported_media_type: { what: 'The request had the wrong content type.', fix: 'Send text/plain or application/json.' },
  body_too_large: { what: 'The batch was too big.', fix: 'Send at most 50 events per batch; the tag splits batches by itself.' },
  origin_not_allowed: {
    what: 'Beacons came from a web address that is not registered for this site.',
    fix: 'Add the page’s origin (scheme, host and port, e.g. https://shop.example) to the site’s allowed origins, or fix data-site if it points at another site.',
  },
  unknown_site: { what: 'The site ID in data-site does not exist.', fix: 'Copy the site ID exactly from the snippet below.' },
  not_a_conversion_site: {
    what: 'A conversion was sent from a publisher site.',
    fix: 'Conversions belong on the advertiser’s own site: use that site’s ID in data-site on the shop’s pages.',
  },
  site_mismatch: {
    what: 'An ad beacon named another site than the one the ad was served for.',
    fix: 'Use the same data-site on every page that shows this site’s ad slots.',
  },
  expired_token: { what: 'An ad beacon arrived long after the ad was served.', fix: 'Nothing to do for occasional ones; many of them mean cached pages are replaying old ads.' },
  malformed_token: { what: 'An ad beacon carried a damaged ad token.', fix: 'Do not rewrite or cache the ad markup the tag renders.' },
  bad_signature: { what: 'An ad beacon carried a token that we did not sign.', fix: 'Someone is sending made-up ad events; nothing to fix on your pages.' },
  unknown_campaign: { what: 'An ad beacon named a campaign that no longer exists.', fix: 'Nothing to do: it was served before the campaign was removed.' },
  invalid_query: { what: 'A pixel request had a repeated or over-long parameter.', fix: 'Give each parameter of the <noscript> pixel once.' },
  rate_limited: { what: 'Too many events came from one source.', fix: 'Make sure no loop calls pp() on every frame or scroll.' },
  unknown_command: {
    what: 'The page called pp() with a command the tag does not know (the tag warned in the console and carried on).',
    fix: 'Check the spelling: the commands are conversion, consent, pageview and click.',
  },
  invalid_forwarded_ip: {
    what: 'Your first-party proxy forwarded a visitor address the collector could not verify.',
    fix: 'Give the proxy your current S2S secret (perfpixel/first-party, option secret) and keep your server’s clock right.',
  },
};

/** A rejection reason code explained; unknown codes are still shown readably. */
export function rejectionWords(reason: string): Rejection {
  return REASONS[reason] ?? { what: `Refused: ${reason.replace(/_/g, ' ')}.`, fix: 'See the detail below.' };
}

/** A beacon type of the activity report in words. */
export function beaconTypeWords(type: string): { name: string; what: string } {
  switch (type) {
    case 'pageview':
      return { name: 'Page views', what: 'sent by the tag on every page load' };
    case 'served':
      return { name: 'Ads served', what: 'an ad was rendered in one of your slots' };
    case 'viewable':
      return { name: 'Viewable impressions', what: 'an ad was at least half in view for one second' };
    case 'click':
      return { name: 'Ad clicks', what: 'recorded by the click redirect' };
    case 'conversion':
      return { name: 'Conversions', what: 'pp("conversion", …), data-pp-conversion or a server-to-server postback' };
    case 'rejected':
      return { name: 'Rejected events', what: 'refused by the collector, with a reason' };
    default:
      return { name: type, what: '' };
  }
}
