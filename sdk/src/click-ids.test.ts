import { afterEach, describe, expect, it } from 'vitest';
import { createFakeBrowser, type FakeBrowser } from '../test/fake-browser';
import { CLICK_IDS_KEY, captureClickIds, readClickIds, storeClickIds, type ClickId } from './click-ids';

const DAY = 864e5;
const NOW = 1_764_400_000_000;
const capture = (held: ClickId[], search: string, firstClick = false, now = NOW) =>
  captureClickIds(held, search, now, 'ppclid', 90, firstClick);

describe('captureClickIds', () => {
  it('keeps our click ID verbatim with its capture time', () => {
    expect(capture([], '?ppclid=AbC-_12x&ref=x')).toEqual([['ppclid', 'AbC-_12x', NOW]]);
  });

  it('keeps the landing’s UTM parameters verbatim, the newest value of each', () => {
    const held = capture([['utm_source', 'old', NOW - DAY], ['utm_term', 'shoes', NOW - DAY]], '?utm_source=news&utm_medium=email&utm_campaign=spring%20sale&utm_content=top&x=1');
    expect(held).toEqual([
      ['utm_content', 'top', NOW],
      ['utm_campaign', 'spring sale', NOW],
      ['utm_medium', 'email', NOW],
      ['utm_source', 'news', NOW],
      ['utm_term', 'shoes', NOW - DAY],
    ]);
  });

  it('ignores a malformed click ID of ours, which the collector would refuse with every conversion', () => {
    expect(capture([], '?ppclid=' + encodeURIComponent('<script>'))).toEqual([]);
    // Five of 39 characters with their commas fit the collector's 200-character `k`; five of 40 do not.
    expect(capture([], '?ppclid=' + 'a'.repeat(40))).toEqual([]);
    expect(capture([], '?ppclid=' + 'a'.repeat(39))).toEqual([['ppclid', 'a'.repeat(39), NOW]]);
  });

  it('puts the newest click first (last click wins)', () => {
    expect(capture([['ppclid', 'old', NOW - DAY]], '?ppclid=new')).toEqual([
      ['ppclid', 'new', NOW],
      ['ppclid', 'old', NOW - DAY],
    ]);
  });

  it('keeps the first click while it is held when firstClick is set', () => {
    expect(capture([['ppclid', 'first', NOW - DAY]], '?ppclid=second', true)).toEqual([['ppclid', 'first', NOW - DAY]]);
  });

  it('takes a new click in firstClick mode once the first one has expired', () => {
    expect(capture([['ppclid', 'first', NOW - 91 * DAY]], '?ppclid=second', true)).toEqual([['ppclid', 'second', NOW]]);
  });

  it('drops click IDs captured more than the window ago, keeping the last millisecond inside it', () => {
    const held: ClickId[] = [
      ['ppclid', 'inside', NOW - 90 * DAY + 1],
      ['ppclid', 'outside', NOW - 90 * DAY],
    ];
    expect(capture(held, '')).toEqual([['ppclid', 'inside', NOW - 90 * DAY + 1]]);
  });

  it('keeps at most five of our click IDs, the newest', () => {
    const held: ClickId[] = [1, 2, 3, 4, 5].map((i) => ['ppclid', 'c' + i, NOW - i]);
    expect(capture(held, '?ppclid=c0').map((x) => x[1])).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
  });

  it('does not hold the same click ID twice when the landing page is reloaded', () => {
    expect(capture([['ppclid', 'same', NOW - 5000]], '?ppclid=same')).toEqual([['ppclid', 'same', NOW]]);
  });

  it('records other platforms’ click IDs verbatim, keeping only the newest of each', () => {
    const held: ClickId[] = [['gclid', 'g-old', NOW - DAY], ['ppclid', 'ours', NOW - DAY]];
    const got = capture(held, '?gclid=g-new&fbclid=IwAR.x&msclkid=m&ttclid=t&gbraid=gb&wbraid=wb');
    expect(got).toEqual(
      expect.arrayContaining([
        ['gclid', 'g-new', NOW],
        ['fbclid', 'IwAR.x', NOW],
        ['msclkid', 'm', NOW],
        ['ttclid', 't', NOW],
        ['gbraid', 'gb', NOW],
        ['wbraid', 'wb', NOW],
        ['ppclid', 'ours', NOW - DAY],
      ]),
    );
    expect(got).toHaveLength(7);
  });

  it('reads a configured parameter instead of ppclid', () => {
    expect(captureClickIds([], '?ppclid=x&adref=y', NOW, 'adref', 90)).toEqual([['adref', 'y', NOW]]);
  });

  it('changes nothing when the URL carries no click ID', () => {
    const held: ClickId[] = [['ppclid', 'a', NOW - 1]];
    expect(capture(held, '?q=1')).toEqual(held);
  });
});

describe('storeClickIds and readClickIds', () => {
  let b: FakeBrowser;
  afterEach(() => b.close());

  it('keeps click IDs in a cookie mirrored to localStorage', () => {
    b = createFakeBrowser('https://www.shop.example/');
    const list: ClickId[] = [['ppclid', 'a,b;c"d', NOW]];
    storeClickIds(list, 90, b.win);
    expect(b.win.document.cookie).toContain(CLICK_IDS_KEY + '=');
    expect(JSON.parse(b.win.localStorage.getItem(CLICK_IDS_KEY)!)).toEqual(list);
    expect(readClickIds(b.win)).toEqual(list);
  });

  it('falls back to the localStorage mirror when the cookie is gone (Safari ITP)', () => {
    b = createFakeBrowser('https://shop.example/');
    storeClickIds([['ppclid', 'a', NOW]], 90, b.win);
    b.win.document.cookie = CLICK_IDS_KEY + '=;max-age=-1;path=/;domain=shop.example';
    expect(b.win.document.cookie).toBe('');
    expect(readClickIds(b.win)).toEqual([['ppclid', 'a', NOW]]);
  });

  it('removes both the cookie and the mirror when given no list', () => {
    b = createFakeBrowser('https://shop.example/');
    storeClickIds([['ppclid', 'a', NOW]], 90, b.win);
    storeClickIds(undefined, 90, b.win);
    expect(readClickIds(b.win)).toEqual([]);
    expect(b.storageKeys()).toEqual([]);
  });

  it('reads nothing, without throwing, from a malformed cookie', () => {
    b = createFakeBrowser('https://shop.example/');
    b.win.document.cookie = CLICK_IDS_KEY + '=%E0%A4%A;path=/';
    expect(readClickIds(b.win)).toEqual([]);
  });
});
