/**
 * Statements anyone can re-run (issue 12): the signed chain head, the operator's public keys, and
 * `GET /v1/statements` — for a period, everything an advertiser or a publisher needs to check every
 * micro of its ledger offline with core/verify-statement.ts (README "Check your invoice").
 *
 * | route                               | who                         | answer                                   |
 * |-------------------------------------|-----------------------------|------------------------------------------|
 * | GET /.well-known/perfpixel-keys.json | anyone                      | the current and retired public keys      |
 * | GET /v1/ledger/head                 | any key                     | the chain head and its signature         |
 * | GET /v1/statements?from=&to=        | an advertiser or publisher (its own); the operator with advertiserId= or publisherId= | NDJSON statement, streamed |
 *
 * An advertiser's statement shows its groups in full — legs, facts, salt — with every terms version
 * the facts name and the earlier groups of any action the period corrects; a publisher's shows only
 * its own legs of the groups it has one in (the role table: not the advertiser's cost, values or the
 * margin), the rest of each group hidden behind salted hashes that still link into the chain.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { canonicalJson } from '../core/canonical';
import { fullView, headMessage, redactedView } from '../core/chain';
import type { GroupFacts, TermsRef } from '../core/facts';
import { nodeSha256 } from '../store/sql-chain';
import type { ChainEntry } from '../store/store';
import { errorAnswer } from './answer-schemas';
import { type Collector } from './context';
import { noQuery, statementsQuery } from './query-schemas';
import { createRouter, type Router } from './router';
import type { Signer } from './signing';

const PAGE = 1000;

/** The statement routes. */
export function statementRoutes(col: Collector, signer: Signer): Router {
  const r = createRouter(col, 'Statements');
  r.route(
    {
      method: 'get',
      path: '/.well-known/perfpixel-keys.json',
      summary: "The operator's public keys (Ed25519) that sign the ledger chain's head: the current one and every retired one.",
      responses: { 200: z.object({ alg: z.literal('Ed25519'), keys: z.array(z.looseObject({ keyId: z.string(), publicKey: z.string() })) }).describe('keys') },
    },
    (c) => c.json({ alg: 'Ed25519' as const, keys: signer.keys() }, 200, { 'Cache-Control': 'public, max-age=300' }),
  );

  r.route(
    {
      method: 'get',
      path: '/v1/ledger/head',
      summary: "The ledger chain's head (last sequence number and hash) and its signature.",
      roles: ['operator', 'advertiser', 'publisher'],
      query: noQuery,
      responses: { 200: z.looseObject({ keyId: z.string(), signature: z.string() }).describe('the head, signed') },
    },
    async (c) => {
      const head = await col.store.reports.chainHead();
      return c.json({ ...head, keyId: signer.keyId, signature: signer.sign(headMessage(head)) });
    },
  );

  r.route(
    {
      method: 'get',
      path: '/v1/statements',
      summary: 'A statement for a period (NDJSON): the signed chain segment with the caller’s entries, the facts and terms they were priced from, and totals — verify it with `perfpixel verify`.',
      roles: ['operator', 'advertiser', 'publisher'],
      query: statementsQuery,
      responses: { 200: { description: 'NDJSON statement, streamed', type: 'application/x-ndjson' }, 403: errorAnswer.describe('the operator names no party') },
    },
    async (c) => {
      const who = c.var.principal;
      const q = c.req.valid('query');
      const period = { from: q.from ?? 0, to: q.to ?? col.clock() + 1 };
      if (period.from >= period.to) return c.json({ error: 'invalid_query', reason: 'from must be before to' }, 400);
      const party =
        who.kind === 'operator'
          ? q.advertiserId
            ? { kind: 'advertiser' as const, id: q.advertiserId }
            : q.publisherId
              ? { kind: 'publisher' as const, id: q.publisherId }
              : null
          : { kind: who.kind, id: who.id };
      if (!party) return c.json({ error: 'forbidden', reason: 'the operator names the party: advertiserId= or publisherId=' }, 403);
      return streamStatement(c, col, signer, party, period);
    },
  );
  return r;
}

/** Streams one party's statement for a period (see the module comment). */
function streamStatement(c: Context, col: Collector, signer: Signer, party: { kind: 'advertiser' | 'publisher'; id: string }, period: { from: number; to: number }) {
  const reports = col.store.reports;
  const account = `${party.kind}:${party.id}`;
  const owns = (e: ChainEntry) => (party.kind === 'advertiser' ? e.group.meta.advertiserId === party.id : e.group.legs.some((l) => l.account === account));
  const json = (v: unknown) => JSON.parse(canonicalJson(v)) as unknown;

  async function* lines(): AsyncGenerator<unknown> {
    const { start, end } = await reports.chainRange(period);
    // First pass (advertisers): which terms versions the facts name, and which actions the period corrects.
    const termsRefs = new Map<string, TermsRef>();
    const corrected = new Map<string, { refType: string; refId: string }>();
    if (party.kind === 'advertiser') {
      for (let after = start.seq; after < end.seq; ) {
        const page = await reports.chainPage(after, end.seq, PAGE);
        if (page.length === 0) break;
        for (const e of page) {
          if (!owns(e)) continue;
          const f = e.group.facts as (GroupFacts & { priced?: TermsRef; caps?: TermsRef; attributionTerms?: TermsRef[] }) | null;
          for (const r of [f?.priced, f?.caps, ...(f?.attributionTerms ?? [])]) if (r) termsRefs.set(`${r.campaignId}:${r.version}`, r);
          if (e.group.kind !== 'charge') corrected.set(`${e.group.meta.refType}:${e.group.meta.refId}`, { refType: e.group.meta.refType, refId: e.group.meta.refId });
        }
        after = page.at(-1)!.seq;
      }
    }
    yield {
      type: 'statement',
      format: 'perfpixel-statement',
      version: 1,
      party,
      period,
      generatedAt: col.clock(),
      start,
      end,
      signature: { keyId: signer.keyId, alg: 'Ed25519', value: signer.sign(headMessage(end)) },
      keys: signer.keys().map(({ keyId, publicKey }) => ({ keyId, publicKey })),
    };
    for (const r of termsRefs.values()) {
      const t = await col.store.catalog.getTerms(r.campaignId, r.version);
      if (t) yield { type: 'terms', terms: json(t) };
    }
    for (const g of await reports.groupsOfActions([...corrected.values()], start.seq)) yield { type: 'context', group: groupJson(g) };
    const totals = new Map<string, bigint>();
    for (let after = start.seq; after < end.seq; ) {
      const page = await reports.chainPage(after, end.seq, PAGE);
      if (page.length === 0) break;
      for (const e of page) {
        if (!owns(e)) {
          yield { type: 'link', seq: e.seq, content: e.contentHash };
          continue;
        }
        for (const l of e.group.legs) {
          if (party.kind === 'publisher' && l.account !== account) continue;
          const k = `${e.group.meta.currency}|${l.account}`;
          totals.set(k, (totals.get(k) ?? 0n) + (l.side === 'debit' ? l.micros : -l.micros));
        }
        if (party.kind === 'advertiser') {
          yield { type: 'entry', seq: e.seq, group: groupJson(e.group), facts: e.group.facts, salt: e.salt };
        } else {
          const view = redactedView(nodeSha256, fullView(nodeSha256, e.group, e.group.facts, e.salt), (l) => l.account === account);
          yield { type: 'entry', seq: e.seq, view: json(view) };
        }
      }
      after = page.at(-1)!.seq;
    }
    yield { type: 'end', totals: [...totals].map(([k, n]) => ({ currency: k.split('|')[0], account: k.split('|')[1], netMicros: String(n) })) };
  }

  const encoder = new TextEncoder();
  const it = lines();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await it.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(`${canonicalJson(next.value)}\n`));
      } catch (err) {
        // A failure after the first bytes aborts the download, so a cut statement never looks whole.
        col.logger.error({ err }, 'statement failed');
        controller.error(err);
      }
    },
    async cancel() {
      await it.return(undefined);
    },
  });
  return c.body(body, 200, {
    'Content-Type': 'application/x-ndjson; charset=utf-8',
    'Content-Disposition': `attachment; filename="statement-${party.id}-${period.from}-${period.to}.ndjson"`,
    'Cache-Control': 'no-store',
  });
}

/** A group in a statement: money as strings, legs in their committed order. */
function groupJson(g: ChainEntry['group']) {
  return { id: g.id, key: g.key, kind: g.kind, postedAt: g.postedAt, meta: { ...g.meta, slotId: g.meta.slotId ?? null }, legs: g.legs.map((l) => ({ account: l.account, side: l.side, micros: String(l.micros) })) };
}
