/**
 * No-code conversions for the script tag, built to `sdk/dist/nocode.js`. The tag loads it from its
 * own folder, once, when a page view (or the end of parsing) finds a `[data-pp-conversion]` element,
 * so pages without one never download it; it reports through the page's `pp('conversion', …)`.
 */
import { onNoCodeConversion } from './on-no-code-conversion';

onNoCodeConversion(document, (x) => (window as unknown as { pp: (...a: unknown[]) => void }).pp('conversion', x));
