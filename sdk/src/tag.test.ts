// The built files, as a browser runs them: catches what only minification and property mangling
// can break (sources are covered by the other tests). `npm test` builds before it runs vitest.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeBrowser, FakeIntersectionObserver as IO, type FakeBrowser } from '../test/fake-browser';

const built = (file: string) => readFileSync(fileURLToPath(new URL('../dist/' + file, import.meta.url)), 'utf8');

let b: FakeBrowser;
/**
 * Runs sdk/dist/<file> in the page as if loaded by `<script src=…>` with the given attributes, or
 * as the script element the page already has for it (one a tag appended).
 */
const run = (file: string, attrs: Record<string, string> = {}) => {
  let s = [...b.win.document.querySelectorAll('script')].find((x) => x.src == 'https://collector.example/' + file);
  if (!s) {
    s = b.win.document.createElement('script');
    s.src = 'https://collector.example/' + file;
    for (const [k, v] of Object.entries(attrs)) s.setAttribute(k, v);
    b.win.document.head.append(s);
  }
  Object.defineProperty(b.win.document, 'currentScript', { value: s, configurable: true });
  // The code runs in the window's own context, whose clock and timers are happy-dom's: hand it the
  // fake ones (the tag has no injected clock).
  b.win.setTimeout = setTimeout as typeof b.win.setTimeout;
  b.win.clearTimeout = clearTimeout as typeof b.win.clearTimeout;
  b.win.Date = Date;
  new b.win.Function(built(file))();
  Object.defineProperty(b.win.document, 'currentScript', { value: null, configurable: true });
};

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
afterEach(() => {
  b.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('the built tag (sdk/dist/pp.js)', () => {
  it('counts the page view, captures the click ID and sends a queued conversion', async () => {
    b = createFakeBrowser('https://shop.example/landing?ppclid=c1&gclid=g1', { referrer: 'https://news.example/a?x=1' });
    b.win.eval('window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}');
    b.win.eval("pp('conversion', { action: 'purchase', value: 49.9, currency: 'EUR', orderId: 'A-1' })");
    run('pp.js', { 'data-site': 'site_shop' });
    await b.settle();
    expect(b.beacons()[0]!.url).toBe('https://collector.example/e');
    expect(b.events()).toMatchObject([
      { t: 'cv', a: 'purchase', v: '49.900000', c: 'EUR', o: 'A-1', k: 'c1', gclid: 'g1', u: 'https://shop.example/landing' },
      { t: 'pv', k: 'c1', gclid: 'g1', r: 'https://news.example/a' },
    ]);
    expect(b.win.document.cookie).toContain('_ppk=');
  });

  it('fills an ad slot through ads.js and counts its served and viewable impressions', async () => {
    const ad = { w: 300, h: 250, img: 'https://cdn.example/a.png', alt: 'A', href: 'https://collector.example/c/t1', tk: 't1' };
    b = createFakeBrowser('https://news.example/story', { ads: { top: ad } });
    b.win.document.body.innerHTML = '<ins data-pp-slot="top" data-pp-size="300x250"></ins>';
    run('pp.js', { 'data-site': 'pub_news' });
    const requested = [...b.win.document.querySelectorAll('script')].map((s) => s.src);
    expect(requested).toContain('https://collector.example/ads.js');
    run('ads.js');
    await b.settle();
    IO.show(b.win.document.querySelector('ins')!, 1);
    await b.advance(1000);
    expect(b.events().map((e) => [e.t, e.tk ?? null])).toEqual([
      ['pv', null],
      ['imp', 't1'],
      ['vi', 't1'],
    ]);
    expect(b.win.document.querySelector('ins a img')!.getAttribute('src')).toBe(ad.img);
  });

  it('retries a refused-for-now batch and keeps it in localStorage meanwhile', async () => {
    let up = false;
    b = createFakeBrowser('https://shop.example/', { answer: () => (up ? 202 : [503, { 'retry-after': '5' }]) });
    run('pp.js', { 'data-site': 'site_shop' });
    await b.settle();
    expect(b.storageKeys().filter((k) => k.startsWith('_ppo.'))).toHaveLength(1);
    up = true;
    await b.advance(5000);
    expect(b.beacons()).toHaveLength(2);
    expect(b.storageKeys()).toEqual([]);
  });

  it('reports a mistyped command and still sends the rest of the queue', async () => {
    b = createFakeBrowser('https://shop.example/thanks');
    // The built code runs in the window's own context, with its own console.
    const warn = vi.spyOn(b.win.console, 'warn').mockImplementation(() => {});
    b.win.eval('window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}');
    b.win.eval("pp('conversoin', { action: 'purchase' }); pp('conversion', { action: 'purchase' })");
    run('pp.js', { 'data-site': 'site_shop' });
    await b.settle();
    expect(b.events().map((e) => [e.t, e.a ?? null])).toEqual([
      ['uc', 'conversoin'],
      ['cv', 'purchase'],
      ['pv', null],
    ]);
    expect(warn).toHaveBeenCalledWith('[pp] unknown command', 'conversoin');
  });

  it('counts one page view when pasted twice', async () => {
    b = createFakeBrowser('https://shop.example/');
    const warn = vi.spyOn(b.win.console, 'warn').mockImplementation(() => {});
    b.win.eval('window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}');
    run('pp.js', { 'data-site': 'site_shop' });
    b.win.eval('window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}');
    new b.win.Function(built('pp.js'))();
    await b.settle();
    expect(b.events().map((e) => e.t)).toEqual(['pv']);
    expect(warn).toHaveBeenCalledWith('[pp] tag twice');
  });

  it('hands over to pp.debug.js in debug mode, which logs each refused event and marks test events', async () => {
    const answer = (batch: { e: { i: string }[] }) => [202, {}, { accepted: 0, duplicate: 0, rejected: [{ i: batch.e[0]!.i, reason: 'declared_bot' }], conflict: [] }] as const;
    b = createFakeBrowser('https://shop.example/?pp_test=T1', { answer: answer as never });
    const log = vi.spyOn(b.win.console, 'log').mockImplementation(() => {});
    const warn = vi.spyOn(b.win.console, 'warn').mockImplementation(() => {});
    run('pp.js', { 'data-site': 'site_shop', 'data-click-param': 'ref' });
    await b.settle();
    // pp.js itself sends nothing: it loads pp.debug.js from its own folder, with its own data-* attributes.
    expect(b.events()).toEqual([]);
    const debug = [...b.win.document.querySelectorAll('script')].find((s) => s.src.endsWith('/pp.debug.js'))!;
    expect(debug.dataset).toMatchObject({ site: 'site_shop', clickParam: 'ref' });
    run('pp.debug.js');
    await b.settle();
    expect(b.events()).toMatchObject([{ t: 'pv', i: expect.stringMatching(/^T1_/) }]);
    expect(log).toHaveBeenCalledWith('[pp]', 'send', expect.anything());
    expect(warn).toHaveBeenCalledWith('[pp] refused', 'declared_bot', expect.objectContaining({ t: 'pv' }));
  });

  it('loads nocode.js for a page with data-pp-conversion, which counts a click through pp()', async () => {
    b = createFakeBrowser('https://shop.example/signup');
    b.win.document.body.innerHTML = '<button data-pp-conversion="signup" data-pp-value="5" data-pp-currency="EUR">Join</button>';
    run('pp.js', { 'data-site': 'site_shop' });
    expect([...b.win.document.querySelectorAll('script')].map((s) => s.src)).toContain('https://collector.example/nocode.js');
    run('nocode.js');
    b.win.document.querySelector('button')!.click();
    await b.settle();
    expect(b.events()).toMatchObject([{ t: 'pv' }, { t: 'cv', a: 'signup', v: '5', c: 'EUR' }]);
  });

  it('loads no add-on for a page that needs none', async () => {
    b = createFakeBrowser('https://shop.example/');
    run('pp.js', { 'data-site': 'site_shop' });
    expect(b.win.document.querySelectorAll('script')).toHaveLength(1);
  });
});
