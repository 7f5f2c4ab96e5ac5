/**
 * Shards of the log: every event of one advertiser goes to one shard, so one billing worker owns
 * all of an advertiser's money at a time (no lock fights on its budget rows, its events in order).
 *
 * ```ts
 * shardOf('adv_shop', 16);                      // → 0…15, the same on every process and release
 * shardKeyOf(item, keys);                       // → 'adv_shop' for its impressions, clicks and conversions
 * ```
 *
 * | item                          | shard key (the advertiser)                                  |
 * |-------------------------------|-------------------------------------------------------------|
 * | impression, viewable, click beacon | `a` of its signed ad token (verified here: same secret) |
 * | click redirect `/c/:token`    | `a` of its signed ad token                                  |
 * | conversion, page view, vital  | the site's owner, from the collector's cached catalog       |
 * | anything unreadable or refused | the site ID (no money moves for it)                        |
 * | signed S2S conversion          | not in the log: direct to PostgreSQL (it needs its 201/409) |
 */
import type { IngestItem } from '../ingest/items';
import type { Keys } from '../ingest/keys';

/** The shard of a key: FNV-1a (32 bit) of its UTF-16 code units, modulo the shard count. */
export function shardOf(key: string, shards: number): number {
  if (!Number.isSafeInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`);
  // FNV-1a: stable across processes and releases (unlike a seeded hash), spreads short IDs evenly.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

/** The key an item is sharded by: its advertiser where it has one (table above). */
export function shardKeyOf(item: IngestItem, keys: Keys): string {
  switch (item.kind) {
    case 'redirect_click':
      return item.token.a;
    case 's2s':
      return item.advertiserId;
    case 'rejected':
      return item.rejected.siteId ?? '';
    case 'beacon': {
      const e = item.event;
      if (e.t === 'imp' || e.t === 'vi' || e.t === 'clk') {
        const v = keys.verifyToken(e.tk);
        // A forged or malformed token bills no one: its refusal can be written from any shard.
        return v.ok ? v.token.a : item.siteId;
      }
      return item.site?.ownerId ?? item.siteId;
    }
  }
}
