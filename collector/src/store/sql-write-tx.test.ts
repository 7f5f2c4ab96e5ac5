/**
 * What the write transaction holds until seal (issue 17): money rows read once and written once,
 * impressions and event keys written in multi-row INSERTs at seal — and that holding them changes
 * no outcome: a rolled-back savepoint restores the running totals, and an event key another
 * transaction stored first is found at seal, not silently dropped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDb } from './sqlite-db';
import { migrate } from './schema';
import { createSqlWriteTx, EventKeyRaceError } from './sql-write-tx';
import type { Db } from './db';

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
    ).rejects.toThrow(EventKeyRaceError);
    // Rolled back whole: neither row.
    expect(await db.all('SELECT * FROM event_keys')).toEqual([]);
  });
});
