import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeBrowser, type FakeBrowser } from '../test/fake-browser';
import { startTag } from './start-tag';

/** The inline stub of sdk/README.md, run as the page would run it. */
const STUB = 'window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}';

let b: FakeBrowser;
const page = (attrs: string, url = 'https://shop.example/thanks?ppclid=c1') => {
  b = createFakeBrowser(url);
  b.win.document.head.innerHTML = `<script src="https://cdn.example/v1/pp.js?build=7" ${attrs}></script>`;
  return b.win.document.querySelector('script')!;
};
const pp = (...a: unknown[]) => (b.win as unknown as { pp: (...a: unknown[]) => void }).pp(...a);

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
afterEach(() => {
  b.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('the script tag', () => {
  it('counts the page view for data-site, sending to data-endpoint', async () => {
    const s = page('data-site="site_shop" data-endpoint="https://c.example"');
    startTag(b.deps, s);
    await b.settle();
    expect(b.beacons().map((s) => [s.url, s.batch!.s, s.batch!.e[0]!.t])).toEqual([['https://c.example/e', 'site_shop', 'pv']]);
  });

  it('sends to its own origin when data-endpoint is missing', async () => {
    const s = page('data-site="site_shop"');
    startTag(b.deps, s);
    await b.settle();
    expect(b.beacons()[0]!.url).toBe('https://cdn.example/e');
  });

  it('is small enough for the inline stub to stay under 350 bytes', () => {
    expect(new TextEncoder().encode(`<script>${STUB}</script>`).length).toBeLessThanOrEqual(350);
  });

  it('replays the calls queued by the stub, a queued consent before the first page view', async () => {
    const s = page('data-site="site_shop" data-consent="required"');
    b.win.eval(STUB);
    pp('consent', { ad_storage: 'granted', analytics_storage: 'granted' });
    pp('conversion', { action: 'signup' });
    startTag(b.deps, s);
    await b.settle();
    expect(b.events()).toMatchObject([
      { t: 'cv', a: 'signup', k: 'c1' },
      { t: 'pv', k: 'c1' },
    ]);
    expect(b.events().some((e) => e.cl)).toBe(false);
  });

  it('keeps window.pp working after load', async () => {
    const s = page('data-site="site_shop"');
    startTag(b.deps, s);
    pp('conversion', { action: 'purchase', value: 12.5, currency: 'EUR', orderId: 'A-1' });
    pp('click', 'tok-1');
    pp('pageview');
    await b.settle();
    expect(b.events().map((e) => [e.t, e.v ?? e.tk ?? null])).toEqual([
      ['pv', null],
      ['cv', '12.500000'],
      ['clk', 'tok-1'],
      ['pv', null],
    ]);
  });

  it('warns about a mistyped queued command by name, reports it, and still runs the rest of the queue', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const s = page('data-site="site_shop"');
    b.win.eval(STUB);
    pp('conversoin', { action: 'purchase' });
    pp('conversion', { action: 'purchase', orderId: 'A-1' });
    startTag(b.deps, s);
    await b.settle();
    expect(warn).toHaveBeenCalledWith('[pp] unknown command', 'conversoin');
    expect(b.events()).toMatchObject([{ t: 'uc', a: 'conversoin' }, { t: 'cv', a: 'purchase', o: 'A-1' }, { t: 'pv' }]);
  });

  it('warns about an unknown command called after load, and keeps working', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const s = page('data-site="site_shop"');
    startTag(b.deps, s);
    expect(() => pp('track', 'Purchase')).not.toThrow();
    pp('conversion');
    await b.settle();
    expect(b.events().map((e) => [e.t, e.a ?? null])).toEqual([
      ['pv', null],
      ['uc', 'track'],
      ['cv', null],
    ]);
  });

  it('counts once and warns once when the tag is on the page twice', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const s = page('data-site="site_shop"');
    b.win.eval(STUB);
    pp('conversion', { action: 'signup' });
    startTag(b.deps, s);
    // The second copy of the snippet: its stub line keeps the tag's pp, then the tag runs again.
    b.win.eval(STUB);
    startTag(b.deps, s);
    pp('pageview');
    await b.settle();
    expect(b.events().map((e) => e.t)).toEqual(['cv', 'pv', 'pv']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('[pp] tag twice');
  });

  it('loads vitals.js from its own folder when data-vitals is set, and not otherwise', () => {
    // A bare data-vitals works in browsers; happy-dom leaves empty attributes out of `{ ...dataset }`.
    const s = page('data-site="site_shop" data-vitals="true"');
    startTag(b.deps, s);
    expect([...b.win.document.querySelectorAll('script')].map((s) => s.src).slice(1)).toEqual(['https://cdn.example/v1/vitals.js']);
    b.close();
    const without = page('data-site="site_shop"');
    startTag(b.deps, without);
    expect(b.win.document.querySelectorAll('script')).toHaveLength(1);
  });

  it('loads ads.js from its own folder for a page with an ad slot', () => {
    const s = page('data-site="pub_news"');
    b.win.document.body.innerHTML = '<ins data-pp-slot="top" data-pp-size="300x250"></ins>';
    startTag(b.deps, s);
    expect([...b.win.document.querySelectorAll('script')].map((x) => x.src)).toContain('https://cdn.example/v1/ads.js');
  });

  it('reads its options from data attributes (debug, click parameter, SPA)', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    // data-debug="true": happy-dom leaves empty attributes out of `{ ...dataset }` (browsers keep them;
    // a bare `data-debug` is `''`, which tracker.test.ts covers as an option value).
    const s = page('data-site="site_shop" data-debug="true" data-click-param="ref" data-spa="false"', 'https://shop.example/?ref=r1');
    startTag(b.deps, s);
    b.win.history.pushState({}, '', '/next');
    await b.settle();
    expect(b.events()).toMatchObject([{ t: 'pv', k: 'r1' }]);
    expect(log).toHaveBeenCalled();
  });

  it('counts nothing while the page is prerendered, and the page view once it is shown', async () => {
    const s = page('data-site="site_shop"');
    Object.defineProperty(b.win.document, 'prerendering', { value: true, configurable: true });
    startTag(b.deps, s);
    await b.settle();
    expect(b.events()).toEqual([]);
    Object.defineProperty(b.win.document, 'prerendering', { value: false, configurable: true });
    b.win.document.dispatchEvent(new b.win.Event('prerenderingchange'));
    await b.settle();
    expect(b.events()).toMatchObject([{ t: 'pv' }]);
  });
});
