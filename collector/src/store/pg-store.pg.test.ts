/**
 * The Store contract on PostgreSQL (`npm run test:pg`; DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test). Every test gets a fresh schema, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './open-store';
import { openPgDb } from './pg-db';
import { MIGRATIONS } from './schema';
import { runStoreContract, T0 } from './store.case.test';
import type { Store } from './store';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const freshSchema = () => `tst_${randomBytes(6).toString('hex')}`;

/** A connection outside every store: raw SQL in a schema, and dropping it. */
const admin = openPgDb(URL, { max: 2 });
afterAll(() => admin.close());

runStoreContract('PostgreSQL', async ({ clock }) => {
  const schema = freshSchema();
  const store = await openStore(URL, { clock, pgSchema: schema });
  return {
    store,
    raw: (sql) => admin.transaction(async (tx) => {
      await tx.exec(`SET LOCAL search_path TO ${schema}`);
      await tx.exec(sql);
    }),
    isolatedReads: true,
    cleanup: async () => {
      await store.close();
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
});

describe('PostgreSQL ledger', () => {
  it('refuses TRUNCATE of the ledger tables, which row triggers alone would let through', async () => {
    const schema = freshSchema();
    const store = await openStore(URL, { clock: () => T0, pgSchema: schema });
    try {
      const meta = { refType: 'click' as const, refId: 'k1', campaignId: 'c', advertiserId: 'a', publisherId: 'p', slotId: null, termsVersion: 1, currency: 'EUR', at: T0, reason: null };
      await store.write((tx) =>
        tx.postGroup({ key: 'click:k1', kind: 'charge', meta, legs: [{ account: 'advertiser:a', side: 'debit', micros: 5n }, { account: 'platform', side: 'credit', micros: 5n }] }, T0),
      );
      // Every table the triggers guard, alone and together (a partial set is refused earlier, by the
      // chain's foreign key, which would hide whether the trigger works).
      for (const sql of ['TRUNCATE ledger_legs', 'TRUNCATE ledger_chain', 'TRUNCATE ledger_legs, ledger_groups, ledger_chain', 'TRUNCATE ledger_groups CASCADE']) {
        await expect(admin.transaction(async (tx) => (await tx.exec(`SET LOCAL search_path TO ${schema}`), tx.exec(sql)))).rejects.toThrow(/append-only/);
      }
      expect(await store.reports.ledgerTotals()).toEqual({ debits: 5n, credits: 5n, groups: 1 });
    } finally {
      await store.close();
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    }
  });
});

describe('PostgreSQL start-up', () => {
  it('several collector processes opening one fresh schema at once all migrate it', async () => {
    // Each store has its own pool, as separate processes would; all start on a schema nobody made yet.
    const schema = freshSchema();
    try {
      const opened = await Promise.allSettled(Array.from({ length: 6 }, () => openStore(URL, { clock: () => T0, pgSchema: schema })));
      const stores = opened.filter((r): r is PromiseFulfilledResult<Store> => r.status === 'fulfilled').map((r) => r.value);
      const errors = opened.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
      await Promise.all(stores.map((s) => s.close()));
      expect(errors).toEqual([]);
      const rows = await admin.all<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });
});
