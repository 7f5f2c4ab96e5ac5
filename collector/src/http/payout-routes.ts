/**
 * Publisher payouts and account statements (issue 14; the money rules are core/payouts.ts).
 *
 * | route                                   | who                                   | answer                                     |
 * |-----------------------------------------|---------------------------------------|--------------------------------------------|
 * | GET /v1/payout-policies                 | any key                               | reversal window and threshold per currency |
 * | PUT /v1/payout-policies/:currency       | operator                              | sets them                                  |
 * | GET /v1/payouts/balance                 | a publisher (own); operator with publisherId= | balance, pending, payable, paid per currency |
 * | POST /v1/payouts                        | operator                              | records a payout (an entry group), 201; the same key again: 200, nothing posted |
 * | GET /v1/payouts, /v1/payouts.csv        | a publisher (own); operator (all, or publisherId=) | payout history                  |
 * | GET /v1/account-statement(.csv)         | a publisher (own); operator with publisherId= | entries with a running balance     |
 *
 * Advertisers reach none of it (403): a publisher's balance is between it and the platform. A
 * publisher's statement line carries only what its ledger view does (role-view.ts): group, kind,
 * time, campaign, slot, currency, its own movement and the reason.
 */
import { z } from 'zod';
import { formatMicros, MAX_MONEY_MICROS } from '../core/money';
import { DEFAULT_PAYOUT_POLICY, maturedBefore, payoutBalance, payoutKey, planPayout, type PayoutPolicy } from '../core/payouts';
import type { PayoutRecord } from '../store/payouts';
import { ownedPublisher } from './auth';
import { errorAnswer } from './answer-schemas';
import { fail, type Collector } from './context';
import { ref } from './query-schemas';
import { csv } from './report-routes';
import { createRouter, type Router } from './router';

const DAY_MS = 86_400_000;
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code, e.g. EUR');
const microsText = z.string().regex(/^\d{1,19}$/, 'whole micros as a string of digits').transform(BigInt).pipe(z.bigint().max(MAX_MONEY_MICROS, `at most ${MAX_MONEY_MICROS} micros`));
const epochMs = z.string().regex(/^\d{1,15}$/, 'epoch milliseconds').transform(Number);
const limit = z.string().regex(/^\d{1,4}$/, 'a whole number from 1 to 5000').transform(Number).pipe(z.number().int().min(1).max(5000));

const policyBody = z.strictObject({
  reversalWindowDays: z.number().int().min(0).max(365).describe('days a charge stays pending (may still be reversed) before it is payable'),
  thresholdMicros: microsText.describe('the smallest payout, micros'),
});
const payoutBody = z.strictObject({
  publisherId: ref,
  currency,
  idempotencyKey: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, '1–64 letters, digits, _ . or -').describe('the same key never pays twice'),
  amountMicros: microsText.optional().describe('default: everything payable'),
  reference: z.string().max(200).optional().describe('bank transfer ID or note'),
});
const balanceQuery = z.strictObject({ publisherId: ref.optional() });
const payoutsQuery = z.strictObject({ publisherId: ref.optional(), limit: limit.optional(), before: z.string().regex(/^[1-9]\d{0,14}$/, 'not a payouts cursor').transform(Number).optional() });
const statementQuery = z.strictObject({
  publisherId: ref.optional(),
  currency,
  from: epochMs.optional(),
  to: epochMs.optional(),
  limit: limit.optional(),
  after: z
    .string()
    .regex(/^\d{1,15}_[1-9]\d{0,14}$/, 'not a statement cursor (use the `next` of the previous page)')
    .transform((v) => ({ at: Number(v.split('_')[0]), groupId: Number(v.split('_')[1]) }))
    .optional(),
});
const statementCsvQuery = statementQuery.omit({ limit: true, after: true });

const micros = z.string().regex(/^-?\d+$/);
const policyAnswer = z.object({ currency: z.string(), reversalWindowDays: z.number().int(), thresholdMicros: micros });
const balanceAnswer = z.object({ currency: z.string(), balanceMicros: micros, pendingMicros: micros, payableMicros: micros, paidMicros: micros, reversalWindowDays: z.number().int(), thresholdMicros: micros });
const payoutAnswer = z.object({ groupId: z.number().int(), publisherId: z.string(), key: z.string(), currency: z.string(), amountMicros: micros, reference: z.string().nullable(), at: z.number().int() });
const lineAnswer = z.object({ groupId: z.number().int(), kind: z.string(), at: z.number().int(), campaignId: z.string(), slotId: z.string().nullable(), reason: z.string().nullable(), amountMicros: micros, balanceMicros: micros });

const payoutJson = (p: PayoutRecord) => ({ ...p, amountMicros: String(p.amountMicros) });
const policyJson = (cur: string, p: PayoutPolicy) => ({ currency: cur, reversalWindowDays: p.reversalWindowDays, thresholdMicros: String(p.thresholdMicros) });

/** The payout routes. */
export function payoutRoutes(col: Collector): Router {
  const r = createRouter(col, 'Payouts');
  const reports = col.store.reports;
  const policyOf = async (cur: string) => (await reports.payoutPolicies()).get(cur) ?? DEFAULT_PAYOUT_POLICY;
  /** The publisher the caller asks about: its own, or (operator) the one it names. */
  const whose = async (who: Parameters<typeof ownedPublisher>[1], publisherId: string | undefined) => {
    if (who.kind === 'publisher') return ownedPublisher(col, who, publisherId ?? who.id);
    if (!publisherId) return null;
    return ownedPublisher(col, who, publisherId);
  };
  const needPublisher = 'the operator names the publisher: publisherId=';

  r.route(
    { method: 'get', path: '/v1/payout-policies', summary: 'The reversal window and payout threshold per currency, and the default for a currency without one.', roles: ['operator', 'advertiser', 'publisher'], responses: { 200: z.object({ policies: z.array(policyAnswer), default: policyAnswer.omit({ currency: true }) }) } },
    async (c) => {
      const all = await reports.payoutPolicies();
      return c.json({ policies: [...all].map(([cur, p]) => policyJson(cur, p)), default: { reversalWindowDays: DEFAULT_PAYOUT_POLICY.reversalWindowDays, thresholdMicros: String(DEFAULT_PAYOUT_POLICY.thresholdMicros) } });
    },
  );

  r.route(
    { method: 'put', path: '/v1/payout-policies/:currency', summary: 'Set the reversal window (days a charge stays pending) and the payout threshold of a currency.', roles: ['operator'], params: z.strictObject({ currency }), body: policyBody, responses: { 200: policyAnswer } },
    async (c) => {
      const cur = c.req.valid('param').currency;
      const b = c.req.valid('json');
      const policy = { reversalWindowDays: b.reversalWindowDays, thresholdMicros: b.thresholdMicros };
      await col.store.write((tx) => tx.setPayoutPolicy(cur, policy, col.clock()));
      return c.json(policyJson(cur, policy));
    },
  );

  r.route(
    { method: 'get', path: '/v1/payouts/balance', summary: "A publisher's balance per currency: pending (inside the reversal window), payable, paid.", roles: ['operator', 'publisher'], query: balanceQuery, responses: { 200: z.object({ publisherId: z.string(), asOf: z.number().int(), balances: z.array(balanceAnswer) }), 403: errorAnswer } },
    async (c) => {
      const pub = await whose(c.var.principal, c.req.valid('query').publisherId);
      if (!pub) return fail(c, 403, 'forbidden', needPublisher);
      const now = col.clock();
      const policies = await reports.payoutPolicies();
      const balances = [];
      for (const cur of await reports.publisherCurrencies(pub.id)) {
        const policy = policies.get(cur) ?? DEFAULT_PAYOUT_POLICY;
        const b = payoutBalance(await reports.publisherSums(pub.id, cur, maturedBefore(now, policy)));
        balances.push({ currency: cur, balanceMicros: String(b.balanceMicros), pendingMicros: String(b.pendingMicros), payableMicros: String(b.payableMicros), paidMicros: String(b.paidMicros), reversalWindowDays: policy.reversalWindowDays, thresholdMicros: String(policy.thresholdMicros) });
      }
      return c.json({ publisherId: pub.id, asOf: now, balances });
    },
  );

  r.route(
    {
      method: 'post',
      path: '/v1/payouts',
      summary: 'Record a payout to a publisher: an entry group (debit the publisher, credit payouts), at most the payable balance and at least the threshold. The same idempotencyKey again answers the first payout and posts nothing.',
      roles: ['operator'],
      body: payoutBody,
      responses: { 201: z.object({ payout: payoutAnswer }), 200: z.object({ payout: payoutAnswer, replayed: z.literal(true) }), 409: errorAnswer.describe('the key was used for another payout'), 422: errorAnswer.describe('below the threshold, above the payable balance, or nothing payable') },
    },
    async (c) => {
      const b = c.req.valid('json');
      const pub = await ownedPublisher(col, c.var.principal, b.publisherId);
      const policy = await policyOf(b.currency);
      const now = col.clock();
      const res = await col.store.write(async (tx) => {
        await tx.lockPublisherPayouts(pub.id);
        const earlier = await tx.payoutByKey(payoutKey(pub.id, b.idempotencyKey));
        if (earlier) return { kind: 'earlier', payout: earlier } as const;
        const balance = payoutBalance(await tx.publisherSums(pub.id, b.currency, maturedBefore(now, policy)));
        const plan = planPayout({ publisherId: pub.id, currency: b.currency, key: b.idempotencyKey, amountMicros: b.amountMicros, reference: b.reference ?? null, at: now }, balance, policy);
        if (!plan.ok) return { kind: 'refused', code: plan.code, reason: plan.reason } as const;
        await tx.postGroup(plan.group, now);
        return { kind: 'posted', payout: (await tx.payoutByKey(plan.group.key))! } as const;
      });
      if (res.kind === 'refused') return fail(c, 422, res.code, res.reason);
      if (res.kind === 'earlier') {
        const e = res.payout;
        const same = e.currency === b.currency && (b.amountMicros === undefined || b.amountMicros === e.amountMicros);
        if (!same) return fail(c, 409, 'idempotency_key_reused', `key ${b.idempotencyKey} already paid ${e.amountMicros} micros ${e.currency}`);
        return c.json({ payout: payoutJson(e), replayed: true as const }, 200);
      }
      return c.json({ payout: payoutJson(res.payout) }, 201);
    },
  );

  r.route(
    { method: 'get', path: '/v1/payouts', summary: 'Payouts, newest first: a publisher its own; the operator all, or one publisher’s.', roles: ['operator', 'publisher'], query: payoutsQuery, responses: { 200: z.object({ payouts: z.array(payoutAnswer), next: z.string().nullable() }) } },
    async (c) => {
      const q = c.req.valid('query');
      const pub = await whose(c.var.principal, q.publisherId);
      const lim = q.limit ?? 200;
      const list = await reports.payouts({ publisherId: pub?.id }, lim, q.before);
      return c.json({ payouts: list.map(payoutJson), next: list.length === lim ? String(list.at(-1)!.groupId) : null });
    },
  );

  r.route(
    { method: 'get', path: '/v1/payouts.csv', summary: 'Payouts as CSV.', roles: ['operator', 'publisher'], query: balanceQuery, responses: { 200: { description: 'CSV', type: 'text/csv' } } },
    async (c) => {
      const pub = await whose(c.var.principal, c.req.valid('query').publisherId);
      async function* pages() {
        let before: number | undefined;
        for (;;) {
          const page = await reports.payouts({ publisherId: pub?.id }, 1000, before);
          yield page.map((p) => [p.groupId, new Date(p.at).toISOString(), p.publisherId, p.key, p.currency, formatMicros(p.amountMicros), p.reference ?? '']);
          if (page.length < 1000) return;
          before = page.at(-1)!.groupId;
        }
      }
      return csv(c, 'payouts.csv', ['group', 'at', 'publisher', 'key', 'currency', 'amount', 'reference'], pages());
    },
  );

  const statementRange = (q: { from?: number; to?: number }) => {
    const to = q.to ?? col.clock() + 1;
    return { from: q.from ?? to - 30 * DAY_MS, to };
  };

  r.route(
    {
      method: 'get',
      path: '/v1/account-statement',
      summary: "A publisher's account in one currency: opening balance, every entry (earnings +, clawbacks and payouts −) with the balance after it, closing balance.",
      roles: ['operator', 'publisher'],
      query: statementQuery,
      responses: { 200: z.object({ publisherId: z.string(), currency: z.string(), from: z.number().int(), to: z.number().int(), openingMicros: micros, closingMicros: micros, lines: z.array(lineAnswer), next: z.string().nullable() }), 403: errorAnswer },
    },
    async (c) => {
      const q = c.req.valid('query');
      const pub = await whose(c.var.principal, q.publisherId);
      if (!pub) return fail(c, 403, 'forbidden', needPublisher);
      const range = statementRange(q);
      if (range.from > range.to) return fail(c, 400, 'invalid_query', 'from must not be after to');
      const s = await reports.accountStatement(pub.id, q.currency, range, q.limit ?? 500, q.after);
      return c.json({
        publisherId: pub.id,
        ...range,
        currency: s.currency,
        openingMicros: String(s.openingMicros),
        closingMicros: String(s.closingMicros),
        lines: s.lines.map((l) => ({ ...l, amountMicros: String(l.amountMicros), balanceMicros: String(l.balanceMicros) })),
        next: s.next,
      });
    },
  );

  r.route(
    { method: 'get', path: '/v1/account-statement.csv', summary: "A publisher's account statement as CSV, with the running balance.", roles: ['operator', 'publisher'], query: statementCsvQuery, responses: { 200: { description: 'CSV', type: 'text/csv' }, 403: errorAnswer } },
    async (c) => {
      const q = c.req.valid('query');
      const pub = await whose(c.var.principal, q.publisherId);
      if (!pub) return fail(c, 403, 'forbidden', needPublisher);
      const range = statementRange(q);
      async function* pages() {
        let after: { at: number; groupId: number } | undefined;
        let first = true;
        for (;;) {
          const s = await reports.accountStatement(pub!.id, q.currency, range, 1000, after);
          const rows: unknown[][] = first ? [['', new Date(range.from).toISOString(), 'opening', '', '', q.currency, '', formatMicros(s.openingMicros), 'opening balance']] : [];
          first = false;
          rows.push(...s.lines.map((l) => [l.groupId, new Date(l.at).toISOString(), l.kind, l.campaignId, l.slotId ?? '', q.currency, formatMicros(l.amountMicros), formatMicros(l.balanceMicros), l.reason ?? '']));
          if (!s.next) rows.push(['', new Date(range.to).toISOString(), 'closing', '', '', q.currency, '', formatMicros(s.closingMicros), 'closing balance']);
          yield rows;
          if (!s.next) return;
          const [at, id] = s.next.split('_');
          after = { at: Number(at), groupId: Number(id) };
        }
      }
      return csv(c, 'account-statement.csv', ['group', 'at', 'kind', 'campaign', 'slot', 'currency', 'amount', 'balance', 'reason'], pages());
    },
  );
  return r;
}
