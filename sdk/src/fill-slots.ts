import { fillSlot } from './fill-slot';

/** Reports a slot's impressions to the tracker: `imp` (served) or `vi` (viewable), with the decision token. */
export type AdReport = (type: 'imp' | 'vi', token: string, pageViewId: string) => void;

/**
 * Fills every `<ins data-pp-slot>` of the page not filled yet, marking each with the page view it was
 * filled in (`data-pp-p`), so each slot gets one served impression per page view. The tracker calls it
 * on each page view; its arguments are positional because the tag and `ads.js` are minified apart.
 * `log` (the tag's debug log) hears why a slot stayed empty.
 */
export function fillSlots(
  endpoint: string,
  pageViewId: string,
  report: AdReport,
  w: Window & typeof globalThis = window,
  log: (why: unknown) => void = () => {},
): void {
  w.document.querySelectorAll<HTMLElement>('[data-pp-slot]:not([data-pp-p])').forEach((el) => {
    el.dataset.ppP = pageViewId;
    fillSlot(el, endpoint, pageViewId, (t, tk) => report(t, tk, pageViewId), w).catch(log);
  });
}
