/**
 * `POST /v1/conversions/test` — the postback console's "send" (issue 14). The signed-in advertiser
 * (API key; the browser never holds the S2S secret) posts the body of an S2S conversion; the
 * collector runs it through the real S2S pipeline for that advertiser and rolls it back
 * (ingest/test-postback.ts). The answer carries the HTTP status and body `POST /v1/conversions`
 * would answer now, and the verdict: the explain record (who won, why) and the entry group it would
 * post. `test: true` — nothing is kept: no conversion, ledger entry, spend or report row.
 */
import { z } from 'zod';
import { s2sConversion } from '../ingest/beacon-schema';
import { runTestPostback } from '../ingest/test-postback';
import { conversionAnswer } from './answer-schemas';
import { payloadHash, requestContext, type Collector } from './context';
import { conversionJson, groupJson } from './json';
import { createRouter, type Router } from './router';
import { s2sAnswerOf } from './s2s-routes';

const testAnswer = z.object({
  test: z.literal(true),
  kept: z.literal(false).describe('nothing of the test is stored'),
  http: z.object({ status: z.number().describe('what POST /v1/conversions would answer now'), body: z.record(z.string(), z.unknown()) }),
  verdict: z.object({
    conversion: conversionAnswer.nullable().describe('the conversion as it would be stored, with its explain record (`decision`)'),
    ledger: z.array(z.record(z.string(), z.unknown())).describe('the entry groups it would post'),
  }),
});

/** The postback console's test route. */
export function postbackTestRoutes(col: Collector): Router {
  const r = createRouter(col, 'Conversions');
  r.route(
    {
      method: 'post',
      path: '/v1/conversions/test',
      summary:
        'Test an S2S conversion without billing: run through the real pipeline for the signed-in advertiser and rolled back. Answers what POST /v1/conversions would answer and the verdict (attribution and price); nothing is stored.',
      roles: ['advertiser'],
      body: s2sConversion,
      maxBytes: 16 * 1024,
      responses: { 200: testAnswer },
    },
    async (c) => {
      const who = c.var.principal;
      if (who.kind !== 'advertiser') throw new Error('unreachable: advertiser route');
      const body = c.req.valid('json');
      const ctx = requestContext(col, c, '/v1/conversions');
      const out = await runTestPostback(
        col.store,
        { kind: 's2s', advertiserId: who.id, body, payloadHash: payloadHash(body as Record<string, unknown>), ctx: { ...ctx, ivt: null } },
        col.pipeline,
      );
      const shown = out.result.status === 'accepted' || out.result.status === 'duplicate' ? out.conversion : null;
      const http = s2sAnswerOf(out.result, shown);
      return c.json({
        test: true as const,
        kept: false as const,
        http,
        verdict: { conversion: shown ? conversionJson(shown) : null, ledger: out.groups.map(groupJson) },
      });
    },
  );
  return r;
}
