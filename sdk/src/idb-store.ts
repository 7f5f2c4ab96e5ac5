import { createStore, del, set, values, type UseStore } from 'idb-keyval';
import type { OutboxStore } from './outbox';

/** The database (and object store) of the IndexedDB outbox. */
const DB_NAME = 'perfpixel';

/**
 * An outbox store in IndexedDB (idb-keyval), for large queues; not in the core tag.
 *
 *     import { init, createIdbStore } from 'perfpixel';
 *     init({ site, endpoint }, { store: createIdbStore() });
 *
 * The script-tag form is `pp.idb.js`, which uses it where IndexedDB exists. A store handed in as
 * `db` is used as is and never deleted; the default one deletes its database when cleared.
 */
export function createIdbStore(db?: UseStore): OutboxStore {
  const open = () => db || createStore(DB_NAME, 'outbox');
  let store = open();
  return {
    load: () => values(store),
    // A failed write leaves the event in memory only; the outbox does not wait for storage.
    put: (x) => set(x.e.i, x, store).catch(() => {}),
    del: (id) => del(id, store).catch(() => {}),
    // analytics_storage withdrawn: its entries are gone (deleted one by one), and so goes the empty
    // database. idb-keyval keeps its connection open, which would block the deletion until the page
    // unloads: it is closed once the requests before it are done, and the next use (consent given
    // again) opens a new one.
    clear() {
      if (!db) {
        store('readonly', (s) => (s.transaction.db.close(), indexedDB.deleteDatabase(DB_NAME))).catch(() => {});
        store = open();
      }
    },
  };
}
