/**
 * The crash suite's audit: after the load, straight from the database (SQLite file or PostgreSQL
 * schema), what was acknowledged against what was stored and charged; and, through the running
 * collector, the ledger's hash chain re-run by the statement verifier (core/verify-statement.ts).
 *
 * | check            | holds when                                                                        |
 * |------------------|-----------------------------------------------------------------------------------|
 * | missing          | every acknowledged impression (by decision), click (by the ID its redirect carried) and conversion (by order) is stored, under its event ID |
 * | duplicated       | none is stored twice                                                               |
 * | unattributed     | every acknowledged conversion is attributed to the acknowledged click it names      |
 * | doubleCharged    | no action has two charge groups                                                    |
 * | unbalanced       | every group's debits equal its credits                                             |
 * | chargeMismatch   | every charged impression and conversion has exactly one group, of its cost; every group bills one of them |
 * | spendMismatch    | per campaign, the spend rows (total, per day, per publisher and day) equal the sum of its charges; the CPM running totals equal its charged impressions |
 * | caps             | each capped campaign (CPM, CPA) spent at most its budget, and was stopped by it (over-cap actions, less than one price left) |
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
import { CAPPED_BUDGET_MICROS, CAPPED_CPM_MICROS, CATALOG, CPA_BUDGET_MICROS, CPA_PRICE_MICROS, OPERATOR_KEY, type AuditDb } from './harness';
import type { Sent } from './crash-load';

const big = (v: unknown): bigint => BigInt(String(v ?? 0));
type Row = Record<string, unknown>;

/** Rows grouped by a key. */
function byKey(rows: Row[], key: (r: Row) => string): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rows) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
  return m;
}

/** A budget and how the campaign fared against it. */
export interface CapReport {
  campaign: string;
  budget: string;
  spent: string;
  /** The most one charge of the campaign costs: stopped by the budget means less than this was left. */
  maxPrice: string;
  charged: number;
  overCap: number;
}

/** What the audit found; every count but the totals must be 0 (see the module table). */
export interface AuditResult {
  integrity: string;
  acked: number;
  stored: { impressions: number; clicks: number; conversions: number };
  charged: { impressions: number; conversions: number };
  groups: number;
  missing: number;
  duplicated: number;
  /** Acknowledged conversions not attributed to the click they named. */
  unattributed: number;
  doubleCharged: number;
  unbalanced: number;
  chargeMismatch: number;
  spendMismatch: string[];
  caps: CapReport[];
  chain: { links: number; distinctGroups: number; firstSeq: number; lastSeq: number };
}

/** Audits the database against the acknowledged events. */
export async function audit(db: AuditDb, acked: readonly Sent[]): Promise<AuditResult> {
  const integrity = db.dialect === 'sqlite' ? String((await db.all('PRAGMA integrity_check'))[0]!.integrity_check) : 'n/a';

  const imps = await db.all("SELECT decision_id, event_id, campaign_id, billing, cost_micros FROM impressions WHERE kind = 'served'");
  const clicks = await db.all('SELECT click_id FROM clicks');
  const convs = await db.all('SELECT id, order_id, event_id, campaign_id, click_ids, status, status_reason, cost_micros FROM conversions WHERE advertiser_id = ?', [CATALOG.advertiser]);
  const impsByDecision = byKey(imps, (r) => String(r.decision_id));
  const clicksById = byKey(clicks, (r) => String(r.click_id));
  const convsByOrder = byKey(convs, (r) => String(r.order_id));
  let missing = 0;
  let duplicated = 0;
  let unattributed = 0;
  for (const s of acked) {
    const rows = (s.kind === 'imp' ? impsByDecision.get(s.decision!) : s.kind === 'clk' ? clicksById.get(s.clickId!) : convsByOrder.get(s.orderId!)) ?? [];
    if (!rows.some((r) => s.kind === 'clk' || r.event_id === s.eventId)) missing++;
    if (rows.length > 1) duplicated++;
    if (s.kind === 'cv' && rows.length > 0 && rows[0]!.campaign_id !== CATALOG.cpa) unattributed++;
  }
  // An event retried until acknowledged is stored once, whichever process took it.
  duplicated += imps.length - new Set(imps.map((r) => String(r.event_id))).size + (convs.length - new Set(convs.map((r) => String(r.event_id))).size);

  const groups = await db.all(
    `SELECT g.id, g.kind, g.ref_type, g.ref_id, g.campaign_id,
            SUM(CASE WHEN l.side = 'debit' THEN l.micros ELSE 0 END) AS debits,
            SUM(CASE WHEN l.side = 'credit' THEN l.micros ELSE 0 END) AS credits
     FROM ledger_groups g JOIN ledger_legs l ON l.group_id = g.id
     GROUP BY g.id, g.kind, g.ref_type, g.ref_id, g.campaign_id`,
  );
  const groupCount = Number((await db.all('SELECT COUNT(*) AS n FROM ledger_groups'))[0]!.n);
  let unbalanced = groupCount - groups.length; // a group without legs
  for (const g of groups) if (big(g.debits) !== big(g.credits) || big(g.debits) <= 0n) unbalanced++;
  const charges = groups.filter((g) => g.kind === 'charge');
  const chargesByRef = byKey(charges, (g) => `${String(g.ref_type)}:${String(g.ref_id)}`);
  const doubleCharged = [...chargesByRef.values()].filter((list) => list.length > 1).length;
  const chargedByCampaign = new Map<string, bigint>();
  for (const g of charges) chargedByCampaign.set(String(g.campaign_id), (chargedByCampaign.get(String(g.campaign_id)) ?? 0n) + big(g.debits));

  // Every charged action has its one group, of its cost; every group bills a charged action.
  const chargedImps = imps.filter((r) => r.billing === 'charged');
  const chargedConvs = convs.filter((r) => big(r.cost_micros) > 0n);
  const chargedActions = [
    ...chargedImps.map((r) => ({ ref: `impression:${String(r.decision_id)}:served`, cost: big(r.cost_micros) })),
    ...chargedConvs.map((r) => ({ ref: `conversion:${String(r.id)}`, cost: big(r.cost_micros) })),
  ];
  let chargeMismatch = 0;
  for (const a of chargedActions) {
    const list = chargesByRef.get(a.ref) ?? [];
    if (list.length !== 1 || big(list[0]!.debits) !== a.cost) chargeMismatch++;
  }
  const chargedRefs = new Set(chargedActions.map((a) => a.ref));
  chargeMismatch += [...chargesByRef.keys()].filter((ref) => !chargedRefs.has(ref)).length;

  // Spend rows and running totals agree with the ledger, campaign by campaign.
  const spendMismatch: string[] = [];
  const spend = await db.all('SELECT campaign_id, scope, publisher_id, micros FROM spend');
  for (const id of new Set([...chargedByCampaign.keys(), ...spend.map((r) => String(r.campaign_id))])) {
    const want = chargedByCampaign.get(id) ?? 0n;
    const rows = spend.filter((r) => r.campaign_id === id);
    const sum = (keep: (r: Row) => boolean) => rows.filter(keep).reduce((t, r) => t + big(r.micros), 0n);
    const total = sum((r) => r.scope === 'total');
    const days = sum((r) => r.scope !== 'total' && r.publisher_id === '');
    const perPublisher = rows.some((r) => r.scope !== 'total' && r.publisher_id !== '');
    const publisherDays = perPublisher ? sum((r) => r.scope !== 'total' && r.publisher_id !== '') : want;
    if (total !== want || days !== want || publisherDays !== want) spendMismatch.push(`${id}: charged ${want}, spend total ${total}, days ${days}, publisher days ${publisherDays}`);
  }
  for (const t of await db.all('SELECT campaign_id, billable_count, charged_micros FROM cpm_totals')) {
    const mine = chargedImps.filter((r) => r.campaign_id === t.campaign_id);
    const micros = mine.reduce((s, r) => s + big(r.cost_micros), 0n);
    if (big(t.billable_count) !== BigInt(mine.length) || big(t.charged_micros) !== micros) {
      spendMismatch.push(`${String(t.campaign_id)}: cpm_totals ${String(t.billable_count)} / ${String(t.charged_micros)}, impressions ${mine.length} / ${micros}`);
    }
  }

  const cpmCap = imps.filter((r) => r.campaign_id === CATALOG.capped);
  const cpaCap = convs.filter((r) => r.campaign_id === CATALOG.cpa);
  const caps: CapReport[] = [
    {
      campaign: CATALOG.capped,
      budget: String(CAPPED_BUDGET_MICROS),
      spent: String(chargedByCampaign.get(CATALOG.capped) ?? 0n),
      maxPrice: String((CAPPED_CPM_MICROS + 999n) / 1000n), // running-total CPM: one impression, rounded up
      charged: cpmCap.filter((r) => r.billing === 'charged').length,
      overCap: cpmCap.filter((r) => r.billing === 'over_cap').length,
    },
    {
      campaign: CATALOG.cpa,
      budget: String(CPA_BUDGET_MICROS),
      spent: String(chargedByCampaign.get(CATALOG.cpa) ?? 0n),
      maxPrice: String(CPA_PRICE_MICROS),
      charged: cpaCap.filter((r) => big(r.cost_micros) > 0n).length,
      overCap: cpaCap.filter((r) => String(r.status_reason ?? '').startsWith('over_cap')).length,
    },
  ];

  const c = (await db.all('SELECT COUNT(*) AS links, COUNT(DISTINCT group_id) AS distinct_groups, MIN(seq) AS first_seq, MAX(seq) AS last_seq FROM ledger_chain'))[0]!;
  const chain = { links: Number(c.links), distinctGroups: Number(c.distinct_groups), firstSeq: Number(c.first_seq ?? 0), lastSeq: Number(c.last_seq ?? 0) };

  return {
    integrity,
    acked: acked.length,
    stored: { impressions: imps.length, clicks: clicks.length, conversions: convs.length },
    charged: { impressions: chargedImps.length, conversions: chargedConvs.length },
    groups: groupCount,
    missing,
    duplicated,
    unattributed,
    doubleCharged,
    unbalanced,
    chargeMismatch,
    spendMismatch,
    caps,
    chain,
  };
}

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
