import { describe, expect, it } from 'vitest';
import { firstPartySnippet } from '../../../collector/src/first-party/snippet';
import { conversionSnippet, firstPartyTagSnippet, QUEUE_STUB, snippetsFor, tagSnippet } from './tag-snippet';
import { activityChecks } from './activity-checks';
import { eventTypeName, outcomeWords } from './test-event-words';
import { newTestCode, parseOrigin } from './verify-api';

describe('tag snippets', () => {
  it('is the stub plus one async tag for the site', () => {
    expect(tagSnippet('shop-site', 'http://localhost:8790')).toBe(
      '<script>window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}</script>\n<script async src="http://localhost:8790/pp.js" data-site="shop-site"></script>',
    );
  });

  it('pins the versioned build with its SRI hash and crossorigin, which SRI needs for another origin', () => {
    expect(tagSnippet('shop-site', 'http://c', { url: '/sdk/abc123abc123/pp.js', integrity: 'sha384-xyz' })).toBe(
      '<script>window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}</script>\n<script async src="http://c/sdk/abc123abc123/pp.js" integrity="sha384-xyz" crossorigin="anonymous" data-site="shop-site"></script>',
    );
  });

  it('starts every snippet that calls pp() with the queue stub, so a conversion above the tag works', () => {
    for (const s of snippetsFor({ id: 'shop-site', ownerType: 'advertiser' }, [], 'http://c')) if (s.code.includes('pp(')) expect(s.code).toContain(QUEUE_STUB);
    expect(conversionSnippet().indexOf(QUEUE_STUB)).toBeLessThan(conversionSnippet().indexOf("pp('conversion'"));
  });

  it('gives the same first-party tag as perfpixel/first-party', () => {
    expect(firstPartyTagSnippet('shop-site', '/k3x')).toBe(firstPartySnippet('shop-site', '/k3x'));
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

  it('flags a type whose every event was invalid traffic, so test traffic from a headless browser never shows a tick', () => {
    const c = activityChecks('advertiser', act({ pageview: [2, now], conversion: [1, now], rejected: [0, null] }), [
      { type: 'pageview', invalid: 1, reasons: [{ reason: 'declared_bot', count: 1 }] },
      { type: 'conversion', invalid: 1, reasons: [{ reason: 'declared_bot', count: 1 }] },
    ]);
    expect(c.filter((x) => x.type !== 'rejected' && x.state !== 'na').map((x) => [x.type, x.state, x.invalid])).toEqual([
      ['pageview', 'ok', 1],
      ['conversion', 'bad', 1],
    ]);
  });

  it('flags rejected events as a problem and treats no clicks as normal for a publisher', () => {
    const c = activityChecks('publisher', act({ pageview: [5, now], served: [5, now], viewable: [2, now], click: [0, null], conversion: [0, null], rejected: [2, now] }));
    expect(Object.fromEntries(c.map((x) => [x.type, x.state]))).toEqual({ pageview: 'ok', served: 'ok', viewable: 'ok', click: 'waiting', rejected: 'bad', conversion: 'na' });
  });
});

describe('test events in words', () => {
  const cost = (m: string) => `€${Number(m) / 1e6}`;

  it('names event types and says what became of each', () => {
    expect(eventTypeName('cv')).toBe('Conversion');
    expect(eventTypeName('uc')).toBe('Unknown command');
    expect(eventTypeName(null)).toBe('Unreadable request');
    expect(outcomeWords({ outcome: 'billed', reason: null, type: 'cv', costMicros: '5000000' }, cost).why).toBe('Charged €5.');
    expect(outcomeWords({ outcome: 'invalid', reason: 'declared_bot', type: 'cv', costMicros: '0' }, cost).why).toMatch(/headless browser/);
    expect(outcomeWords({ outcome: 'refused', reason: 'unknown_command: pp("conversoin") is not a command of the tag', type: 'uc', costMicros: '0' }, cost).why).toMatch(
      /^The page called pp\(\) with a command the tag does not know .*\(pp\("conversoin"\) is not a command of the tag\) Check the spelling/,
    );
    expect(outcomeWords({ outcome: 'counted', reason: 'no ad to credit', type: 'cv', costMicros: '0' }, cost).why).toMatch(/nothing to credit/);
  });
});

describe('the origins form and the test code', () => {
  it('takes what people type as an origin, or says what is wrong', () => {
    expect(parseOrigin('shop.example')).toEqual({ origin: 'https://shop.example' });
    expect(parseOrigin(' http://127.0.0.1:8787/shop/index.html ')).toEqual({ origin: 'http://127.0.0.1:8787' });
    expect(parseOrigin('')).toHaveProperty('problem');
    expect(parseOrigin('ftp://shop.example')).toHaveProperty('problem');
  });

  it('makes test codes the SDK takes', () => {
    expect(newTestCode(() => 0.5)).toMatch(/^[a-z0-9]{6}$/);
  });
});
