import type { UseStore } from 'idb-keyval';
import { afterEach, describe, expect, it, vi } from 'vitest';

// happy-dom has no IndexedDB: check the mapping onto idb-keyval, which has its own tests.
const connection = { close: vi.fn() };
vi.mock('idb-keyval', () => ({
  // A store function as idb-keyval makes them: it hands the callback an object store of its connection.
  createStore: vi.fn(() => vi.fn(async (_mode: string, cb: (s: unknown) => unknown) => cb({ transaction: { db: connection } }))),
  set: vi.fn(async () => {}),
  del: vi.fn(async () => {}),
  values: vi.fn(async () => [{ e: { t: 'cv', i: 'x', ts: 1 }, n: 0, w: 0 }]),
}));
const idb = await import('idb-keyval');
const { createIdbStore } = await import('./idb-store');

afterEach(() => {
  vi.clearAllMocks();
  vi.unstubAllGlobals();
});

describe('createIdbStore', () => {
  it('keeps each entry under its event_id in the perfpixel/outbox store', async () => {
    const store = createIdbStore();
    const db = vi.mocked(idb.createStore).mock.results[0]!.value;
    const entry = { e: { t: 'cv' as const, i: 'e1', ts: 1 }, n: 0, w: 0 };
    store.put(entry);
    store.del('e1');
    expect(idb.createStore).toHaveBeenCalledWith('perfpixel', 'outbox');
    expect(idb.set).toHaveBeenCalledWith('e1', entry, db);
    expect(idb.del).toHaveBeenCalledWith('e1', db);
    await expect(store.load()).resolves.toMatchObject([{ e: { i: 'x' } }]);
  });

  it('swallows a failed write, leaving the event in memory', async () => {
    vi.mocked(idb.set).mockRejectedValueOnce(new Error('QuotaExceededError'));
    await expect(createIdbStore().put({ e: { t: 'cv', i: 'e2', ts: 1 }, n: 0, w: 0 })).resolves.toBeUndefined();
  });

  it('deletes its database when cleared (consent withdrawn), after closing its connection, and opens a new one for the next write', async () => {
    const deleteDatabase = vi.fn();
    vi.stubGlobal('indexedDB', { deleteDatabase });
    const store = createIdbStore();
    store.clear!();
    await vi.waitFor(() => expect(deleteDatabase).toHaveBeenCalledWith('perfpixel'));
    // The open connection would block the deletion until the page unloads.
    expect(connection.close.mock.invocationCallOrder[0]).toBeLessThan(deleteDatabase.mock.invocationCallOrder[0]!);
    const [first, second] = vi.mocked(idb.createStore).mock.results.map((r) => r.value);
    expect(second).toBeDefined();
    store.put({ e: { t: 'cv', i: 'e3', ts: 1 }, n: 0, w: 0 });
    expect(idb.set).toHaveBeenLastCalledWith('e3', expect.anything(), second);
    expect(idb.set).not.toHaveBeenCalledWith('e3', expect.anything(), first);
  });

  it('never deletes a database it was handed', () => {
    const deleteDatabase = vi.fn();
    vi.stubGlobal('indexedDB', { deleteDatabase });
    const db = vi.fn();
    createIdbStore(db as unknown as UseStore).clear!();
    expect(db).not.toHaveBeenCalled();
    expect(deleteDatabase).not.toHaveBeenCalled();
  });
});
