import { describe, expect, it } from 'vitest';
import type { IngestItem } from '../ingest/items';
import { decodeItem, encodeItem, eventKeyOf, UndecodableMessage } from './codec';

const ctx = { receivedAt: 1_764_000_000_000, sourceKey: 'src', ipKey: 'ipk', ivt: null, endpoint: '/e', ip: '198.51.100.7' };
const site = { id: 'site_shop', ownerType: 'advertiser' as const, ownerId: 'adv_shop', name: 'Shop', origins: [], createdAt: 0, updatedAt: 0 };
const item = { kind: 'beacon', siteId: 'site_shop', event: { t: 'cv', i: 'evt-1', ts: 5, v: '49.90', c: 'EUR' }, at: 4, claimedAgeMs: 1, payloadHash: 'ph1', ctx, site } as IngestItem;

describe('the log message codec', () => {
  it('round-trips an item without the raw IP or the cached site row', () => {
    const bytes = encodeItem(item);
    expect(new TextDecoder().decode(bytes)).not.toContain('198.51.100.7');
    const { site: _s, ctx: { ip: _ip, ...kept }, ...rest } = item as IngestItem & { kind: 'beacon'; ctx: typeof ctx };
    expect(decodeItem(bytes)).toEqual({ ...rest, ctx: kept });
  });

  it('names a beacon by its event key and payload hash, a redirect by its click ID, a refusal not at all', () => {
    expect(eventKeyOf(item)).toBe('b:site_shop:cv:evt-1:ph1');
    const token = { d: 'd', si: 's', s: 's', p: 'p', a: 'a', c: 'c', cr: 'cr', v: 1, pv: null, t: 1 };
    expect(eventKeyOf({ kind: 'redirect_click', token, invalidReason: null, clickId: 'CLK', eventId: 'CLK', ctx })).toBe('c:CLK');
    const rejected = { receivedAt: 1, siteId: null, endpoint: '/e', eventType: null, eventId: null, reason: 'malformed_json', detail: null, payload: null };
    expect(eventKeyOf({ kind: 'rejected', rejected })).toBeUndefined();
  });

  it('refuses bytes that are not a message of this format', () => {
    for (const raw of ['nope', '{"v":2,"item":{"kind":"beacon"}}', '{"v":1,"item":{"kind":"other"}}']) {
      expect(() => decodeItem(new TextEncoder().encode(raw))).toThrow(UndecodableMessage);
    }
  });
});
