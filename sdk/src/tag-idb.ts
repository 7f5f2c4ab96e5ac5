/**
 * The script tag with an IndexedDB outbox (idb-keyval), built to `sdk/dist/pp.idb.js`, for sites that
 * queue many events (e.g. offline-capable apps). Falls back to localStorage where IndexedDB is missing.
 */
import { createIdbStore } from './idb-store';
import { startTag } from './start-tag';

startTag(typeof indexedDB != 'undefined' ? { store: createIdbStore() } : {});
