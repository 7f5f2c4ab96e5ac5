import { attempt, local } from './attempt';
import type { Entry, OutboxStore } from './outbox';

/** Prefix of the outbox's localStorage keys: one key per event, so tabs never overwrite each other's events. */
export const OUTBOX_KEY_PREFIX = '_ppo.';

/**
 * The core's outbox store: localStorage, one key per event. It is the default; passing it shows the shape:
 *
 *     createTracker({ site, endpoint }, { store: createLocalStore(window) });
 *
 * Failures (storage blocked, quota) are swallowed: the outbox keeps the event in memory regardless.
 */
export const createLocalStore = (w: Window): OutboxStore => ({
  load: () =>
    attempt(() =>
      Object.keys(w.localStorage)
        .filter((k) => !k.indexOf(OUTBOX_KEY_PREFIX))
        // size: named-property read instead of getItem (our keys never shadow a Storage method)
        .map((k): Entry => JSON.parse(w.localStorage[k]!)),
    ) || [],
  put: (x) => local(w, 'setItem', OUTBOX_KEY_PREFIX + x.e.i, JSON.stringify(x)),
  del: (id) => local(w, 'removeItem', OUTBOX_KEY_PREFIX + id),
});
