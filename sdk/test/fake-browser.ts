/**
 * A fresh browser for each SDK test: a happy-dom Window (own DOM, cookies, localStorage, history)
 * whose transport, IntersectionObserver and clock are fakes the test controls. happy-dom's own
 * `sendBeacon` performs a real fetch and it has no IndexedDB, so nothing here touches the network.
 *
 *     const b = createFakeBrowser('https://shop.example/landing?ppclid=abc');
 *     const t = createTracker({ site: 's', endpoint: b.endpoint }, b.deps);
 *     t.pageview();
 *     await b.settle();
 *     expect(b.events()).toMatchObject([{ t: 'pv', k: 'abc' }]);
 */
import { Window as HappyWindow } from 'happy-dom';
import { vi } from 'vitest';
import type { TrackerDeps } from '../src/tracker';
import type { AdDecision } from '../src/fill-slot';
import type { WireBatch, WireEvent } from '../src/wire';

export type Win = Window & typeof globalThis;

/** One request the SDK made, with how it went out. */
export interface Sent {
  via: 'fetch' | 'beacon' | 'image';
  url: string;
  /** The parsed batch (fetch and beacon) or the query of a GET pixel. */
  batch?: WireBatch;
  query?: Record<string, string>;
  init?: RequestInit;
}

/** A fake IntersectionObserver: the test decides when and how much of an element is in view. */
export class FakeIntersectionObserver {
  static all: FakeIntersectionObserver[] = [];
  targets: Element[] = [];
  disconnected = false;
  constructor(
    public callback: (entries: { target: Element; intersectionRatio: number }[]) => void,
    public options: { threshold?: number | number[] } = {},
  ) {
    FakeIntersectionObserver.all.push(this);
  }
  observe(el: Element) {
    this.targets.push(el);
  }
  unobserve() {}
  disconnect() {
    this.disconnected = true;
  }
  /** Reports `ratio` of `el` in view, as the browser would on crossing a threshold. */
  static show(el: Element, ratio: number) {
    for (const io of FakeIntersectionObserver.all)
      if (!io.disconnected && io.targets.includes(el)) io.callback([{ target: el, intersectionRatio: ratio }]);
  }
}

/** An answer of the fake collector: a status, a status with headers (and a JSON body), a failed fetch, or none yet. */
export type Answer = number | [number, Record<string, string>, unknown?] | 'network-error' | 'pending';

export interface FakeBrowserOptions {
  /** Status and headers the collector answers to `POST /e`; a function is asked per request. */
  answer?: Answer | ((batch: WireBatch) => Answer);
  /** What `GET /ad` answers, per slot ID. */
  ads?: Record<string, AdDecision | null>;
  /** sendBeacon's return value (false: the browser refused to queue it). */
  beaconAccepted?: boolean;
  referrer?: string;
}

export const ENDPOINT = 'https://collector.example';
export const START = 1_764_400_000_000;

export function createFakeBrowser(url: string, options: FakeBrowserOptions = {}) {
  const happy = new HappyWindow({ url, settings: { navigator: { userAgent: 'test' } } });
  const win = happy as unknown as Win;
  const sent: Sent[] = [];
  let clock = START;
  if (options.referrer) Object.defineProperty(win.document, 'referrer', { value: options.referrer, configurable: true });

  win.fetch = (async (input: string, init?: RequestInit) => {
    const target = String(input);
    if (target.includes('/ad?')) {
      sent.push({ via: 'fetch', url: target, init });
      const slot = new URL(target).searchParams.get('slot')!;
      const ad = options.ads?.[slot] ?? null;
      return { status: 200, json: async () => ({ ad }) };
    }
    const batch = JSON.parse(String(init!.body)) as WireBatch;
    sent.push({ via: 'fetch', url: target, batch, init });
    const a = typeof options.answer == 'function' ? options.answer(batch) : (options.answer ?? 202);
    if (a == 'network-error') throw new TypeError('Failed to fetch');
    if (a == 'pending') return new Promise(() => {});
    const [status, headers, body] = Array.isArray(a) ? a : [a, {}, undefined];
    return {
      status,
      headers: { get: (h: string) => headers[h.toLowerCase()] ?? null },
      json: async () => (body === undefined ? Promise.reject(new SyntaxError('no JSON body')) : body),
    };
  }) as unknown as typeof fetch;
  win.navigator.sendBeacon = (target: string | URL, body?: BodyInit | null) => {
    sent.push({ via: 'beacon', url: String(target), batch: JSON.parse(String(body)) });
    return options.beaconAccepted ?? true;
  };
  win.Image = class {
    set src(v: string) {
      const u = new URL(v);
      sent.push({ via: 'image', url: u.origin + u.pathname, query: Object.fromEntries(u.searchParams) });
    }
  } as unknown as typeof Image;
  FakeIntersectionObserver.all = [];
  win.IntersectionObserver = FakeIntersectionObserver as unknown as typeof IntersectionObserver;

  const deps: TrackerDeps = { window: win, now: () => clock };

  return {
    win,
    deps,
    endpoint: ENDPOINT,
    sent,
    /** Every beacon request (not ad requests), in order. */
    beacons: () => sent.filter((s) => s.batch || s.query),
    /** Every event sent, in order (events sent twice appear twice). */
    events: (): WireEvent[] =>
      sent.flatMap((s) => (s.batch ? s.batch.e : s.query ? [s.query as unknown as WireEvent] : [])),
    /** Lets promises and microtasks run (fetch answers, load of the store). */
    settle: async () => {
      // setImmediate is not faked: it runs once every pending promise and microtask has run.
      for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
    },
    /** Moves the clock and the (fake) timers forward together. */
    advance: async (ms: number) => {
      clock += ms;
      await vi.advanceTimersByTimeAsync(ms);
    },
    now: () => clock,
    /** Makes the tab hidden or visible, firing visibilitychange. */
    setHidden(hidden: boolean) {
      Object.defineProperty(win.document, 'hidden', { value: hidden, configurable: true });
      Object.defineProperty(win.document, 'visibilityState', { value: hidden ? 'hidden' : 'visible', configurable: true });
      win.document.dispatchEvent(new win.Event('visibilitychange'));
    },
    /** The localStorage keys the SDK wrote (ours start with `_pp`). */
    storageKeys: () => Object.keys(win.localStorage).filter((k) => k.startsWith('_pp')),
    close: () => happy.happyDOM.abort(),
  };
}

export type FakeBrowser = ReturnType<typeof createFakeBrowser>;
