import { describe, expect, it } from 'vitest';
import type { Site, Store } from '../store/store';
import { createCatalogCache } from './catalog-cache';

const site = (name: string): Site => ({ id: 'site_a', ownerType: 'advertiser', ownerId: 'adv_a', name, origins: [], createdAt: 0, updatedAt: 0 });

/** A store whose catalog reads answer from `next`, or fail while `down`. */
function fakeStore() {
  const s = { down: false, next: site('v1'), reads: 0 };
  const store = {
    catalog: {
      getSite: async () => {
        s.reads++;
        if (s.down) throw new Error('connection refused');
        return s.next;
      },
    },
  } as unknown as Store;
  return { s, store };
}

describe('the catalog cache', () => {
  it('reloads a row after its TTL', async () => {
    const { s, store } = fakeStore();
    let now = 0;
    const cache = createCatalogCache(store, () => now, 1000);
    expect((await cache.site('site_a'))?.name).toBe('v1');
    s.next = site('v2');
    now = 999;
    expect((await cache.site('site_a'))?.name).toBe('v1');
    now = 1000;
    expect((await cache.site('site_a'))?.name).toBe('v2');
  });

  it('serves the last good row while the store cannot be read, and the new one once it can (log mode, issue 15)', async () => {
    const { s, store } = fakeStore();
    let now = 0;
    const cache = createCatalogCache(store, () => now, 1000);
    await cache.site('site_a');
    s.down = true;
    now = 5000;
    expect((await cache.site('site_a'))?.name).toBe('v1');
    now = 10_000;
    expect((await cache.site('site_a'))?.name).toBe('v1');
    s.down = false;
    s.next = site('v3');
    now = 15_000;
    expect((await cache.site('site_a'))?.name).toBe('v3');
  });

  it('fails a first read while the store is down, and does not remember the failure', async () => {
    const { s, store } = fakeStore();
    const cache = createCatalogCache(store, () => 0, 1000);
    s.down = true;
    await expect(cache.site('site_a')).rejects.toThrow('connection refused');
    s.down = false;
    expect((await cache.site('site_a'))?.name).toBe('v1');
  });
});
