/**
 * What the write transaction holds until seal (issue 17): money rows read once and written once,
 * impressions and event keys written in multi-row INSERTs at seal — and that holding them changes
 * no outcome: a rolled-back savepoint restores the running totals, and an event key another
 * transaction stored first is found at seal, not silently dropped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDb } from './sqlite-db';
import { migrate } from './schema';
import { createSqlWriteTx, DeferredWriteConflict } from './sql-write-tx';
import type { Db, SqlValue } from './db';
import { chainHead } from './sql-chain';
import { chargeGroup, type EntryMeta } from '../core/ledger';

const T0 = Date.UTC(2026, 11, 6, 12);
let db: Db;

beforeEach(async () => {
  db = openSqliteDb(':memory:');
  await migrate(db, T0);
});
afterEach(() => db.close());

const spendRows = () => db.all<{ scope: string; publisher_id: string; micros: bigint }>('SELECT scope, publisher_id, micros FROM spend ORDER BY scope, publisher_id');

describe('money rows held for the transaction', () => {
  it('adds every event of a group to the running totals and writes each row once, with the sum', async () => {
    await db.transaction(async (tx) => {
      const w = createSqlWriteTx(tx);
      for (let n = 0; n < 50; n++) {
        const before = await w.spend('c1', 'p1', '2026-12-06');
        expect(before.totalMicros).toBe(BigInt(n) * 2_500n);
        await w.addSpend('c1', 'p1', '2026-12-06', 2_500n);
        const t = await w.cpmTotals('c1', 1);
        await w.setCpmTotals('c1', 1, { billableCount: t.billableCount + 1n, chargedMicros: t.chargedMicros + 2_500n });
      }
      // Nothing written yet: the rows go in once, at seal.
      expect(await tx.all('SELECT * FROM spend')).toEqual([]);
      await w.seal(T0);
    });
    expect(await spendRows()).toEqual([
      { scope: '2026-12-06', publisher_id: '', micros: 125_000n },
      { scope: '2026-12-06', publisher_id: 'p1', micros: 125_000n },
      { scope: 'total', publisher_id: '', micros: 125_000n },
    ]);
    expect(await db.get('SELECT billable_count, charged_micros FROM cpm_totals')).toEqual({ billable_count: 50n, charged_micros: 125_000n });
  });

  it('continues from the stored totals in the next transaction', async () => {
    for (let round = 0; round < 3; round++) {
      await db.transaction(async (tx) => {
        const w = createSqlWriteTx(tx);
        await w.addSpend('c1', '', '2026-12-06', 1_000n);
        await w.seal(T0);
      });
    }
    expect((await spendRows()).map((r) => r.micros)).toEqual([3_000n, 3_000n]);
  });

  it('puts the running totals back when a savepoint rolls back', async () => {
    await db.transaction(async (tx) => {
      const w = createSqlWriteTx(tx);
      await w.addSpend('c1', 'p1', '2026-12-06', 1_000n);
      await expect(
        w.savepoint(async () => {
          await w.addSpend('c1', 'p1', '2026-12-06', 9_000n);
          await w.setCpmTotals('c1', 1, { billableCount: 7n, chargedMicros: 9_000n });
          throw new Error('item failed');
        }),
      ).rejects.toThrow('item failed');
      expect((await w.spend('c1', 'p1', '2026-12-06')).totalMicros).toBe(1_000n);
      expect(await w.cpmTotals('c1', 1)).toEqual({ billableCount: 0n, chargedMicros: 0n });
      await w.seal(T0);
    });
    expect((await spendRows()).map((r) => r.micros)).toEqual([1_000n, 1_000n, 1_000n]);
    expect(await db.all('SELECT * FROM cpm_totals')).toEqual([]);
  });
});

describe('facts written at seal', () => {
  it('lets a later item of the group see an earlier one before anything is written', async () => {
    await db.transaction(async (tx) => {
      const w = createSqlWriteTx(tx);
      expect(await w.eventKey('s1', 'imp', 'e1')).toBeNull();
      expect(await w.putEventKey('s1', 'imp', 'e1', 'h1', '{"status":"accepted"}', T0)).toBe(true);
      expect(await w.eventKey('s1', 'imp', 'e1')).toEqual({ payloadHash: 'h1', result: '{"status":"accepted"}' });
      expect(await w.putEventKey('s1', 'imp', 'e1', 'h2', '{}', T0)).toBe(false);
      expect(await tx.all('SELECT * FROM event_keys')).toEqual([]);
      await w.seal(T0);
    });
    expect(await db.all('SELECT event_id, payload_hash FROM event_keys')).toEqual([{ event_id: 'e1', payload_hash: 'h1' }]);
  });

  it('fails the seal when another transaction stored a key this one saw absent', async () => {
    await expect(
      db.transaction(async (tx) => {
        const w = createSqlWriteTx(tx);
        expect(await w.eventKey('s1', 'imp', 'e1')).toBeNull();
        // Another process's commit, landing between our read and our seal.
        await tx.run("INSERT INTO event_keys (site_id, type, event_id, payload_hash, result, received_at) VALUES ('s1', 'imp', 'e1', 'theirs', '{}', 0)");
        expect(await w.putEventKey('s1', 'imp', 'e1', 'ours', '{}', T0)).toBe(true);
        await w.seal(T0);
      }),
    ).rejects.toThrow(DeferredWriteConflict);
    // Rolled back whole: neither row.
    expect(await db.all('SELECT * FROM event_keys')).toEqual([]);
  });
});

describe('ledger groups of a group commit, inserted together', () => {
  const meta = (refId: string): EntryMeta => ({ refType: 'impression', refId, campaignId: 'c1', advertiserId: 'a1', publisherId: 'p1', slotId: 's1', termsVersion: 1, currency: 'EUR', at: T0, reason: null });
  const charge = (refId: string) => chargeGroup(`imp:${refId}`, meta(refId), { costMicros: 2_500n, publisherMicros: 1_750n, platformMicros: 750n })!;
  const groups = async () =>
    (await db.all<{ idem_key: string; n: bigint }>('SELECT g.idem_key, COUNT(l.group_id) AS n FROM ledger_groups g JOIN ledger_legs l ON l.group_id = g.id GROUP BY g.idem_key ORDER BY g.id')).map((r) => ({ idem_key: r.idem_key, n: Number(r.n) }));
  /** What commitGroup does first: a prefetch, which makes the transaction a group commit's optimistic pass. */
  const groupCommit = async (w: ReturnType<typeof createSqlWriteTx>) => w.prefetch!({ eventKeys: [], impressions: [] });

  it('writes nothing until a read of the ledger or the seal, then every group with its legs, linked in posting order', async () => {
    await db.transaction(async (tx) => {
      const w = createSqlWriteTx(tx);
      await groupCommit(w);
      expect(await w.postGroup(charge('i1'), T0)).toBe(true);
      expect(await w.postGroup(charge('i2'), T0)).toBe(true);
      expect(await tx.all('SELECT * FROM ledger_groups')).toEqual([]);
      // A read of the ledger in the transaction sees them: they are written first.
      expect((await w.groupsFor('impression', 'i2')).map((g) => g.key)).toEqual(['imp:i2']);
      expect(await w.postGroup(charge('i3'), T0)).toBe(true);
      await w.seal(T0);
    });
    expect(await groups()).toEqual([{ idem_key: 'imp:i1', n: 3 }, { idem_key: 'imp:i2', n: 3 }, { idem_key: 'imp:i3', n: 3 }]);
    const links = await db.all<{ idem_key: string }>('SELECT g.idem_key FROM ledger_chain c JOIN ledger_groups g ON g.id = c.group_id ORDER BY c.seq');
    expect(links.map((l) => l.idem_key)).toEqual(['imp:i1', 'imp:i2', 'imp:i3']);
    expect((await chainHead(db)).seq).toBe(3);
  });

  it('answers a key posted earlier in the same transaction as already posted, written or not', async () => {
    await db.transaction(async (tx) => {
      const w = createSqlWriteTx(tx);
      await groupCommit(w);
      expect(await w.postGroup(charge('i1'), T0)).toBe(true);
      expect(await w.postGroup(charge('i1'), T0)).toBe(false);
      await w.groupsFor('impression', 'i1'); // now written
      expect(await w.postGroup(charge('i1'), T0)).toBe(false);
      await w.seal(T0);
    });
    expect(await groups()).toEqual([{ idem_key: 'imp:i1', n: 3 }]);
  });

  it('fails the transaction whole when a key was posted by an earlier one, and posts at once outside a group commit', async () => {
    await db.transaction(async (tx) => {
      const w = createSqlWriteTx(tx);
      expect(await w.postGroup(charge('i1'), T0)).toBe(true);
      // Not a group commit: the INSERT ran at once, so the answer is the database's.
      expect(await tx.all('SELECT idem_key FROM ledger_groups')).toEqual([{ idem_key: 'imp:i1' }]);
      expect(await w.postGroup(charge('i1'), T0)).toBe(false);
      await w.seal(T0);
    });
    await expect(
      db.transaction(async (tx) => {
        const w = createSqlWriteTx(tx);
        await groupCommit(w);
        expect(await w.postGroup(charge('i2'), T0)).toBe(true);
        expect(await w.postGroup(charge('i1'), T0)).toBe(true); // not known here; found at seal
        await w.seal(T0);
      }),
    ).rejects.toThrow(DeferredWriteConflict);
    // Nothing of the failed transaction is left: not i2, no second i1, no chain link.
    expect(await groups()).toEqual([{ idem_key: 'imp:i1', n: 3 }]);
    expect((await chainHead(db)).seq).toBe(1);
  });

  it('writes the pending groups before a savepoint, and posts at once inside it', async () => {
    await db.transaction(async (tx) => {
      const w = createSqlWriteTx(tx);
      await groupCommit(w);
      expect(await w.postGroup(charge('i1'), T0)).toBe(true);
      await expect(
        w.savepoint(async () => {
          expect(await tx.all('SELECT idem_key FROM ledger_groups')).toEqual([{ idem_key: 'imp:i1' }]);
          expect(await w.postGroup(charge('i1'), T0)).toBe(false);
          expect(await w.postGroup(charge('i2'), T0)).toBe(true);
          throw new Error('item failed');
        }),
      ).rejects.toThrow('item failed');
      await w.seal(T0);
    });
    expect(await groups()).toEqual([{ idem_key: 'imp:i1', n: 3 }]);
    expect(await db.all('SELECT idem_key FROM ledger_groups')).toEqual([{ idem_key: 'imp:i1' }]); // no group of the rolled-back item, legs or not
    expect((await chainHead(db)).seq).toBe(1);
  });
});

describe('the ad-stacking read-ahead', () => {
  it('reads at most two decisions of a page view slot however many were piled into it', async () => {
    const served = (decisionId: string) => ({
      decisionId, kind: 'served' as const, eventId: `e_${decisionId}`, siteId: 's1', slotId: 'top', publisherId: 'p1', campaignId: 'c1', creativeId: 'cr1', advertiserId: 'a1',
      termsVersion: 1, pageViewId: 'pv_pile', sourceKey: 'src', at: T0, receivedAt: T0, invalidReason: null, billing: 'no_charge' as const, costMicros: 0n,
    });
    await db.transaction(async (tx) => {
      const w = createSqlWriteTx(tx);
      for (let n = 0; n < 500; n++) await w.insertImpression(served(`d${n}`));
      await w.seal(T0);
    });
    let rowsRead = 0;
    await db.transaction(async (tx) => {
      const counted: Db = { ...tx, all: async (sql, params) => {
        const rows = await tx.all(sql, params);
        rowsRead += rows.length;
        return rows as never;
      } };
      const w = createSqlWriteTx(counted);
      await w.prefetch!({ eventKeys: [], impressions: [], pageSlots: [['pv_pile', 'top']] });
      expect(await w.otherServedInPageSlot('pv_pile', 'top', 'd0')).toBe(true);
      expect(await w.otherServedInPageSlot('pv_pile', 'top', 'new')).toBe(true);
      await w.seal(T0);
    });
    expect(rowsRead).toBe(2);
  });
});

describe('the conversion lookups a new conversion makes', () => {
  /** The statements `call` sends through the driver method `method`, and SQLite's plan of the first. */
  const planOf = async (method: 'get' | 'all', call: (w: ReturnType<typeof createSqlWriteTx>) => Promise<unknown>) => {
    const sent: { sql: string; params: readonly unknown[] }[] = [];
    await db.transaction(async (tx) => {
      const seen: Db = { ...tx, [method]: async (sql: string, params?: readonly SqlValue[]) => {
        sent.push({ sql, params: params ?? [] });
        return tx[method](sql, params) as never;
      } };
      await call(createSqlWriteTx(seen));
    });
    const plan = (await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sent[0]!.sql}`, sent[0]!.params as never)).map((r) => r.detail);
    return { statements: sent.length, plan, text: plan.join('\n') };
  };

  it('reads an action\'s recent values from the head of an index, not walking back through the advertiser\'s other conversions', async () => {
    const { statements, plan, text } = await planOf('get', (w) => w.recentValues('a1', 'purchase', 100));
    expect(statements).toBe(1);
    expect(plan.some((d) => /USING INDEX conversions_recent_values \(advertiser_id=\? AND action_key=\?\)/.test(d)), text).toBe(true);
    expect(plan.some((d) => /TEMP B-TREE/.test(d)), text).toBe(false);
  });

  it('finds a touch\'s first counted conversion at the head of an index, without reading and sorting the touch\'s conversions', async () => {
    const { statements, plan, text } = await planOf('all', (w) => w.countedConversions(['t1', 't2'], 'purchase', 'cv_new'));
    expect(statements).toBe(1); // one statement for every touch of the conversion
    expect(plan.some((d) => /USING INDEX conversions_counted \(touch_id=\? AND action_key=\?\)/.test(d)), text).toBe(true);
    expect(plan.some((d) => /TEMP B-TREE/.test(d)), text).toBe(false);
  });
});

describe('the conversion read-ahead', () => {
  it('answers a group\'s conversion, click, counting and action lookups from a few statements, and writes its conversions in one', async () => {
    let statements = 0;
    const conversion = (i: number) => ({
      id: `cv${i}`, advertiserId: 'a1', siteId: null, actionKey: 'purchase', orderId: `o${i}`, eventId: `e${i}`, origin: 's2s' as const, clickIds: ['k'],
      otherClickIds: {}, utm: {}, sourceKey: null, valueMicros: 1n, currency: 'EUR', at: T0 + i, receivedAt: T0 + i, status: 'approved' as const,
      statusReason: null, campaignId: 'c1', publisherId: 'p1', creativeId: 'cr1', slotId: 's1', touchId: 'k', touchKind: 'click' as const, termsVersion: 1,
      costMicros: 0n, decision: null, payloadHash: 'h', restatements: 0, updatedAt: T0 + i,
    });
    await db.transaction(async (tx) => {
      const counted: Db = {
        ...tx,
        all: async (sql, params) => (statements++, tx.all(sql, params)) as never,
        get: async (sql, params) => (statements++, tx.get(sql, params)) as never,
        run: async (sql, params) => (statements++, tx.run(sql, params)) as never,
      };
      const w = createSqlWriteTx(counted);
      const n = 40;
      await w.prefetch!({ eventKeys: [], impressions: [], conversions: Array.from({ length: n }, (_, i) => ['a1', 'purchase', `o${i}`, `e${i}`, ['k']] as [string, string, string, string, string[]]) });
      expect(statements).toBe(4); // by order, by event ID, the clicks, the clicks' first counted conversions
      for (let i = 0; i < n; i++) {
        expect(await w.conversionByOrder('a1', 'purchase', `o${i}`)).toBeNull();
        expect(await w.conversionByEvent('a1', `e${i}`)).toBeNull();
        expect(await w.touchesFor('a1', ['k'], null, 0)).toEqual([]);
        expect(await w.conversionAction('a1', 'purchase')).toBeNull();
        // The group's own earlier conversions count: the first of them is the touch's counted one.
        expect(Object.fromEntries(await w.countedConversions(['k'], 'purchase', `cv${i}`))).toEqual(i === 0 ? {} : { k: 'cv0' });
        await w.insertConversion(conversion(i));
        expect((await w.conversionByOrder('a1', 'purchase', `o${i}`))?.id).toBe(`cv${i}`);
      }
      expect(statements).toBe(5); // and the action, once
      await w.seal(T0);
      expect(statements - 5).toBeLessThanOrEqual(3); // the 40 conversions in one INSERT, and the chain's head
    });
    expect((await db.all<{ id: string }>('SELECT id FROM conversions ORDER BY rowid')).map((r) => r.id)).toEqual(Array.from({ length: 40 }, (_, i) => `cv${i}`));
  });
});
