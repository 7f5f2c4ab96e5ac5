import { describe, expect, it } from 'vitest';
import { snippetsFor, tagSnippet } from './tag-snippet';
import { activityChecks } from './activity-checks';

describe('tag snippets', () => {
  it('is the stub plus one async tag for the site', () => {
    expect(tagSnippet('shop-site', 'http://localhost:8790')).toBe(
      '<script>window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}</script>\n<script async src="http://localhost:8790/pp.js" data-site="shop-site"></script>',
    );
  });

  it('escapes what it puts in attributes', () => {
    expect(tagSnippet('a"b<c', 'http://x')).toContain('data-site="a&quot;b&lt;c"');
  });

  it('lists a publisher site’s own slots with their sizes', () => {
    const s = snippetsFor({ id: 'daily-site', ownerType: 'publisher' }, [
      { id: 'daily-mrec', siteId: 'daily-site', width: 300, height: 250, name: 'In-article rectangle' },
      { id: 'trail-sky', siteId: 'trail-site', width: 300, height: 600, name: 'Sky' },
    ], 'http://c');
    expect(s[1]!.code).toContain('<ins data-pp-slot="daily-mrec" data-pp-size="300x250"></ins>');
    expect(s[1]!.code).not.toContain('trail-sky');
  });

  it('gives an advertiser site the conversion call and the pixel', () => {
    const s = snippetsFor({ id: 'shop-site', ownerType: 'advertiser' }, [], 'http://c');
    expect(s.map((x) => x.code).join('\n')).toContain("pp('conversion'");
    expect(s.map((x) => x.code).join('\n')).toContain('http://c/p.gif?s=shop-site');
  });
});

describe('activity checks', () => {
  const now = 1_000_000_000;
  const act = (o: Record<string, [number, number | null]>) => Object.entries(o).map(([type, [count, lastAt]]) => ({ type, count, lastAt }));

  it('expects page views and conversions from an advertiser site', () => {
    const c = activityChecks('advertiser', act({ pageview: [0, null], served: [0, null], viewable: [0, null], click: [0, null], conversion: [3, now - 60_000], rejected: [0, null] }));
    expect(c.map((x) => [x.type, x.state])).toEqual([
      ['pageview', 'missing'],
      ['conversion', 'ok'],
      ['rejected', 'ok'],
      ['served', 'na'],
      ['viewable', 'na'],
      ['click', 'na'],
    ]);
  });

  it('flags rejected events as a problem and treats no clicks as normal for a publisher', () => {
    const c = activityChecks('publisher', act({ pageview: [5, now], served: [5, now], viewable: [2, now], click: [0, null], conversion: [0, null], rejected: [2, now] }));
    expect(Object.fromEntries(c.map((x) => [x.type, x.state]))).toEqual({ pageview: 'ok', served: 'ok', viewable: 'ok', click: 'waiting', rejected: 'bad', conversion: 'na' });
  });
});
