import { afterEach, describe, expect, it } from 'vitest';
import { createFakeBrowser, type FakeBrowser } from '../test/fake-browser';
import { createLocalStore, OUTBOX_KEY_PREFIX } from './local-store';
import type { Entry } from './outbox';

const entry = (i: string): Entry => ({ e: { t: 'cv', i, ts: 1 }, n: 0, w: 0 });

describe('createLocalStore', () => {
  let b: FakeBrowser;
  afterEach(() => b.close());

  it('keeps one key per event, so two tabs never overwrite each other’s events', () => {
    b = createFakeBrowser('https://shop.example/');
    const tab1 = createLocalStore(b.win);
    const tab2 = createLocalStore(b.win);
    tab1.put(entry('a'));
    tab2.put(entry('b'));
    expect(b.storageKeys().sort()).toEqual([OUTBOX_KEY_PREFIX + 'a', OUTBOX_KEY_PREFIX + 'b']);
    expect((tab2.load() as Entry[]).map((x) => x.e.i).sort()).toEqual(['a', 'b']);
    tab1.del('a');
    expect((tab2.load() as Entry[]).map((x) => x.e.i)).toEqual(['b']);
  });

  it('loads only its own keys', () => {
    b = createFakeBrowser('https://shop.example/');
    b.win.localStorage.setItem('_ppk', '[]');
    b.win.localStorage.setItem('other', '{"e":1}');
    expect(createLocalStore(b.win).load()).toEqual([]);
  });

  it('never throws where storage is blocked or full', () => {
    b = createFakeBrowser('https://shop.example/');
    Object.defineProperty(b.win, 'localStorage', {
      get() {
        throw new DOMException('blocked', 'SecurityError');
      },
    });
    const store = createLocalStore(b.win);
    expect(() => store.put(entry('a'))).not.toThrow();
    expect(() => store.del('a')).not.toThrow();
    expect(store.load()).toEqual([]);
  });
});
