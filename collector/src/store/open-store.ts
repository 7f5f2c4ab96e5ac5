/**
 * Opens the Store a `DATABASE_URL` names and runs its migrations.
 *
 * ```ts
 * await openStore('sqlite:./data/perfpixel.db', { clock: Date.now });          // embedded default
 * await openStore('postgres://postgres@127.0.0.1:5432/test', { clock: Date.now });
 * await openStore(':memory:', { clock: () => 0 });                            // tests
 * ```
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openPgDb } from './pg-db';
import { openSqliteDb } from './sqlite-db';
import { createSqlStore } from './sql-store';
import type { Store } from './store';

/** Options for openStore. */
export interface OpenStoreOptions {
  clock: () => number;
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /** PostgreSQL schema (tests run side by side in one database). */
  pgSchema?: string;
  pgPoolSize?: number;
}

/** Opens and migrates the store for a database URL. */
export async function openStore(url: string, options: OpenStoreOptions): Promise<Store> {
  let store: Store;
  if (/^postgres(ql)?:\/\//.test(url)) {
    store = createSqlStore(openPgDb(url, { schema: options.pgSchema, max: options.pgPoolSize }), options);
  } else {
    const path = url === ':memory:' ? ':memory:' : url.replace(/^(sqlite|file):(\/\/)?/, '');
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    store = createSqlStore(openSqliteDb(path, { synchronous: options.sqliteSynchronous }), options);
  }
  await store.migrate();
  return store;
}
