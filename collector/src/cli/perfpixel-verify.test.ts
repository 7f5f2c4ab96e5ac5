/**
 * `perfpixel verify` as a user runs it: `node bin/perfpixel.mjs verify <file> [--keys <file>]` in a
 * child process, on statements the collector produced (test-fixtures.ts `sampleStatements`).
 *
 * | run                                              | exit | prints                                  |
 * |--------------------------------------------------|------|-----------------------------------------|
 * | a good statement, with the well-known keys        | 0    | ✓ summary, "(trusted)", the totals       |
 * | a good statement, without --keys                  | 0    | ✓ summary, the key taken from the file   |
 * | a statement changed by one micro                  | 1    | ✗ and the chain entry                    |
 * | a good statement, keys of another operator        | 1    | ✗ the key is not trusted                 |
 * | no file, two files, an unknown option, --keys alone, a missing file, a keys file that is not one | 2 | usage or the reason |
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perfpixel } from '../../../test/e2e/support/perfpixel-cli';
import { createHarness, sampleStatements } from '../test-fixtures';

let dir: string;
let files: { good: string; publisher: string; tampered: string; keys: string; otherKeys: string; notKeys: string };
let tamperedSeq = 0;
let advertiserId = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pp-cli-'));
  const h = await createHarness();
  try {
    const s = await sampleStatements(h);
    advertiserId = s.world.advertiserId;
    // One micro moved from the platform to the publisher in the first charge: it still balances.
    const tampered = s.advertiser
      .trimEnd()
      .split('\n')
      .map((line) => {
        const l = JSON.parse(line) as { type: string; seq: number; group?: { kind: string; legs: { account: string; micros: string }[] } };
        if (tamperedSeq || l.type !== 'entry' || l.group!.kind !== 'charge') return line;
        tamperedSeq = l.seq;
        const leg = (p: (a: string) => boolean) => l.group!.legs.find((x) => p(x.account))!;
        leg((a) => a.startsWith('publisher:')).micros = String(BigInt(leg((a) => a.startsWith('publisher:')).micros) + 1n);
        leg((a) => a === 'platform').micros = String(BigInt(leg((a) => a === 'platform').micros) - 1n);
        return JSON.stringify(l);
      })
      .join('\n');
    const other = JSON.parse(s.keys) as { keys: { keyId: string; publicKey: string }[] };
    other.keys = other.keys.map((k) => ({ ...k, publicKey: Buffer.alloc(32, 3).toString('base64') }));
    files = {
      good: join(dir, 'statement.ndjson'),
      publisher: join(dir, 'publisher.ndjson'),
      tampered: join(dir, 'tampered.ndjson'),
      keys: join(dir, 'perfpixel-keys.json'),
      otherKeys: join(dir, 'other-keys.json'),
      notKeys: join(dir, 'not-keys.json'),
    };
    writeFileSync(files.good, s.advertiser);
    writeFileSync(files.publisher, s.publisher);
    writeFileSync(files.tampered, tampered);
    writeFileSync(files.keys, s.keys);
    writeFileSync(files.otherKeys, JSON.stringify(other));
    writeFileSync(files.notKeys, '{"alg":"Ed25519"}');
  } finally {
    await h.close();
  }
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('perfpixel verify', () => {
  it('exits 0 with the summary for a good statement checked against the well-known keys', async () => {
    const r = await perfpixel('verify', files.good, '--keys', files.keys);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`✓ verified: advertiser ${advertiserId}`);
    expect(r.stdout).toMatch(/\d+ entries \(\d+ charges\), \d+ re-run from their facts to the micro/);
    expect(r.stdout).toMatch(/end head signed with key [0-9a-f]{16} \(trusted\)/);
    expect(r.stdout).toMatch(new RegExp(`advertiser:${advertiserId}\\s+EUR \\d+\\.\\d{6}`));
    expect(r.stderr).toBe('');
  });

  it('exits 0 for the publisher’s statement, and with the keys --keys names wherever it stands', async () => {
    const r = await perfpixel('verify', '--keys', files.keys, files.publisher);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('✓ verified: publisher pub_news');
  });

  it('exits 0 without --keys, saying the key came from the statement itself', async () => {
    const r = await perfpixel('verify', files.good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('taken from the statement itself');
  });

  it('exits 1 and names the chain entry of a statement changed by one micro', async () => {
    const r = await perfpixel('verify', files.tampered, '--keys', files.keys);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`✗ does not verify — line `);
    expect(r.stderr).toContain(`chain entry ${tamperedSeq}: re-running`);
  });

  it('exits 1 when the statement is signed with a key the keys file does not hold', async () => {
    const r = await perfpixel('verify', files.good, '--keys', files.otherKeys);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/signature of the end head does not verify/);
  });

  it.each([
    ['no file', ['verify'], /^usage: perfpixel .*perfpixel verify <statement\.ndjson>/],
    ['two files', ['verify', 'a.ndjson', 'b.ndjson'], /^usage: perfpixel .*perfpixel verify <statement\.ndjson>/],
    ['an unknown option', ['verify', 'a.ndjson', '--key', 'k.json'], /unknown option --key/],
    ['--keys without its file', ['verify', 'a.ndjson', '--keys'], /^usage: perfpixel .*perfpixel verify <statement\.ndjson>/],
    ['no command', [], /^usage: perfpixel .*perfpixel verify <statement\.ndjson>/],
    ['another command', ['check', 'a.ndjson'], /^usage: perfpixel .*perfpixel verify <statement\.ndjson>/],
  ])('exits 2 with the usage for %s', async (_what, args, said) => {
    const r = await perfpixel(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(said);
  });

  it('exits 2 with the reason for a statement file that does not exist, or a keys file that is not the keys document', async () => {
    const missing = await perfpixel('verify', join(dir, 'nope.ndjson'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.ndjson: no such file');
    const notKeys = await perfpixel('verify', files.good, '--keys', files.notKeys);
    expect(notKeys.code).toBe(2);
    expect(notKeys.stderr).toMatch(/is not the operator's keys document/);
  });
});
