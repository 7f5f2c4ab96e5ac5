/**
 * A short-lived cache of catalog rows the hot paths read on every request (sites for CORS and
 * ownership, creatives and campaigns for redirects and ad decisions). Entries live `ttlMs`; admin
 * writes in this process clear them at once, other processes see edits within the TTL. When the
 * store cannot be read, an entry past its TTL is served as it was until a reload succeeds.
 */
import type { Campaign, Creative, Site, Slot, Store } from '../store/store';

/** Cached catalog reads. */
export interface CatalogCache {
  site(id: string): Promise<Site | null>;
  slot(id: string): Promise<Slot | null>;
  campaign(id: string): Promise<Campaign | null>;
  creative(id: string): Promise<Creative | null>;
  /** Forgets everything (after an admin write). */
  clear(): void;
}

/** Creates a catalog cache over a store. */
export function createCatalogCache(store: Store, clock: () => number, ttlMs = 5000): CatalogCache {
  const entries = new Map<string, { at: number; value: Promise<unknown> }>();
  const get = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const now = clock();
    const hit = entries.get(key);
    if (hit && now - hit.at < ttlMs) return hit.value as Promise<T>;
    // A failed reload keeps serving the last good row (the log mode's collectors keep answering
    // while PostgreSQL is away, issue 15); with nothing to fall back on the error is the answer.
    const value: Promise<T> = hit ? load().catch(() => hit.value as Promise<T>) : load();
    entries.set(key, { at: now, value });
    if (!hit) value.catch(() => entries.delete(key));
    if (entries.size > 20_000) entries.clear();
    return value;
  };
  return {
    site: (id) => get(`site:${id}`, () => store.catalog.getSite(id)),
    slot: (id) => get(`slot:${id}`, () => store.catalog.getSlot(id)),
    campaign: (id) => get(`campaign:${id}`, () => store.catalog.getCampaign(id)),
    creative: (id) => get(`creative:${id}`, () => store.catalog.getCreative(id)),
    clear: () => entries.clear(),
  };
}
