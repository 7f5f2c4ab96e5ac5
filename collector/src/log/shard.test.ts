import { describe, expect, it } from 'vitest';
import { createKeys } from '../ingest/keys';
import type { IngestItem, RequestContext } from '../ingest/items';
import type { Site } from '../store/store';
import { shardKeyOf, shardOf } from './shard';

const keys = createKeys('shard-test-secret-0123456789abcdef0123');
const ctx: RequestContext = { receivedAt: 1, sourceKey: 's', ivt: null, endpoint: '/e' };
const token = { d: 'dec_1', si: 'site_news', s: 'slot_1', p: 'pub_1', a: 'adv_ad', c: 'cmp_1', cr: 'cr_1', v: 1, pv: null, t: 1 };
const shop: Site = { id: 'site_shop', ownerType: 'advertiser', ownerId: 'adv_shop', name: 'Shop', origins: [], createdAt: 0, updatedAt: 0 };
const beacon = (event: Record<string, unknown>, site: Site | null = null): IngestItem =>
  ({ kind: 'beacon', siteId: site?.id ?? 'site_news', event, at: 1, payloadHash: 'h', ctx, site }) as IngestItem;

describe('shardOf', () => {
  it('gives the same shard for the same key on every call and process (FNV-1a, no seed)', () => {
    // Pinned values: changing the hash would move every advertiser to another shard's consumer.
    expect(shardOf('adv_shop', 16)).toBe(shardOf('adv_shop', 16));
    expect([shardOf('', 16), shardOf('a', 16), shardOf('adv_shop', 1024)]).toEqual([0x811c9dc5 % 16, 0xe40c292c % 16, shardOf('adv_shop', 1024)]);
    expect(shardOf('a', 2 ** 32)).toBe(0xe40c292c);
  });

  it('spreads 10,000 advertiser IDs over 16 shards within 15 % of even', () => {
    const counts = new Array<number>(16).fill(0);
    for (let k = 0; k < 10_000; k++) counts[shardOf(`adv_${k}`, 16)]!++;
    for (const c of counts) expect(Math.abs(c - 625)).toBeLessThan(625 * 0.15);
  });

  it('refuses a shard count that is not a positive integer', () => {
    expect(() => shardOf('a', 0)).toThrow(RangeError);
    expect(() => shardOf('a', 1.5)).toThrow(RangeError);
  });
});

describe('shardKeyOf', () => {
  it('keys ad events by the advertiser in their signed token, whatever site sent them', () => {
    const tk = keys.signToken(token);
    for (const t of ['imp', 'vi', 'clk']) expect(shardKeyOf(beacon({ t, i: 'e', ts: 1, tk }), keys)).toBe('adv_ad');
    expect(shardKeyOf({ kind: 'redirect_click', token, invalidReason: null, clickId: 'c', eventId: 'c', ctx }, keys)).toBe('adv_ad');
  });

  it('keys a forged ad token by its site: it bills no one', () => {
    const forged = keys.signToken(token).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(shardKeyOf(beacon({ t: 'clk', i: 'e', ts: 1, tk: forged }), keys)).toBe('site_news');
  });

  it("keys conversions and page views by the site's owner, so they meet the advertiser's clicks", () => {
    expect(shardKeyOf(beacon({ t: 'cv', i: 'e', ts: 1 }, shop), keys)).toBe('adv_shop');
    expect(shardKeyOf(beacon({ t: 'pv', i: 'e', ts: 1 }, shop), keys)).toBe('adv_shop');
    expect(shardKeyOf(beacon({ t: 'pv', i: 'e', ts: 1 }, null), keys)).toBe('site_news');
  });
});
