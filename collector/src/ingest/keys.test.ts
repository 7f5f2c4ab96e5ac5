/**
 * The collector's signed identifiers (SPEC §3.2): ad decision tokens and click IDs. Forged,
 * altered, cross-tenant and never-issued values must fail verification; then, through the app, a
 * conversion carrying one wins nothing and its explain record says why.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeys, ipBlock, type AdToken } from './keys';
import { SECRET, clickThrough, conversion, createHarness, seededBytes, seedWorld, serveAd, type Harness } from '../test-fixtures';

const keys = createKeys(SECRET);
const token: AdToken = { d: 'dec_1', si: 'site_news', s: 'slot_top', p: 'pub_news', a: 'adv_shop', c: 'cmp_main', cr: 'cr_main', v: 1, pv: 'pv_1', t: 1_796_000_000_000 };
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Every string that differs from `s` in exactly one character (over the base64url alphabet). */
function everyAlteration(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i++) for (const ch of B64) if (ch !== s[i]) out.push(s.slice(0, i) + ch + s.slice(i + 1));
  return out;
}

describe('createKeys', () => {
  it('refuses a secret shorter than 32 characters', () => {
    expect(() => createKeys('x'.repeat(31))).toThrow(/32/);
    expect(() => createKeys('x'.repeat(32))).not.toThrow();
  });

  it('round-trips an ad token and refuses it under another secret', () => {
    const tk = keys.signToken(token);
    expect(keys.verifyToken(tk)).toEqual({ ok: true, token });
    expect(createKeys('y'.repeat(40)).verifyToken(tk)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses every single-character alteration of an ad token', () => {
    const tk = keys.signToken(token);
    const accepted = everyAlteration(tk).filter((t) => keys.verifyToken(t).ok);
    expect(accepted).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['no dot', 'abc'],
    ['a leading dot', '.abc'],
    ['two dots', 'a.b.c'],
    ['characters outside base64url', 'ab+c.de/f'],
    ['a signed body that is not JSON', null],
    ['a signed body missing fields', undefined],
    ['over 1024 characters', 'a'.repeat(1020) + '.' + 'b'.repeat(10)],
  ])('answers malformed_token for %s', (_n, given) => {
    const t = given === null ? signBody('not json') : given === undefined ? signBody('{"d":"x"}') : given;
    expect(keys.verifyToken(t)).toEqual({ ok: false, reason: 'malformed_token' });
  });

  it('mints click IDs that verify only for their advertiser', () => {
    const id = keys.mintClickId('adv_shop', new Uint8Array(12).fill(7));
    expect(id).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(keys.verifyClickId(id, 'adv_shop')).toBe(true);
    expect(keys.verifyClickId(id, 'adv_other')).toBe(false);
    expect(keys.verifyClickId(id, 'adv_sho')).toBe(false);
    expect(createKeys('z'.repeat(40)).verifyClickId(id, 'adv_shop')).toBe(false);
  });

  it('refuses every single-character alteration of a click ID', () => {
    const random = seededBytes(9);
    for (let n = 0; n < 5; n++) {
      const id = keys.mintClickId('adv_shop', random(12));
      const accepted = everyAlteration(id).filter((x) => keys.verifyClickId(x, 'adv_shop'));
      expect(accepted, id).toEqual([]);
    }
  });

  it('refuses click IDs of the wrong length or alphabet without throwing', () => {
    const id = keys.mintClickId('adv_shop', new Uint8Array(12));
    for (const bad of ['', id.slice(0, 26), `${id}A`, `${id.slice(0, 26)}=`, `${id.slice(0, 26)}+`, '!'.repeat(27)]) {
      expect(keys.verifyClickId(bad, 'adv_shop'), bad).toBe(false);
    }
  });

  it('rejects a click ID minted for 12 bytes only', () => {
    expect(() => keys.mintClickId('adv_shop', new Uint8Array(11))).toThrow(RangeError);
  });

  it('derives source keys that join the same browser and tell others apart, without the raw IP', () => {
    const a = keys.sourceKey('203.0.113.1', 'UA');
    expect(keys.sourceKey('203.0.113.1', 'UA')).toBe(a);
    expect(keys.sourceKey('203.0.113.2', 'UA')).not.toBe(a);
    expect(keys.sourceKey('203.0.113.1', 'UA2')).not.toBe(a);
    expect(a).not.toContain('203');
  });
});

/** A token-shaped string whose body is `raw`, signed with the test secret's token key. */
function signBody(raw: string): string {
  const tokenKey = createHmac('sha256', SECRET).update('perfpixel:ad-token:v1').digest();
  const b = Buffer.from(raw).toString('base64url');
  return `${b}.${createHmac('sha256', tokenKey).update(b).digest().subarray(0, 16).toString('base64url')}`;
}

describe('click IDs in conversions', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('attributes nothing to a forged, altered or cross-tenant click ID, and says why in the explain record', async () => {
    h = await createHarness();
    const w = await seedWorld(h);
    const { clickId } = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
    const other = createKeys(SECRET).mintClickId('adv_other', new Uint8Array(12).fill(1));
    const forged = createKeys('q'.repeat(40)).mintClickId(w.advertiserId, new Uint8Array(12).fill(2));
    const altered = clickId!.slice(0, 5) + (clickId![5] === 'A' ? 'B' : 'A') + clickId!.slice(6);
    h.clock.advance(60_000);
    const res = await h.beacon(w.shopSiteId, [conversion(h, { o: 'F-1', k: [forged, altered, other].join(',') })]);
    expect(res.status).toBe(202);
    const [c] = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1);
    expect(c).toMatchObject({ status: 'unattributed', campaignId: null, costMicros: 0n });
    const reasons = (c!.decision as { candidates: { touchId?: string; clickId?: string; verdict: string; detail?: string }[] }).candidates;
    expect(JSON.stringify(reasons)).toContain('forged');
    expect((await h.store.reports.ledgerTotals()).groups).toBe(0);
  });
});

describe('ipBlock: what a per-IP limit counts', () => {
  it.each([
    ['an IPv4 address is itself', '203.0.113.9', '203.0.113.9'],
    ['an IPv4-mapped IPv6 address is its IPv4 address', '::ffff:203.0.113.9', '203.0.113.9'],
    ['an IPv6 address is its /64', '2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['a compressed IPv6 address is expanded first', '2001:db8::7', '2001:db8:0:0::/64'],
    ['two addresses of one /64 are one block', '2001:DB8:1:2::1', '2001:db8:1:2::/64'],
    ['leading zeros do not make another block', '2001:0db8:0001:0002::9', '2001:db8:1:2::/64'],
  ])('%s', (_name, ip, block) => {
    expect(ipBlock(ip)).toBe(block);
  });

  it('gives every address of one /64 the same IP key, and another /64 another', () => {
    const keys = createKeys(SECRET);
    expect(keys.ipKey('2001:db8:1:2::1')).toBe(keys.ipKey('2001:db8:1:2:ffff::9'));
    expect(keys.ipKey('2001:db8:1:2::1')).not.toBe(keys.ipKey('2001:db8:1:3::1'));
  });
});
