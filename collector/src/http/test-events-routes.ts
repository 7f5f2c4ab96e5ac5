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
 * testEventsRoutes(app, col); // in createCollector, beside the report routes
 * ```
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { DAY_MS } from '../core/terms';
import { describeIssues } from '../ingest/beacon-schema';
import type { TestEvent } from '../store/test-events';
import { authenticate } from './auth';
import { fail, type Collector } from './context';
import { didYouMean } from './did-you-mean';

/** How many events the view shows. */
export const TEST_EVENTS_LIMIT = 50;

const query = z.strictObject({
  code: z.string().regex(/^[A-Za-z0-9]{1,24}$/, 'a test code is 1–24 letters or digits, as in ?pp_test=CODE').optional(),
});

/** A test event as JSON (money as a string of micros). */
export const testEventJson = (e: TestEvent) => ({ ...e, costMicros: String(e.costMicros) });

/** Registers the test-events route. */
export function testEventsRoutes(app: Hono, col: Collector): void {
  col.docs.push({
    method: 'get',
    path: '/v1/sites/:id/test-events',
    tag: 'Reports',
    summary: 'The newest 50 events of a site (last 24 h) with what became of each and why; `code` keeps one test browser’s. For the verify page.',
    auth: ['operator', 'advertiser', 'publisher'],
    query,
    responses: { 200: 'ok', 400: 'invalid query', 401: 'unauthenticated', 403: 'not your site', 404: 'no such site (with close site IDs of yours)' },
  });

  app.get('/v1/sites/:id/test-events', async (c) => {
    const auth = await authenticate(col, c);
    if (!auth) return fail(c, 401, 'unauthenticated', 'send Authorization: Bearer <API key>');
    const q = query.safeParse(c.req.query());
    if (!q.success) return fail(c, 400, 'invalid_query', describeIssues(q.error));
    const siteId = c.req.param('id');
    const site = await col.store.catalog.getSite(siteId);
    const own = auth.kind === 'operator' ? undefined : { ownerType: auth.kind, ownerId: auth.id };
    if (!site) {
      const mine = (await col.store.catalog.listSites(own)).map((s) => s.id);
      return c.json({ error: 'not_found', reason: `no site ${siteId.slice(0, 64)}`, didYouMean: didYouMean(siteId, mine).slice(0, 3) }, 404);
    }
    if (own && (site.ownerType !== own.ownerType || site.ownerId !== own.ownerId)) return fail(c, 403, 'forbidden', 'not your site');

    const now = col.clock();
    const since = now - DAY_MS;
    const [events, consent, invalid, strays] = await Promise.all([
      col.store.reports.testEvents(site, { since, code: q.data.code }, TEST_EVENTS_LIMIT),
      col.store.reports.consentSummary(site.id, since),
      col.store.reports.invalidCounts(site, since),
      col.store.reports.straySiteIds(since, 500),
    ]);
    // Only site IDs close to this one, which no site has: a typo in this site's tag, never another
    // tenant's traffic (those IDs exist, so their beacons are not stray).
    const close = new Set(didYouMean(site.id, strays.map((s) => s.siteId)));
    return c.json({
      site,
      code: q.data.code ?? null,
      now,
      since,
      events: events.map(testEventJson),
      consent,
      invalid,
      strays: strays.filter((s) => close.has(s.siteId)),
    });
  });
}
