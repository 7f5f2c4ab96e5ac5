/**
 * The Store contract on SQLite (better-sqlite3): in memory and in a file, plus what only a file
 * has — WAL, the synchronous level read back, and data that survives closing and reopening.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from './open-store';
import { MIGRATIONS } from './schema';
import { openSqliteDb } from './sqlite-db';
import { createSqlStore } from './sql-store';
import { runStoreContract, T0 } from './store.case.test';

runStoreContract('SQLite :memory:', async ({ clock }) => {
  // Built like openStore(':memory:') does, keeping the Db so the suite can run raw SQL on it.
  const db = openSqliteDb(':memory:');
  const store = createSqlStore(db, { clock });
  await store.migrate();
  return { store, raw: (sql) => db.exec(sql), isolatedReads: false, cleanup: () => store.close() };
});

runStoreContract('SQLite file', async ({ clock }) => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-store-'));
  const path = join(dir, 'nested', 'perfpixel.db'); // openStore creates missing directories
  const store = await openStore(`sqlite:${path}`, { clock });
  const other = new Database(path); // a second connection, as another tool would open the file
  other.pragma('busy_timeout = 5000');
  return {
    store,
    raw: async (sql) => void other.exec(sql),
    isolatedReads: true,
    cleanup: async () => {
      other.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite file durability', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pp-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** PRAGMA values as the writer (inside a transaction) and the reader connection see them. */
  const pragmas = async (db: ReturnType<typeof openSqliteDb>) => {
    const read = async (q: (sql: string) => Promise<Record<string, unknown> | undefined>) => ({
      journal: String(Object.values((await q('PRAGMA journal_mode'))!)[0]),
      synchronous: Number(Object.values((await q('PRAGMA synchronous'))!)[0]),
    });
    return {
      writer: await db.transaction((tx) => read((sql) => tx.get(sql))),
      reader: await read((sql) => db.get(sql)),
    };
  };

  it('opens a file in WAL mode with synchronous=FULL by default, on both connections', async () => {
    const db = openSqliteDb(join(dir, 'a.db'));
    expect(await pragmas(db)).toEqual({ writer: { journal: 'wal', synchronous: 2 }, reader: { journal: 'wal', synchronous: 2 } });
    await db.close();
    // WAL is a property of the file: another connection sees it too.
    const other = new Database(join(dir, 'a.db'));
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    other.close();
  });

  it('uses synchronous=NORMAL when asked to', async () => {
    const db = openSqliteDb(join(dir, 'b.db'), { synchronous: 'NORMAL' });
    expect(await pragmas(db)).toEqual({ writer: { journal: 'wal', synchronous: 1 }, reader: { journal: 'wal', synchronous: 1 } });
    await db.close();
  });

  it('keeps committed data across close and reopen, and applies each migration once', async () => {
    const url = `sqlite:${join(dir, 'c.db')}`;
    const first = await openStore(url, { clock: () => T0 });
    await first.catalog.createAdvertiser({ id: 'adv_shop', name: 'Shop', currency: 'EUR', s2sSecrets: ['s'] }, 'h');
    await first.write((tx) => tx.putEventKey('site', 'pv', 'e1', 'h', '{}', T0));
    await first.close();

    const again = await openStore(url, { clock: () => T0 + 1 });
    expect(await again.catalog.getAdvertiser('adv_shop')).toMatchObject({ name: 'Shop', createdAt: T0 });
    expect(await again.write((tx) => tx.eventKey('site', 'pv', 'e1'))).toEqual({ payloadHash: 'h', result: '{}' });
    await again.close();

    const raw = new Database(join(dir, 'c.db'));
    expect(raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    raw.close();
  });
});
