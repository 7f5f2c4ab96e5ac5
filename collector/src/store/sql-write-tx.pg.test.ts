/**
 * The write transaction's held rows on PostgreSQL with two processes (issue 17): event keys written
 * at seal must not let two processes both accept one event, and running totals held for a group
 * must add up across processes. Each "process" is its own store (own pool) on one schema.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './open-store';
import { openPgDb } from './pg-db';
import { createSqlWriteTx, DeferredWriteConflict } from './sql-write-tx';
import { createKeys, type AdToken } from '../ingest/keys';
import { commitGroup } from '../ingest/commit-group';
import { DEFAULT_IVT_LIMITS, type PipelineDeps } from '../ingest/pipeline';
import type { IngestItem } from '../ingest/items';
import type { Store } from './store';
import { chargeGroup } from '../core/ledger';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const T0 = Date.UTC(2026, 11, 6, 12);
const admin = openPgDb(URL, { max: 2 });
afterAll(() => admin.close());

const keys = createKeys('pg-write-tx-secret-'.padEnd(40, 'x'));
const pipeline: PipelineDeps = { keys, random: (n) => randomBytes(n), newId: (p) => `${p}_${randomUUID()}`, limits: DEFAULT_IVT_LIMITS };
const logger = pino({ level: 'silent' });

async function twoProcesses(): Promise<{ a: Store; b: Store; schema: string; done: () => Promise<void> }> {
  const schema = `tst_${randomBytes(6).toString('hex')}`;
  const a = await openStore(URL, { clock: () => T0, pgSchema: schema });
  const b = await openStore(URL, { clock: () => T0, pgSchema: schema });
  const c = a.catalog;
  await c.createAdvertiser({ id: 'adv', name: 'A', currency: 'EUR', s2sSecrets: ['s'.repeat(32)] }, 'h1');
  await c.createPublisher({ id: 'pub', name: 'P', revShareBps: 7000 }, 'h2');
  await c.createSite({ id: 'news', ownerType: 'publisher', ownerId: 'pub', name: 'N', origins: [] });
  await c.createSlot({ id: 'slot', siteId: 'news', publisherId: 'pub', name: 'S', width: 300, height: 250, status: 'active' });
  await c.createCampaign({
    id: 'cpm', advertiserId: 'adv', name: 'C', status: 'active', landingUrl: 'https://x.example/', allowedHosts: [],
    terms: {
      campaignId: 'cpm', advertiserId: 'adv', version: 1, currency: 'EUR', costModel: 'cpm', cpcMicros: 0n, cpmMicros: 2_500_000n, cpmBasis: 'served',
      cpaFlatMicros: 0n, cpaBps: 0, payout: { kind: 'share', bps: 7000 }, totalBudgetMicros: null, dailyBudgetMicros: null,
      publisherDailyCapMicros: null, clickWindowDays: 30, viewWindowDays: 1, minConversionDelayMs: 0, duplicateClickWindowMs: 30_000, priority: 0,
    },
  });
  return {
    a,
    b,
    schema,
    done: async () => {
      await a.close();
      await b.close();
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

const impression = (eventId = randomUUID(), campaignId = 'cpm'): IngestItem => {
  const t: AdToken = { d: `d_${randomUUID()}`, si: 'news', s: 'slot', p: 'pub', a: 'adv', c: campaignId, cr: 'cr', v: 1, pv: randomBytes(6).toString('base64url'), t: T0 };
  return { kind: 'beacon', siteId: 'news', event: { t: 'imp', i: eventId, ts: T0, tk: keys.signToken(t) }, at: T0, payloadHash: eventId, ctx: { receivedAt: T0, sourceKey: randomUUID(), ivt: null, endpoint: '/e' } };
};

describe('held rows on PostgreSQL, two processes', () => {
  it('fails the seal when another process committed an event key this transaction saw absent', async () => {
    const p = await twoProcesses();
    try {
      const db = openPgDb(URL, { schema: p.schema, max: 2 });
      await expect(
        db.transaction(async (tx) => {
          const w = createSqlWriteTx(tx);
          expect(await w.eventKey('news', 'imp', 'e1')).toBeNull();
          // The other process commits the same key meanwhile.
          await p.b.write(async (o) => {
            await o.eventKey('news', 'imp', 'e1');
            await o.putEventKey('news', 'imp', 'e1', 'theirs', '{}', T0);
          });
          expect(await w.putEventKey('news', 'imp', 'e1', 'ours', '{}', T0)).toBe(true);
          await w.seal(T0);
        }),
      ).rejects.toThrow(DeferredWriteConflict);
      await db.close();
      const rows = await p.a.write(async (o) => o.eventKey('news', 'imp', 'e1'));
      expect(rows?.payloadHash).toBe('theirs');
    } finally {
      await p.done();
    }
  });

  it('fails the seal when another process posted a ledger group this group commit deferred', async () => {
    const p = await twoProcesses();
    try {
      const meta = { refType: 'impression' as const, refId: 'i1', campaignId: 'cpm', advertiserId: 'adv', publisherId: 'pub', slotId: 'slot', termsVersion: 1, currency: 'EUR', at: T0, reason: null };
      const g = chargeGroup('imp:i1', meta, { costMicros: 2_500n, publisherMicros: 1_750n, platformMicros: 750n })!;
      const db = openPgDb(URL, { schema: p.schema, max: 2 });
      await expect(
        db.transaction(async (tx) => {
          const w = createSqlWriteTx(tx);
          await w.prefetch!({ eventKeys: [], impressions: [] }); // a group commit: the group is deferred
          expect(await w.postGroup(g, T0)).toBe(true);
          await p.b.write(async (o) => void (await o.postGroup(g, T0)));
          await w.seal(T0);
        }),
      ).rejects.toThrow(DeferredWriteConflict);
      await db.close();
      const n = await admin.get<{ groups: bigint; legs: bigint; links: bigint }>(
        `SELECT (SELECT COUNT(*) FROM ${p.schema}.ledger_groups) AS groups, (SELECT COUNT(*) FROM ${p.schema}.ledger_legs) AS legs, (SELECT COUNT(*) FROM ${p.schema}.ledger_chain) AS links`,
      );
      expect(n).toEqual({ groups: 1n, legs: 3n, links: 1n });
    } finally {
      await p.done();
    }
  });

  it('accepts and bills one event once when both processes receive it at once, and the totals add up', async () => {
    const p = await twoProcesses();
    try {
      const same = Array.from({ length: 10 }, () => impression());
      const ownA = Array.from({ length: 20 }, () => impression());
      const ownB = Array.from({ length: 20 }, () => impression());
      const [ra, rb] = await Promise.all([
        commitGroup((fn) => p.a.write(fn), [...same, ...ownA], { pipeline, logger, clock: () => T0 }),
        commitGroup((fn) => p.b.write(fn), [...same, ...ownB], { pipeline, logger, clock: () => T0 }),
      ]);
      for (let n = 0; n < same.length; n++) {
        expect([ra[n]!.status, rb[n]!.status].sort()).toEqual(['accepted', 'duplicate']);
      }
      for (const r of [...ra.slice(same.length), ...rb.slice(same.length)]) expect(r.status).toBe('accepted');
      const billed = [...ra, ...rb].filter((r) => r.status === 'accepted' && r.billedMicros).length;
      expect(billed).toBe(50);
      const count = await admin.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM ${p.schema}.ledger_groups`);
      expect(Number(count?.n)).toBe(50);
      const cpm = await admin.get<{ billable_count: bigint; charged_micros: bigint }>(`SELECT billable_count, charged_micros FROM ${p.schema}.cpm_totals`);
      expect(cpm?.billable_count).toBe(50n);
      const spend = await admin.get<{ micros: bigint }>(`SELECT micros FROM ${p.schema}.spend WHERE scope = 'total'`);
      expect(spend?.micros).toBe(cpm?.charged_micros);
      const keysStored = await admin.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM ${p.schema}.event_keys`);
      expect(Number(keysStored?.n)).toBe(50);
    } finally {
      await p.done();
    }
  });

  it('stores one conversion of an order both processes receive at once (held to the seal in each), and answers the other a conflict', async () => {
    const p = await twoProcesses();
    try {
      const s2s = (orderId: string): IngestItem => {
        const eventId = randomUUID();
        return { kind: 's2s', advertiserId: 'adv', body: { event_id: eventId, action: 'purchase', order_id: orderId, value: '10.00', currency: 'EUR' }, payloadHash: eventId, ctx: { receivedAt: T0, sourceKey: randomUUID(), ivt: null, endpoint: '/v1/conversions' } };
      };
      const orders = Array.from({ length: 10 }, (_, n) => `o-same-${n}`);
      const [ra, rb] = await Promise.all([
        commitGroup((fn) => p.a.write(fn), [...orders.map(s2s), ...Array.from({ length: 20 }, (_, n) => s2s(`o-a-${n}`))], { pipeline, logger, clock: () => T0 }),
        commitGroup((fn) => p.b.write(fn), [...orders.map(s2s), ...Array.from({ length: 20 }, (_, n) => s2s(`o-b-${n}`))], { pipeline, logger, clock: () => T0 }),
      ]);
      for (let n = 0; n < orders.length; n++) expect([ra[n]!.status, rb[n]!.status].sort()).toEqual(['accepted', 'conflict']);
      for (const r of [...ra.slice(orders.length), ...rb.slice(orders.length)]) expect(r.status).toBe('accepted');
      const stored = await admin.get<{ n: bigint; orders: bigint }>(`SELECT COUNT(*) AS n, COUNT(DISTINCT order_id) AS orders FROM ${p.schema}.conversions`);
      expect(stored).toEqual({ n: 50n, orders: 50n });
    } finally {
      await p.done();
    }
  });

  it('takes the money rows of a group in one fixed order: two processes billing two campaigns in opposite orders never deadlock', async () => {
    const p = await twoProcesses();
    try {
      const terms = (await p.a.write((tx) => tx.terms('cpm', 1)))!;
      await p.a.catalog.createCampaign({ id: 'cpm2', advertiserId: 'adv', name: 'C2', status: 'active', landingUrl: 'https://x.example/', allowedHosts: [], terms: { ...terms, campaignId: 'cpm2' } });
      // Each transaction attempt counted: PostgreSQL aborts one side of a deadlock and the driver runs it again.
      let attempts = 0;
      const counted = (s: Store) => ((fn) => s.write((tx) => (attempts++, fn(tx)))) as Parameters<typeof commitGroup>[0];
      const rounds = 12;
      for (let n = 0; n < rounds; n++) {
        const [ra, rb] = await Promise.all([
          commitGroup(counted(p.a), [impression(undefined, 'cpm'), impression(undefined, 'cpm2')], { pipeline, logger, clock: () => T0 }),
          commitGroup(counted(p.b), [impression(undefined, 'cpm2'), impression(undefined, 'cpm')], { pipeline, logger, clock: () => T0 }),
        ]);
        for (const r of [...ra, ...rb]) expect(r.billedMicros).toBe('2500');
      }
      expect(attempts).toBe(2 * rounds);
      const spend = await admin.all<{ campaign_id: string; micros: bigint }>(`SELECT campaign_id, micros FROM ${p.schema}.spend WHERE scope = 'total' ORDER BY campaign_id`);
      expect(spend).toEqual([
        { campaign_id: 'cpm', micros: BigInt(2 * rounds * 2500) },
        { campaign_id: 'cpm2', micros: BigInt(2 * rounds * 2500) },
      ]);
    } finally {
      await p.done();
    }
  });
});
