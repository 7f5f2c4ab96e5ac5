import { TAG } from './build';
import { createTracker, type Tracker, type TrackerDeps, type TrackerOptions } from './tracker';

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
  const d = w.document;
  const a = s.dataset;
  const t = createTracker({ endpoint: new URL(s.src).origin, ...a, src: s.src } as TrackerOptions, deps);
  // The stub queues `arguments` objects, which spread like arrays.
  const queue = w.pp?.q;
  // size: an unknown command throws a TypeError naming it, which is the message a developer needs
  w.pp = (name, ...args) => (t[name] as (...x: unknown[]) => void)(...args);
  // size: map over the queue, if any, rather than a loop over `queue || []`
  queue?.map((c) => w.pp!(...c));
  // A prerendered page (Speculation Rules) may never be seen: count it once it is shown.
  d.prerendering ? d.addEventListener('prerenderingchange', () => t.pageview()) : t.pageview();
}
