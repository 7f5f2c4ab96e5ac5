// @vitest-environment node
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/** The tag's byte budget (SPEC §2): 2.5 KiB gzip, goal 2 KiB. `npm test` builds before it runs. */
const BUDGET = 2560;
const dist = (file: string) => fileURLToPath(new URL('../dist/' + file, import.meta.url));
const gzipped = (file: string) => gzipSync(readFileSync(dist(file)), { level: 9 }).length;

describe('size', () => {
  it(`keeps sdk/dist/pp.js within ${BUDGET} bytes gzip`, () => {
    const size = gzipped('pp.js');
    console.info(`sdk/dist/pp.js: ${size} B gzip (budget ${BUDGET}, goal 2048)`);
    expect(size).toBeLessThanOrEqual(BUDGET);
  });

  it('keeps web vitals, IndexedDB and ad rendering out of the core tag', () => {
    const core = readFileSync(dist('pp.js'), 'utf8');
    expect(core).not.toMatch(/onLCP|largest-contentful-paint|indexedDB|IntersectionObserver/);
  });

  it('keeps the debug log, test mode and no-code conversions out of the core tag (pp.debug.js and nocode.js have them)', () => {
    const core = readFileSync(dist('pp.js'), 'utf8');
    expect(core).not.toMatch(/refused|ppConversion|console\.log/);
    expect(readFileSync(dist('pp.debug.js'), 'utf8')).toMatch(/refused/);
    expect(readFileSync(dist('nocode.js'), 'utf8')).toMatch(/ppConversion/);
  });
});
