/**
 * The verify page's test events (issue 13): `GET /v1/sites/:id/test-events` answers the newest 50
 * events of a site from the last 24 hours, each with its fields, whether a click ID came with it, the
 * consent state and what became of it (billed, merged, invalid, refused — and why). The page polls it.
 *
 * | query  | meaning                                                                          |
 * |--------|----------------------------------------------------------------------------------|
 * | `code` | only events whose ID starts with `CODE_`: one browser in test mode (`?pp_test=CODE`) |
 *
 * Besides the events: the share of the day's conversions that came without a click ID because
 * storage was denied (`consent`), events stored as invalid traffic by type and reason (`invalid`),
 * and beacons that named a site ID that does not exist but is close to this one (`strays`, "did you
 * mean"). An unknown site ID is answered 404 with the caller's own site IDs that are close to it.
 *
 * ```ts
 * const area = testEventsRoutes(col); // mounted by createCollector with the other areas
 * ```
 */
import { z } from 'zod';
import { DAY_MS } from '../core/terms';
import type { TestEvent } from '../store/test-events';
import { siteAnswer } from './answer-schemas';
import { ownsSite } from './auth';
import type { Collector } from './context';
import { didYouMean } from './did-you-mean';
import { idParam } from './query-schemas';
import { createRouter, type Router } from './router';

/** How many events the view shows. */
export const TEST_EVENTS_LIMIT = 50;

const query = z.strictObject({
  code: z.string().regex(/^[A-Za-z0-9]{1,24}$/, 'a test code is 1–24 letters or digits, as in ?pp_test=CODE').optional(),
});

/** A test event as JSON (money as a string of micros). */
export const testEventJson = (e: TestEvent) => ({ ...e, costMicros: String(e.costMicros) });

/** The test-events route (its own area, mounted by app.ts). */
export function testEventsRoutes(col: Collector): Router {
  const r = createRouter(col, 'Reports');
  r.route(
    {
      method: 'get',
      path: '/v1/sites/:id/test-events',
      summary: 'The newest 50 events of a site (last 24 h) with what became of each and why; `code` keeps one test browser’s. For the verify page.',
      roles: ['operator', 'advertiser', 'publisher'],
      params: idParam,
      query,
      responses: {
        200: z.object({
          site: siteAnswer,
          code: z.string().nullable(),
          now: z.number().int(),
          since: z.number().int(),
          events: z.array(z.record(z.string(), z.unknown())).describe('each event with its fields, click ID, consent state and outcome'),
          consent: z.record(z.string(), z.unknown()),
          invalid: z.array(z.record(z.string(), z.unknown())),
          strays: z.array(z.record(z.string(), z.unknown())),
        }),
        404: z.object({ error: z.string(), reason: z.string(), didYouMean: z.array(z.string()) }).describe('no such site of yours (with close site IDs of yours)'),
      },
    },
    async (c) => {
      const who = c.var.principal;
      const siteId = c.req.valid('param').id;
      const site = await col.store.catalog.getSite(siteId);
      // Another tenant's site is answered exactly as one that does not exist (issue 16 item 9).
      if (!site || !ownsSite(who, site)) {
        const mine = (await col.store.catalog.listSites(who.kind === 'operator' ? undefined : { ownerType: who.kind, ownerId: who.id })).map((s) => s.id);
        return c.json({ error: 'not_found', reason: `no site ${siteId.slice(0, 64)}`, didYouMean: didYouMean(siteId, mine).slice(0, 3) }, 404);
      }
      const q = c.req.valid('query');
      const now = col.clock();
      const since = now - DAY_MS;
      const [events, consent, invalid, strays] = await Promise.all([
        col.store.reports.testEvents(site, { since, code: q.code }, TEST_EVENTS_LIMIT),
        col.store.reports.consentSummary(site.id, since),
        col.store.reports.invalidCounts(site, since),
        col.store.reports.straySiteIds(since, 500),
      ]);
      // Only site IDs close to this one, which no site has: a typo in this site's tag, never another
      // tenant's traffic (those IDs exist, so their beacons are not stray).
      const close = new Set(didYouMean(site.id, strays.map((x) => x.siteId)));
      return c.json({
        site,
        code: q.code ?? null,
        now,
        since,
        events: events.map(testEventJson),
        consent,
        invalid,
        strays: strays.filter((x) => close.has(x.siteId)),
      });
    },
  );
  return r;
}
