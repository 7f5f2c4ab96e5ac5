/**
 * Reports through `app.request()`: performance (gross, invalid, net), conversions with their
 * explain record, the ledger and its totals, CSV exports (guarded against formula injection), the
 * live feed, "verify my tag" and rejected events — each scoped to the caller.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATOR_KEY, conversion, createHarness, eventId, seedTraffic, seedWorld, type Harness, type World } from '../test-fixtures';

let h: Harness;
let w: World;
let clickId: string;
let conversionId: string;
let rivalKey: string;

beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h); // CPA 5.00 flat, publisher 70 %
  rivalKey = (await h.api('POST', '/v1/advertisers', OPERATOR_KEY, { id: 'adv_rival', name: 'Rival', currency: 'EUR' })).body.apiKey;
  ({ clickId, conversionId } = await seedTraffic(h, w));
});
afterEach(() => h.close());

describe('GET /v1/reports/performance', () => {
  it("gives the advertiser its campaign row: gross, invalid and net, conversions, value, cost", async () => {
    const r = await h.api('GET', '/v1/reports/performance', w.advertiserKey);
    expect(r.status).toBe(200);
    expect(r.body.groupBy).toBe('campaign');
    expect(r.body.rows).toEqual([
      { key: 'cmp_main', currency: 'EUR', served: 1, viewable: 1, clicks: 1, invalidImpressions: 0, invalidServed: 0, invalidViewable: 0, invalidClicks: 1, conversions: 1, valueMicros: '49900000', costMicros: '5000000', earningMicros: '3500000', platformMicros: '1500000' },
    ]);
    expect((await h.api('GET', '/v1/reports/performance', rivalKey)).body.rows).toEqual([]);
  });

  it('gives the publisher its slots and earnings, per UTC day when asked', async () => {
    const r = await h.api('GET', '/v1/reports/performance?perDay=1', w.publisherKey);
    expect(r.body.groupBy).toBe('slot');
    expect(r.body.rows).toEqual([expect.objectContaining({ key: 'slot_top', day: '2026-11-30', clicks: 1, earningMicros: '3500000' })]);
  });

  it.each(['groupBy=site', 'from=yesterday', 'limit=-1', 'evil=1', 'perDay=yes'])('answers 400 for the query %s', async (q) => {
    const r = await h.api('GET', `/v1/reports/performance?${q}`, w.advertiserKey);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_query', reason: expect.any(String) });
  });

  it('answers 401 without a key', async () => {
    for (const path of ['/v1/reports/performance', '/v1/conversions', '/v1/ledger', '/v1/ledger.csv', '/v1/feed', '/v1/rejected', '/v1/ledger/totals', '/v1/me']) {
      expect((await h.api('GET', path, null)).status, path).toBe(401);
    }
  });
});

describe('conversions', () => {
  it('lists the advertiser its own conversions, and forbids publishers', async () => {
    const r = await h.api('GET', '/v1/conversions', w.advertiserKey);
    expect(r.body.conversions).toHaveLength(1);
    expect(r.body.conversions[0]).toMatchObject({ id: conversionId, orderId: 'A-1001', status: 'approved', costMicros: '5000000' });
    expect((await h.api('GET', '/v1/conversions', rivalKey)).body.conversions).toEqual([]);
    expect((await h.api('GET', '/v1/conversions', w.publisherKey)).status).toBe(403);
    expect((await h.api('GET', '/v1/conversions?status=reversed', w.advertiserKey)).body.conversions).toEqual([]);
  });

  it('explains a conversion: the winning click, every candidate, the money split and its ledger group', async () => {
    const r = await h.api('GET', `/v1/conversions/${conversionId}`, w.advertiserKey);
    expect(r.status).toBe(200);
    const d = r.body.conversion.decision;
    expect(d.winner).toMatchObject({ touchId: clickId, kind: 'click', campaignId: 'cmp_main', publisherId: 'pub_news', slotId: 'slot_top' });
    // The viewable impression from the same browser is a candidate too, and says why it lost.
    expect(d.candidates).toEqual([
      expect.objectContaining({ kind: 'view', verdict: 'view_through_off' }),
      expect.objectContaining({ touchId: clickId, kind: 'click', verdict: 'won' }),
    ]);
    expect(d.charge).toMatchObject({ outcome: 'charged', costMicros: '5000000', publisherMicros: '3500000', platformMicros: '1500000', termsVersion: 1 });
    expect(r.body.ledger).toHaveLength(1);
    expect(r.body.ledger[0]).toMatchObject({ kind: 'charge', key: `conversion:${conversionId}` });
    expect((await h.api('GET', `/v1/conversions/${conversionId}`, rivalKey)).status).toBe(404);
    expect((await h.api('GET', `/v1/conversions/${conversionId}`, w.publisherKey)).status).toBe(403);
    expect((await h.api('GET', '/v1/conversions/cv_none', OPERATOR_KEY)).status).toBe(404);
  });
});

describe('ledger', () => {
  it('lists entry groups scoped to the caller, and totals that balance (operator only)', async () => {
    const mine = await h.api('GET', '/v1/ledger', w.advertiserKey);
    expect(mine.body.groups).toHaveLength(1);
    const legs = mine.body.groups[0].legs as { account: string; side: string; micros: string }[];
    expect(legs).toEqual(
      expect.arrayContaining([
        { account: 'advertiser:adv_shop', side: 'debit', micros: '5000000' },
        { account: 'publisher:pub_news', side: 'credit', micros: '3500000' },
        expect.objectContaining({ side: 'credit', micros: '1500000' }),
      ]),
    );
    // A publisher sees its own earning, not what the advertiser paid nor the platform's margin.
    const theirs = await h.api('GET', '/v1/ledger', w.publisherKey);
    expect(theirs.body.groups).toHaveLength(1);
    expect(theirs.body.groups[0].legs).toEqual([{ account: 'publisher:pub_news', side: 'credit', micros: '3500000' }]);
    expect((await h.api('GET', '/v1/ledger.csv', w.publisherKey)).body).not.toContain('advertiser:');
    expect((await h.api('GET', '/v1/ledger', rivalKey)).body.groups).toEqual([]);
    const totals = await h.api('GET', '/v1/ledger/totals', OPERATOR_KEY);
    expect(totals.body).toMatchObject({ debitsMicros: '5000000', creditsMicros: '5000000', balanced: true, groups: 1 });
    expect(totals.body.balances['advertiser:adv_shop']).toBe('5000000');
    expect(totals.body.balances['publisher:pub_news']).toBe('-3500000');
    expect(totals.body.currencies).toEqual([
      {
        currency: 'EUR', debitsMicros: '5000000', creditsMicros: '5000000', balanced: true, groups: 1,
        balances: { 'advertiser:adv_shop': '5000000', 'publisher:pub_news': '-3500000', platform: '-1500000' },
      },
    ]);
    expect((await h.api('GET', '/v1/ledger/totals', w.advertiserKey)).status).toBe(403);
  });

  it('exports one CSV row per leg with amounts in currency units', async () => {
    const r = await h.api('GET', '/v1/ledger.csv', w.advertiserKey);
    expect(r.status).toBe(200);
    expect(r.res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.res.headers.get('content-disposition')).toBe('attachment; filename="ledger.csv"');
    const lines = (r.body as string).trimEnd().split('\r\n');
    expect(lines[0]).toBe('group,key,kind,at,ref_type,ref_id,campaign,publisher,slot,terms_version,currency,account,debit,credit,reason');
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.includes('advertiser:adv_shop'))).toMatch(/,advertiser:adv_shop,5(\.0+)?,,/);
  });
});

describe('CSV exports', () => {
  const hostile = ['=HYPERLINK("http://evil.example","x")', "-1+cmd|' /C calc'!A0", '+1+1', '@SUM(A1:A9)', '\t=1+1', '-2-3'];

  it('prefixes every cell a spreadsheet would run as a formula, and quotes separators', async () => {
    for (const [k, o] of hostile.entries()) {
      h.clock.advance(1_000);
      const res = await h.beacon(w.shopSiteId, [conversion(h, { o, i: eventId(`csv-${k}`), v: '1.00' })]);
      expect(res.status, o).toBe(202);
    }
    const r = await h.api('GET', '/v1/conversions.csv', w.advertiserKey);
    expect(r.status).toBe(200);
    const csv = r.body as string;
    const orderCells = csv
      .trimEnd()
      .split('\r\n')
      .slice(1)
      .map((line) => parseCsvLine(line)[4]!);
    for (const o of hostile) {
      const cell = orderCells.find((c) => c.endsWith(o.replace(/^\t/, '')) || c === `'${o}`);
      expect(cell, o).toBe(`'${o}`);
    }
    // No cell anywhere starts with a formula character.
    for (const line of csv.trimEnd().split('\r\n')) for (const cell of parseCsvLine(line)) expect(cell, cell).not.toMatch(/^[=+@\t\r]|^-(?!\d+(\.\d+)?$)/);
  });

  it('leaves amounts as plain numbers', async () => {
    const csv = (await h.api('GET', '/v1/conversions.csv', w.advertiserKey)).body as string;
    const row = parseCsvLine(csv.trimEnd().split('\r\n')[1]!);
    expect([row[7], row[15]]).toEqual(['49.90', '5.00']);
  });

  it('forbids the conversions export to publishers', async () => {
    expect((await h.api('GET', '/v1/conversions.csv', w.publisherKey)).status).toBe(403);
  });

  it('exports every conversion and every ledger leg of the range, past any page size (streamed)', async () => {
    // 2,500 more conversions, each with a charge group: two and a half export pages of each.
    const base = (await h.store.reports.conversion(conversionId))!;
    const [group] = await h.store.write((tx) => tx.groupsFor('conversion', conversionId));
    h.clock.advance(1_000);
    await h.store.write(async (tx) => {
      for (let i = 0; i < 2500; i++) {
        const id = `cv_bulk_${String(i).padStart(4, '0')}`;
        await tx.insertConversion({ ...base, id, eventId: `e_${id}`, orderId: `B-${i}`, receivedAt: base.receivedAt + 1 + (i % 7) });
        await tx.postGroup({ ...group!, key: `conversion:${id}`, meta: { ...group!.meta, refId: id } }, base.receivedAt);
      }
    });
    const conv = ((await h.api('GET', '/v1/conversions.csv', w.advertiserKey)).body as string).trimEnd().split('\r\n');
    expect(conv).toHaveLength(1 + 2501);
    expect(new Set(conv.slice(1).map((l) => l.split(',')[0])).size).toBe(2501);
    const ledger = ((await h.api('GET', '/v1/ledger.csv', w.advertiserKey)).body as string).trimEnd().split('\r\n');
    expect(ledger).toHaveLength(1 + 2501 * 3);
    expect(new Set(ledger.slice(1).map((l) => l.split(',')[0])).size).toBe(2501);
  });
});

describe('paging', () => {
  it('walks the conversions and the ledger page by page with `next`, each row once', async () => {
    for (let i = 0; i < 4; i++) {
      h.clock.advance(1_000);
      expect((await h.beacon(w.shopSiteId, [conversion(h, { k: clickId, o: `P-${i}`, v: '10.00', i: eventId(`page-${i}`) })])).status).toBe(202);
    }
    const walk = async (path: string, list: 'conversions' | 'groups') => {
      const seen: string[] = [];
      let next: string | null = null;
      do {
        const r = await h.api('GET', `${path}?limit=2${next ? `&before=${encodeURIComponent(next)}` : ''}`, w.advertiserKey);
        expect(r.status).toBe(200);
        seen.push(...(r.body[list] as { id: string | number }[]).map((x) => String(x.id)));
        next = r.body.next;
      } while (next);
      return seen;
    };
    const conversions = await walk('/v1/conversions', 'conversions');
    expect(conversions).toEqual(((await h.api('GET', '/v1/conversions', w.advertiserKey)).body.conversions as { id: string }[]).map((c) => c.id));
    expect(conversions).toHaveLength(5);
    const groups = await walk('/v1/ledger', 'groups');
    expect(groups).toEqual(((await h.api('GET', '/v1/ledger', w.advertiserKey)).body.groups as { id: number }[]).map((g) => String(g.id)));
    expect(groups).toHaveLength(5);
    // A short last page has no `next`.
    expect((await h.api('GET', '/v1/conversions?limit=10', w.advertiserKey)).body.next).toBeNull();
  });

  it.each([
    ['/v1/conversions', 'before=123'],
    ['/v1/ledger', 'before=123_cv_x'],
    ['/v1/ledger', 'before=../x'],
  ])('answers 400 for a cursor that is not one of %s: %s', async (path, q) => {
    const r = await h.api('GET', `${path}?${q}`, w.advertiserKey);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_query');
  });
});

/** Splits one RFC 4180 line into cells. */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') out.push(cur), (cur = '');
    else cur += ch;
  }
  out.push(cur);
  return out;
}

describe('feed, site activity and rejected events', () => {
  it('shows the advertiser a live feed of its own events, newest first, and polls with after', async () => {
    const r = await h.api('GET', '/v1/feed', w.advertiserKey);
    expect(r.status).toBe(200);
    const types = r.body.items.map((i: { type: string }) => i.type);
    expect(types[0]).toBe('conversion');
    expect(types).toEqual(expect.arrayContaining(['served', 'viewable', 'click']));
    expect(r.body.items.find((i: { type: string; invalidReason: string | null }) => i.type === 'click' && i.invalidReason === 'declared_bot')).toBeTruthy();
    expect((await h.api('GET', `/v1/feed?after=${h.clock()}`, w.advertiserKey)).body.items).toEqual([]);
    expect((await h.api('GET', '/v1/feed', rivalKey)).body.items).toEqual([]);
  });

  it("does not let a key read another tenant's page views or rejected events through the feed's siteId", async () => {
    expect((await h.beacon(w.shopSiteId, [{ t: 'pv', i: eventId('secret-pv'), ts: h.clock(), u: 'https://shop.example/secret-launch' }])).status).toBe(202);
    for (const key of [rivalKey, w.publisherKey]) {
      const r = await h.api('GET', `/v1/feed?siteId=${w.shopSiteId}`, key);
      expect(r.status).toBe(403);
      expect(JSON.stringify(r.body)).not.toContain('secret-launch');
    }
    const own = await h.api('GET', `/v1/feed?siteId=${w.shopSiteId}`, w.advertiserKey);
    expect(own.status).toBe(200);
    expect(JSON.stringify(own.body)).toContain('secret-launch');
    expect((await h.api('GET', `/v1/feed?siteId=${w.shopSiteId}`, OPERATOR_KEY)).status).toBe(200);
  });

  it('verifies a tag: beacons by type and why any were rejected, for the site owner only', async () => {
    const r = await h.api('GET', `/v1/sites/${w.shopSiteId}/activity`, w.advertiserKey);
    expect(r.status).toBe(200);
    expect(r.body.activity).toEqual(expect.arrayContaining([{ type: 'conversion', count: 1, lastAt: h.clock() }, { type: 'rejected', count: 1, lastAt: h.clock() }]));
    expect(r.body.rejectedReasons).toEqual([{ reason: 'invalid_event', count: 1 }]);
    expect(r.body.recentRejected[0]).toMatchObject({ eventId: eventId('bad'), reason: 'invalid_event', detail: expect.stringMatching(/^v: /) });
    expect((await h.api('GET', `/v1/sites/${w.shopSiteId}/activity`, w.publisherKey)).status).toBe(404);
    expect((await h.api('GET', '/v1/sites/site_none/activity', OPERATOR_KEY)).status).toBe(404);
  });

  it('lists rejected events to the operator, and to an owner for one of their sites', async () => {
    const all = await h.api('GET', '/v1/rejected', OPERATOR_KEY);
    expect(all.body.reasons).toEqual([{ reason: 'invalid_event', count: 1 }]);
    expect((await h.api('GET', `/v1/rejected?siteId=${w.shopSiteId}`, w.advertiserKey)).body.events).toHaveLength(1);
    expect((await h.api('GET', '/v1/rejected', w.advertiserKey)).status).toBe(403);
    expect((await h.api('GET', `/v1/rejected?siteId=${w.shopSiteId}`, rivalKey)).status).toBe(403);
  });

  it('tells a key who it belongs to', async () => {
    expect((await h.api('GET', '/v1/me', w.advertiserKey)).body).toEqual({ kind: 'advertiser', id: 'adv_shop', advertiser: { id: 'adv_shop', name: 'Shop', currency: 'EUR' } });
    expect((await h.api('GET', '/v1/me', w.publisherKey)).body).toMatchObject({ kind: 'publisher', id: 'pub_news' });
    expect((await h.api('GET', '/v1/me', OPERATOR_KEY)).body).toEqual({ kind: 'operator' });
  });
});
