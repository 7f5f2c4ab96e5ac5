import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// collector/src/core is pure (ARCHITECTURE.md): it imports only itself and never reads the clock,
// randomness, the environment or crypto. Time and IDs come in as arguments, so every charge can be
// re-run from recorded facts. This suite reads the source of every non-test module and says why
// one is not pure.

const CORE_DIR = fileURLToPath(new URL('.', import.meta.url));

const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'reads the clock (Date.now)'],
  [/\bnew\s+Date\s*\(\s*\)/, 'reads the clock (new Date())'],
  [/\bperformance\.now\s*\(/, 'reads the clock (performance.now)'],
  [/\bMath\.random\s*\(/, 'uses randomness (Math.random)'],
  [/\bcrypto\b/, 'uses crypto'],
  [/\bprocess\./, 'reads the process (process.)'],
  [/\brequire\s*\(/, 'uses require()'],
];

/** Drops comments so that prose such as "no Date.now()" in a JSDoc does not count as a use. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Lists why a core module's source is not pure; empty when it is. */
function impurities(source: string): string[] {
  const code = stripComments(source);
  const problems: string[] = [];
  const specifiers = [
    ...code.matchAll(/\bfrom\s*['"]([^'"]+)['"]/g),
    ...code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g),
    ...code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]/g),
  ].map((m) => m[1]!);
  for (const s of specifiers) {
    if (!s.startsWith('./') || s.split('/').includes('..')) problems.push(`imports ${s} from outside collector/src/core`);
  }
  if (/\bimport\s*\(\s*[^'"\s]/.test(code)) problems.push('imports a computed module');
  for (const [pattern, why] of FORBIDDEN) if (pattern.test(code)) problems.push(why);
  return problems;
}

const modules = readdirSync(CORE_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'));

describe('collector/src/core is pure', () => {
  it('finds the core modules to check', () => {
    expect(modules).toEqual(expect.arrayContaining(['attribution.ts', 'billing.ts', 'ledger.ts', 'money.ts', 'pricing.ts']));
  });

  it.each(modules)('%s imports only its own folder and reads no clock, randomness, crypto or process', (file) => {
    expect(impurities(readFileSync(join(CORE_DIR, file), 'utf8'))).toEqual([]);
  });
});

describe('the purity checker', () => {
  it.each([
    [`import { Hono } from 'hono';`, 'imports hono from outside collector/src/core'],
    [`import type { Store } from '../store/store';`, 'imports ../store/store from outside collector/src/core'],
    [`import { x } from './../store/x';`, 'imports ./../store/x from outside collector/src/core'],
    [`import {\n  a,\n  b,\n} from "node:crypto";`, 'imports node:crypto from outside collector/src/core'],
    [`import 'zod';`, 'imports zod from outside collector/src/core'],
    [`export * from 'pg';`, 'imports pg from outside collector/src/core'],
    [`const m = await import('node:fs');`, 'imports node:fs from outside collector/src/core'],
    [`const m = await import(name);`, 'imports a computed module'],
    [`const at = Date.now();`, 'reads the clock (Date.now)'],
    [`const at = new Date().getTime();`, 'reads the clock (new Date())'],
    [`const t = performance.now();`, 'reads the clock (performance.now)'],
    [`const id = Math.random().toString(36);`, 'uses randomness (Math.random)'],
    [`const id = crypto.randomUUID();`, 'uses crypto'],
    [`const url = process.env.DATABASE_URL;`, 'reads the process (process.)'],
    [`const fs = require('fs');`, 'uses require()'],
  ])('catches %j', (source, problem) => {
    expect(impurities(source)).toContain(problem);
  });

  it.each([
    `import { DAY_MS } from './terms';`,
    `import type { Micros } from './money';`,
    `export { x } from './x';`,
    `/** Never calls Date.now() or crypto: time comes in. */\nexport const f = (at: number) => at;`,
    `// process.env is read by server.ts, not here\nexport const g = 1;`,
    `const day = new Date(at).toISOString();`,
    `const url = 'https://example.com/x'; // a URL is not a comment`,
  ])('lets a pure sample pass: %j', (source) => {
    expect(impurities(source)).toEqual([]);
  });
});
