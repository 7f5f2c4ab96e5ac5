import { createStore, del, set, values, type UseStore } from 'idb-keyval';
import type { OutboxStore } from './outbox';

/**
 * An outbox store in IndexedDB (idb-keyval), for large queues; not in the core tag.
 *
 *     import { init, createIdbStore } from 'perfpixel';
 *     init({ site, endpoint }, { store: createIdbStore() });
 *
 * The script-tag form is `pp.idb.js`, which uses it where IndexedDB exists.
 */
export function createIdbStore(db: UseStore = createStore('perfpixel', 'outbox')): OutboxStore {
  return {
    load: () => values(db),
    // A failed write leaves the event in memory only; the outbox does not wait for storage.
    put: (x) => set(x.e.i, x, db).catch(() => {}),
    del: (id) => del(id, db).catch(() => {}),
  };
}
