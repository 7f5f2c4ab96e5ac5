/**
 * SQLite driver (better-sqlite3 12) for the Db interface.
 *
 * ```ts
 * const db = openSqliteDb('./data/perfpixel.db', { synchronous: 'FULL' });
 * ```
 *
 * WAL mode. `synchronous=FULL` (default) fsyncs the WAL on every commit, so an acknowledged event
 * survives power loss; `NORMAL` only fsyncs at checkpoints: it survives a process crash (kill -9)
 * but may lose the last commits on power loss. Measured here: FULL ≈ 0.26 ms per commit, NORMAL
 * ≈ 0.01 ms; group commit makes FULL affordable, so it is the default. The setting is read back and
 * asserted at open, so a typo cannot silently weaken durability.
 *
 * Two connections: a writer that only runs transactions (serialized by a promise queue) and a
 * reader for everything else, so reports never see a transaction in flight. better-sqlite3 is
 * synchronous, so a transaction's statements run back to back without yielding to I/O.
 */
import Database from 'better-sqlite3';
import type { Db, SqlValue } from './db';

/** Options for the SQLite driver. */
export interface SqliteOptions {
  synchronous?: 'FULL' | 'NORMAL';
}

const SYNC_CODES = { FULL: 2, NORMAL: 1 } as const;

/** Opens (creating if needed) a SQLite database file, or `:memory:`. */
export function openSqliteDb(path: string, options: SqliteOptions = {}): Db {
  const synchronous = options.synchronous ?? 'FULL';
  const open = () => {
    const d = new Database(path);
    d.pragma('journal_mode = WAL');
    d.pragma(`synchronous = ${synchronous}`);
    d.pragma('busy_timeout = 5000');
    d.pragma('foreign_keys = ON');
    // Savepoint sub-journals in memory: on a temp file every savepoint wrote each touched page
    // again (measured: ~25 extra pwrites per event under load).
    d.pragma('temp_store = MEMORY');
    // cache_size and wal_autocheckpoint stay SQLite's defaults on purpose: larger caches, rarer
    // checkpoints and other page sizes were measured and gained nothing (ARCHITECTURE.md, README).
    const got = d.pragma('synchronous', { simple: true });
    if (Number(got) !== SYNC_CODES[synchronous]) throw new Error(`SQLite synchronous is ${got}, expected ${synchronous}`);
    return d;
  };
  const writer = open();
  const reader = path === ':memory:' ? writer : open();
  let queue: Promise<unknown> = Promise.resolve();

  const cache = new Map<string, Database.Statement>();
  const prepare = (conn: Database.Database, sql: string) => {
    const key = (conn === writer ? 'w' : 'r') + sql;
    let s = cache.get(key);
    if (!s) {
      s = conn.prepare(sql);
      if (s.reader) s.safeIntegers(true);
      cache.set(key, s);
    }
    return s;
  };
  const handle = (conn: Database.Database, txHandle: boolean): Db => ({
    dialect: 'sqlite',
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(conn, sql).all(...params) as T[];
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(conn, sql).get(...params) as T | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      // A write outside a transaction becomes a transaction of its own on the writer, queued
      // behind any open one; writing on the reader would block on the writer's lock.
      if (!txHandle) return db.transaction((tx) => tx.run(sql, params));
      return { changes: prepare(conn, sql).run(...params).changes };
    },
    async exec(sql: string) {
      if (!txHandle) return db.transaction((tx) => tx.exec(sql));
      writer.exec(sql);
    },
    transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      if (txHandle) return fn(txDb); // nested: already inside
      const next = queue.then(async () => {
        writer.exec('BEGIN IMMEDIATE');
        try {
          const out = await fn(txDb);
          writer.exec('COMMIT');
          return out;
        } catch (err) {
          if (writer.inTransaction) writer.exec('ROLLBACK');
          throw err;
        }
      });
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      await queue;
      if (reader !== writer) reader.close();
      writer.close();
    },
  });
  const db = handle(reader, false);
  const txDb = handle(writer, true);
  return db;
}
