/**
 * The Store written once in SQL over a Db driver; SQLite and PostgreSQL differ only in their driver.
 *
 * ```ts
 * const store = createSqlStore(openSqliteDb(':memory:'), { clock: Date.now });
 * await store.migrate();
 * ```
 */
import type { Db } from './db';
import { migrate } from './schema';
import { createSqlCatalog } from './sql-catalog';
import { createSqlReports } from './sql-reports';
import { createSqlWriteTx, GROUP_SELECT, toGroups } from './sql-write-tx';
import { sealGroups } from './sql-chain';
import type { Store } from './store';
import type { CampaignTerms } from '../core/terms';

/** Options of the SQL store. */
export interface SqlStoreOptions {
  clock: () => number;
}

/** Creates the domain Store over a SQL driver. */
export function createSqlStore(db: Db, options: SqlStoreOptions): Store {
  // Terms versions are immutable, so a parsed version can be kept for the life of the store.
  const termsCache = new Map<string, CampaignTerms>();
  return {
    kind: db.dialect,
    catalog: createSqlCatalog(db, options.clock),
    reports: createSqlReports(db),
    async migrate() {
      await migrate(db, options.clock());
      await sealLegacyGroups(db, options.clock());
    },
    async ping() {
      await db.get('SELECT 1 AS ok');
    },
    write: (fn) =>
      db.transaction(async (tx) => {
        const w = createSqlWriteTx(tx, termsCache);
        const out = await fn(w);
        // Every group this transaction posted is linked into the chain before it commits (sql-chain.ts).
        await w.seal(options.clock());
        return out;
      }),
    close: () => db.close(),
  };
}

/** Seals groups posted before the chain existed (schema V5), oldest first, so the chain covers the whole ledger. */
async function sealLegacyGroups(db: Db, now: number): Promise<void> {
  const unsealed = await db.get<Record<string, unknown>>('SELECT COUNT(*) AS n FROM ledger_groups g WHERE NOT EXISTS (SELECT 1 FROM ledger_chain c WHERE c.group_id = g.id)');
  if (!unsealed || Number(unsealed.n) === 0) return;
  await db.transaction(async (tx) => {
    const rows = await tx.all<Record<string, unknown>>(`${GROUP_SELECT} WHERE NOT EXISTS (SELECT 1 FROM ledger_chain c WHERE c.group_id = g.id) ORDER BY g.id`);
    await sealGroups(tx, toGroups(rows).map((g) => ({ id: g.id, group: g })), now);
  });
}
