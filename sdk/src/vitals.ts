/**
 * The web-vitals add-on, built to `sdk/dist/vitals.js` and loaded by the tag (from its own folder) only
 * when the tag has `data-vitals`. Reports LCP, INP and CLS as `wv` events linked to the page load.
 */
import { onCLS, onINP, onLCP, type Metric } from 'web-vitals';

const report = (m: Metric) => (window as unknown as { pp: (...a: unknown[]) => void }).pp('vital', m.name, m.value);
onLCP(report);
onINP(report);
onCLS(report);
