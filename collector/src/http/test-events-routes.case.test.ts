/**
 * The test-events route's suite, run on SQLite (test-events-routes.test.ts) and on PostgreSQL
 * (test-events-routes.pg.test.ts): its reads are SQL of their own (store/sql-test-events.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../store/store';
import { clickThrough, conversion, createHarness, createTestClock, eventId, OPERATOR_KEY, seedWorld, serveAd, type Harness, type TestClock, type World } from '../test-fixtures';

/** A fresh store on the clock, and how to dispose of it. */
export type StoreFactory = (clock: TestClock) => Promise<{ store: Store; cleanup: () => Promise<void> }>;

let h: Harness;
let w: World;

/** Runs the suite against stores made by `open`. */
export function runTestEventsSuite(name: string, open: StoreFactory): void {
  describe(`GET /v1/sites/:id/test-events (${name})`, () => {
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      const clock = createTestClock();
      const made = await open(clock);
      cleanup = made.cleanup;
      h = await createHarness({ store: made.store, clock });
      w = await seedWorld(h);
    });
    afterEach(async () => {
      await h.drain();
      await cleanup();
    });

    const origin = { origin: 'https://shop.example' };
    const pv = (i: string, extra: Record<string, unknown> = {}) => ({ t: 'pv', i, ts: h.clock(), u: 'https://shop.example/', ...extra });
    const view = async (siteId = w.shopSiteId, key: string | null = w.advertiserKey, query = '') => {
      const r = await h.api('GET', `/v1/sites/${siteId}/test-events${query}`, key);
      return r;
    };

    it('lists the site’s newest events with their fields, click ID, consent and what became of each', async () => {
      const { tk } = await serveAd(h, w.slotId);
      const { clickId } = await clickThrough(h, tk);
      h.clock.advance(10_000);
      expect((await h.beacon(w.shopSiteId, [pv(eventId('pv1'), { k: clickId, utm_source: 'news' })], origin)).status).toBe(202);
      h.clock.advance(1000);
      await h.beacon(w.shopSiteId, [{ ...conversion(h, { o: 'A-1', k: clickId! }), utm_source: 'news' }], origin);
      h.clock.advance(1000);
      await h.beacon(w.shopSiteId, [pv(eventId('pv2'), { cl: '1' })], origin);
      h.clock.advance(1000);
      await h.beacon(w.shopSiteId, [conversion(h, { o: 'A-2', i: eventId('cv-bare') })], origin);
      h.clock.advance(1000);
      await h.beacon(w.shopSiteId, [{ t: 'uc', i: eventId('uc'), ts: h.clock(), a: 'conversoin' }], origin);

      const r = await view();
      expect(r.status).toBe(200);
      const events = r.body.events as Record<string, unknown>[];
      expect(events.map((e) => [e.type, e.outcome])).toEqual([
        ['uc', 'refused'],
        ['cv', 'counted'],
        ['pv', 'counted'],
        ['cv', 'billed'],
        ['pv', 'counted'],
      ]);
      expect(events[0]).toMatchObject({ reason: 'unknown_command: pp("conversoin") is not a command of the tag', fields: { a: 'conversoin' } });
      expect(events[1]).toMatchObject({ clickId: false, consent: 'granted', reason: 'no ad to credit', fields: { orderId: 'A-2' } });
      expect(events[2]).toMatchObject({ consent: 'denied', clickId: false });
      expect(events[3]).toMatchObject({ clickId: true, consent: 'granted', costMicros: '5000000', fields: { orderId: 'A-1', value: '49.90 EUR', utm: { utm_source: 'news' }, campaignId: w.campaignId } });
      expect(events[4]).toMatchObject({ clickId: true, fields: { url: 'https://shop.example/', clickIds: [clickId], utm: { utm_source: 'news' } } });
      expect(r.body.consent).toEqual({ conversions: 2, withoutClickId: 1, storageDenied: 0 });
    });

    it('keeps to one browser’s events with its test code', async () => {
      await h.beacon(w.shopSiteId, [pv('Abc1_' + 'e'.repeat(36)), pv(eventId('other')), pv('Abc12_' + 'f'.repeat(36))], origin);
      h.clock.advance(1000);
      await h.beacon(w.shopSiteId, [{ ...pv('Abc1_' + 'g'.repeat(36)), bad: 1 }], origin);
      const r = await view(w.shopSiteId, w.advertiserKey, '?code=Abc1');
      expect(r.body.code).toBe('Abc1');
      expect((r.body.events as { eventId: string; outcome: string }[]).map((e) => [e.eventId, e.outcome])).toEqual([
        ['Abc1_' + 'g'.repeat(36), 'refused'],
        ['Abc1_' + 'e'.repeat(36), 'counted'],
      ]);
      expect((await view(w.shopSiteId, w.advertiserKey, '?code=no_such!')).status).toBe(400);
    });

    it('says which events were stored as invalid traffic, and why (a headless browser is a declared bot)', async () => {
      const bot = { ...origin, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36' };
      await h.beacon(w.shopSiteId, [pv(eventId('bot-pv')), conversion(h, { o: 'B-1' })], bot);
      const r = await view();
      expect((r.body.events as Record<string, unknown>[]).map((e) => [e.type, e.outcome, e.reason])).toEqual([
        ['pv', 'invalid', 'declared_bot'],
        ['cv', 'invalid', 'declared_bot'],
      ]);
      expect(r.body.invalid).toEqual([
        { type: 'pageview', total: 1, invalid: 1, reasons: [{ reason: 'declared_bot', count: 1 }] },
        { type: 'conversion', total: 1, invalid: 1, reasons: [{ reason: 'declared_bot', count: 1 }] },
      ]);
    });

    it('counts conversions sent without ad_storage (no click ID, no source) as storage denied', async () => {
      await h.beacon(w.shopSiteId, [{ ...conversion(h, { o: 'C-1' }), cl: '1' }, conversion(h, { o: 'C-2' })], origin);
      expect((await view()).body.consent).toEqual({ conversions: 2, withoutClickId: 2, storageDenied: 1 });
    });

    it('shows a publisher site’s impressions and clicks with what each was billed', async () => {
      const { tk } = await serveAd(h, w.slotId, 'pv-1');
      await h.beacon(w.newsSiteId, [{ t: 'imp', i: eventId('imp'), ts: h.clock(), p: 'pv-1', tk }]);
      h.clock.advance(1000);
      await clickThrough(h, tk);
      const r = await view(w.newsSiteId, w.publisherKey);
      expect((r.body.events as Record<string, unknown>[]).map((e) => [e.type, e.outcome])).toEqual([
        ['clk', 'counted'],
        ['imp', 'counted'],
      ]);
    });

    it('finds beacons sent with a mistyped site ID: did you mean this site?', async () => {
      await h.beacon('site_shpo', [pv(eventId('typo1')), pv(eventId('typo2'))], origin);
      await h.beacon('elsewhere', [pv(eventId('far'))], origin);
      const r = await view();
      expect(r.body.strays).toEqual([{ siteId: 'site_shpo', count: 2, lastAt: h.clock() }]);
    });

    it('answers a wrong site ID with the caller’s close site IDs, and another owner’s site exactly as an unknown one', async () => {
      const r = await view('site_shpo');
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ error: 'not_found', didYouMean: ['site_shop'] });
      // The publisher's own sites only: site_shop is not theirs to be told about.
      expect((await view('site_shpo', w.publisherKey)).body.didYouMean).toEqual([]);
      const foreign = await view(w.shopSiteId, w.publisherKey);
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual({ error: 'not_found', reason: `no site ${w.shopSiteId}`, didYouMean: [] });
      expect((await view(w.shopSiteId, OPERATOR_KEY)).status).toBe(200);
      expect((await view(w.shopSiteId, null)).status).toBe(401);
    });
  });
}
