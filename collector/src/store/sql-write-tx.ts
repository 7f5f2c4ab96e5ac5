/** The write-transaction half of the SQL store: what the ingest pipeline does inside one commit. */
import { createSqlPayoutWrites } from './sql-payouts';
import type { EntryGroup } from '../core/ledger';
import { big, num, type Db, type SqlValue } from './db';
import { toJson, termsFromJson } from './json';
import { readSum, sumMicros } from './sum-micros';
import { sealGroups, type Posted } from './sql-chain';
import { canonicalJson } from '../core/canonical';
import { CAMPAIGN_SELECT, toAction, toCampaign, toCreative, toSite } from './sql-catalog';
import type { CampaignStatus, ClickRecord, ConversionActionRecord, ConversionRecord, ImpressionRecord, PostedGroup, TouchRecord, WriteTx } from './store';
import type { CampaignTerms } from '../core/terms';
import type { ExplainRecord } from '../core/explain';

type Row = Record<string, unknown>;
const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
const json = <T>(v: unknown, fallback: T): T => (v === null || v === undefined || v === '' ? fallback : (JSON.parse(String(v)) as T));

export const toImpression = (r: Row): ImpressionRecord => ({
  decisionId: String(r.decision_id),
  kind: String(r.kind) as ImpressionRecord['kind'],
  eventId: String(r.event_id),
  siteId: String(r.site_id),
  slotId: String(r.slot_id),
  publisherId: String(r.publisher_id),
  campaignId: String(r.campaign_id),
  creativeId: String(r.creative_id),
  advertiserId: String(r.advertiser_id),
  termsVersion: num(r.terms_version),
  pageViewId: s(r.page_view_id),
  sourceKey: String(r.source_key),
  at: num(r.at),
  receivedAt: num(r.received_at),
  invalidReason: s(r.invalid_reason),
  billing: String(r.billing) as ImpressionRecord['billing'],
  costMicros: big(r.cost_micros),
});

export const toClick = (r: Row): ClickRecord => ({
  clickId: String(r.click_id),
  decisionId: String(r.decision_id),
  via: String(r.via) as ClickRecord['via'],
  eventId: String(r.event_id),
  siteId: String(r.site_id),
  slotId: String(r.slot_id),
  publisherId: String(r.publisher_id),
  campaignId: String(r.campaign_id),
  creativeId: String(r.creative_id),
  advertiserId: String(r.advertiser_id),
  termsVersion: num(r.terms_version),
  pageViewId: s(r.page_view_id),
  sourceKey: String(r.source_key),
  ipKey: s(r.ip_key),
  at: num(r.at),
  receivedAt: num(r.received_at),
  invalidReason: s(r.invalid_reason),
  duplicateOf: s(r.duplicate_of),
  billing: String(r.billing) as ClickRecord['billing'],
  costMicros: big(r.cost_micros),
});

export const toConversion = (r: Row): ConversionRecord => ({
  id: String(r.id),
  advertiserId: String(r.advertiser_id),
  siteId: s(r.site_id),
  actionKey: String(r.action_key),
  orderId: s(r.order_id),
  eventId: String(r.event_id),
  origin: String(r.origin) as ConversionRecord['origin'],
  clickIds: json<string[]>(r.click_ids, []),
  otherClickIds: json<Record<string, string>>(r.other_click_ids, {}),
  utm: json<Record<string, string>>(r.utm, {}),
  sourceKey: s(r.source_key),
  valueMicros: big(r.value_micros),
  currency: s(r.currency),
  at: num(r.at),
  receivedAt: num(r.received_at),
  status: String(r.status) as ConversionRecord['status'],
  statusReason: s(r.status_reason),
  campaignId: s(r.campaign_id),
  publisherId: s(r.publisher_id),
  creativeId: s(r.creative_id),
  slotId: s(r.slot_id),
  touchId: s(r.touch_id),
  touchKind: s(r.touch_kind) as ConversionRecord['touchKind'],
  termsVersion: r.terms_version === null || r.terms_version === undefined ? null : num(r.terms_version),
  costMicros: big(r.cost_micros),
  decision: json<ExplainRecord | null>(r.decision, null),
  payloadHash: String(r.payload_hash),
  restatements: num(r.restatements),
  updatedAt: num(r.updated_at),
});

const CONVERSION_COLS = [
  'id', 'advertiser_id', 'site_id', 'action_key', 'order_id', 'event_id', 'origin', 'click_ids', 'other_click_ids',
  'source_key', 'value_micros', 'currency', 'at', 'received_at', 'status', 'status_reason', 'campaign_id',
  'publisher_id', 'creative_id', 'slot_id', 'touch_id', 'touch_kind', 'terms_version', 'cost_micros', 'decision',
  'payload_hash', 'restatements', 'updated_at', 'utm',
] as const;

const conversionValues = (c: ConversionRecord) => [
  c.id, c.advertiserId, c.siteId, c.actionKey, c.orderId, c.eventId, c.origin, JSON.stringify(c.clickIds),
  JSON.stringify(c.otherClickIds), c.sourceKey, c.valueMicros, c.currency, c.at, c.receivedAt, c.status, c.statusReason,
  c.campaignId, c.publisherId, c.creativeId, c.slotId, c.touchId, c.touchKind, c.termsVersion, c.costMicros,
  toJson(c.decision), c.payloadHash, c.restatements, c.updatedAt, JSON.stringify(c.utm ?? {}),
];

/** Groups with their legs, from rows of ledger_groups joined with ledger_legs (ordered by group). */
export function toGroups(rows: Row[]): PostedGroup[] {
  const out: PostedGroup[] = [];
  let cur: PostedGroup | null = null;
  for (const r of rows) {
    const id = num(r.id);
    if (!cur || cur.id !== id) {
      cur = {
        id,
        key: String(r.idem_key),
        kind: String(r.kind) as PostedGroup['kind'],
        postedAt: num(r.posted_at),
        meta: {
          refType: String(r.ref_type) as PostedGroup['meta']['refType'],
          refId: String(r.ref_id),
          campaignId: String(r.campaign_id),
          advertiserId: String(r.advertiser_id),
          publisherId: String(r.publisher_id),
          slotId: s(r.slot_id),
          termsVersion: num(r.terms_version),
          currency: String(r.currency),
          at: num(r.at),
          reason: s(r.reason),
        },
        legs: [],
      };
      out.push(cur);
    }
    cur.legs.push({ account: String(r.account) as PostedGroup['legs'][number]['account'], side: String(r.side) as 'debit' | 'credit', micros: big(r.micros) });
  }
  return out;
}

export const GROUP_SELECT = `SELECT g.*, l.account, l.side, l.micros FROM ledger_groups g JOIN ledger_legs l ON l.group_id = g.id`;

/**
 * Thrown when a write deferred to a multi-row INSERT finds its key already stored: another process
 * stored one of the transaction's event keys first, or a ledger group's idempotency key was posted
 * before. The transaction fails whole and commitGroup runs the group again item by item, where
 * nothing is deferred and each item sees the stored row (a duplicate, answered as one).
 */
export class DeferredWriteConflict extends Error {
  constructor(what: string) {
    super(`${what} was stored by another transaction first`);
  }
}

const eventKeyOf = (siteId: string, type: string, eventId: string) => `${siteId}\u0000${type}\u0000${eventId}`;

const IMPRESSION_INSERT = `INSERT INTO impressions (id, decision_id, kind, event_id, site_id, slot_id, publisher_id, campaign_id, creative_id, advertiser_id,
  terms_version, page_view_id, source_key, at, received_at, invalid_reason, billing, cost_micros) VALUES`;
const IMPRESSION_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const impressionValues = (i: ImpressionRecord): SqlValue[] => [
  `${i.decisionId}:${i.kind}`, i.decisionId, i.kind, i.eventId, i.siteId, i.slotId, i.publisherId, i.campaignId, i.creativeId,
  i.advertiserId, i.termsVersion, i.pageViewId, i.sourceKey, i.at, i.receivedAt, i.invalidReason, i.billing, i.costMicros,
];

const GROUP_INSERT = `INSERT INTO ledger_groups (idem_key, kind, ref_type, ref_id, campaign_id, advertiser_id, publisher_id, slot_id, terms_version, currency, reason, at, posted_at, facts) VALUES`;
const GROUP_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** A group posted in this transaction; `id` is 0 until its row is inserted. */
type Pending = Posted & { postedAt: number };
const groupValues = ({ group: g, postedAt }: Pending): SqlValue[] => {
  const m = g.meta;
  return [g.key, g.kind, m.refType, m.refId, m.campaignId, m.advertiserId, m.publisherId, m.slotId ?? null, m.termsVersion, m.currency, m.reason, m.at, postedAt, g.facts ? canonicalJson(g.facts) : null];
};
/** Ledger groups per multi-row INSERT (14 parameters a row; the facts make a row a few KB). */
const GROUPS_PER_STATEMENT = 200;

/** Rows per multi-row INSERT of impressions or event keys (18 parameters a row at most). */
const FACTS_PER_STATEMENT = 200;

/** Rows per multi-row INSERT of conversions (29 parameters a row). */
const CONVERSIONS_PER_STATEMENT = 100;

/** The statuses whose conversions count (SPEC §3.4 counting 'one'); conversions_counted is partial on exactly this list. */
const COUNTED = "('approved', 'restated', 'disputed', 'pending')";
const COUNTED_STATUSES: ReadonlySet<string> = new Set(['approved', 'restated', 'disputed', 'pending']);
const countedKeyOf = (touchId: string, actionKey: string) => `${touchId}\u0000${actionKey}`;

let savepointSeq = 0;

/** Legs per INSERT at seal: 4 parameters each, far under both databases' parameter limits. */
const LEGS_PER_STATEMENT = 500;

const noNul = (v: string | null) => (v === null ? null : v.replace(/\u0000/g, '\uFFFD'));

/** A budget row (`spend`) or a CPM running total held for the rest of the transaction. */
interface Held<T> {
  value: T;
  /** Changed since it was read: written back once, before the chain is sealed. */
  dirty: boolean;
}

const spendKey = (campaignId: string, scope: string, publisherId: string) => `${campaignId}\u0000${scope}\u0000${publisherId}`;

const cpmKey = (campaignId: string, version: number) => `${campaignId}\u0000${version}`;

/** Money rows per statement when a group's are taken together (3 parameters a row at most). */
const MONEY_ROWS_PER_STATEMENT = 500;

/** A page view's slot, as the ad-stacking check keys it. */
const servedKey = (pageViewId: string, slotId: string) => `${pageViewId}\u0000${slotId}`;
const orderKeyOf = (advertiserId: string, actionKey: string, orderId: string) => `${advertiserId}\u0000${actionKey}\u0000${orderId}`;
const conversionEventKeyOf = (advertiserId: string, eventId: string) => `${advertiserId}\u0000${eventId}`;

/**
 * Notes a served impression of a page view's slot, keeping at most two: two different decisions
 * answer "is there another than X" for every X, so a slot with a pile of impressions (the page view
 * ID is the visitor's) is held, read and searched in constant space and time.
 */
const noteServed = (ids: string[], decisionId: string) => {
  if (ids.length < 2 && !ids.includes(decisionId)) ids.push(decisionId);
};

/**
 * Wraps a transaction handle as the pipeline's WriteTx; `seal` writes back the money rows it held,
 * then links its posted groups into the chain, before COMMIT.
 *
 * Money rows are read once per transaction and written once per transaction: a group commit of a
 * thousand billed impressions of one campaign reads its budget rows and CPM total once (locking
 * them on PostgreSQL: those prefetch names together, in one fixed order; others when first met),
 * keeps the running totals here, and writes each changed row once at the end — instead of a read
 * and an upsert of the same rows for every event. Exactness is unchanged: nothing else writes those
 * rows while the transaction holds them (SQLite has one writer; PostgreSQL holds the row locks to
 * COMMIT), and a rolled-back savepoint restores them.
 */
export function createSqlWriteTx(tx: Db, termsCache: Map<string, CampaignTerms> = new Map()): WriteTx & { seal(now: number): Promise<void> } {
  const pg = tx.dialect === 'postgres';
  const lock = pg ? ' FOR UPDATE' : ''; // SQLite has one writer; PostgreSQL locks the budget rows
  let spendRows = new Map<string, Held<{ campaignId: string; scope: string; publisherId: string; micros: bigint }>>();
  let cpmRows = new Map<string, Held<{ campaignId: string; version: number; totals: { billableCount: bigint; chargedMicros: bigint } }>>();
  // The campaign's status and terms version, read once its budget rows are held (so no other
  // process can change them under the transaction: updateCampaign takes the same total row first).
  const campaignRows = new Map<string, { status: CampaignStatus; termsVersion: number } | null>();
  const revShares = new Map<string, number | null>();
  const actions = new Map<string, ConversionActionRecord | null>();

  /**
   * Reads (and on PostgreSQL creates and locks) the budget rows not held yet — a campaign's total,
   * its day and its publisher's day, for each (campaign, day, publisher) asked — in one fixed order:
   * campaign, scope, publisher (spendKey's order, PostgreSQL's under COLLATE "C"). Two processes
   * holding rows of several campaigns then take them in the same order and queue instead of
   * deadlocking (a deadlock cost a second of PostgreSQL's deadlock_timeout and a rerun of the group).
   */
  const holdSpend = async (want: readonly (readonly [campaignId: string, day: string, publisherId: string])[]) => {
    const missing = new Map<string, [string, string, string]>();
    for (const [campaignId, day, publisherId] of want) {
      const rows: [string, string][] = [['total', ''], [day, '']];
      if (publisherId) rows.push([day, publisherId]);
      for (const [scope, p] of rows) {
        const k = spendKey(campaignId, scope, p);
        if (!spendRows.has(k)) missing.set(k, [campaignId, scope, p]);
      }
    }
    const rows = [...missing.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
    for (let at = 0; at < rows.length; at += MONEY_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(at, at + MONEY_ROWS_PER_STATEMENT);
      // On PostgreSQL create the rows first so there is something to lock: two processes then queue on them.
      if (pg) await tx.run(`INSERT INTO spend (campaign_id, scope, publisher_id, micros) VALUES ${chunk.map(() => '(?, ?, ?, 0)').join(', ')} ON CONFLICT DO NOTHING`, chunk.flat());
      const found = await tx.all<Row>(
        `SELECT campaign_id, scope, publisher_id, micros FROM spend WHERE (campaign_id, scope, publisher_id) IN (VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')})${
          pg ? ' ORDER BY campaign_id COLLATE "C", scope COLLATE "C", publisher_id COLLATE "C" FOR UPDATE' : ''
        }`,
        chunk.flat(),
      );
      const micros = new Map(found.map((r) => [spendKey(String(r.campaign_id), String(r.scope), String(r.publisher_id)), big(r.micros)]));
      // Only the missing ones: a row already held may have changed in this transaction.
      for (const [campaignId, scope, p] of chunk) {
        const k = spendKey(campaignId, scope, p);
        spendRows.set(k, { value: { campaignId, scope, publisherId: p, micros: micros.get(k) ?? 0n }, dirty: false });
      }
    }
  };
  /** The same for CPM running totals, per (campaign, terms version), in that order. */
  const holdCpm = async (want: readonly (readonly [campaignId: string, version: number])[]) => {
    const missing = new Map<string, [string, number]>();
    for (const [campaignId, version] of want) if (!cpmRows.has(cpmKey(campaignId, version))) missing.set(cpmKey(campaignId, version), [campaignId, version]);
    const rows = [...missing.values()].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x - y));
    for (let at = 0; at < rows.length; at += MONEY_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(at, at + MONEY_ROWS_PER_STATEMENT);
      if (pg) await tx.run(`INSERT INTO cpm_totals (campaign_id, terms_version, billable_count, charged_micros) VALUES ${chunk.map(() => '(?, ?, 0, 0)').join(', ')} ON CONFLICT DO NOTHING`, chunk.flat());
      const found = await tx.all<Row>(
        `SELECT campaign_id, terms_version, billable_count, charged_micros FROM cpm_totals WHERE (campaign_id, terms_version) IN (VALUES ${chunk.map(() => '(?, CAST(? AS INTEGER))').join(', ')})${
          pg ? ' ORDER BY campaign_id COLLATE "C", terms_version FOR UPDATE' : ''
        }`,
        chunk.flat(),
      );
      const totals = new Map(found.map((r) => [cpmKey(String(r.campaign_id), num(r.terms_version)), { billableCount: big(r.billable_count), chargedMicros: big(r.charged_micros) }]));
      for (const [campaignId, version] of chunk) {
        const k = cpmKey(campaignId, version);
        cpmRows.set(k, { value: { campaignId, version, totals: totals.get(k) ?? { billableCount: 0n, chargedMicros: 0n } }, dirty: false });
      }
    }
  };
  const held = (campaignId: string, scope: string, publisherId: string) => spendRows.get(spendKey(campaignId, scope, publisherId))!;

  /** Writes every changed money row once (multi-row upserts), before the chain is sealed. */
  const flushMoney = async () => {
    const spend = [...spendRows.values()].filter((h) => h.dirty);
    if (spend.length > 0) {
      await tx.run(
        `INSERT INTO spend (campaign_id, scope, publisher_id, micros) VALUES ${spend.map(() => '(?, ?, ?, ?)').join(', ')}
         ON CONFLICT (campaign_id, scope, publisher_id) DO UPDATE SET micros = excluded.micros`,
        spend.flatMap(({ value: v }) => [v.campaignId, v.scope, v.publisherId, v.micros]),
      );
      for (const h of spend) h.dirty = false;
    }
    const cpm = [...cpmRows.values()].filter((h) => h.dirty);
    if (cpm.length > 0) {
      await tx.run(
        `INSERT INTO cpm_totals (campaign_id, terms_version, billable_count, charged_micros) VALUES ${cpm.map(() => '(?, ?, ?, ?)').join(', ')}
         ON CONFLICT (campaign_id, terms_version) DO UPDATE SET billable_count = excluded.billable_count, charged_micros = excluded.charged_micros`,
        cpm.flatMap(({ value: v }) => [v.campaignId, v.version, v.totals.billableCount, v.totals.chargedMicros]),
      );
      for (const h of cpm) h.dirty = false;
    }
  };
  const copyHeld = <T>(m: Map<string, Held<T>>) => new Map([...m].map(([k, h]) => [k, { value: { ...h.value }, dirty: h.dirty }]));

  // Groups posted in this transaction, sealed into the chain just before it commits (sql-chain.ts).
  const posted: Pending[] = [];
  // In a group commit (prefetch was called: commitGroup's optimistic pass), groups are inserted
  // together, a multi-row INSERT before anything reads the ledger and at seal, instead of an INSERT
  // … RETURNING each — on PostgreSQL that was the last round trip per billed event. postGroup then
  // answers from the keys this transaction posted; a key posted by an earlier transaction is found
  // by the INSERT and fails the transaction (DeferredWriteConflict), and the item-by-item rerun,
  // which defers nothing, answers it as before.
  let deferGroups = false;
  const pendingGroups: Pending[] = [];
  const groupKeys = new Set<string>();
  const flushGroups = async () => {
    for (let at = 0; at < pendingGroups.length; at += GROUPS_PER_STATEMENT) {
      const chunk = pendingGroups.slice(at, at + GROUPS_PER_STATEMENT);
      const rows = await tx.all<Row>(`${GROUP_INSERT} ${chunk.map(() => GROUP_ROW).join(', ')} ON CONFLICT (idem_key) DO NOTHING RETURNING id, idem_key`, chunk.flatMap(groupValues));
      if (rows.length !== chunk.length) throw new DeferredWriteConflict('a ledger group of this group commit');
      const ids = new Map(rows.map((r) => [String(r.idem_key), num(r.id)]));
      for (const p of chunk) p.id = ids.get(p.group.key)!;
    }
    pendingGroups.length = 0;
  };

  // Ledger legs of the groups posted so far, not yet written (their group's ID may not be known yet).
  const pendingLegs: { p: Pending; leg: EntryGroup['legs'][number] }[] = [];
  const payoutWrites = createSqlPayoutWrites(tx);
  /** Writes the pending groups, then their legs: what a read of the ledger in this transaction must see. */
  const flushLegs = async () => {
    await flushGroups();
    for (let at = 0; at < pendingLegs.length; at += LEGS_PER_STATEMENT) {
      const chunk = pendingLegs.slice(at, at + LEGS_PER_STATEMENT);
      await tx.run(
        `INSERT INTO ledger_legs (group_id, account, side, micros) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`,
        chunk.flatMap(({ p, leg }) => [p.id, leg.account, leg.side, leg.micros]),
      );
    }
    pendingLegs.length = 0;
  };

  // Impressions and event keys of the transaction, written in multi-row INSERTs at seal. Reads in
  // the transaction look here first, so a later item of the same group sees an earlier one. Only
  // while no savepoint was taken: the per-item savepoint path (commit-group.ts) writes at once, so
  // a conflict there is the item's own. A conflict found at seal (another process stored the same
  // event key first) fails the transaction, and commitGroup runs the group again item by item,
  // where that item sees the other process's key and answers a duplicate.
  let deferring = true;
  const pendingKeys = new Map<string, SqlValue[]>();
  const absentKeys = new Set<string>();
  const pendingImpressions = new Map<string, ImpressionRecord>();
  const absentImpressions = new Set<string>();
  /** Up to two decision IDs of pending served impressions per page view and slot (the ad-stacking check, noteServed). */
  const pendingServed = new Map<string, string[]>();
  const flushImpressions = async () => {
    if (pendingImpressions.size > 0) {
      // In key order, so two processes inserting overlapping rows take the index locks in one order.
      const rows = [...pendingImpressions.values()].sort((a, b) => (a.decisionId < b.decisionId ? -1 : a.decisionId > b.decisionId ? 1 : a.kind < b.kind ? -1 : 1));
      pendingImpressions.clear();
      // Written now: a page view's slot read ahead keeps counting them (the rows are stored, not pending).
      for (const [k, ids] of pendingServed) {
        const known = knownServed.get(k);
        if (known) for (const d of ids) noteServed(known, d);
      }
      pendingServed.clear();
      for (let at = 0; at < rows.length; at += FACTS_PER_STATEMENT) {
        const chunk = rows.slice(at, at + FACTS_PER_STATEMENT);
        await tx.run(`${IMPRESSION_INSERT} ${chunk.map(() => IMPRESSION_ROW).join(', ')} ON CONFLICT DO NOTHING`, chunk.flatMap(impressionValues));
      }
    }
  };
  const flushFacts = async () => {
    await flushImpressions();
    await flushConversions();
    if (pendingKeys.size > 0) {
      const rows = [...pendingKeys.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, v]) => v);
      pendingKeys.clear();
      for (let at = 0; at < rows.length; at += FACTS_PER_STATEMENT) {
        const chunk = rows.slice(at, at + FACTS_PER_STATEMENT);
        const r = await tx.run(
          `INSERT INTO event_keys (site_id, type, event_id, payload_hash, result, received_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
          chunk.flat(),
        );
        if (r.changes !== chunk.length) throw new DeferredWriteConflict('an event key of this group');
      }
    }
  };
  const stopDeferring = async () => {
    deferGroups = false; // flushed by flushLegs, which every savepoint runs next
    if (!deferring) return;
    await flushFacts();
    deferring = false;
    // From here writes go in at once: answers read ahead could go stale, so lookups read again.
    knownKeys.clear();
    knownImpressions.clear();
    knownServed.clear();
    knownByOrder.clear();
    knownByEvent.clear();
    knownClicks.clear();
    knownCounted.clear();
  };
  // What prefetch read ahead for the group: a stored row, or null for "not stored".
  const knownKeys = new Map<string, { payloadHash: string; result: string } | null>();
  const knownImpressions = new Map<string, ImpressionRecord | null>();
  /** Up to two decision IDs of the stored served impressions of a page view's slot, read ahead (the ad-stacking check, noteServed). */
  const knownServed = new Map<string, string[]>();
  // A group's conversions, looked up by order and by event ID, and the clicks they carry, read
  // ahead. This transaction writes conversions and clicks at once (not at seal), so a write drops
  // the answers it could change — the rows under its own keys — and the next lookup reads again.
  const knownByOrder = new Map<string, ConversionRecord | null>();
  const knownByEvent = new Map<string, ConversionRecord | null>();
  const knownClicks = new Map<string, Row | null>();
  /** The first counted conversion stored for a (touch, action), read ahead: its ID and receipt time, or null for none. */
  const knownCounted = new Map<string, { id: string; receivedAt: number } | null>();
  const forgetConversion = (c: ConversionRecord) => {
    if (c.orderId !== null) knownByOrder.delete(orderKeyOf(c.advertiserId, c.actionKey, c.orderId));
    knownByEvent.delete(conversionEventKeyOf(c.advertiserId, c.eventId));
  };
  // New conversions wait, like impressions, and go in at seal in multi-row INSERTs (a statement
  // each on PostgreSQL was half of what an S2S conversion still sent). The lookups above answer
  // from them; a read of the table that cannot (a touch's won conversions, recent values) writes
  // them first. A stored conversion's order another process inserted meanwhile fails the INSERT,
  // and with it the transaction: commitGroup reruns the group item by item, writing at once.
  const pendingConversions = new Map<string, ConversionRecord>();
  const flushConversions = async () => {
    if (pendingConversions.size === 0) return;
    const rows = [...pendingConversions.values()];
    pendingConversions.clear();
    knownCounted.clear(); // its heads were the stored rows before these
    for (let at = 0; at < rows.length; at += CONVERSIONS_PER_STATEMENT) {
      const chunk = rows.slice(at, at + CONVERSIONS_PER_STATEMENT);
      await tx.run(`INSERT INTO conversions (${CONVERSION_COLS.join(', ')}) VALUES ${chunk.map(() => `(${CONVERSION_COLS.map(() => '?').join(', ')})`).join(', ')}`, chunk.flatMap(conversionValues));
    }
  };
  /** The first stored counted conversion of each (touch, action), leaving out `exceptId`. */
  const countedHeads = async (pairs: readonly (readonly [touchId: string, actionKey: string])[], exceptId: string | null) => {
    const out = new Map<string, { id: string; receivedAt: number }>();
    for (let at = 0; at < pairs.length; at += FACTS_PER_STATEMENT) {
      const chunk = pairs.slice(at, at + FACTS_PER_STATEMENT);
      const rows = await tx.all<Row>(
        `WITH t (touch_id, action_key) AS (VALUES ${chunk.map(() => '(?, ?)').join(', ')})
         SELECT t.touch_id, t.action_key, c.id, c.received_at FROM t JOIN conversions c ON c.id = (
           SELECT h.id FROM conversions h WHERE h.touch_id = t.touch_id AND h.action_key = t.action_key AND h.id <> ?
             AND h.status IN ${COUNTED} ORDER BY h.received_at LIMIT 1)`,
        [...chunk.flat(), exceptId ?? ''],
      );
      for (const r of rows) out.set(countedKeyOf(String(r.touch_id), String(r.action_key)), { id: String(r.id), receivedAt: num(r.received_at) });
    }
    return out;
  };

  const w: WriteTx & { seal(now: number): Promise<void> } = {
    async savepoint(fn) {
      const name = `sp${++savepointSeq}`;
      const mark = posted.length;
      const money = { spend: copyHeld(spendRows), cpm: copyHeld(cpmRows) };
      await stopDeferring(); // from here on every write goes in at once, inside its item's savepoint
      await flushLegs(); // the legs waiting now belong to groups outside the savepoint
      await tx.exec(`SAVEPOINT ${name}`);
      try {
        const out = await fn();
        await tx.exec(`RELEASE SAVEPOINT ${name}`);
        return out;
      } catch (err) {
        await tx.exec(`ROLLBACK TO SAVEPOINT ${name}`);
        await tx.exec(`RELEASE SAVEPOINT ${name}`);
        posted.length = mark; // those groups are gone with the savepoint
        pendingLegs.length = 0; // and so are their legs (the earlier ones were written before it began)
        spendRows = money.spend; // and the running totals go back to what they were
        cpmRows = money.cpm;
        throw err;
      }
    },
    async seal(now) {
      await flushFacts();
      await flushLegs();
      await flushMoney();
      await sealGroups(tx, posted, now);
    },
    // Payout reads sum the ledger's legs, which this transaction holds until seal: write them first.
    ...payoutWrites,
    async publisherSums(publisherId, currency, maturedBefore) {
      await flushLegs();
      return payoutWrites.publisherSums(publisherId, currency, maturedBefore);
    },
    async payoutByKey(groupKey) {
      await flushLegs();
      return payoutWrites.payoutByKey(groupKey);
    },

    async prefetch(want) {
      if (!deferring) return;
      deferGroups = true; // only commitGroup prefetches, and it reruns a group that failed item by item
      if (want.money) {
        // Budget rows before running totals, as every item takes them (ad-events.ts), each set in its fixed order.
        await holdSpend(want.money.spend);
        await holdCpm(want.money.cpm);
      }
      const keys = [...new Map(want.eventKeys.map((k) => [eventKeyOf(...k), k])).entries()].filter(([k]) => !pendingKeys.has(k) && !knownKeys.has(k));
      for (let at = 0; at < keys.length; at += FACTS_PER_STATEMENT) {
        const chunk = keys.slice(at, at + FACTS_PER_STATEMENT);
        for (const [k] of chunk) knownKeys.set(k, null);
        const rows = await tx.all<Row>(
          `SELECT site_id, type, event_id, payload_hash, result FROM event_keys WHERE (site_id, type, event_id) IN (VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')})`,
          chunk.flatMap(([, k]) => k),
        );
        for (const r of rows) knownKeys.set(eventKeyOf(String(r.site_id), String(r.type), String(r.event_id)), { payloadHash: String(r.payload_hash), result: String(r.result) });
      }
      const ids = [...new Set(want.impressions)].filter((id) => !pendingImpressions.has(id) && !knownImpressions.has(id));
      for (let at = 0; at < ids.length; at += FACTS_PER_STATEMENT) {
        const chunk = ids.slice(at, at + FACTS_PER_STATEMENT);
        for (const id of chunk) knownImpressions.set(id, null);
        for (const r of await tx.all<Row>(`SELECT * FROM impressions WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk)) knownImpressions.set(String(r.id), toImpression(r));
      }
      // The stacking check's answers, one statement for the group instead of one per served
      // impression (on PostgreSQL each was a round trip inside the transaction); at most two
      // decisions a slot leave the database, however many were piled into it.
      const slots = [...new Map((want.pageSlots ?? []).map(([pv, slot]) => [servedKey(pv, slot), [pv, slot] as const])).entries()].filter(([k]) => !knownServed.has(k));
      for (let at = 0; at < slots.length; at += FACTS_PER_STATEMENT) {
        const chunk = slots.slice(at, at + FACTS_PER_STATEMENT);
        for (const [k] of chunk) knownServed.set(k, []);
        const rows = await tx.all<Row>(
          `SELECT page_view_id, slot_id, decision_id FROM (
             SELECT page_view_id, slot_id, decision_id, ROW_NUMBER() OVER (PARTITION BY page_view_id, slot_id) AS n
             FROM impressions WHERE kind = 'served' AND (page_view_id, slot_id) IN (VALUES ${chunk.map(() => '(?, ?)').join(', ')})
           ) t WHERE n <= 2`,
          chunk.flatMap(([, k]) => k),
        );
        for (const r of rows) noteServed(knownServed.get(servedKey(String(r.page_view_id), String(r.slot_id)))!, String(r.decision_id));
      }
      // Conversions: the (advertiser, action, order) rows and the first conversion of each
      // (advertiser, event ID), locked as conversionByOrder and conversionByEvent lock them.
      const cvs = want.conversions ?? [];
      const orders = [...new Map(cvs.filter(([, , o]) => o !== null).map(([a, k, o]) => [orderKeyOf(a, k, o!), [a, k, o!] as const])).entries()].filter(([k]) => !knownByOrder.has(k));
      for (let at = 0; at < orders.length; at += FACTS_PER_STATEMENT) {
        const chunk = orders.slice(at, at + FACTS_PER_STATEMENT);
        for (const [k] of chunk) knownByOrder.set(k, null);
        const rows = await tx.all<Row>(
          `SELECT * FROM conversions WHERE (advertiser_id, action_key, order_id) IN (VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')})${lock}`,
          chunk.flatMap(([, k]) => k),
        );
        for (const r of rows) knownByOrder.set(orderKeyOf(String(r.advertiser_id), String(r.action_key), String(r.order_id)), toConversion(r));
      }
      const events = [...new Map(cvs.map(([a, , , e]) => [conversionEventKeyOf(a, e), [a, e] as const])).entries()].filter(([k]) => !knownByEvent.has(k));
      for (let at = 0; at < events.length; at += FACTS_PER_STATEMENT) {
        const chunk = events.slice(at, at + FACTS_PER_STATEMENT);
        for (const [k] of chunk) knownByEvent.set(k, null);
        const rows = await tx.all<Row>(
          `WITH k (a, e) AS (VALUES ${chunk.map(() => '(?, ?)').join(', ')})
           SELECT * FROM conversions WHERE id IN (
             SELECT (SELECT c.id FROM conversions c WHERE c.advertiser_id = k.a AND c.event_id = k.e ORDER BY +c.received_at LIMIT 1) FROM k)${lock}`,
          chunk.flatMap(([, k]) => k),
        );
        for (const r of rows) knownByEvent.set(conversionEventKeyOf(String(r.advertiser_id), String(r.event_id)), toConversion(r));
      }
      const clickIds = [...new Set(cvs.flatMap(([, , , , ids]) => ids))].filter((id) => !knownClicks.has(id));
      for (let at = 0; at < clickIds.length; at += FACTS_PER_STATEMENT) {
        const chunk = clickIds.slice(at, at + FACTS_PER_STATEMENT);
        for (const id of chunk) knownClicks.set(id, null);
        for (const r of await tx.all<Row>(`SELECT * FROM clicks WHERE click_id IN (${chunk.map(() => '?').join(', ')})`, chunk)) knownClicks.set(String(r.click_id), r);
      }
      // Each click's first counted conversion of the action (countedConversions, for counting 'one').
      const heads = [...new Map(cvs.flatMap(([, k, , , ids]) => ids.map((id) => [countedKeyOf(id, k), [id, k] as const]))).entries()].filter(([k]) => !knownCounted.has(k));
      const found = await countedHeads(heads.map(([, p]) => p), null);
      for (const [k] of heads) knownCounted.set(k, found.get(k) ?? null);
    },
    async eventKey(siteId, type, eventId) {
      const k = eventKeyOf(siteId, type, eventId);
      const p = pendingKeys.get(k);
      if (p) return { payloadHash: String(p[3]), result: String(p[4]) };
      const known = knownKeys.get(k);
      if (known !== undefined) {
        if (!known) absentKeys.add(k);
        return known;
      }
      const r = await tx.get<Row>('SELECT payload_hash, result FROM event_keys WHERE site_id = ? AND type = ? AND event_id = ?', [siteId, type, eventId]);
      if (!r) absentKeys.add(eventKeyOf(siteId, type, eventId));
      return r ? { payloadHash: String(r.payload_hash), result: String(r.result) } : null;
    },
    async putEventKey(siteId, type, eventId, payloadHash, result, at) {
      const k = eventKeyOf(siteId, type, eventId);
      if (pendingKeys.has(k)) return false;
      // Deferred only when this transaction saw the key absent (the pipeline always looks first):
      // then only another process can have stored it since, and the seal finds that out.
      if (deferring && absentKeys.delete(k)) {
        pendingKeys.set(k, [siteId, type, eventId, payloadHash, result, at]);
        return true;
      }
      const r = await tx.run(
        'INSERT INTO event_keys (site_id, type, event_id, payload_hash, result, received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        [siteId, type, eventId, payloadHash, result, at],
      );
      return r.changes > 0;
    },

    async insertPageView(p) {
      await tx.run(
        `INSERT INTO page_views (site_id, event_id, page_view_id, url, referrer, click_ids, other_click_ids, utm, cookieless, invalid_reason, at, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [p.siteId, p.eventId, p.pageViewId, p.url, p.referrer, JSON.stringify(p.clickIds), JSON.stringify(p.otherClickIds), JSON.stringify(p.utm ?? {}), p.cookieless ? 1 : 0, p.invalidReason, p.at, p.receivedAt],
      );
    },
    async insertVital(v) {
      await tx.run('INSERT INTO vitals (site_id, page_view_id, name, value, at, received_at) VALUES (?, ?, ?, ?, ?, ?)', [
        v.siteId,
        v.pageViewId,
        v.name,
        v.value,
        v.at,
        v.receivedAt,
      ]);
    },

    async insertImpression(i) {
      const id = `${i.decisionId}:${i.kind}`;
      if (pendingImpressions.has(id)) return false;
      // As with event keys: deferred only when this transaction saw the decision's impression absent.
      if (deferring && absentImpressions.delete(id)) {
        pendingImpressions.set(id, i);
        if (i.kind === 'served' && i.pageViewId) {
          const k = servedKey(i.pageViewId, i.slotId);
          let ids = pendingServed.get(k);
          if (!ids) pendingServed.set(k, (ids = []));
          noteServed(ids, i.decisionId);
        }
        return true;
      }
      // Written at once: whatever was read ahead for its page view's slot is read again.
      if (i.kind === 'served' && i.pageViewId) knownServed.delete(servedKey(i.pageViewId, i.slotId));
      const r = await tx.run(`${IMPRESSION_INSERT} ${IMPRESSION_ROW} ON CONFLICT DO NOTHING`, impressionValues(i));
      return r.changes > 0;
    },
    async impression(decisionId, kind) {
      const p = pendingImpressions.get(`${decisionId}:${kind}`);
      if (p) return { ...p };
      const known = knownImpressions.get(`${decisionId}:${kind}`);
      if (known !== undefined) {
        if (!known) absentImpressions.add(`${decisionId}:${kind}`);
        return known && { ...known };
      }
      const r = await tx.get<Row>('SELECT * FROM impressions WHERE id = ?', [`${decisionId}:${kind}`]);
      if (!r) absentImpressions.add(`${decisionId}:${kind}`);
      return r ? toImpression(r) : null;
    },
    async otherServedInPageSlot(pageViewId, slotId, decisionId) {
      const k = servedKey(pageViewId, slotId);
      const other = (d: string) => d !== decisionId;
      if (pendingServed.get(k)?.some(other)) return true;
      const known = knownServed.get(k);
      if (known) return known.some(other);
      const r = await tx.get<Row>("SELECT 1 AS x FROM impressions WHERE page_view_id = ? AND slot_id = ? AND kind = 'served' AND decision_id <> ? LIMIT 1", [pageViewId, slotId, decisionId]);
      return r !== undefined && r !== null;
    },

    async insertClick(c) {
      knownClicks.delete(c.clickId);
      await tx.run(
        `INSERT INTO clicks (click_id, decision_id, via, event_id, site_id, slot_id, publisher_id, campaign_id, creative_id, advertiser_id,
           terms_version, page_view_id, source_key, ip_key, at, received_at, invalid_reason, duplicate_of, billing, cost_micros)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          c.clickId, c.decisionId, c.via, c.eventId, c.siteId, c.slotId, c.publisherId, c.campaignId, c.creativeId, c.advertiserId,
          c.termsVersion, c.pageViewId, c.sourceKey, c.ipKey, c.at, c.receivedAt, c.invalidReason, c.duplicateOf, c.billing, c.costMicros,
        ],
      );
    },
    async click(clickId) {
      const known = knownClicks.get(clickId);
      const r = known !== undefined ? known : await tx.get<Row>('SELECT * FROM clicks WHERE click_id = ?', [clickId]);
      return r ? toClick(r) : null;
    },
    async markClickInvalid(clickId, reason) {
      knownClicks.delete(clickId);
      await tx.run('UPDATE clicks SET invalid_reason = ? WHERE click_id = ?', [reason, clickId]);
    },
    async recentClick(campaignId, decisionId, sourceKey, since) {
      // Two indexed lookups, not one `decision_id = ? OR source_key = ?`: with the OR, SQLite walked
      // every click of the campaign, and click redirects slowed down as clicks piled up.
      // Windows run on the collector's receive time: a click beacon cannot dodge them by claiming an old time.
      const valid = 'AND received_at >= ? AND invalid_reason IS NULL AND duplicate_of IS NULL ORDER BY received_at DESC LIMIT 1';
      const bySource = await tx.get<Row>(`SELECT * FROM clicks WHERE campaign_id = ? AND source_key = ? ${valid}`, [campaignId, sourceKey, since]);
      // By decision ID alone (a handful of rows), filtered here: given `campaign_id` and `ORDER BY at`
      // too, SQLite picks the (campaign_id, at) index and scans the whole campaign again.
      const byDecision = (await tx.all<Row>('SELECT * FROM clicks WHERE decision_id = ?', [decisionId]))
        .filter((r) => r.campaign_id === campaignId && num(r.received_at) >= since && r.invalid_reason === null && r.duplicate_of === null)
        .sort((a, b) => num(b.received_at) - num(a.received_at))[0];
      const r = !bySource ? byDecision : !byDecision ? bySource : num(byDecision.received_at) > num(bySource.received_at) ? byDecision : bySource;
      return r ? toClick(r) : null;
    },
    // Bounded counts: a flood must not make each of its own clicks scan every earlier one.
    async countClicksFromSource(sourceKey, since, atMost) {
      const r = await tx.get<Row>('SELECT COUNT(*) AS n FROM (SELECT 1 FROM clicks WHERE source_key = ? AND received_at >= ? LIMIT ?) x', [sourceKey, since, atMost]);
      return num(r?.n);
    },
    async countClicksFromIp(ipKey, since, atMost) {
      const r = await tx.get<Row>('SELECT COUNT(*) AS n FROM (SELECT 1 FROM clicks WHERE ip_key = ? AND received_at >= ? LIMIT ?) x', [ipKey, since, atMost]);
      return num(r?.n);
    },

    async conversion(id) {
      const pending = pendingConversions.get(id);
      if (pending) return { ...pending };
      const r = await tx.get<Row>(`SELECT * FROM conversions WHERE id = ?${lock}`, [id]);
      return r ? toConversion(r) : null;
    },
    async conversionByOrder(advertiserId, actionKey, orderId) {
      const known = knownByOrder.get(orderKeyOf(advertiserId, actionKey, orderId));
      if (known !== undefined) return known && { ...known }; // a copy, as a read from the table would be
      for (const p of pendingConversions.values()) if (p.advertiserId === advertiserId && p.actionKey === actionKey && p.orderId === orderId) return { ...p };
      const r = await tx.get<Row>(`SELECT * FROM conversions WHERE advertiser_id = ? AND action_key = ? AND order_id = ?${lock}`, [
        advertiserId,
        actionKey,
        orderId,
      ]);
      return r ? toConversion(r) : null;
    },
    async conversionByEvent(advertiserId, eventId) {
      // `+received_at`: without it SQLite (no ANALYZE statistics) reads the advertiser's conversions in
      // received_at order through conversions_advertiser to skip a sort, scanning all of them for
      // every new conversion; the unary plus leaves it the (advertiser_id, event_id) index.
      const known = knownByEvent.get(conversionEventKeyOf(advertiserId, eventId));
      if (known !== undefined) return known && { ...known };
      const r = await tx.get<Row>(`SELECT * FROM conversions WHERE advertiser_id = ? AND event_id = ? ORDER BY +received_at LIMIT 1${lock}`, [
        advertiserId,
        eventId,
      ]);
      // The first received, stored rows first on a tie (they were inserted first).
      let first = r ? toConversion(r) : null;
      for (const p of pendingConversions.values()) if (p.advertiserId === advertiserId && p.eventId === eventId && (!first || p.receivedAt < first.receivedAt)) first = { ...p };
      return first;
    },
    async conversionsWonBy(touchId) {
      await flushConversions();
      // conversions_touch (touch_id, action_key, status) serves this; oldest first, so a caller
      // walking them posts its corrections in the order the charges were made.
      const rows = await tx.all<Row>(
        `SELECT * FROM conversions WHERE touch_id = ? AND status IN ('approved', 'restated', 'disputed', 'pending') ORDER BY received_at, id${lock}`,
        [touchId],
      );
      return rows.map(toConversion);
    },
    async insertConversion(c) {
      forgetConversion(c);
      if (deferring) {
        if (pendingConversions.has(c.id)) throw new Error(`conversion ${c.id} inserted twice`);
        pendingConversions.set(c.id, { ...c }); // as written: a change the caller makes later is not stored unless updated
        return;
      }
      await tx.run(`INSERT INTO conversions (${CONVERSION_COLS.join(', ')}) VALUES (${CONVERSION_COLS.map(() => '?').join(', ')})`, conversionValues(c));
    },
    async updateConversion(c) {
      forgetConversion(c);
      if (pendingConversions.has(c.id)) {
        pendingConversions.set(c.id, { ...c });
        return;
      }
      knownCounted.clear(); // a stored conversion's status or touch may have changed
      const cols = CONVERSION_COLS.filter((k) => k !== 'id');
      const values = conversionValues(c).slice(1);
      await tx.run(`UPDATE conversions SET ${cols.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`, [...values, c.id]);
    },
    async touchesFor(advertiserId, clickIds, sourceKey, since) {
      await flushImpressions(); // viewable impressions of this very group are touches too (event keys can wait for the seal)
      const out: TouchRecord[] = [];
      // The conversion's clicks in one statement (a round trip each on PostgreSQL), then in its order.
      const clicks = new Map<string, Row>();
      for (const id of clickIds) {
        const known = knownClicks.get(id);
        if (known) clicks.set(id, known);
      }
      const ids = [...new Set(clickIds)].filter((id) => !knownClicks.has(id));
      for (let at = 0; at < ids.length; at += FACTS_PER_STATEMENT) {
        const chunk = ids.slice(at, at + FACTS_PER_STATEMENT);
        for (const r of await tx.all<Row>(`SELECT * FROM clicks WHERE click_id IN (${chunk.map(() => '?').join(', ')})`, chunk)) clicks.set(String(r.click_id), r);
      }
      for (const id of clickIds) {
        const r = clicks.get(id);
        if (!r) continue;
        const c = toClick(r);
        out.push({
          id: c.clickId, kind: 'click', at: c.at, advertiserId: c.advertiserId, campaignId: c.campaignId, publisherId: c.publisherId,
          creativeId: c.creativeId, slotId: c.slotId, termsVersion: c.termsVersion,
          // A duplicate click is not a touch of its own: it repeats the first one.
          invalidReason: c.invalidReason ?? (c.duplicateOf ? `duplicate_click:${c.duplicateOf}` : null),
        });
      }
      if (sourceKey) {
        const rows = await tx.all<Row>(
          "SELECT * FROM impressions WHERE advertiser_id = ? AND source_key = ? AND kind = 'viewable' AND at >= ? ORDER BY at DESC LIMIT 50",
          [advertiserId, sourceKey, since],
        );
        for (const r of rows) {
          const i = toImpression(r);
          out.push({
            id: `${i.decisionId}:viewable`, kind: 'view', at: i.at, advertiserId: i.advertiserId, campaignId: i.campaignId,
            publisherId: i.publisherId, creativeId: i.creativeId, slotId: i.slotId, termsVersion: i.termsVersion, invalidReason: i.invalidReason,
          });
        }
      }
      return out;
    },
    async recentValues(advertiserId, actionKey, limit) {
      await flushConversions();
      const r = await tx.get<Row>(
        `SELECT COUNT(*) AS n, ${sumMicros('value_micros', 'v')} FROM (
           SELECT value_micros FROM conversions WHERE advertiser_id = ? AND action_key = ? AND status IN ('approved', 'restated', 'disputed')
           ORDER BY received_at DESC LIMIT ?) recent`,
        [advertiserId, actionKey, limit],
      );
      return { count: num(r?.n), totalMicros: readSum(r, 'v') };
    },
    async countedConversions(touchIds, actionKey, exceptId) {
      // For each touch the first counted conversion of the action: the stored one at the head of
      // conversions_counted (touch, action, received_at; counted statuses only — a touch that has
      // piled up thousands costs the same as one that has none; sorting all of a touch's
      // conversions for every new one made this path quadratic), read ahead or in one statement
      // for the touches that were not, and this transaction's pending ones; the first received
      // wins, a stored one on a tie (it was inserted first).
      const ids = [...new Set(touchIds)];
      const first = new Map<string, { id: string; receivedAt: number }>();
      const ask: [string, string][] = [];
      for (const t of ids) {
        const known = knownCounted.get(countedKeyOf(t, actionKey));
        if (known === undefined || known?.id === exceptId) ask.push([t, actionKey]);
        else if (known) first.set(t, known);
      }
      for (const [k, head] of await countedHeads(ask, exceptId)) first.set(k.slice(0, k.lastIndexOf('\u0000')), head);
      if (pendingConversions.size > 0) {
        const wanted = new Set(ids);
        for (const p of pendingConversions.values()) {
          if (p.touchId === null || !wanted.has(p.touchId) || p.actionKey !== actionKey || p.id === exceptId || !COUNTED_STATUSES.has(p.status)) continue;
          const have = first.get(p.touchId);
          if (!have || p.receivedAt < have.receivedAt) first.set(p.touchId, { id: p.id, receivedAt: p.receivedAt });
        }
      }
      return new Map([...first].map(([t, h]) => [t, h.id]));
    },

    async spend(campaignId, publisherId, day) {
      await holdSpend([[campaignId, day, publisherId ?? '']]);
      return {
        totalMicros: held(campaignId, 'total', '').value.micros,
        dayMicros: held(campaignId, day, '').value.micros,
        publisherDayMicros: publisherId ? held(campaignId, day, publisherId).value.micros : 0n,
      };
    },
    async addSpend(campaignId, publisherId, day, delta) {
      await holdSpend([[campaignId, day, publisherId ?? '']]);
      const rows = [held(campaignId, 'total', ''), held(campaignId, day, '')];
      if (publisherId) rows.push(held(campaignId, day, publisherId));
      for (const h of rows) {
        h.value.micros += delta;
        h.dirty = true;
      }
    },
    async cpmTotals(campaignId, version) {
      await holdCpm([[campaignId, version]]);
      return { ...cpmRows.get(cpmKey(campaignId, version))!.value.totals };
    },
    async setCpmTotals(campaignId, version, t) {
      const k = cpmKey(campaignId, version);
      if (!cpmRows.has(k)) await w.cpmTotals(campaignId, version);
      const h = cpmRows.get(k)!;
      h.value.totals = { billableCount: t.billableCount, chargedMicros: t.chargedMicros };
      h.dirty = true;
    },

    async postGroup(g: EntryGroup, postedAt) {
      const p: Pending = { id: 0, group: g, postedAt };
      if (deferGroups) {
        if (groupKeys.has(g.key)) return false;
        groupKeys.add(g.key);
        pendingGroups.push(p);
      } else {
        const r = await tx.get<Row>(`${GROUP_INSERT} ${GROUP_ROW} ON CONFLICT (idem_key) DO NOTHING RETURNING id`, groupValues(p));
        if (!r) return false;
        p.id = num(r.id);
      }
      posted.push(p);
      // The legs wait for the group's other legs and the transaction's other groups: all of them go
      // in a few multi-row statements at seal (or before a read of the ledger in this transaction),
      // inside the same transaction, so they still commit or roll back with their group.
      for (const leg of g.legs) pendingLegs.push({ p, leg });
      return true;
    },
    async groupsFor(refType, refId) {
      await flushLegs();
      return toGroups(await tx.all<Row>(`${GROUP_SELECT} WHERE g.ref_type = ? AND g.ref_id = ? ORDER BY g.id`, [refType, refId]));
    },

    async insertRejected(r) {
      await tx.run(
        'INSERT INTO rejected_events (received_at, site_id, endpoint, event_type, event_id, reason, detail, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        // PostgreSQL text cannot hold NUL; a refused payload may be full of them. Keep it readable instead.
        [r.receivedAt, noNul(r.siteId), r.endpoint, noNul(r.eventType), noNul(r.eventId), r.reason, noNul(r.detail), noNul(r.payload)],
      );
    },

    async site(id) {
      const r = await tx.get<Row>('SELECT * FROM sites WHERE id = ?', [id]);
      return r ? toSite(r) : null;
    },
    async campaign(id) {
      const r = await tx.get<Row>(`${CAMPAIGN_SELECT} WHERE c.id = ?`, [id]);
      return r ? toCampaign(r) : null;
    },
    async campaignNow(campaignId) {
      let c = campaignRows.get(campaignId);
      if (c === undefined) {
        const r = await tx.get<Row>('SELECT status, terms_version FROM campaigns WHERE id = ?', [campaignId]);
        c = r ? { status: String(r.status) as CampaignStatus, termsVersion: num(r.terms_version) } : null;
        // Kept for the transaction only once the campaign's total budget row is held: on PostgreSQL a
        // campaign update takes that row first, so nothing can change the status or terms under us.
        if (!pg || spendRows.has(spendKey(campaignId, 'total', ''))) campaignRows.set(campaignId, c);
      }
      if (!c) return null;
      const terms = await w.terms(campaignId, c.termsVersion);
      return terms ? { status: c.status, terms } : null;
    },
    async terms(campaignId, version, publisherId) {
      // A terms version never changes once written, so a cached one needs no query at all.
      const key = `${campaignId}:${version}`;
      let parsed = termsCache.get(key);
      if (!parsed) {
        const r = await tx.get<Row>(
          'SELECT t.terms, c.advertiser_id FROM campaign_terms t JOIN campaigns c ON c.id = t.campaign_id WHERE t.campaign_id = ? AND t.version = ?',
          [campaignId, version],
        );
        if (!r) return null;
        parsed = termsFromJson(String(r.terms), { campaignId, advertiserId: String(r.advertiser_id), version });
        // Shared by every caller from now on: frozen, so a caller that changed it would throw, not
        // change the terms under everyone else.
        Object.freeze(parsed.payout);
        Object.freeze(parsed);
        if (termsCache.size > 10_000) termsCache.clear();
        termsCache.set(key, parsed);
      }
      // The cached object itself when nothing is resolved for a publisher: its facts hash is then
      // computed once per version (recorded-facts.ts termsHash), not once per billed event.
      if (!(parsed.payoutFromPublisher && publisherId)) return parsed;
      // Once per transaction: every billed event of a group asks for the same few publishers.
      let bps = revShares.get(publisherId);
      if (bps === undefined) {
        const p = await tx.get<Row>('SELECT rev_share_bps FROM publishers WHERE id = ?', [publisherId]);
        bps = p ? num(p.rev_share_bps) : null;
        revShares.set(publisherId, bps);
      }
      return bps === null ? parsed : { ...parsed, payout: { kind: 'share', bps } };
    },
    async conversionAction(advertiserId, key) {
      // Read once per transaction: the catalog is written in transactions of its own, never in this one.
      const k = `${advertiserId}\u0000${key}`;
      let a = actions.get(k);
      if (a === undefined) {
        const r = await tx.get<Row>('SELECT * FROM conversion_actions WHERE advertiser_id = ? AND action_key = ?', [advertiserId, key]);
        a = r ? toAction(r) : null;
        actions.set(k, a);
      }
      return a;
    },
    async creative(id) {
      const r = await tx.get<Row>('SELECT * FROM creatives WHERE id = ?', [id]);
      return r ? toCreative(r) : null;
    },
  };
  return w;
}
