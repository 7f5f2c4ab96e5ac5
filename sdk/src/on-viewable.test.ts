import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeBrowser, FakeIntersectionObserver as IO, type FakeBrowser } from '../test/fake-browser';
import { onViewable } from './on-viewable';

describe('onViewable (MRC: ≥ 50 % of pixels in view, in a visible tab, for 1 continuous second)', () => {
  let b: FakeBrowser;
  let el: HTMLElement;
  let seen: number;
  const watch = (area = 300 * 250) => onViewable(el, area, () => seen++, b.win);

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    b = createFakeBrowser('https://news.example/a');
    el = b.win.document.createElement('ins');
    seen = 0;
  });
  afterEach(() => {
    b.close();
    vi.useRealTimers();
  });

  it('counts an ad in view for one second once', async () => {
    watch();
    IO.show(el, 0.6);
    await b.advance(1000);
    expect(seen).toBe(1);
    await b.advance(5000);
    IO.show(el, 0);
    IO.show(el, 1);
    await b.advance(5000);
    expect(seen).toBe(1);
  });

  it('does not count 0.9 s, then hidden, then 0.9 s: the second must be continuous', async () => {
    watch();
    IO.show(el, 1);
    await b.advance(900);
    b.setHidden(true);
    await b.advance(5000);
    b.setHidden(false);
    await b.advance(900);
    expect(seen).toBe(0);
    await b.advance(100);
    expect(seen).toBe(1);
  });

  it('restarts the second when the ad leaves view', async () => {
    watch();
    IO.show(el, 1);
    await b.advance(900);
    IO.show(el, 0.2);
    await b.advance(200);
    IO.show(el, 0.8);
    await b.advance(999);
    expect(seen).toBe(0);
    await b.advance(1);
    expect(seen).toBe(1);
  });

  it('needs half of a standard ad in view', async () => {
    watch();
    IO.show(el, 0.49);
    await b.advance(3000);
    expect(seen).toBe(0);
    IO.show(el, 0.5);
    await b.advance(1000);
    expect(seen).toBe(1);
  });

  it('needs only 30 % of a large ad (242,500 px² or more)', async () => {
    watch(970 * 250);
    IO.show(el, 0.3);
    await b.advance(1000);
    expect(seen).toBe(1);
  });

  it('still needs 50 % of an ad just under 242,500 px²', async () => {
    watch(970 * 250 - 1);
    IO.show(el, 0.3);
    await b.advance(2000);
    expect(seen).toBe(0);
  });

  it('asks the observer to call back exactly at the MRC share', () => {
    watch();
    watch(970 * 250);
    expect(IO.all.map((io) => io.options.threshold)).toEqual([0.5, 0.3]);
  });

  it('does not count an ad in view while the tab is hidden', async () => {
    b.setHidden(true);
    watch();
    IO.show(el, 1);
    await b.advance(3000);
    expect(seen).toBe(0);
    b.setHidden(false);
    await b.advance(1000);
    expect(seen).toBe(1);
  });

  it('stops observing once counted', async () => {
    watch();
    IO.show(el, 1);
    await b.advance(1000);
    expect(IO.all[0]!.disconnected).toBe(true);
  });
});
