import { PLATFORM_CLICK_IDS, captureClickIds, readClickIds, storeClickIds, type ClickId } from './click-ids';
import { CORE, TAG } from './build';
import { debugLog, type DebugLog } from './debug-log';
import { createEventId } from './event-id';
import type { fillSlots } from './fill-slots';
import { createLocalStore } from './local-store';
import { loadScript } from './load-script';
import { onNoCodeConversion } from './on-no-code-conversion';
import {
  BATCH_MAX_CHARS,
  BATCH_MAX_EVENTS,
  IN_FLIGHT_MS,
  OUTBOX_MAX_CHARS,
  OUTBOX_MAX_EVENTS,
  isFinal,
  memoryStore,
  retryDelay,
  type Entry,
  type OutboxStore,
} from './outbox';
import { sendBatch } from './send-batch';
import { testPrefix } from './test-mode';
import type { EventType, WireEvent } from './wire';

/**
 * Options of `init`. The tag's `data-*` attributes have the same names (`data-click-param` is
 * `clickParam`), so the tag hands its `dataset` over as is; flags are on when present and not "false".
 */
export interface TrackerOptions {
  /** Site ID. */
  site: string;
  /** Collector origin (the tag defaults it to its own origin). */
  endpoint: string;
  /** Log every beacon and each reason an event was not sent; `?pp_debug=1` in the page URL does the same. */
  debug?: boolean | string;
  /** `required`: store nothing and send no identifiers until `consent({ … 'granted' })`. Default `granted`. */
  consent?: 'required' | 'granted' | string;
  /** Never store anything and send only un-identified counts (`cl: "1"`). */
  cookieless?: boolean | string;
  /** Our click-ID URL parameter. Default `ppclid`. */
  clickParam?: string;
  /** How long click IDs are kept, in days. Default 90. */
  clickDays?: number | string;
  /** Keep the first click ID while it is held instead of the last. */
  firstClick?: boolean | string;
  /** Count pushState/replaceState/popstate navigations as page views. Default on. */
  spa?: boolean | string;
  /**
   * The tag's own URL: `ads.js` (when a page view finds an ad slot) and `vitals.js` (with `vitals`) are
   * loaded from its folder. Unset in the npm build, which has `trackAds()` and `trackVitals()` instead.
   */
  src?: string;
  /** Load the web-vitals add-on (`data-vitals`). */
  vitals?: boolean | string;
}

/** What tests (and unusual pages) inject: the window (DOM, transport, storage), the clock, the persistent outbox store. */
export interface TrackerDeps {
  window?: Window & typeof globalThis;
  now?: () => number;
  store?: OutboxStore;
}

/** A conversion; `value` is sent as a decimal string: a string as given, a number rounded to micros (`toFixed(6)`, never float math). */
export interface ConversionInput {
  action?: string;
  value?: string | number;
  currency?: string;
  orderId?: string;
}

/** Consent states, named as in Google Consent Mode v2. */
export interface ConsentState {
  ad_storage?: 'granted' | 'denied';
  analytics_storage?: 'granted' | 'denied';
}

/** The tracker's commands; `window.pp(name, …args)` calls them by these names. */
export interface Tracker {
  /** A conversion, sent at once with the click IDs held. */
  conversion(input?: ConversionInput): void;
  /** A click on an ad the page rendered itself (ads rendered by the tag go through the click redirect). */
  click(token: string): void;
  /** A page view (the first is counted by the tag or `init`; SPA navigations by the tracker itself). */
  pageview(): void;
  /** Updates consent; a withdrawal removes the cookie and storage keys. */
  consent(state: ConsentState): void;
  /** A web vital, linked to the page load's page view (sent by the vitals add-on). */
  vital(name: string, value: number): void;
  /** A command the tag does not know (`pp('conversoin')`): warned in the console and reported to the collector as `uc`, which keeps it as a rejected event. */
  _unknown(name: unknown): void;
  /** Hands over the ad-slot filler (sent by `ads.js`, or by `trackAds()` in the npm build) and fills the page's slots. */
  ads(fill: typeof fillSlots): void;
}

interface TrackInput extends ConversionInput {
  _token?: string;
  _page?: string;
  _name?: string;
  _metric?: number;
}

/** Whether a flag option is on: present and not "false". */
// size: the tag's options are data-* strings; `'' +` is for the npm build's booleans
export const on = (x: unknown) => x != null && (TAG ? x : '' + x) != 'false';

/**
 * Origin and path only: queries and fragments may carry personal data. Cut at 2,048 characters, the
 * most the collector takes for `u` and `r` (a longer one would get the whole event refused).
 */
// size: no try (both callers pass a valid URL or '', no referrer, which gives undefined); the URL in
// the parameter. Safe to cut anywhere: URL serialises origin (punycode) and path (percent-encoded) as ASCII.
const strip = (href: string | URL) =>
  (href && ((href = new URL(href)), (href.origin + href.pathname).slice(0, 2048))) || undefined;

/**
 * Creates a tracker: consent, click-ID capture, the outbox and its flushing, SPA page views, ad slots and
 * `data-pp-conversion` elements. Nothing is counted until the first `pageview()` or another command.
 *
 *     const t = createTracker({ site: 'site_shop', endpoint: 'https://collector.example' });
 *     t.pageview();
 *     t.conversion({ action: 'purchase', value: '49.90', currency: 'EUR', orderId: 'A-1001' });
 */
export function createTracker(o: TrackerOptions, deps: TrackerDeps = {}): Tracker {
  // size: the tag has no test seams (TAG is false in the npm build and in tests)
  const w = (!TAG && deps.window) || window;
  const now = (!TAG && deps.now) || Date.now;
  const { document: d, location: l } = w;
  // Debug and test mode (debug-log.ts, test-mode.ts). size: not in pp.js, which hands over to
  // pp.debug.js when either is on (start-tag.ts), so its log calls fold away
  const log: DebugLog = CORE || !(on(o.debug) || /pp_(debug=1|test=)/.test(l.search + d.cookie)) ? () => {} : debugLog;
  const idPrefix = CORE ? '' : testPrefix(w);
  const param = o.clickParam || 'ppclid';
  const days = +o.clickDays! || 90;
  // Global Privacy Control is a legally binding opt-out of sale/sharing (CCPA regulations §7025), so
  // it turns the tag cookieless for good, whatever consent says later.
  const off = (w.navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl || on(o.cookieless);
  // Consent given by `consent()`; a state never given is granted unless the option requires consent.
  const cs: ConsentState = {};
  const allowed = (k: keyof ConsentState) => !off && (cs[k] ? cs[k] == 'granted' : o.consent != 'required');
  // size: `!CORE &&`: pp.js takes no deps at all (pp.idb.js hands in its IndexedDB store)
  const persistent = (!CORE && deps.store) || createLocalStore(w);
  const firstPage = createEventId(now);
  let pv = firstPage;
  let url: string | undefined;
  let ref = strip(d.referrer);
  let held: ClickId[] = [];
  let ad: boolean;
  let fill: typeof fillSlots | undefined;
  const load = (file: string) => loadScript(file, o.src, d);

  // The outbox: every event is written to `store` before its first send and leaves only on a final
  // answer (isFinal); the rest is retried after retryDelay. `store` is memory until analytics_storage.
  let list: Entry[] = [];
  let store = memoryStore;
  const drop = (batch: Entry[]) => {
    list = list.filter((x) => !batch.includes(x));
    batch.map((x) => store.del(x.e.i));
  };
  const flush = (hidden?: unknown) => {
    for (
      let b: Entry[], n: number;
      // What is due, oldest first, until the next event would pass BATCH_MAX_CHARS (counted on the
      // entries, a little longer than their events; one event is always taken), at most BATCH_MAX_EVENTS.
      ((n = 0),
      (b = list
        .filter((x) => x.w <= now())
        .filter((x, i) => (n += JSON.stringify(x).length) < BATCH_MAX_CHARS || !i)
        .slice(0, BATCH_MAX_EVENTS))).length;

    ) {
      // Marked in flight as they are taken into the batch.
      const batch = {
        s: o.site,
        n: now(),
        // Identifiers leave only while ad_storage is granted: an event queued before a withdrawal
        // (or left by an earlier page) goes without `k` and the other platforms' IDs, marked `cl` like
        // any event tracked without the grant, and is stored that way if it must be retried.
        e: b.map(
          (x) => (
            (x.w = now() + IN_FLIGHT_MS),
            ad || (['k', ...PLATFORM_CLICK_IDS].map((k) => delete x.e[k]), (x.e.cl = '1')),
            x.e
          ),
        ),
      };
      CORE || log('send', batch);
      sendBatch(o.endpoint, batch, hidden, w)?.then((r) => {
        const status = r?.status;
        if (isFinal(status)) {
          // Debug mode: the answer that ended these events' lives, a 2xx or a refusal; debugLog reads
          // from it which events were refused, and why. size: `CORE ||` folds the call out of pp.js
          CORE || log(status, batch, r);
          drop(b);
        } else {
          // size: not inlined, which would turn its parameters into hoisted vars
          const delay = /*#__NOINLINE__*/ retryDelay(b[0]!.n + 1, r?.headers.get('retry-after'));
          b.map((x) => {
            x.n++;
            x.w = now() + delay;
            store.put(x);
          });
          setTimeout(flush, delay);
        }
      });
    }
  };

  // Click IDs: read from the URL always, but stored (cookie + localStorage) and sent only with ad_storage.
  // Storage is read again on each page view: another tab may have captured a newer click.
  const capture = (merge?: unknown) => {
    held = captureClickIds(
      ad ? [...(merge ? held : []), ...readClickIds(w)] : held,
      l.search,
      now(),
      param,
      days,
      on(o.firstClick),
    );
    // Nothing is written for a visitor who never came from an ad.
    if (ad && held[0]) storeClickIds(held, days, w);
  };

  const apply = (explicit?: unknown) => {
    ad = allowed('ad_storage');
    // A grant also keeps the IDs seen before it (e.g. on the landing page, before a SPA navigation).
    capture(explicit);
    // A withdrawal removes what was stored; the default state does not, or a consent platform that
    // replays a visitor's earlier "granted" after the tag loads would find the click IDs gone.
    // size: false, not undefined (0 once minified)
    if (!ad && explicit) storeClickIds(false, days, w);
    const next = allowed('analytics_storage') ? persistent : memoryStore;
    // Moved to memory (analytics_storage withdrawn): a store that can also removes itself (the
    // IndexedDB outbox deletes its database). size: `CORE ||`, pp.js's localStorage store cannot.
    if (next != store) list.map((x) => (store.del(x.e.i), next.put(x))), CORE || store.clear?.();
    store = next;
    // Flushed on load: what earlier pages left in the store goes out now, or when it is due. An
    // entry whose retry was pending when its page died carries a later `w`, and the timer that was
    // to send it died with that page: each loaded entry gets its own.
    Promise.resolve()
      // size: the tag's own stores' load needs no `this` (a store an npm user hands in may)
      .then(TAG ? next.load : () => next.load())
      .then((xs) => {
        xs.map((x) => list.some((y) => y.e.i == x.e.i) || setTimeout(flush, list.push(x) && x.w - now()));
        flush();
      }, log);
  };

  // The one function that writes the wire's one-letter keys (ARCHITECTURE.md, "Wire format").
  const track = (t: EventType, x: TrackInput = {}) => {
    const e: WireEvent = {
      t,
      // size: pp.js has no prefix (test mode is in pp.debug.js)
      i: CORE ? createEventId(now) : idPrefix + createEventId(now),
      ts: now(),
      p: x._page || pv,
      tk: x._token,
      a: x.action,
      // A number is rounded to micros by toFixed (decimal rounding of its exact binary value, no float
      // arithmetic): String(0.1 + 0.2) has 17 decimals, and the collector takes at most 6.
      // size: strings have no toFixed, so they pass through as given
      v: (x.value as number)?.toFixed?.(6) ?? x.value,
      c: x.currency,
      o: x.orderId,
      mn: x._name,
      mv: x._metric,
    };
    if (t == 'pv') e.r = ref;
    if (t == 'pv' || t == 'cv') {
      e.u = strip(l.href);
      if (ad) {
        const k = [];
        for (const [name, value] of held) name == param ? k.push(value) : (e[name] = value);
        if (k[0]) e.k = k.join();
      }
    }
    if (!ad) e.cl = '1';
    // Keys left undefined never reach the wire: JSON drops them, and so does sendBatch's GET fallback.
    const entry = { e, n: 0, w: 0 };
    list.push(entry);
    store.put(entry);
    for (
      let i;
      // size: an entry at index OUTBOX_MAX_EVENTS means one too many, a character at index OUTBOX_MAX_CHARS too long
      (list[OUTBOX_MAX_EVENTS] || JSON.stringify(list)[OUTBOX_MAX_CHARS]) &&
      // size: 'cv' and 'clk' are the only types starting with "c"; money is never dropped
      (i = list.findIndex((x) => x.e.t[0] != 'c')) >= 0;

    ) {
      CORE || log('cap', list[i]);
      drop([list[i]!]);
    }
    // A microtask: events of one task share a request, and a conversion leaves before any unload.
    Promise.resolve().then(flush);
  };

  const pageview = () => {
    if (url) (ref = url), (pv = createEventId(now));
    // size: `TAG ||`: the tag always has a src; only the npm build may not (and has trackVitals())
    else if ((TAG || o.src) && on(o.vitals)) load('vitals.js');
    url = strip(l.href);
    capture();
    track('pv');
    addOns();
  };

  // The add-ons a page needs, looked for on each page view and once more when the page is parsed (an
  // async tag may run before the body is). Ad slots are filled by ads.js, loaded once, on the first
  // page view that has a slot; data-pp-conversion elements are counted by nocode.js.
  let noCode: unknown;
  const addOns = () => {
    if (fill) fill(o.endpoint, pv, (t, tk, p) => track(t, { _token: tk, _page: p }), w, log);
    // size: `TAG ||` as for vitals.js (the npm build has trackAds())
    // Until ads.js hands over its filler, a no-op one: loaded once, and the slots wait for it.
    else if ((TAG || o.src) && d.querySelector('[data-pp-slot]')) load('ads.js'), (fill = () => {});
    if (TAG && !noCode && d.querySelector('[data-pp-conversion]')) noCode = load('nocode.js');
  };
  d.addEventListener('DOMContentLoaded', () => url && addOns());

  const conversion = (x?: ConversionInput) => track('cv', x);

  // No-code conversions (data-pp-conversion): the npm build listens itself; the tag loads nocode.js
  // when a page has such an element (addOns above), so pages without one never pay for it.
  if (!TAG) onNoCodeConversion(d, conversion);

  // Flushed when the network is back (backoff ignored) and when the page is shown, hidden or left;
  // by sendBeacon then, as a fetch may not outlive the page.
  d.addEventListener('visibilitychange', () => flush(d.hidden));
  w.addEventListener('pagehide', () => flush(1));
  w.addEventListener('online', () => {
    list.map((x) => (x.w = 0));
    flush();
  });

  if ((TAG ? o.spa : '' + o.spa) != 'false') {
    const h = w.history;
    const nav = () => url && strip(l.href) != url && pageview();
    for (const m of ['pushState', 'replaceState'] as const) {
      const f = h[m];
      // size: an arrow applying the original to `h`: pages call these on window.history only
      h[m] = (...a: Parameters<History['pushState']>) => {
        f.apply(h, a);
        nav();
      };
    }
    w.addEventListener('popstate', nav);
  }

  apply();

  return {
    conversion,
    click: (token) => track('clk', { _token: token }),
    pageview,
    consent(state) {
      Object.assign(cs, state);
      apply(1);
    },
    vital: (name, value) => track('wv', { _name: name, _metric: value, _page: firstPage }),
    ads(f) {
      fill = f;
      addOns();
    },
    _unknown(name) {
      console.warn('[pp] unknown command', name);
      track('uc', { action: name as string });
    },
  };
}
