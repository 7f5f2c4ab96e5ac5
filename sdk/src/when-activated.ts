/**
 * Runs `fn` now, or when a prerendered page is shown (Speculation Rules): a prerendered page may never
 * be seen, so it must not count page views or impressions.
 */
export const whenActivated = (fn: () => void, d: Document): void =>
  d.prerendering ? d.addEventListener('prerenderingchange', fn) : fn();
