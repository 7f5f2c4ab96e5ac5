import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeBrowser, FakeIntersectionObserver as IO, type FakeBrowser } from '../test/fake-browser';
import type { AdDecision } from './fill-slot';
import { fillSlots } from './fill-slots';

const AD: AdDecision = {
  w: 300,
  h: 250,
  img: 'https://cdn.example/c1.png',
  alt: 'Shoes "50%" <off>',
  href: 'https://collector.example/c/tok1',
  tk: 'tok1',
};

describe('fillSlots', () => {
  let b: FakeBrowser;
  let reports: [string, string, string][];
  const report = (t: string, tk: string, p: string) => void reports.push([t, tk, p]);

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    reports = [];
  });
  afterEach(() => {
    b.close();
    vi.useRealTimers();
  });

  const page = (html: string, ads: Record<string, AdDecision | null> = { top: AD }) => {
    b = createFakeBrowser('https://news.example/story', { ads });
    b.win.document.body.innerHTML = html;
    return b.win.document.querySelector<HTMLElement>('ins')!;
  };

  it('reserves the slot size before asking for an ad, so the ad shifts no layout', () => {
    const el = page('<ins data-pp-slot="top" data-pp-size="300x250"></ins>');
    let styleAtRequest = '';
    const fetch = b.win.fetch;
    b.win.fetch = ((...a: Parameters<typeof fetch>) => ((styleAtRequest = el.style.cssText), fetch(...a))) as typeof fetch;
    fillSlots(b.endpoint, 'pv1', report, b.win);
    expect(styleAtRequest).toContain('width: 300px');
    expect(styleAtRequest).toContain('height: 250px');
    expect(styleAtRequest).toContain('display: inline-block');
  });

  it('asks GET /ad with the slot and the page view', () => {
    page('<ins data-pp-slot="top &amp; side" data-pp-size="300x250"></ins>');
    fillSlots(b.endpoint, 'pv1', report, b.win);
    expect(b.sent.map((s) => s.url)).toEqual(['https://collector.example/ad?slot=top%20%26%20side&p=pv1']);
  });

  it('renders the creative as a sponsored image link with a visible Ad label', async () => {
    const el = page('<ins data-pp-slot="top" data-pp-size="300x250"></ins>');
    fillSlots(b.endpoint, 'pv1', report, b.win);
    await b.settle();
    const a = el.querySelector('a')!;
    const img = a.querySelector('img')!;
    expect(a.getAttribute('href')).toBe(AD.href);
    expect(a.target).toBe('_blank');
    expect(a.rel).toBe('sponsored noopener');
    expect([img.getAttribute('src'), img.width, img.height, img.alt]).toEqual([AD.img, 300, 250, AD.alt]);
    const label = el.querySelector('span')!;
    expect(label.textContent).toBe('Ad');
    expect(label.style.position).toBe('absolute');
  });

  it('reports one served impression per slot and page view, and no click beacon of its own', async () => {
    page('<ins data-pp-slot="top" data-pp-size="300x250"></ins>');
    fillSlots(b.endpoint, 'pv1', report, b.win);
    fillSlots(b.endpoint, 'pv1', report, b.win);
    await b.settle();
    b.win.document.querySelector('a')!.dispatchEvent(new b.win.MouseEvent('click', { bubbles: true }));
    expect(reports).toEqual([['imp', 'tok1', 'pv1']]);
  });

  it('reports the viewable impression after a continuous visible second', async () => {
    const el = page('<ins data-pp-slot="top" data-pp-size="300x250"></ins>');
    fillSlots(b.endpoint, 'pv1', report, b.win);
    await b.settle();
    IO.show(el, 1);
    await b.advance(1000);
    expect(reports).toEqual([
      ['imp', 'tok1', 'pv1'],
      ['vi', 'tok1', 'pv1'],
    ]);
  });

  it('leaves the slot empty and reports nothing when there is no ad', async () => {
    const el = page('<ins data-pp-slot="top" data-pp-size="300x250"></ins>', { top: null });
    fillSlots(b.endpoint, 'pv1', report, b.win);
    await b.settle();
    expect(el.children).toHaveLength(0);
    expect(reports).toEqual([]);
  });

  it('fills slots added later (e.g. after a SPA navigation) with their own page view', async () => {
    page('<ins data-pp-slot="top" data-pp-size="300x250"></ins>', { top: AD, side: { ...AD, tk: 'tok2' } });
    fillSlots(b.endpoint, 'pv1', report, b.win);
    b.win.document.body.insertAdjacentHTML('beforeend', '<ins data-pp-slot="side" data-pp-size="300x250"></ins>');
    fillSlots(b.endpoint, 'pv2', report, b.win);
    await b.settle();
    expect(reports).toEqual([
      ['imp', 'tok1', 'pv1'],
      ['imp', 'tok2', 'pv2'],
    ]);
  });
});

describe('fillSlots when the ad request fails', () => {
  it('leaves the slot empty and tells the debug log why', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const b = createFakeBrowser('https://news.example/');
    b.win.document.body.innerHTML = '<ins data-pp-slot="top" data-pp-size="300x250"></ins>';
    b.win.fetch = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    const log = vi.fn();
    const reports: unknown[] = [];
    fillSlots('https://collector.example', 'pv1', (...r) => void reports.push(r), b.win, log);
    await b.settle();
    expect(log).toHaveBeenCalledWith(expect.any(TypeError));
    expect(reports).toEqual([]);
    b.close();
    vi.useRealTimers();
  });
});
