/**
 * `POST /v1/conversions/bulk` (issue 14): an advertiser's bulk-adjustment file (CSV: order ID,
 * action, amount, reason — ingest/bulk-adjust-csv.ts), previewed with `dryRun: true` (every line
 * planned by the real commands in a transaction that is rolled back) and applied with `dryRun:
 * false` (ingest/bulk-adjust.ts). Bounded: at most MAX_BULK_BYTES of CSV (413) and MAX_BULK_LINES
 * lines (422); a file that cannot be read at all is a 422 with the reason, a bad line is reported
 * on its line.
 *
 * ```
 * POST /v1/conversions/bulk  {"csv":"order_id,action,amount,reason\nA-1,reverse,,refund\n","dryRun":true}
 * → 200 {"dryRun":true,"lines":[{"line":2,"orderId":"A-1","outcome":"would_apply","costDeltaMicros":"-5990000",…}],"totals":[…]}
 * ```
 */
import { z } from 'zod';
import { MAX_BULK_BYTES, MAX_BULK_LINES, parseBulkCsv } from '../ingest/bulk-adjust-csv';
import { runBulkAdjustments, type BulkOutcome } from '../ingest/bulk-adjust';
import { errorAnswer } from './answer-schemas';
import { fail, type Collector } from './context';
import { ref } from './query-schemas';
import { createRouter, type Router } from './router';
import { countMoneyMoved } from './s2s-routes';

const bulkBody = z.strictObject({
  csv: z.string().min(1, 'the file is empty').max(MAX_BULK_BYTES, `at most ${MAX_BULK_BYTES} characters of CSV`),
  dryRun: z.boolean(),
  advertiserId: ref.optional().describe('operator only: whose conversions'),
});

const outcomeAnswer = z.object({
  line: z.number(),
  orderId: z.string(),
  command: z.string().nullable(),
  conversionId: z.string().nullable(),
  outcome: z.enum(['applied', 'would_apply', 'unchanged', 'error']),
  reason: z.string().nullable(),
  status: z.string().nullable(),
  costDeltaMicros: z.string(),
  currency: z.string().nullable(),
});
const bulkAnswer = z.object({
  dryRun: z.boolean(),
  lines: z.array(outcomeAnswer),
  totals: z.array(z.object({ currency: z.string(), costDeltaMicros: z.string() })).describe('money moved per currency'),
  counts: z.object({ applied: z.number(), would_apply: z.number(), unchanged: z.number(), error: z.number() }),
});

/** The bulk-adjustment route. */
export function bulkAdjustRoutes(col: Collector): Router {
  const r = createRouter(col, 'Conversions');
  r.route(
    {
      method: 'post',
      path: '/v1/conversions/bulk',
      summary: `Bulk adjustments from a CSV (order_id, action, amount, reason; at most ${MAX_BULK_LINES} lines): dryRun previews the money each line moves, planned by the same commands and rolled back; otherwise applied line by line. A line already done is unchanged, so re-sending a file moves nothing twice.`,
      roles: ['advertiser', 'operator'],
      body: bulkBody,
      // The JSON wrapping (escapes) may make the body larger than the CSV it carries.
      maxBytes: 2 * MAX_BULK_BYTES + 1024,
      responses: { 200: bulkAnswer, 422: errorAnswer.describe('the file cannot be read: no header, unknown column, too many lines') },
    },
    async (c) => {
      const b = c.req.valid('json');
      const who = c.var.principal;
      const advertiserId = who.kind === 'advertiser' ? who.id : b.advertiserId;
      if (who.kind === 'advertiser' && b.advertiserId && b.advertiserId !== who.id) return fail(c, 400, 'invalid', 'advertiserId is the operator’s to give');
      if (!advertiserId) return fail(c, 400, 'invalid', 'advertiserId: the operator names whose conversions');
      const file = parseBulkCsv(b.csv);
      if (!file.ok) return fail(c, 422, 'invalid_file', file.reason);
      const lines = await runBulkAdjustments(col.store, advertiserId, file.lines, { dryRun: b.dryRun, at: col.clock() });
      if (!b.dryRun) for (const l of lines) countMoneyMoved(col, l.costDeltaMicros, l.currency);
      return c.json(bulkJson(b.dryRun, lines));
    },
  );
  return r;
}

function bulkJson(dryRun: boolean, lines: BulkOutcome[]) {
  const totals = new Map<string, bigint>();
  const counts = { applied: 0, would_apply: 0, unchanged: 0, error: 0 };
  for (const l of lines) {
    counts[l.outcome]++;
    if (l.currency && l.costDeltaMicros !== 0n) totals.set(l.currency, (totals.get(l.currency) ?? 0n) + l.costDeltaMicros);
  }
  return {
    dryRun,
    lines: lines.map((l) => ({ ...l, costDeltaMicros: String(l.costDeltaMicros) })),
    totals: [...totals].map(([currency, m]) => ({ currency, costDeltaMicros: String(m) })),
    counts,
  };
}
