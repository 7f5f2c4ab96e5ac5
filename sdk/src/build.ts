/**
 * Build flags, declared once in rollup.config.mjs and replaced by terser (`global_defs`), the Plausible
 * way: plain `if (TAG)` branches that the minifier folds away. Unminified code — the npm module, the
 * unit tests — sees them false.
 */
declare const PP_TAG: boolean | undefined;
declare const PP_CORE: boolean | undefined;

/**
 * True in the script-tag builds (`pp.js`, `pp.debug.js`, `pp.idb.js`), which have no use for `TrackerDeps`' test seams
 * (window, clock) nor for the npm build's guards (the tag always knows its own `src`).
 */
export const TAG = typeof PP_TAG != 'undefined' && PP_TAG;

/**
 * True in the core tag (`pp.js`) only, whose outbox is always localStorage: nothing is injected at all,
 * and debug and test mode are handed over to `pp.debug.js`.
 */
export const CORE = typeof PP_CORE != 'undefined' && PP_CORE;
