/**
 * web-vitals for the contract suites: the real library needs a browser's PerformanceObserver, and
 * what is under test is the SDK's own wiring (trackVitals → `wv` events). Each `on…` keeps its
 * callback, so a test reports a metric by hand.
 *
 * ```ts
 * vi.mock('web-vitals', () => import('./fake-web-vitals'));
 * reported.get('LCP')!({ name: 'LCP', value: 2345.6 });
 * ```
 */
type Report = (m: { name: string; value: number }) => void;

/** The callback each metric was registered with. */
export const reported = new Map<string, Report>();

export const onLCP = (cb: Report) => void reported.set('LCP', cb);
export const onINP = (cb: Report) => void reported.set('INP', cb);
export const onCLS = (cb: Report) => void reported.set('CLS', cb);
