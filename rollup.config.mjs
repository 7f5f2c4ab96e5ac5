// Every built file is declared here, once (the web-vitals model: a bigger build wraps the small one).
//
//   sdk/dist/pp.js       core script tag (IIFE, minified) — size budget 2,560 B gzip, checked by npm test
//   sdk/dist/index.mjs   npm ESM build, types in sdk/dist/index.d.ts
//   sdk/dist/vitals.js   lazy web-vitals add-on, loaded by the tag from its own origin
//   sdk/dist/ads.js      lazy ad-slot renderer, loaded by the tag when a page has <ins data-pp-slot>
//   sdk/dist/nocode.js   lazy no-code conversions (data-pp-conversion), loaded by the tag when a page has one
//   sdk/dist/pp.debug.js the tag with the debug log and test mode, which pp.js hands over to in either mode
//   sdk/dist/pp.idb.js   the tag with an IndexedDB outbox (idb-keyval) instead of localStorage
//   demo-site/dist/*     the dashboard's, "verify my tag"'s and "verify a statement"'s browser code
//                        (uPlot, the collector's verifier and noble's SHA-256 / Ed25519 bundled, no CDN),
//                        plus dashboard.css (uPlot's stylesheet + ours)
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';

const sdkTs = (extra = {}) =>
  typescript({ tsconfig: 'sdk/tsconfig.json', compilerOptions: { noEmit: false, declaration: false, ...extra } });

// size: terser with three passes and unsafe arrows, function declarations hoisted (−9 B gzip on pp.js,
// −15 B on vitals.js); property mangling only for `_`-prefixed internals. `defs` are the build flags
// (sdk/src/build.ts), replaced and folded by terser; `compress` adds options for one build.
const minify = (defs = {}, compress = {}) =>
  terser({
    ecma: 2019,
    compress: { passes: 3, unsafe_arrows: true, pure_getters: true, hoist_funs: true, global_defs: defs, ...compress },
    mangle: { properties: { regex: /^_/ } },
    format: { comments: false },
  });

// The script-tag builds: no test seams, no npm-only guards; the core tag injects nothing (sdk/src/build.ts).
// size: their only boolean literals (fetch's keepalive, addEventListener's capture) may be 1, which
// WebIDL converts to true (−3 B gzip on pp.js); not for vitals.js, whose library code is not ours to check.
const tagMinify = (core) => minify({ PP_TAG: true, PP_CORE: core }, { booleans_as_integers: true });

/** size: rollup ends a chunk with a newline; in pp.js that one byte cost 4 B gzip (a symbol of its own). */
const noFinalNewline = () => ({
  name: 'no-final-newline',
  generateBundle(_, bundle) {
    for (const chunk of Object.values(bundle)) if (chunk.type == 'chunk') chunk.code = chunk.code.trimEnd();
  },
});

/** Writes sdk/dist/index.d.ts pointing at the declarations tsc emitted into sdk/dist/types. */
const typesEntry = () => ({
  name: 'types-entry',
  writeBundle() {
    mkdirSync('sdk/dist', { recursive: true });
    writeFileSync('sdk/dist/index.d.ts', "export * from './types/index.js';\n");
  },
});

// The demo pages' browser code is checked against DOM types only (demo-site/src/tsconfig.json).
const demoTs = () =>
  typescript({ tsconfig: 'demo-site/src/tsconfig.json', compilerOptions: { noEmit: false, declaration: false, outDir: 'demo-site/dist' } });

/** Writes demo-site/dist/dashboard.css: uPlot's stylesheet, then ours and the verify page's (no CSS pipeline needed for three files). */
const demoCss = () => {
  const files = ['node_modules/uplot/dist/uPlot.min.css', 'demo-site/src/dashboard/dashboard.css', 'demo-site/src/verify/verify.css'];
  return {
    name: 'demo-css',
    buildStart() {
      for (const f of files) this.addWatchFile(f);
    },
    writeBundle() {
      mkdirSync('demo-site/dist', { recursive: true });
      writeFileSync('demo-site/dist/dashboard.css', files.map((f) => readFileSync(f, 'utf8')).join('\n'));
    },
  };
};

export default [
  {
    input: 'sdk/src/tag.ts',
    output: { file: 'sdk/dist/pp.js', format: 'iife', strict: false },
    plugins: [sdkTs(), tagMinify(true), noFinalNewline()],
  },
  {
    input: 'sdk/src/index.ts',
    external: ['web-vitals', 'idb-keyval'],
    output: { file: 'sdk/dist/index.mjs', format: 'es' },
    plugins: [sdkTs({ declaration: true, declarationDir: 'sdk/dist/types', outDir: 'sdk/dist' }), typesEntry()],
  },
  {
    input: 'sdk/src/vitals.ts',
    output: { file: 'sdk/dist/vitals.js', format: 'iife' },
    plugins: [nodeResolve(), sdkTs(), minify(), noFinalNewline()],
  },
  {
    input: 'sdk/src/ads.ts',
    output: { file: 'sdk/dist/ads.js', format: 'iife', strict: false },
    plugins: [sdkTs(), minify(), noFinalNewline()],
  },
  {
    input: 'sdk/src/nocode.ts',
    output: { file: 'sdk/dist/nocode.js', format: 'iife', strict: false },
    plugins: [sdkTs(), minify(), noFinalNewline()],
  },
  {
    input: 'sdk/src/tag.ts',
    output: { file: 'sdk/dist/pp.debug.js', format: 'iife', strict: false },
    plugins: [sdkTs(), tagMinify(false), noFinalNewline()],
  },
  {
    input: 'sdk/src/tag-idb.ts',
    output: { file: 'sdk/dist/pp.idb.js', format: 'iife', strict: false },
    plugins: [nodeResolve(), sdkTs(), tagMinify(false), noFinalNewline()],
  },
  {
    input: 'demo-site/src/dashboard/main.ts',
    output: { file: 'demo-site/dist/dashboard.js', format: 'iife' },
    plugins: [nodeResolve(), demoTs(), terser(), demoCss()],
  },
  {
    input: 'demo-site/src/verify/main.ts',
    output: { file: 'demo-site/dist/verify.js', format: 'iife' },
    plugins: [nodeResolve(), demoTs(), terser()],
  },
  {
    input: 'demo-site/src/statement/main.ts',
    output: { file: 'demo-site/dist/verify-statement.js', format: 'iife' },
    plugins: [nodeResolve(), demoTs(), terser()],
  },
];
