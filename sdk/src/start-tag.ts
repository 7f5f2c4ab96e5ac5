import { CORE, TAG } from './build';
import { loadScript } from './load-script';
import { createTracker, on, type Tracker, type TrackerDeps, type TrackerOptions } from './tracker';

type Command = [name: keyof Tracker, ...args: unknown[]];
type PageWithQueue = Window & typeof globalThis & { pp?: ((...c: Command) => void) & { q?: Command[] } };

/**
 * What the script tag does, shared by `pp.js` and `pp.idb.js`: options from the script's `data-*`
 * attributes (endpoint defaults to the script's own origin; `ads.js` and `vitals.js` come from the
 * script's own folder), the stub's queue replayed before the first page view (so a queued `consent`
 * applies to it), then `window.pp(command, …args)` for later calls.
 */
export function startTag(deps?: TrackerDeps, s = document.currentScript as HTMLScriptElement): void {
  // size: no test seam in the built tag (TAG is false in tests)
  const w = ((!TAG && deps?.window) || window) as PageWithQueue;
  // A tag pasted twice would count every page view twice. size: a short warning (3 B gzip, which
  // paid for event-id.ts's time); the tag's own `pp` takes one named parameter (its `length` is 1);
  // the stub's `function(){…}` takes none
  if (w.pp?.length) return console.warn('[pp] tag twice');
  const d = w.document;
  const a = s.dataset;
  // Debug and test mode are not in pp.js (size): in either, it hands over to pp.debug.js, the same tag
  // with both, from its own folder, with its own data-* attributes. The test cookie is named like the
  // URL parameter, so one test over the query and the cookies finds either.
  if (CORE && (on(a.debug) || /pp_(debug=1|test=)/.test(w.location.search + d.cookie)))
    return void Object.assign(loadScript('pp.debug.js', s.src, d).dataset, a);
  const t = createTracker({ endpoint: new URL(s.src).origin, ...a, src: s.src } as TrackerOptions, deps);
  // The stub queues `arguments` objects, which spread like arrays.
  const queue = w.pp?.q;
  // A mistyped command must not stop the rest of the queue (issue 13): the tracker warns and reports it.
  w.pp = (name, ...args) => (t[name] ? (t[name] as (...x: unknown[]) => void)(...args) : t._unknown(name));
  // size: map over the queue, if any, rather than a loop over `queue || []`
  queue?.map((c) => w.pp!(...c));
  // A prerendered page (Speculation Rules) may never be seen: count it once it is shown.
  d.prerendering ? d.addEventListener('prerenderingchange', () => t.pageview()) : t.pageview();
}
