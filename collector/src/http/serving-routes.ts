/**
 * Serving: `GET /ad?slot=…&p=…` (the ad decision) and `GET /c/:token` (the click redirect).
 *
 * Click redirect rules (SPEC §3.1):
 * | input                                   | answer                                                   |
 * |-----------------------------------------|----------------------------------------------------------|
 * | valid token, known creative             | click recorded (committed), 302 to the registered landing URL + `ppclid`, `Cache-Control: no-store` |
 * | token malformed, tampered, CR/LF        | 400, nothing recorded                                    |
 * | token valid, campaign or creative gone  | 404                                                      |
 * | bot, prefetch, flood, expired token     | recorded as invalid (never billed), still 302            |
 * | commit queue full                       | 302 without a click ID (the visitor still lands; nothing acknowledged) |
 * The Location header is built only from stored landing URLs, never from request input.
 */
import { z } from 'zod';
import { OverloadedError } from '../ingest/group-commit';
import type { AdToken } from '../ingest/keys';
import { timeOrderedId } from '../ingest/ids';
import type { AdDecider } from '../serving/ad-decider';
import { allowedHosts, landsOn, withClickId } from '../serving/landing';
import { adAnswer, errorAnswer } from './answer-schemas';
import { fail, requestContext, type Collector } from './context';
import { createRouter, type Router } from './router';

/** The query parameter that carries our click ID (not gclid-like: Safari strips those). */
export const CLICK_ID_PARAM = 'ppclid';

// Not strict: a cache-buster such as `&_=123` must not turn an ad request into a 400.
const adQuery = z.object({
  slot: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  p: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});

/** /ad and /c/:token (hot paths: validated inside the handlers, no middleware layer; router.ts). */
export function servingRoutes(col: Collector, decider: AdDecider): Router {
  const r = createRouter(col, 'Serving');

  r.route(
    {
      method: 'get',
      path: '/ad',
      summary: 'The ad to show in a slot, with its signed impression token and click URL; {"ad":null} when nothing is eligible.',
      query: adQuery,
      inHandler: true,
      responses: { 200: adAnswer.describe('an ad or null'), 400: errorAnswer.describe('bad slot'), 404: errorAnswer.describe('unknown slot') },
    },
    async (c) => {
      const headers = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' };
      const q = adQuery.safeParse(c.req.query());
      if (!q.success) return fail(c, 400, 'invalid_query', 'slot must be a slot ID; p an optional page-view ID', headers);
      const slot = await col.cache.slot(q.data.slot);
      if (!slot) return fail(c, 404, 'unknown_slot', `no slot ${q.data.slot}`, headers);
      if (slot.status !== 'active') return c.json({ ad: null }, 200, headers);
      const choice = await decider.decide(slot);
      if (!choice) return c.json({ ad: null }, 200, headers);
      const token: AdToken = {
        // Time-ordered, so the impressions and ledger keys derived from it append to their indexes.
        d: timeOrderedId(col.clock(), col.random),
        si: slot.siteId,
        s: slot.id,
        p: slot.publisherId,
        a: choice.campaign.advertiserId,
        c: choice.campaign.id,
        cr: choice.creative.id,
        v: choice.campaign.terms.version,
        pv: q.data.p ?? null,
        t: col.clock(),
      };
      const tk = col.keys.signToken(token);
      return c.json(
        {
          ad: {
            w: choice.creative.width,
            h: choice.creative.height,
            // A creative image may be stored as a path on the collector; the SDK sets it as the src
            // on the publisher's page, where a path would resolve against the publisher's origin.
            img: choice.creative.imageUrl.startsWith('/') ? `${col.publicUrl}${choice.creative.imageUrl}` : choice.creative.imageUrl,
            alt: choice.creative.alt,
            href: `${col.publicUrl}/c/${tk}`,
            tk,
          },
        },
        200,
        headers,
      );
    },
  );

  r.route(
    {
      method: 'get',
      path: '/c/:token',
      summary: "Click redirect: records the click and answers 302 to the campaign's registered landing URL with ppclid appended.",
      params: z.object({ token: z.string().describe('the signed decision token of GET /ad') }),
      inHandler: true,
      responses: { 302: { description: 'to the landing page' }, 400: { description: 'malformed or tampered token', type: 'text/plain' }, 404: { description: 'campaign or creative gone', type: 'text/plain' } },
    },
    async (c) => {
      const raw = c.req.param('token')!;
      const v = col.keys.verifyToken(raw);
      if (!v.ok) return c.text(`This ad link is not valid (${v.reason}).`, 400, { 'Cache-Control': 'no-store' });
      const t = v.token;
      const [campaign, creative] = await Promise.all([col.cache.campaign(t.c), col.cache.creative(t.cr)]);
      if (!campaign || !creative || creative.campaignId !== campaign.id) {
        return c.text('This ad is no longer available.', 404, { 'Cache-Control': 'no-store' });
      }
      // The creative's landing URL was checked against the allowed hosts when it was saved; check
      // again here so a later edit of the allow-list can never turn into an open redirect. The
      // campaign's own URL is checked too: a stored row the API never validated (an import, an
      // older rule) must not send anyone to `javascript:` or crash the redirect.
      const hosts = allowedHosts(campaign);
      const destination = landsOn(creative.landingUrl, hosts) ? creative.landingUrl : landsOn(campaign.landingUrl, hosts) ? campaign.landingUrl : null;
      if (!destination) return c.text('This ad is no longer available.', 404, { 'Cache-Control': 'no-store' });
      const ctx = requestContext(col, c, '/c');
      const clickId = col.keys.mintClickId(t.a, col.random(12));
      const expired = ctx.receivedAt - t.t > col.pipeline.limits.tokenMaxAgeMs ? 'expired_token' : null;
      let location = destination;
      try {
        const [res] = await col.committer.submit([{ kind: 'redirect_click', token: t, invalidReason: expired, clickId, eventId: clickId, ctx }]);
        col.metrics.received.inc({ type: 'clk' });
        if (res?.status === 'accepted') {
          col.metrics.accepted.inc({ type: 'clk' });
          if (res.reason?.startsWith('invalid: ')) col.metrics.invalid.inc({ reason: res.reason.slice(9) });
          location = withClickId(destination, CLICK_ID_PARAM, clickId);
        } else {
          col.metrics.rejected.inc({ reason: res?.reason ?? 'rejected' });
        }
      } catch (err) {
        col.metrics.overload.inc({ endpoint: '/c' });
        if (!(err instanceof OverloadedError)) col.logger.error({ err }, 'click could not be recorded');
      }
      return c.body(null, 302, { Location: location, 'Cache-Control': 'no-store' });
    },
  );
  return r;
}
