/**
 * `perfpixel/first-party`: serve the tag and forward its beacons from a path of the shop's own
 * origin, with the click ID in an HTTP-only cookie set by the server and the visitor's IP signed for
 * the collector (issue 13). README.md ("First-party mode") says what it covers and what it does not.
 *
 * ```ts
 * import { firstParty, firstPartySnippet } from 'perfpixel/first-party';
 * app.use(firstParty({ collector: 'https://collector.example', path: '/k3x', secret: process.env.PP_S2S_SECRET }));
 * // in the page: firstPartySnippet('shop-site', '/k3x')
 * ```
 */
export { createFirstParty, MAX_FORWARD_BYTES, type FirstParty, type FirstPartyOptions } from './first-party';
export { firstParty, type FirstPartyMiddlewareOptions } from './hono';
export { createFirstPartyHandler, type FirstPartyHandler, type FirstPartyHandlerOptions } from './node';
export { firstPartySnippet, QUEUE_STUB } from './snippet';
export { clickCookie, readClickCookie, type HeldClickId } from './click-cookie';
