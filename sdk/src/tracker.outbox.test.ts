import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeBrowser, START, type Answer, type FakeBrowser, type FakeBrowserOptions } from '../test/fake-browser';
import { OUTBOX_KEY_PREFIX } from './local-store';
import type { Entry, OutboxStore } from './outbox';
import type { WireBatch } from './wire';
import { createTracker, type TrackerOptions } from './tracker';

let b: FakeBrowser;
const start = (browser: FakeBrowserOptions = {}, options: Partial<TrackerOptions> = {}, url = 'https://shop.example/') => {
  b = createFakeBrowser(url, browser);
  return createTracker({ site: 'site_shop', endpoint: b.endpoint, ...options }, b.deps);
};
const stored = () =>
  b.storageKeys()
    .filter((k) => k.startsWith(OUTBOX_KEY_PREFIX))
    .map((k) => JSON.parse(b.win.localStorage.getItem(k)!) as Entry);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  vi.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => {
  b.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('outbox', () => {
  it('writes each event, with its event_id, to localStorage before the first send', () => {
    const t = start();
    let atSend: Entry[] = [];
    const fetch = b.win.fetch;
    b.win.fetch = ((...a: Parameters<typeof fetch>) => ((atSend = stored()), fetch(...a))) as typeof fetch;
    t.conversion({ action: 'purchase', value: '1' });
    expect(stored()).toMatchObject([{ e: { t: 'cv', v: '1' }, n: 0 }]);
    return b.settle().then(() => {
      expect(atSend.map((x) => x.e.i)).toEqual([b.events()[0]!.i]);
    });
  });

  it('removes an event only when the collector accepts it', async () => {
    const t = start({ answer: 202 });
    t.pageview();
    await b.settle();
    expect(b.events()).toHaveLength(1);
    expect(stored()).toEqual([]);
  });

  it('sends the events of one task in one request', async () => {
    const t = start();
    t.pageview();
    t.conversion({ action: 'a' });
    t.conversion({ action: 'b' });
    await b.settle();
    expect(b.beacons().map((s) => s.batch!.e.map((e) => e.t))).toEqual([['pv', 'cv', 'cv']]);
  });

  it('sends at most 50 events per request', async () => {
    const t = start();
    for (let i = 0; i < 120; i++) t.conversion();
    await b.settle();
    expect(b.beacons().map((s) => s.batch!.e.length)).toEqual([50, 50, 20]);
  });

  it('keeps each request under 60,000 characters: a backlog of long page views goes in several full requests', async () => {
    let online = false;
    const t = start({ answer: () => (online ? 202 : 'network-error') }, {}, 'https://shop.example/' + 'x'.repeat(1900));
    // 41 page views of ~4,000 characters each (a 1,900-character path and the previous one as referrer).
    t.pageview();
    for (let i = 0; i < 40; i++) b.win.history.pushState({}, '', '/p' + i + 'x'.repeat(1900));
    t.conversion({ orderId: 'last' });
    await b.settle();
    const offline = b.beacons().length;
    online = true;
    b.win.dispatchEvent(new b.win.Event('online'));
    await b.settle();
    const sent = b.beacons().slice(offline).map((s) => s.batch!);
    const sizes = sent.map((x) => JSON.stringify(x).length);
    expect(Math.max(...sizes)).toBeLessThan(60_000);
    // Full requests, not one event each: 14 such page views fit in one (15 with the first, which has
    // no referrer).
    expect(sent.map((x) => x.e.length)).toEqual([15, 14, 13]);
    expect(sent.flatMap((x) => x.e.map((e) => e.t))).toEqual([...Array(41).fill('pv'), 'cv']);
    expect(stored()).toEqual([]);
  });

  it('sends an event longer than the request cap on its own, never holding up the others', async () => {
    // Another platform's click ID is kept verbatim, whatever its length.
    const t = start({}, {}, 'https://shop.example/?gclid=' + 'g'.repeat(70_000));
    t.pageview();
    t.conversion({ orderId: 'A-1' });
    await b.settle();
    expect(b.beacons().map((s) => s.batch!.e.map((e) => e.t))).toEqual([['pv'], ['cv']]);
  });

  it.each([400, 401, 403, 409, 410, 413, 415, 422])('drops events refused with %i, says why in debug mode, and never resends them', async (status) => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const t = start({ answer: status }, { debug: true });
    t.conversion({ action: 'purchase' });
    await b.settle();
    await b.advance(3_600_000);
    expect(b.beacons()).toHaveLength(1);
    expect(stored()).toEqual([]);
    expect(log).toHaveBeenCalledWith('[pp]', status, expect.objectContaining({ e: [expect.objectContaining({ t: 'cv' })] }));
  });

  it('prints each refused event of an accepted batch with its reason in debug mode', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const refuse = (batch: WireBatch): Answer => {
      const cv = batch.e.find((e) => e.t == 'cv')!;
      return [202, {}, { accepted: 1, duplicate: 0, rejected: [{ i: cv.i, reason: 'declared_bot' }], conflict: [] }];
    };
    const t = start({ answer: refuse }, { debug: true });
    t.pageview();
    t.conversion({ action: 'purchase', orderId: 'A-1' });
    await b.settle();
    expect(log).toHaveBeenCalledWith('[pp]', 202, expect.objectContaining({ s: 'site_shop' }));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('[pp] refused', 'declared_bot', expect.objectContaining({ t: 'cv', o: 'A-1' }));
  });

  it('prints the reason a whole batch was refused in debug mode', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = start({ answer: [403, {}, { error: 'origin_not_allowed', reason: 'https://shop.example may not send beacons for site site_shop' }] }, { debug: true });
    t.conversion();
    await b.settle();
    expect(warn).toHaveBeenCalledWith('[pp] refused', 'https://shop.example may not send beacons for site site_shop', expect.objectContaining({ s: 'site_shop' }));
  });

  it('logs nothing without debug mode', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    start({ answer: [400, {}, { error: 'invalid_batch', reason: 'e: too many' }] }).conversion();
    await b.settle();
    expect(log).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });

  it('logs every beacon in debug mode, also when turned on by ?pp_debug=1', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    start({}, {}, 'https://shop.example/?pp_debug=1').pageview();
    await b.settle();
    expect(log).toHaveBeenCalledWith('[pp]', 'send', b.beacons()[0]!.batch);
  });

  it('retries server errors with exponential backoff, keeping the event until it is accepted', async () => {
    const answers: Answer[] = [503, 500, 'network-error', 202];
    const t = start({ answer: () => answers.shift()! });
    t.conversion({ action: 'purchase' });
    await b.settle();
    expect(b.beacons()).toHaveLength(1);
    await b.advance(999);
    expect(b.beacons()).toHaveLength(1);
    await b.advance(1);
    expect(b.beacons()).toHaveLength(2);
    await b.advance(2000);
    expect(b.beacons()).toHaveLength(3);
    await b.advance(4000);
    expect(b.beacons()).toHaveLength(4);
    expect(stored()).toEqual([]);
    const ids = new Set(b.events().map((e) => e.i));
    expect(ids.size).toBe(1);
  });

  it('waits as long as Retry-After asks on 429 and 503', async () => {
    let first = true;
    const t = start({ answer: () => (first ? ((first = false), [429, { 'retry-after': '120' }]) : 202) });
    t.conversion();
    await b.settle();
    await b.advance(119_999);
    expect(b.beacons()).toHaveLength(1);
    await b.advance(1);
    expect(b.beacons()).toHaveLength(2);
  });

  it('keeps retrying a conversion, but never more often than every 30 minutes', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999);
    const t = start({ answer: 503 });
    t.conversion();
    await b.settle();
    for (let i = 0; i < 12; i++) await b.advance(30 * 60_000);
    const times = b.beacons().map((s) => s.batch!.n);
    const gaps = times.slice(1).map((n, i) => n - times[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30 * 60_000);
    expect(gaps.at(-1)).toBeGreaterThan(15 * 60_000);
    expect(stored()).toHaveLength(1);
  });

  it('sends what an earlier page left in the outbox when the next page loads', async () => {
    b = createFakeBrowser('https://shop.example/');
    const left = { e: { t: 'cv', i: 'left-over-1', ts: START - 5000, a: 'purchase' }, n: 3, w: START - 1 };
    b.win.localStorage.setItem(OUTBOX_KEY_PREFIX + 'left-over-1', JSON.stringify(left));
    b.win.localStorage.setItem('unrelated', 'x');
    createTracker({ site: 's', endpoint: b.endpoint }, b.deps);
    await b.settle();
    expect(b.events()).toMatchObject([{ i: 'left-over-1', t: 'cv' }]);
    expect(stored()).toEqual([]);
    expect(b.win.localStorage.getItem('unrelated')).toBe('x');
  });

  it('sends what an earlier page left mid-backoff when it is due, not before, though nothing else happens', async () => {
    b = createFakeBrowser('https://shop.example/');
    const left = { e: { t: 'cv', i: 'left-over-2', ts: START - 5000, a: 'purchase' }, n: 1, w: START + 1500 };
    b.win.localStorage.setItem(OUTBOX_KEY_PREFIX + 'left-over-2', JSON.stringify(left));
    createTracker({ site: 's', endpoint: b.endpoint }, b.deps);
    await b.settle();
    expect(b.events()).toEqual([]);
    await b.advance(1499);
    expect(b.events()).toEqual([]);
    await b.advance(1);
    expect(b.events()).toMatchObject([{ i: 'left-over-2', t: 'cv' }]);
    expect(stored()).toEqual([]);
  });

  it('flushes at once when the browser comes back online, even during a backoff', async () => {
    let online = false;
    const t = start({ answer: () => (online ? 202 : 'network-error') });
    t.conversion();
    await b.settle();
    online = true;
    b.win.dispatchEvent(new b.win.Event('online'));
    await b.settle();
    expect(b.beacons()).toHaveLength(2);
    expect(stored()).toEqual([]);
  });

  it('drops the oldest non-money events past 500, never a conversion', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const t = start({ answer: 503 }, { debug: '' });
    t.conversion({ orderId: 'first' });
    await b.settle();
    for (let i = 0; i < 520; i++) t.vital('LCP', i);
    t.conversion({ orderId: 'last' });
    await b.settle();
    const left = stored();
    expect(left).toHaveLength(500);
    expect(left.filter((x) => x.e.t == 'cv').map((x) => x.e.o).sort()).toEqual(['first', 'last']);
    expect(left.filter((x) => x.e.t == 'wv').map((x) => x.e.mv)[0]).toBe(22);
    expect(log).toHaveBeenCalledWith('[pp]', 'cap', expect.objectContaining({ e: expect.objectContaining({ t: 'wv', mv: 0 }) }));
  });

  it('drops the oldest non-money events past 500, never a click (CPC money)', async () => {
    const t = start({ answer: 503 });
    t.click('tk-first');
    await b.settle();
    for (let i = 0; i < 520; i++) t.vital('LCP', i);
    t.click('tk-last');
    await b.settle();
    const left = stored();
    expect(left).toHaveLength(500);
    expect(left.filter((x) => x.e.t == 'clk').map((x) => x.e.tk).sort()).toEqual(['tk-first', 'tk-last']);
  });

  it('keeps clicks over the cap rather than dropping one silently', async () => {
    const t = start({ answer: 503 });
    for (let i = 0; i < 505; i++) t.click('tk' + i);
    await b.settle();
    expect(stored()).toHaveLength(505);
  });

  it('drops old non-money events past 256 KiB', async () => {
    const t = start({ answer: 503 }, {}, 'https://shop.example/' + 'x'.repeat(1800));
    for (let i = 0; i < 200; i++) t.pageview(), b.win.history.pushState({}, '', '/p' + i + 'x'.repeat(1800));
    await b.settle();
    // The cap counts the outbox as it is when an event is added; retries only grow `n` and `w` a little.
    expect(JSON.stringify(stored().map((x) => x.e)).length).toBeLessThanOrEqual(256 * 1024);
    expect(JSON.stringify(stored().map((x) => x.e)).length).toBeGreaterThan(250 * 1024);
    expect(stored().length).toBeLessThan(200);
  });

  it('keeps conversions over the cap rather than dropping one silently', async () => {
    const t = start({ answer: 503 });
    for (let i = 0; i < 510; i++) t.conversion({ orderId: 'o' + i });
    await b.settle();
    expect(stored()).toHaveLength(510);
  });

  it('uses an injected store, e.g. IndexedDB, instead of localStorage', async () => {
    const saved = new Map<string, Entry>();
    const store: OutboxStore = {
      load: async () => [...saved.values()],
      put: (x) => saved.set(x.e.i, x),
      del: (id) => saved.delete(id),
    };
    b = createFakeBrowser('https://shop.example/', { answer: 503 });
    const t = createTracker({ site: 's', endpoint: b.endpoint }, { ...b.deps, store });
    t.conversion();
    await b.settle();
    expect([...saved.values()]).toMatchObject([{ e: { t: 'cv' }, n: 1 }]);
    expect(stored()).toEqual([]);
  });

  it('keeps working in memory where localStorage is blocked', async () => {
    b = createFakeBrowser('https://shop.example/?ppclid=c1');
    Object.defineProperty(b.win, 'localStorage', {
      get() {
        throw new DOMException('denied', 'SecurityError');
      },
    });
    const t = createTracker({ site: 's', endpoint: b.endpoint }, b.deps);
    t.pageview();
    t.conversion();
    await b.settle();
    expect(b.events()).toMatchObject([{ t: 'pv', k: 'c1' }, { t: 'cv', k: 'c1' }]);
  });
});

describe('transport when the page goes away', () => {
  it('uses sendBeacon when the tab is hidden, and keeps the events until a fetch is answered', async () => {
    const t = start({ answer: 202 });
    t.conversion();
    b.setHidden(true);
    expect(b.sent.map((s) => s.via)).toEqual(['beacon']);
    expect(b.beacons()[0]!.url).toBe('https://collector.example/e');
    expect(stored()).toHaveLength(1);
    await b.settle();
    expect(b.sent.map((s) => s.via)).toEqual(['beacon']);
  });

  it('uses sendBeacon on pagehide, without resending what a live fetch is carrying', async () => {
    const t = start({ answer: () => 'pending' });
    t.conversion();
    await b.settle();
    t.pageview();
    b.win.dispatchEvent(new b.win.Event('pagehide'));
    expect(b.sent.map((s) => s.via)).toEqual(['fetch', 'beacon']);
    expect(b.beacons()[1]!.batch!.e.map((e) => e.t)).toEqual(['pv']);
  });

  it('falls back to one GET /p.gif per event when sendBeacon refuses the batch', () => {
    const t = start({ beaconAccepted: false });
    t.conversion({ action: 'purchase', value: '9.99', currency: 'EUR' });
    b.setHidden(true);
    expect(b.sent.map((s) => s.via)).toEqual(['beacon', 'image']);
    expect(b.sent[1]).toMatchObject({
      url: 'https://collector.example/p.gif',
      query: { s: 'site_shop', t: 'cv', a: 'purchase', v: '9.99', c: 'EUR', ts: String(START) },
    });
    expect(b.sent[1]!.query!.i).toMatch(/^\d{13}[0-9a-f-]{26}$/);
  });

  it('sends the events left after a hidden tab with fetch when it is shown again', async () => {
    const t = start({ answer: 202 });
    t.conversion();
    b.setHidden(true);
    await b.advance(31_000);
    b.setHidden(false);
    await b.settle();
    expect(b.sent.map((s) => s.via)).toEqual(['beacon', 'fetch']);
    expect(stored()).toEqual([]);
  });
});
