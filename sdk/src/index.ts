/**
 * perfpixel for bundlers: the same modules as the script tag, as an ES module with types.
 *
 *     import { init, trackConversion } from 'perfpixel';
 *     init({ site: 'SITE_ID', endpoint: 'https://collector.example' });
 *     trackConversion({ action: 'purchase', value: '49.90', currency: 'EUR', orderId: 'A-1001' });
 *
 * Calls made before `init` are queued and replayed, like the tag's stub.
 */
import { createTracker, type ConsentState, type ConversionInput, type Tracker, type TrackerDeps, type TrackerOptions } from './tracker';
import { fillSlots } from './fill-slots';
import { whenActivated } from './when-activated';

export type { ConsentState, ConversionInput, Tracker, TrackerDeps, TrackerOptions } from './tracker';
export type { Entry, OutboxStore } from './outbox';
export type { WireBatch, WireEvent, EventType } from './wire';
export type { AdDecision } from './fill-slot';
export type { AdReport } from './fill-slots';
export { fillSlots } from './fill-slots';
export { createIdbStore } from './idb-store';
export { createLocalStore } from './local-store';
export { memoryStore } from './outbox';

let tracker: Tracker | undefined;
const queue: (() => void)[] = [];
const call = (f: (t: Tracker) => void): void => {
  if (tracker) f(tracker);
  else queue.push(() => f(tracker!));
};

/** Starts tracking: replays the calls made before it, then counts the page view (once the page is shown, if prerendered). */
export function init(options: TrackerOptions, deps?: TrackerDeps): Tracker {
  const t = (tracker = createTracker(options, deps));
  queue.splice(0).map((f) => f());
  whenActivated(() => t.pageview(), (deps?.window || window).document);
  return t;
}

/** Sends a conversion at once (value as an exact decimal string). */
export const trackConversion = (input?: ConversionInput): void => call((t) => t.conversion(input));

/** Sends a `clk` beacon for an ad your page rendered itself from a `GET /ad` decision token. */
export const trackClick = (token: string): void => call((t) => t.click(token));

/** Counts a page view by hand (SPA navigations are counted already unless `spa: false`). */
export const trackPageview = (): void => call((t) => t.pageview());

/** Updates consent (Google Consent Mode v2 names); a withdrawal removes what was stored. */
export const consent = (state: ConsentState): void => call((t) => t.consent(state));

/** Loads web-vitals lazily (your bundler splits it out) and reports LCP, INP and CLS for this page load. */
export const trackVitals = (): Promise<void> =>
  import('web-vitals').then(({ onLCP, onINP, onCLS }) => {
    for (const onMetric of [onLCP, onINP, onCLS]) onMetric((m) => call((t) => t.vital(m.name, m.value)));
  });

/** Fills the page's `<ins data-pp-slot>` ad slots now and on every later page view (publishers). */
export const trackAds = (): void => call((t) => t.ads(fillSlots));
