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
import { createSqlWriteTx } from './sql-write-tx';
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
    },
    async ping() {
      await db.get('SELECT 1 AS ok');
    },
    write: (fn) => db.transaction((tx) => fn(createSqlWriteTx(tx, termsCache))),
    close: () => db.close(),
  };
}
