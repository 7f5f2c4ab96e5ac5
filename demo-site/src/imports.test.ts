/**
 * The demo pages' browser code may import the collector's pure core (the statement verifier runs in
 * the browser, demo-site/src/tsconfig.json) and nothing else of the collector: no store, no HTTP, no
 * Node. The DOM-only type-check refuses `node:*`; this suite refuses the collector's other folders,
 * which could otherwise slip in through a package that brings its own types.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(SRC, '../..');

/** What an import specifier of `file` may not reach, or null when it is allowed. */
function forbiddenImport(file: string, specifier: string): string | null {
  if (specifier.startsWith('node:')) return `imports ${specifier} (Node)`;
  if (!specifier.startsWith('.')) return null;
  const target = relative(ROOT, resolve(dirname(file), specifier)).split('\\').join('/');
  if (target.startsWith('demo-site/src/') || target.startsWith('collector/src/core/')) return null;
  return `imports ${target} (only demo-site/src and collector/src/core are browser code)`;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

const files = sources(SRC);

describe('demo-site browser code imports', () => {
  it('finds the pages, including the statement verifier page', () => {
    expect(files.map((f) => relative(SRC, f))).toEqual(expect.arrayContaining(['dashboard/main.ts', 'verify/main.ts', 'statement/main.ts']));
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))('%s imports only browser code and the collector’s pure core', (_name, file) => {
    const code = readFileSync(file, 'utf8');
    const specifiers = [...code.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    expect(specifiers.map((s) => forbiddenImport(file, s)).filter(Boolean)).toEqual([]);
  });

  it('refuses the collector’s store, HTTP and Node, and allows its core', () => {
    const page = join(SRC, 'statement/main.ts');
    expect(forbiddenImport(page, '../../../collector/src/core/verify-statement')).toBeNull();
    expect(forbiddenImport(page, '../../../collector/src/store/sql-chain')).toMatch(/collector\/src\/store\/sql-chain/);
    expect(forbiddenImport(page, '../../../collector/src/http/signing')).toMatch(/collector\/src\/http/);
    expect(forbiddenImport(page, 'node:crypto')).toMatch(/Node/);
    expect(forbiddenImport(page, '@noble/hashes/sha2.js')).toBeNull();
  });
});
