import { createTracker, type Tracker, type TrackerDeps, type TrackerOptions } from './tracker';
import { whenActivated } from './when-activated';

type Command = [name: keyof Tracker, ...args: unknown[]];

/**
 * What the script tag does, shared by `pp.js` and `pp.idb.js`: options from the script's `data-*`
 * attributes (endpoint defaults to the script's own origin), the stub's queue replayed before the first
 * page view (so a queued `consent` applies to it), and `vitals.js` loaded from the script's own folder
 * when `data-vitals` is present.
 */
export function startTag(deps?: TrackerDeps, s = document.currentScript as HTMLScriptElement): void {
  const w = window as unknown as { pp?: ((...c: Command) => void) & { q?: Command[] } };
  const d = document;
  const a = s.dataset;
  const url = (file: string) => new URL(file, s.src) + '';
  const t = createTracker({ ...a, endpoint: a.endpoint || new URL(s.src).origin, ads: url('ads.js') } as TrackerOptions, deps);
  // The stub queues `arguments` objects, which spread like arrays.
  const queue = (w.pp && w.pp.q) || [];
  // size: an unknown command throws a TypeError naming it, which is the message a developer needs
  w.pp = (name, ...args) => (t[name] as (...x: unknown[]) => void)(...args);
  for (const c of queue) w.pp(...c);
  whenActivated(() => {
    t.pageview();
    if (a.vitals != null) d.head.append(Object.assign(d.createElement('script'), { src: url('vitals.js') }));
  }, d);
}
