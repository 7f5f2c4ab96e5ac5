/**
 * Everything a page's script could have left in the browser, read from inside the page and from the
 * context: `document.cookie`, localStorage, sessionStorage, every IndexedDB database (with its entry
 * count per object store), and the context's cookie jar (which also shows HttpOnly and other-domain
 * cookies that `document.cookie` cannot).
 *
 * ```ts
 * const s = await readStorage(page);
 * expect(isEmpty(s), describe(s)).toBe(true);
 * ```
 */
import type { Page } from 'playwright-core';

/** One IndexedDB database: its name and how many entries each object store holds. */
export interface IdbDatabase {
  name: string;
  stores: Record<string, number>;
}

/** A page's storage, as its own scripts can see it, plus the context's cookies. */
export interface StorageSnapshot {
  documentCookie: string;
  localStorage: Record<string, string>;
  sessionStorage: Record<string, string>;
  indexedDb: IdbDatabase[];
  /** The context's cookie jar: `name@domain`. */
  contextCookies: string[];
}

/** Reads the storage of `page`'s origin and its context's cookies. */
export async function readStorage(page: Page): Promise<StorageSnapshot> {
  const inPage = await page.evaluate(async () => {
    const dump = (s: Storage) => Object.fromEntries(Object.keys(s).map((k) => [k, s.getItem(k) ?? '']));
    const dbs = await indexedDB.databases();
    const indexedDb: { name: string; stores: Record<string, number> }[] = [];
    for (const { name } of dbs) {
      if (!name) continue;
      const db = await new Promise<IDBDatabase>((ok, fail) => {
        const r = indexedDB.open(name);
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      const stores: Record<string, number> = {};
      for (const store of Array.from(db.objectStoreNames)) {
        stores[store] = await new Promise<number>((ok, fail) => {
          const r = db.transaction(store, 'readonly').objectStore(store).count();
          r.onsuccess = () => ok(r.result);
          r.onerror = () => fail(r.error);
        });
      }
      db.close();
      indexedDb.push({ name, stores });
    }
    return { documentCookie: document.cookie, localStorage: dump(localStorage), sessionStorage: dump(sessionStorage), indexedDb };
  });
  const contextCookies = (await page.context().cookies()).map((c) => `${c.name}@${c.domain}`);
  return { ...inPage, contextCookies };
}

/** Keys of the SDK's outbox in a snapshot (`_ppo.<event id>` in localStorage, entries of IndexedDB `perfpixel`). */
export function outboxSize(s: StorageSnapshot): number {
  const ls = Object.keys(s.localStorage).filter((k) => k.startsWith('_ppo.')).length;
  const idb = s.indexedDb.filter((d) => d.name === 'perfpixel').reduce((n, d) => n + Object.values(d.stores).reduce((a, b) => a + b, 0), 0);
  return ls + idb;
}

/** Every key and entry the snapshot holds, as `where:key` strings (IndexedDB databases count by entries). */
export function storedKeys(s: StorageSnapshot): string[] {
  return [
    ...s.documentCookie.split('; ').filter(Boolean).map((c) => `cookie:${c.split('=')[0]}`),
    ...s.contextCookies.map((c) => `jar:${c}`),
    ...Object.keys(s.localStorage).map((k) => `localStorage:${k}`),
    ...Object.keys(s.sessionStorage).map((k) => `sessionStorage:${k}`),
    ...s.indexedDb.flatMap((d) => Object.entries(d.stores).filter(([, n]) => n > 0).map(([store, n]) => `indexedDB:${d.name}/${store}(${n})`)),
  ];
}
