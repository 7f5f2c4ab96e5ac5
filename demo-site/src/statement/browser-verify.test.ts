/**
 * The "Verify a statement" page's verifier, run in Node: the collector's core reader and verifier
 * with the page's runtime (noble's SHA-256 and Ed25519, browser-crypto.ts) on real statements from
 * the collector, streamed from a Blob the way `File.stream()` hands them over. It gives the same
 * verdict as the CLI's node:crypto runtime, and names the entry when the file is changed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStatement } from '../../../collector/src/core/read-statement';
import { createStatementVerifier, type StatementVerdict, type TrustedKey } from '../../../collector/src/core/verify-statement';
import { verifyEd25519 as nodeVerifyEd25519 } from '../../../collector/src/http/signing';
import { nodeSha256 } from '../../../collector/src/store/sql-chain';
import { createHarness, sampleStatements, type Harness } from '../../../collector/src/test-fixtures';
import { sha256, verifyEd25519 } from './browser-crypto';

let h: Harness;
let s: Awaited<ReturnType<typeof sampleStatements>>;
let keys: TrustedKey[];

beforeEach(async () => {
  h = await createHarness();
  s = await sampleStatements(h);
  keys = (JSON.parse(s.keys) as { keys: TrustedKey[] }).keys;
});
afterEach(() => h.close());

/** A byte stream of `text` in chunks of `size` bytes (so lines and characters are split across chunks). */
function chunked(text: string, size: number): ReadableStream<BufferSource> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream<BufferSource>({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, (at += size)));
    },
  });
}

const inBrowser = (text: string | ReadableStream<BufferSource>, trusted: TrustedKey[] | null = keys, onProgress?: (p: { bytes: number; lines: number }) => void) =>
  readStatement(typeof text === 'string' ? new Blob([text]).stream() : text, createStatementVerifier({ sha256, verifyEd25519, ...(trusted ? { trustedKeys: trusted } : {}) }), onProgress ? { onProgress } : {});

const inNode = (text: string) => readStatement(new Blob([text]).stream(), createStatementVerifier({ sha256: nodeSha256, verifyEd25519: nodeVerifyEd25519, trustedKeys: keys }));

/** The statement with one line replaced by `edit` of its parsed value. */
function edited(text: string, pick: (l: Record<string, any>) => boolean, edit: (l: Record<string, any>) => void): string {
  let done = false;
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const l = JSON.parse(line) as Record<string, any>;
      if (done || !pick(l)) return line;
      done = true;
      edit(l);
      return JSON.stringify(l);
    })
    .join('\n');
}

describe('the statement page’s verifier (noble crypto, streamed)', () => {
  it('verifies the advertiser’s statement with the same verdict as the CLI’s node:crypto runtime', async () => {
    const v = await inBrowser(s.advertiser);
    expect(v).toMatchObject({ ok: true, party: { kind: 'advertiser', id: s.world.advertiserId }, trustedKey: true });
    if (!v.ok) return;
    expect(v.rerun).toBe(v.entries);
    expect(v.entries).toBeGreaterThanOrEqual(5);
    expect(v).toEqual(await inNode(s.advertiser));
  });

  it('verifies the publisher’s statement (its own legs only)', async () => {
    const v = await inBrowser(s.publisher);
    expect(v).toMatchObject({ ok: true, party: { kind: 'publisher', id: s.world.publisherId }, trustedKey: true, rerun: 0 });
  });

  it('gives the same verdict whatever the chunk size, with a character split across chunks', async () => {
    // A multi-byte character in a statement: the advertiser's name is not in it, so put one in a reason.
    const text = edited(s.advertiser, (l) => l.type === 'statement', (l) => (l.note = 'Zürich — €'));
    const whole = await inBrowser(text);
    expect(whole.ok).toBe(true);
    for (const size of [1, 7, 4096]) expect(await inBrowser(chunked(text, size))).toEqual(whole);
  });

  it('reports progress in bytes and lines as it reads', async () => {
    const seen: { bytes: number; lines: number }[] = [];
    await inBrowser(chunked(s.advertiser, 512), keys, (p) => void seen.push({ ...p }));
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)!.bytes).toBe(new TextEncoder().encode(s.advertiser).length);
    expect(seen.map((p) => p.bytes)).toEqual([...seen.map((p) => p.bytes)].sort((a, b) => a - b));
  });

  it('names the entry whose leg was changed', async () => {
    let seq = 0;
    const text = edited(s.advertiser, (l) => l.type === 'entry' && l.group.kind === 'charge', (l) => {
      seq = l.seq;
      l.group.legs[0].micros = String(BigInt(l.group.legs[0].micros) + 1n);
    });
    const v = await inBrowser(text);
    expect(v).toMatchObject({ ok: false, seq });
    expect(await inNode(text)).toEqual(v);
  });

  // The reader hands the verifier an entry's facts text as written, and the verifier hashes that
  // text (read-statement.ts splitFacts): these pin that nothing but the very text re-run is hashed.
  describe('facts hashed as written', () => {
    const entryWithFacts = (l: Record<string, any>) => l.type === 'entry' && l.facts?.rule === 'conversion';

    it('refuses facts changed by one digit in the file’s text', async () => {
      const line = s.advertiser.split('\n').find((t) => t.startsWith('{"facts":{') && t.includes('"valueMicros":"'))!;
      const changed = line.replace(/"valueMicros":"(\d)/, (_m, d: string) => `"valueMicros":"${(Number(d) % 9) + 1}`);
      expect(changed).not.toBe(line);
      const v = await inBrowser(s.advertiser.replace(line, changed));
      expect(v.ok).toBe(false);
      expect(await inNode(s.advertiser.replace(line, changed))).toEqual(v);
    });

    it('refuses a line that adds a second, changed "facts" after the group (what JSON.parse would keep)', async () => {
      const line = s.advertiser.split('\n').find((t) => t.startsWith('{"facts":{') && t.includes('"valueMicros":"'))!;
      const l = JSON.parse(line) as Record<string, any>;
      const forged = { ...l.facts, conversion: { ...l.facts.conversion, valueMicros: String(BigInt(l.facts.conversion.valueMicros) * 2n) } };
      const twice = `${line.slice(0, -1)},"facts":${JSON.stringify(forged)}}`;
      expect((JSON.parse(twice) as Record<string, any>).facts).toEqual(forged);
      expect((await inBrowser(s.advertiser.replace(line, twice))).ok).toBe(false);
    });

    it('still verifies an entry written in another key order (its facts then hashed from their canonical text)', async () => {
      const text = edited(s.advertiser, entryWithFacts, (l) => {
        const { facts, ...rest } = l;
        for (const k of Object.keys(l)) delete l[k];
        Object.assign(l, rest, { facts });
      });
      expect(text.split('\n').filter((t) => t.includes('"facts":{"') && !t.startsWith('{"facts":'))).toHaveLength(1);
      expect(await inBrowser(text)).toMatchObject({ ok: true });
    });
  });

  it('refuses a signature by a key that is not the operator’s published one', async () => {
    const v = await inBrowser(s.advertiser, [{ keyId: keys[0]!.keyId, publicKey: Buffer.alloc(32, 9).toString('base64') }]);
    expect(v).toMatchObject({ ok: false, error: expect.stringMatching(/does not verify/) });
  });

  it('says so when it had to take the key from the statement itself', async () => {
    expect(await inBrowser(s.advertiser, null)).toMatchObject({ ok: true, trustedKey: false });
  });

  it('names the line of the file that is not JSON', async () => {
    const lines = s.advertiser.trimEnd().split('\n');
    lines.splice(3, 0, '{"type": "entry", cut');
    expect(await inBrowser(lines.join('\n'))).toEqual({ ok: false, line: 4, seq: null, error: 'the line is not JSON' } satisfies StatementVerdict);
  });

  it('says a file that is not UTF-8 text is not a statement', async () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a]);
    expect(await inBrowser(new Blob([bytes]).stream())).toMatchObject({ ok: false, error: 'the file is not UTF-8 text' });
  });
});
