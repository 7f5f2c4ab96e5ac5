/**
 * Names behind the IDs a report carries (issue 14: "publisher daily" showed advertisers an ID).
 * `GET /v1/publisher-names`: the operator gets every publisher's name; an advertiser only those of
 * publishers its own ads ran with (they appear in its ledger) — never the roster of publishers it
 * has no business with, nor any publisher's revenue share or keys. Publishers read their own name
 * from `/v1/me`.
 */
import { z } from 'zod';
import { type Collector } from './context';
import { noQuery } from './query-schemas';
import { createRouter, type Router } from './router';

/** The name routes. */
export function nameRoutes(col: Collector): Router {
  const r = createRouter(col, 'Reports');
  r.route(
    {
      method: 'get',
      path: '/v1/publisher-names',
      summary: 'Names of publishers: the operator all; an advertiser those its ads ran with.',
      roles: ['operator', 'advertiser'],
      query: noQuery,
      responses: { 200: z.object({ publishers: z.array(z.object({ id: z.string(), name: z.string() })) }) },
    },
    async (c) => {
      const who = c.var.principal;
      const all = await col.store.catalog.listPublishers();
      let mine: Set<string> | null = null;
      if (who.kind === 'advertiser') {
        const rows = await col.store.reports.performance({ advertiserId: who.id }, { from: 0, to: col.clock() + 1 }, 'publisher', false);
        mine = new Set(rows.map((x) => x.key));
      }
      return c.json({ publishers: all.filter((p) => !mine || mine.has(p.id)).map((p) => ({ id: p.id, name: p.name })) });
    },
  );
  return r;
}
