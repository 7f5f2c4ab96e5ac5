import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeBrowser, START, type FakeBrowser, type FakeBrowserOptions } from '../test/fake-browser';
import { CLICK_IDS_KEY } from './click-ids';
import type { AdDecision } from './fill-slot';
import { fillSlots } from './fill-slots';
import { createTracker, type TrackerOptions } from './tracker';

let b: FakeBrowser;
const start = (url: string, options: Partial<TrackerOptions> = {}, browser: FakeBrowserOptions = {}) => {
  b = createFakeBrowser(url, browser);
  return createTracker({ site: 'site_shop', endpoint: b.endpoint, ...options }, b.deps);
};
/** An event or page-view ID as event-id.ts makes it: 13 digits of time, 26 characters of a UUID. */
const EVENT_ID = /^\d{13}[0-9a-f-]{26}$/;
/** The same, made at START on the tracker's own clock (deps.now), not the machine's. */
const MADE_AT_START = new RegExp(`^${START}[0-9a-f-]{26}$`);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  b.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('page views', () => {
  it('sends a page view with the page and referrer as origin + path only', async () => {
    const t = start('https://shop.example/p/shoes?email=a@b.example#top', {}, { referrer: 'https://news.example/story?id=9#c' });
    t.pageview();
    await b.settle();
    expect(b.beacons()).toHaveLength(1);
    const [batch] = b.beacons().map((s) => s.batch!);
    expect(batch).toMatchObject({ s: 'site_shop', n: START });
    expect(batch!.e).toEqual([
      { t: 'pv', i: expect.stringMatching(MADE_AT_START), ts: START, p: expect.stringMatching(MADE_AT_START), u: 'https://shop.example/p/shoes', r: 'https://news.example/story' },
    ]);
  });

  it('posts text/plain JSON with keepalive, which needs no CORS preflight', async () => {
    start('https://shop.example/').pageview();
    await b.settle();
    const { url, init } = b.sent[0]!;
    expect(url).toBe('https://collector.example/e');
    expect(init).toMatchObject({ method: 'POST', keepalive: true });
    expect(typeof init!.body).toBe('string');
    expect(init!.headers).toBeUndefined();
  });

  it('gives each page view its own ID and each event its own event_id', async () => {
    const t = start('https://shop.example/');
    t.pageview();
    b.win.history.pushState({}, '', '/next');
    await b.settle();
    const [a, c] = b.events();
    expect(a!.p).not.toBe(c!.p);
    expect(a!.i).not.toBe(c!.i);
  });
});

describe('click IDs', () => {
  it('captures ppclid into a cookie and localStorage, and sends it as k with other platforms’ IDs', async () => {
    const t = start('https://shop.example/landing?ppclid=pp_1&gclid=G.1&fbclid=F1');
    t.pageview();
    await b.settle();
    expect(b.events()[0]).toMatchObject({ t: 'pv', k: 'pp_1', gclid: 'G.1', fbclid: 'F1' });
    expect(b.win.document.cookie).toContain(CLICK_IDS_KEY + '=');
    expect(JSON.parse(b.win.localStorage.getItem(CLICK_IDS_KEY)!)).toEqual(
      expect.arrayContaining([['ppclid', 'pp_1', START]]),
    );
  });

  it('sends the held click IDs, newest first, with a conversion on a later page', async () => {
    let t = start('https://shop.example/landing?ppclid=first');
    t.pageview();
    b.win.history.pushState({}, '', '/other-landing?ppclid=second');
    b.win.history.pushState({}, '', '/checkout');
    t.conversion({ action: 'purchase' });
    await b.settle();
    expect(b.events().at(-1)).toMatchObject({ t: 'cv', k: 'second,first' });
  });

  it('writes no cookie and no storage for a visitor who did not come from an ad', async () => {
    start('https://shop.example/', {}, { answer: 202 }).pageview();
    await b.settle();
    expect(b.win.document.cookie).toBe('');
    expect(b.storageKeys()).toEqual([]);
  });

  it('reads a configured click-ID parameter', async () => {
    start('https://shop.example/?ppclid=no&adref=yes', { clickParam: 'adref' }).pageview();
    await b.settle();
    expect(b.events()[0]!.k).toBe('yes');
  });

  it('keeps the cookie for the configured number of days', async () => {
    const t = start('https://shop.example/?ppclid=a', { clickDays: '30' });
    const writes: string[] = [];
    let proto = b.win.document;
    while (!Object.getOwnPropertyDescriptor(proto, 'cookie')) proto = Object.getPrototypeOf(proto);
    const jar = Object.getOwnPropertyDescriptor(proto, 'cookie')!;
    Object.defineProperty(b.win.document, 'cookie', {
      configurable: true,
      get: () => jar.get!.call(b.win.document),
      set: (v: string) => (writes.push(v), jar.set!.call(b.win.document, v)),
    });
    t.pageview();
    expect(writes.at(-1)).toContain(';max-age=' + 30 * 86400);
  });
});

describe('UTM parameters', () => {
  const campaign = 'https://shop.example/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring';

  it('captures them with the landing and reports them with a conversion on a later page', async () => {
    const t = start(campaign);
    t.pageview();
    b.win.history.pushState({}, '', '/checkout');
    t.conversion({ action: 'purchase' });
    await b.settle();
    const utm = { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'spring' };
    expect(b.events()).toMatchObject([{ t: 'pv', u: 'https://shop.example/landing', ...utm }, { t: 'pv' }, { t: 'cv', ...utm }]);
    // Kept with the click IDs, so a later page load of the same visitor still has them.
    const next = createTracker({ site: 'site_shop', endpoint: b.endpoint }, b.deps);
    next.conversion({ action: 'signup' });
    await b.settle();
    expect(b.events().at(-1)).toMatchObject({ t: 'cv', a: 'signup', ...utm });
  });

  it('sends them only while ad_storage is granted, like the other platforms’ IDs', async () => {
    const t = start(campaign, { consent: 'required' });
    t.pageview();
    await b.settle();
    expect(b.events()[0]).not.toHaveProperty('utm_source');
    t.consent({ ad_storage: 'granted' });
    t.conversion();
    await b.settle();
    expect(b.events().at(-1)).toMatchObject({ t: 'cv', utm_source: 'newsletter' });
  });
});

describe('test mode', () => {
  it('starts every event ID with the test code of ?pp_test=CODE, and keeps the code for the next pages of the session', async () => {
    const t = start('https://shop.example/?pp_test=Abc123');
    t.pageview();
    t.conversion();
    await b.settle();
    expect(b.events().map((e) => e.i)).toEqual([expect.stringMatching(/^Abc123_\d{13}[0-9a-f-]{26}$/), expect.stringMatching(/^Abc123_\d{13}[0-9a-f-]{26}$/)]);
    expect(b.win.document.cookie).toContain('pp_test=Abc123');
    b.win.history.pushState({}, '', '/thanks');
    const next = createTracker({ site: 'site_shop', endpoint: b.endpoint }, b.deps);
    next.conversion();
    await b.settle();
    expect(b.events().at(-1)!.i).toMatch(/^Abc123_/);
  });

  it('leaves event IDs unprefixed outside test mode, and ignores a code that would make them too long', async () => {
    const t = start('https://shop.example/?pp_test=' + 'a'.repeat(25));
    t.pageview();
    await b.settle();
    expect(b.events()[0]!.i).toMatch(EVENT_ID);
    expect(b.win.document.cookie).toBe('');
  });
});

describe('conversions', () => {
  it('sends a conversion at once, with the value as an exact decimal string', async () => {
    const t = start('https://shop.example/checkout');
    t.conversion({ action: 'purchase', value: '49.90', currency: 'EUR', orderId: 'A-1001' });
    await b.settle();
    expect(b.events()).toEqual([
      { t: 'cv', i: expect.stringMatching(EVENT_ID), ts: START, p: expect.stringMatching(EVENT_ID), a: 'purchase', v: '49.90', c: 'EUR', o: 'A-1001', u: 'https://shop.example/checkout' },
    ]);
  });

  it('rounds a number value to micros with toFixed(6), never with float arithmetic, and sends a string as given', async () => {
    const t = start('https://shop.example/');
    t.conversion({ value: 0.1 + 0.2 });
    t.conversion({ value: 0 });
    t.conversion({ value: 19.9 });
    t.conversion({ value: '19.90' });
    await b.settle();
    // The collector takes at most 6 decimals: String(0.1 + 0.2) is "0.30000000000000004".
    expect(b.events().map((e) => e.v)).toEqual(['0.300000', '0.000000', '19.900000', '19.90']);
  });

  it('leaves out what the conversion does not have (no empty keys on the wire)', async () => {
    start('https://shop.example/').conversion();
    await b.settle();
    expect(Object.keys(b.events()[0]!).sort()).toEqual(['i', 'p', 't', 'ts', 'u']);
  });

  it('counts a click on a data-pp-conversion element, with its value and currency', async () => {
    start('https://shop.example/');
    b.win.document.body.innerHTML =
      '<button data-pp-conversion="signup" data-pp-value="5" data-pp-currency="USD"><b>Join</b></button>';
    b.win.document.querySelector('b')!.click();
    await b.settle();
    expect(b.events()).toMatchObject([{ t: 'cv', a: 'signup', v: '5', c: 'USD' }]);
  });

  it('counts a data-pp-conversion form when it is submitted, not when it is clicked', async () => {
    start('https://shop.example/');
    b.win.document.body.innerHTML = '<form data-pp-conversion="lead"><input name="q"><button>Send</button></form>';
    const form = b.win.document.querySelector('form')!;
    form.querySelector('input')!.click();
    await b.settle();
    expect(b.events()).toEqual([]);
    form.addEventListener('submit', (e) => e.preventDefault());
    form.requestSubmit();
    await b.settle();
    expect(b.events()).toMatchObject([{ t: 'cv', a: 'lead' }]);
  });

  it('sends a clk beacon with the decision token for a custom-rendered ad', async () => {
    start('https://news.example/').click('tok-9');
    await b.settle();
    expect(b.events()).toMatchObject([{ t: 'clk', tk: 'tok-9' }]);
  });
});

describe('consent', () => {
  const landing = 'https://shop.example/landing?ppclid=c1&gclid=g1';

  it('writes nothing to cookies or storage before consent when consent is required', async () => {
    const t = start(landing, { consent: 'required' });
    t.pageview();
    t.conversion({ action: 'purchase' });
    await b.settle();
    expect(b.win.document.cookie).toBe('');
    expect(b.storageKeys()).toEqual([]);
    expect(b.events()).toMatchObject([{ t: 'pv', cl: '1' }, { t: 'cv', cl: '1' }]);
    expect(b.events().some((e) => e.k || e.gclid)).toBe(false);
  });

  it('stores the click IDs seen before consent once ad_storage is granted', async () => {
    const t = start(landing, { consent: 'required' });
    t.pageview();
    b.win.history.pushState({}, '', '/product');
    t.consent({ ad_storage: 'granted', analytics_storage: 'granted' });
    t.conversion({ action: 'purchase' });
    await b.settle();
    expect(b.events().at(-1)).toMatchObject({ t: 'cv', k: 'c1', gclid: 'g1' });
    expect(b.events().at(-1)!.cl).toBeUndefined();
    expect(b.storageKeys()).toContain(CLICK_IDS_KEY);
  });

  it('keeps the outbox in memory while analytics_storage is denied', async () => {
    const t = start('https://shop.example/', { consent: 'required' }, { answer: 503 });
    t.consent({ ad_storage: 'granted' });
    t.conversion({ action: 'purchase' });
    await b.settle();
    expect(b.storageKeys().filter((k) => k.startsWith('_ppo.'))).toEqual([]);
  });

  it('removes its cookie and storage keys when consent is withdrawn', async () => {
    const t = start(landing, {}, { answer: 503 });
    t.pageview();
    await b.settle();
    expect(b.storageKeys().length).toBeGreaterThan(1);
    t.consent({ ad_storage: 'denied', analytics_storage: 'denied' });
    await b.settle();
    expect(b.storageKeys()).toEqual([]);
    expect(b.win.document.cookie).not.toContain(CLICK_IDS_KEY + '=%');
    t.conversion();
    await b.settle();
    expect(b.events().at(-1)).toMatchObject({ t: 'cv', cl: '1' });
    expect(b.storageKeys()).toEqual([]);
  });

  it('sends a conversion queued before ad_storage was withdrawn without its click IDs, as un-identified', async () => {
    const answers = [503, 503, 202];
    const t = start(landing, {}, { answer: () => answers.shift()! });
    t.conversion({ action: 'purchase', orderId: 'A-1' });
    await b.settle();
    expect(b.events()).toMatchObject([{ t: 'cv', k: 'c1', gclid: 'g1' }]);
    // analytics_storage stays granted: the conversion keeps waiting in localStorage.
    t.consent({ ad_storage: 'denied' });
    // The first retry comes 1–2 s later, the second 2–4 s after that.
    await b.advance(2000);
    const [first, ...later] = b.events();
    expect(later.map((e) => [e.i, e.o, e.cl])).toEqual([[first!.i, 'A-1', '1']]);
    expect(later.some((e) => e.k || e.gclid)).toBe(false);
    // What is stored for the next retry has lost them too.
    const kept = b.storageKeys().filter((k) => k.startsWith('_ppo.'));
    expect(kept.map((k) => JSON.parse(b.win.localStorage.getItem(k)!).e)).toMatchObject([{ o: 'A-1', cl: '1' }]);
    expect(kept.some((k) => /"k"|gclid/.test(b.win.localStorage.getItem(k)!))).toBe(false);
    await b.advance(4000);
    expect(b.events()).toHaveLength(3);
    expect(b.storageKeys().filter((k) => k.startsWith('_ppo.'))).toEqual([]);
  });

  it('sends what an earlier page left in the outbox without click IDs while ad_storage is denied', async () => {
    b = createFakeBrowser('https://shop.example/');
    const left = { e: { t: 'cv', i: 'left-with-ids', ts: START - 5000, k: 'c0', gclid: 'g0' }, n: 0, w: 0 };
    b.win.localStorage.setItem('_ppo.left-with-ids', JSON.stringify(left));
    const t = createTracker({ site: 's', endpoint: b.endpoint }, b.deps);
    t.consent({ ad_storage: 'denied', analytics_storage: 'granted' });
    await b.settle();
    expect(b.events()).toEqual([{ t: 'cv', i: 'left-with-ids', ts: START - 5000, cl: '1' }]);
  });

  it('clears a store that can clear itself (the IndexedDB outbox) when analytics_storage is withdrawn, and only then', async () => {
    const clear = vi.fn();
    b = createFakeBrowser('https://shop.example/');
    const store = { load: () => [], put() {}, del() {}, clear };
    const t = createTracker({ site: 's', endpoint: b.endpoint, consent: 'required' }, { ...b.deps, store });
    t.consent({ ad_storage: 'denied', analytics_storage: 'denied' });
    t.consent({ analytics_storage: 'granted' });
    t.consent({ ad_storage: 'granted' });
    expect(clear).not.toHaveBeenCalled();
    t.consent({ analytics_storage: 'denied' });
    t.consent({ ad_storage: 'denied' });
    expect(clear).toHaveBeenCalledTimes(1);
  });

  it('keeps what an earlier visit stored when the page starts with consent required', async () => {
    b = createFakeBrowser('https://shop.example/');
    b.win.localStorage.setItem(CLICK_IDS_KEY, JSON.stringify([['ppclid', 'old', START - 1000]]));
    const t = createTracker({ site: 's', endpoint: b.endpoint, consent: 'required' }, b.deps);
    t.consent({ ad_storage: 'granted', analytics_storage: 'granted' });
    t.conversion();
    await b.settle();
    expect(b.events()[0]!.k).toBe('old');
  });

  it('honours Global Privacy Control as an opt-out, whatever consent says', async () => {
    b = createFakeBrowser(landing);
    Object.defineProperty(b.win.navigator, 'globalPrivacyControl', { value: true, configurable: true });
    const t = createTracker({ site: 's', endpoint: b.endpoint }, b.deps);
    t.consent({ ad_storage: 'granted', analytics_storage: 'granted' });
    t.pageview();
    await b.settle();
    expect(b.events()).toMatchObject([{ t: 'pv', cl: '1' }]);
    expect(b.events()[0]!.k).toBeUndefined();
    expect(b.win.document.cookie).toBe('');
    expect(b.storageKeys()).toEqual([]);
  });

  it('still sends un-identified counts in cookieless mode, storing nothing', async () => {
    const t = start(landing, { cookieless: '' }, { answer: 503 });
    t.pageview();
    t.conversion({ action: 'purchase', value: '10', currency: 'EUR' });
    await b.settle();
    expect(b.events()).toMatchObject([
      { t: 'pv', cl: '1' },
      { t: 'cv', cl: '1', v: '10' },
    ]);
    expect(b.win.document.cookie).toBe('');
    expect(b.storageKeys()).toEqual([]);
  });
});

describe('single-page apps', () => {
  it('counts pushState and popstate navigations as page views, with the previous page as referrer', async () => {
    const t = start('https://shop.example/a');
    t.pageview();
    b.win.history.pushState({}, '', '/b');
    b.win.history.pushState({}, '', '/c');
    b.win.history.back();
    await b.settle();
    b.win.dispatchEvent(new b.win.PopStateEvent('popstate'));
    await b.settle();
    const pvs = b.events().filter((e) => e.t == 'pv');
    expect(pvs.map((e) => [e.u, e.r])).toEqual([
      ['https://shop.example/a', undefined],
      ['https://shop.example/b', 'https://shop.example/a'],
      ['https://shop.example/c', 'https://shop.example/b'],
      ['https://shop.example/b', 'https://shop.example/c'],
    ]);
  });

  it('does not count a replaceState or hash change that keeps the path', async () => {
    const t = start('https://shop.example/list');
    t.pageview();
    b.win.history.replaceState({}, '', '/list?page=2');
    b.win.history.pushState({}, '', '/list?page=2#item-3');
    await b.settle();
    expect(b.events().filter((e) => e.t == 'pv')).toHaveLength(1);
  });

  it('counts nothing on navigation when SPA tracking is off', async () => {
    const t = start('https://shop.example/a', { spa: 'false' });
    t.pageview();
    b.win.history.pushState({}, '', '/b');
    await b.settle();
    expect(b.events().filter((e) => e.t == 'pv')).toHaveLength(1);
  });
});

describe('web vitals', () => {
  it('links each vital to the page load’s page view, even after a SPA navigation', async () => {
    const t = start('https://shop.example/a');
    t.pageview();
    b.win.history.pushState({}, '', '/b');
    t.vital('CLS', 0.02);
    await b.settle();
    const [first, , vital] = b.events();
    expect(vital).toMatchObject({ t: 'wv', mn: 'CLS', mv: 0.02, p: first!.p });
  });
});

describe('ad slots', () => {
  const AD: AdDecision = { w: 300, h: 250, img: 'https://cdn.example/a.png', alt: 'A', href: 'https://collector.example/c/t1', tk: 't1' };
  const scripts = () => [...b.win.document.querySelectorAll('script')].map((s) => s.src);

  it('loads ads.js once, on the first page view that has a slot', async () => {
    const t = start('https://news.example/a', { src: 'https://cdn.example/v1/pp.js' });
    t.pageview();
    expect(scripts()).toEqual([]);
    b.win.document.body.innerHTML = '<ins data-pp-slot="top" data-pp-size="300x250"></ins>';
    b.win.history.pushState({}, '', '/b');
    b.win.history.pushState({}, '', '/c');
    expect(scripts()).toEqual(['https://cdn.example/v1/ads.js']);
  });

  it('sends the served impression, with the token and page view, once ads.js hands over its filler', async () => {
    const t = start('https://news.example/a', { src: 'https://cdn.example/v1/pp.js' }, { ads: { top: AD } });
    b.win.document.body.innerHTML = '<ins data-pp-slot="top" data-pp-size="300x250"></ins>';
    t.pageview();
    t.ads(fillSlots);
    await b.settle();
    const [pv, imp] = b.events();
    expect(imp).toMatchObject({ t: 'imp', tk: 't1', p: pv!.p });
    b.win.document.querySelector('a')!.click();
    await b.settle();
    expect(b.events().map((e) => e.t)).toEqual(['pv', 'imp']);
  });
});
