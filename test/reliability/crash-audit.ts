/**
 * The crash suite's audit: after the load, straight from the database (SQLite file or PostgreSQL
 * schema), what was acknowledged against what was stored and charged; and, through the running
 * collector, the ledger's hash chain re-run by the statement verifier (core/verify-statement.ts).
 *
 * | check            | holds when                                                                        |
 * |------------------|-----------------------------------------------------------------------------------|
 * | missing          | every acknowledged impression (by decision) and conversion (by order) is stored, under its event ID |
 * | duplicated       | none is stored twice                                                               |
 * | doubleCharged    | no action has two charge groups                                                    |
 * | unbalanced       | every group's debits equal its credits                                             |
 * | chargeMismatch   | every charged impression has exactly one group, of its cost; every group bills a charged impression |
 * | spendMismatch    | per campaign, the spend rows (total, per day, per publisher and day) equal the sum of its charges; the CPM running totals equal its charged impressions |
 * | capped           | the capped campaign spent at most its budget, and was stopped by it (over_cap impressions, less than one price left) |
 * | chain            | every group sealed exactly once, sequence 1…N without a gap                          |
 * | statement        | the advertiser's statement for all time verifies: chain, signature, each group re-priced from its facts |
 *
 * ```ts
 * const db = await target.open();                        // harness.ts: sqliteTarget / pgTarget
 * const a = await audit(db, acked); await db.close();
 * const v = await verifyLedger(c.url);
 * ```
 */
import { readStatement } from '../../collector/src/core/read-statement';
import { createStatementVerifier, type StatementVerdict } from '../../collector/src/core/verify-statement';
import { verifyEd25519 } from '../../collector/src/http/signing';
import { nodeSha256 } from '../../collector/src/store/sql-chain';
import { CAPPED_BUDGET_MICROS, CAPPED_CPM_MICROS, CATALOG, OPERATOR_KEY, type AuditDb } from './harness';
import type { Sent } from './crash-load';

const big = (v: unknown): bigint => BigInt(String(v ?? 0));

/** What the audit found; every count but the totals must be 0 (see the module table). */
export interface AuditResult {
  integrity: string;
  acked: number;
  storedImpressions: number;
  storedConversions: number;
  chargedImpressions: number;
  groups: number;
  missing: number;
  duplicated: number;
  doubleCharged: number;
  unbalanced: number;
  chargeMismatch: number;
  spendMismatch: string[];
  capped: { budget: string; spent: string; overCap: number; charged: number };
  chain: { links: number; distinctGroups: number; firstSeq: number; lastSeq: number };
}

/** Audits the database against the acknowledged events. */
export async function audit(db: AuditDb, acked: readonly Sent[]): Promise<AuditResult> {
  const integrity = db.dialect === 'sqlite' ? String((await db.all('PRAGMA integrity_check'))[0]!.integrity_check) : 'n/a';

  const imps = await db.all("SELECT decision_id, event_id, campaign_id, billing, cost_micros FROM impressions WHERE kind = 'served'");
  const convs = await db.all('SELECT order_id, event_id FROM conversions WHERE advertiser_id = ?', [CATALOG.advertiser]);
  const impsByDecision = new Map<string, Record<string, unknown>[]>();
  for (const r of imps) impsByDecision.set(String(r.decision_id), [...(impsByDecision.get(String(r.decision_id)) ?? []), r]);
  const convsByOrder = new Map<string, Record<string, unknown>[]>();
  for (const r of convs) convsByOrder.set(String(r.order_id), [...(convsByOrder.get(String(r.order_id)) ?? []), r]);
  let missing = 0;
  let duplicated = 0;
  for (const s of acked) {
    const rows = (s.kind === 'imp' ? impsByDecision.get(s.decision!) : convsByOrder.get(s.orderId!)) ?? [];
    if (!rows.some((r) => r.event_id === s.eventId)) missing++;
    if (rows.length > 1) duplicated++;
  }
  // An event retried until acknowledged is stored once, whichever process took it.
  const impEvents = new Set(imps.map((r) => String(r.event_id)));
  const convEvents = new Set(convs.map((r) => String(r.event_id)));
  duplicated += imps.length - impEvents.size + (convs.length - convEvents.size);

  const groups = await db.all(
    `SELECT g.id, g.kind, g.ref_type, g.ref_id, g.campaign_id,
            SUM(CASE WHEN l.side = 'debit' THEN l.micros ELSE 0 END) AS debits,
            SUM(CASE WHEN l.side = 'credit' THEN l.micros ELSE 0 END) AS credits
     FROM ledger_groups g JOIN ledger_legs l ON l.group_id = g.id
     GROUP BY g.id, g.kind, g.ref_type, g.ref_id, g.campaign_id`,
  );
  const groupCount = Number((await db.all('SELECT COUNT(*) AS n FROM ledger_groups'))[0]!.n);
  let unbalanced = groupCount - groups.length; // a group without legs
  const chargesByRef = new Map<string, Record<string, unknown>[]>();
  const chargedByCampaign = new Map<string, bigint>();
  for (const g of groups) {
    if (big(g.debits) !== big(g.credits) || big(g.debits) <= 0n) unbalanced++;
    if (g.kind !== 'charge') continue;
    const ref = `${g.ref_type}:${g.ref_id}`;
    chargesByRef.set(ref, [...(chargesByRef.get(ref) ?? []), g]);
    chargedByCampaign.set(String(g.campaign_id), (chargedByCampaign.get(String(g.campaign_id)) ?? 0n) + big(g.debits));
  }
  const doubleCharged = [...chargesByRef.values()].filter((list) => list.length > 1).length;

  // Every charged impression has its one group of its cost, and every group bills a charged impression.
  let chargeMismatch = 0;
  const charged = imps.filter((r) => r.billing === 'charged');
  for (const r of charged) {
    const list = chargesByRef.get(`impression:${String(r.decision_id)}:served`) ?? [];
    if (list.length !== 1 || big(list[0]!.debits) !== big(r.cost_micros)) chargeMismatch++;
  }
  const chargedRefs = new Set(charged.map((r) => `impression:${String(r.decision_id)}:served`));
  chargeMismatch += [...chargesByRef.keys()].filter((ref) => !chargedRefs.has(ref)).length;

  // Spend rows and running totals agree with the ledger, campaign by campaign.
  const spendMismatch: string[] = [];
  const spend = await db.all('SELECT campaign_id, scope, publisher_id, micros FROM spend');
  const campaigns = new Set([...chargedByCampaign.keys(), ...spend.map((r) => String(r.campaign_id))]);
  for (const id of campaigns) {
    const want = chargedByCampaign.get(id) ?? 0n;
    const rows = spend.filter((r) => r.campaign_id === id);
    const sum = (keep: (r: Record<string, unknown>) => boolean) => rows.filter(keep).reduce((t, r) => t + big(r.micros), 0n);
    const total = sum((r) => r.scope === 'total');
    const days = sum((r) => r.scope !== 'total' && r.publisher_id === '');
    const publisherDays = rows.some((r) => r.scope !== 'total' && r.publisher_id !== '') ? sum((r) => r.scope !== 'total' && r.publisher_id !== '') : want;
    if (total !== want || days !== want || publisherDays !== want) spendMismatch.push(`${id}: charged ${want}, spend total ${total}, days ${days}, publisher days ${publisherDays}`);
  }
  for (const t of await db.all('SELECT campaign_id, billable_count, charged_micros FROM cpm_totals')) {
    const mine = charged.filter((r) => r.campaign_id === t.campaign_id);
    const micros = mine.reduce((s, r) => s + big(r.cost_micros), 0n);
    if (big(t.billable_count) !== BigInt(mine.length) || big(t.charged_micros) !== micros) {
      spendMismatch.push(`${String(t.campaign_id)}: cpm_totals ${String(t.billable_count)} / ${String(t.charged_micros)}, impressions ${mine.length} / ${micros}`);
    }
  }

  const cappedRows = imps.filter((r) => r.campaign_id === CATALOG.capped);
  const capped = {
    budget: String(CAPPED_BUDGET_MICROS),
    spent: String(chargedByCampaign.get(CATALOG.capped) ?? 0n),
    overCap: cappedRows.filter((r) => r.billing === 'over_cap').length,
    charged: cappedRows.filter((r) => r.billing === 'charged').length,
  };

  const c = (await db.all('SELECT COUNT(*) AS links, COUNT(DISTINCT group_id) AS distinct_groups, MIN(seq) AS first_seq, MAX(seq) AS last_seq FROM ledger_chain'))[0]!;
  const chain = { links: Number(c.links), distinctGroups: Number(c.distinct_groups), firstSeq: Number(c.first_seq ?? 0), lastSeq: Number(c.last_seq ?? 0) };

  return {
    integrity,
    acked: acked.length,
    storedImpressions: imps.length,
    storedConversions: convs.length,
    chargedImpressions: charged.length,
    groups: groupCount,
    missing,
    duplicated,
    doubleCharged,
    unbalanced,
    chargeMismatch,
    spendMismatch,
    capped,
    chain,
  };
}

/** The most a capped impression can cost: the CPM price of one, rounded up (running-total CPM). */
export const CAPPED_MAX_PRICE_MICROS = (CAPPED_CPM_MICROS + 999n) / 1000n;

/**
 * Downloads the advertiser's statement for all time from a running collector and re-runs it with
 * the statement verifier, trusting the operator's published keys.
 */
export async function verifyLedger(url: string): Promise<StatementVerdict> {
  const keys = (await (await fetch(`${url}/.well-known/perfpixel-keys.json`)).json()) as { keys: { keyId: string; publicKey: string }[] };
  const r = await fetch(`${url}/v1/statements?advertiserId=${CATALOG.advertiser}`, { headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
  if (r.status !== 200 || !r.body) throw new Error(`statement: ${r.status} ${await r.text()}`);
  const verifier = createStatementVerifier({ sha256: nodeSha256, verifyEd25519, trustedKeys: keys.keys });
  return readStatement(r.body as ReadableStream<BufferSource>, verifier);
}
