/**
 * PostgreSQL driver (node-postgres) for the Db interface.
 *
 * ```ts
 * const db = openPgDb('postgres://postgres@127.0.0.1:5432/test');
 * ```
 *
 * BIGINT (int8) columns are parsed to bigint, never to lossy numbers. Transactions run on a pooled
 * client at READ COMMITTED; budget rows are locked with `SELECT … FOR UPDATE` by the store, which
 * is what keeps several collector processes from overspending one budget. A transaction aborted
 * by a deadlock or serialization failure is retried from the start (it was rolled back whole).
 */
import pg from 'pg';
import { toPgPlaceholders, type Db, type SqlValue } from './db';

// bigint parameters go over the wire as decimal text, which PostgreSQL casts exactly.
const values = (params: readonly SqlValue[]) => params.map((p) => (typeof p === 'bigint' ? p.toString() : p));

const INT8_OID = 20;
const ignore = () => undefined;
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** Options for the PostgreSQL driver. */
export interface PgOptions {
  max?: number;
  /** A schema to use (created if missing), so tests can run side by side in one database. */
  schema?: string;
}

/** Opens a connection pool to PostgreSQL. */
export function openPgDb(url: string, options: PgOptions = {}): Db {
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID) return (v: string) => BigInt(v);
      return pg.types.getTypeParser(oid, format as 'text');
    },
  } as pg.CustomTypesConfig;
  const schema = options.schema;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    types,
    // search_path set at connection start, so every pooled client is in the schema before its first query.
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });
  let schemaReady: Promise<void> | null = null;
  const ensureSchema = async () => {
    if (!schema) return;
    schemaReady ??= pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).then(
      () => undefined,
      (err: { code?: string }) => {
        // IF NOT EXISTS is not atomic: another process creating the schema at the same moment makes
        // ours fail with a unique violation (23505) or duplicate_schema (42P06). It exists: go on.
        if (err.code === '23505' || err.code === '42P06') return;
        schemaReady = null; // anything else (database down): try again on the next query
        throw err;
      },
    );
    await schemaReady;
  };

  const on = (q: (text: string, values?: unknown[]) => Promise<pg.QueryResult>, txHandle: boolean): Db => {
    const self: Db = {
      dialect: 'postgres',
      async all<T>(sql: string, params: readonly SqlValue[] = []) {
        await ensureSchema();
        return (await q(toPgPlaceholders(sql), values(params))).rows as T[];
      },
      async get<T>(sql: string, params: readonly SqlValue[] = []) {
        await ensureSchema();
        return (await q(toPgPlaceholders(sql), values(params))).rows[0] as T | undefined;
      },
      async run(sql: string, params: readonly SqlValue[] = []) {
        await ensureSchema();
        return { changes: (await q(toPgPlaceholders(sql), values(params))).rowCount ?? 0 };
      },
      async exec(sql: string) {
        await ensureSchema();
        await q(sql);
      },
      async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
        if (txHandle) return fn(self);
        await ensureSchema();
        for (let attempt = 1; ; attempt++) {
          const client = await pool.connect();
          // While checked out the pool listens to nothing on the client: a connection dropped between
          // two statements would be an unhandled 'error' event (a crash). The next statement fails instead.
          client.on('error', ignore);
          try {
            await client.query('BEGIN');
            const out = await fn(on((text, values) => client.query(text, values), true));
            await client.query('COMMIT');
            client.off('error', ignore);
            client.release();
            return out;
          } catch (err) {
            // A client whose ROLLBACK fails is broken: release(err) makes the pool discard it.
            const broken = await client.query('ROLLBACK').then(
              () => undefined,
              (e: Error) => e,
            );
            client.off('error', ignore);
            client.release(broken);
            const code = (err as { code?: string }).code;
            if (code && RETRYABLE.has(code) && attempt < 5) {
              await new Promise((r) => setTimeout(r, 5 * attempt + Math.floor(Math.random() * 10)));
              continue;
            }
            throw err;
          }
        }
      },
      async close() {
        await pool.end();
      },
    };
    return self;
  };
  return on((text, values) => pool.query(text, values), false);
}
