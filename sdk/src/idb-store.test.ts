import { describe, expect, it, vi } from 'vitest';

// happy-dom has no IndexedDB: check the mapping onto idb-keyval, which has its own tests.
vi.mock('idb-keyval', () => ({
  createStore: vi.fn(() => 'db'),
  set: vi.fn(async () => {}),
  del: vi.fn(async () => {}),
  values: vi.fn(async () => [{ e: { t: 'cv', i: 'x', ts: 1 }, n: 0, w: 0 }]),
}));
const idb = await import('idb-keyval');
const { createIdbStore } = await import('./idb-store');

describe('createIdbStore', () => {
  it('keeps each entry under its event_id in the perfpixel/outbox store', async () => {
    const store = createIdbStore();
    const entry = { e: { t: 'cv' as const, i: 'e1', ts: 1 }, n: 0, w: 0 };
    store.put(entry);
    store.del('e1');
    expect(idb.createStore).toHaveBeenCalledWith('perfpixel', 'outbox');
    expect(idb.set).toHaveBeenCalledWith('e1', entry, 'db');
    expect(idb.del).toHaveBeenCalledWith('e1', 'db');
    await expect(store.load()).resolves.toMatchObject([{ e: { i: 'x' } }]);
  });

  it('swallows a failed write, leaving the event in memory', async () => {
    vi.mocked(idb.set).mockRejectedValueOnce(new Error('QuotaExceededError'));
    await expect(createIdbStore().put({ e: { t: 'cv', i: 'e2', ts: 1 }, n: 0, w: 0 })).resolves.toBeUndefined();
  });
});
