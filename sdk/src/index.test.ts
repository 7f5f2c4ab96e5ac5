import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeBrowser, type FakeBrowser } from '../test/fake-browser';

let b: FakeBrowser;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  vi.resetModules();
});
afterEach(() => {
  b.close();
  vi.useRealTimers();
});

describe('the npm entry', () => {
  it('replays calls made before init, then counts the page view', async () => {
    const sdk = await import('./index');
    b = createFakeBrowser('https://shop.example/?ppclid=c1');
    sdk.consent({ ad_storage: 'granted', analytics_storage: 'granted' });
    sdk.trackConversion({ action: 'signup' });
    sdk.init({ site: 'site_shop', endpoint: b.endpoint }, b.deps);
    await b.settle();
    expect(b.events()).toMatchObject([
      { t: 'cv', a: 'signup', k: 'c1' },
      { t: 'pv', k: 'c1' },
    ]);
  });

  it('tracks conversions, clicks and page views after init', async () => {
    const sdk = await import('./index');
    b = createFakeBrowser('https://shop.example/');
    sdk.init({ site: 'site_shop', endpoint: b.endpoint, spa: false }, b.deps);
    sdk.trackConversion({ action: 'purchase', value: '49.90', currency: 'EUR', orderId: 'A-1001' });
    sdk.trackClick('tok');
    sdk.trackPageview();
    await b.settle();
    expect(b.events().map((e) => e.t)).toEqual(['pv', 'cv', 'clk', 'pv']);
    expect(b.events()[1]).toMatchObject({ a: 'purchase', v: '49.90', c: 'EUR', o: 'A-1001' });
  });

  it('fills ad slots for publishers who call trackAds', async () => {
    const sdk = await import('./index');
    const ad = { w: 300, h: 250, img: 'https://cdn.example/a.png', alt: 'A', href: 'https://collector.example/c/t', tk: 't' };
    b = createFakeBrowser('https://news.example/', { ads: { top: ad } });
    b.win.document.body.innerHTML = '<ins data-pp-slot="top" data-pp-size="300x250"></ins>';
    sdk.init({ site: 'pub', endpoint: b.endpoint }, b.deps);
    sdk.trackAds();
    await b.settle();
    expect(b.events().map((e) => e.t)).toEqual(['pv', 'imp']);
  });
});
