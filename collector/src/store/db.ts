/**
 * The tiny SQL driver interface the store is written against, so one SQL implementation of the
 * domain Store runs on SQLite and PostgreSQL. SQL is written with `?` placeholders; the PostgreSQL
 * driver rewrites them to `$1, $2…`. Integers come back as bigint or number depending on the
 * driver: row mappers convert with `num()` and `big()`.
 */

/** A value a statement parameter may take. */
export type SqlValue = string | number | bigint | null;

/** A SQL connection (or a transaction on one). */
export interface Db {
  readonly dialect: 'sqlite' | 'postgres';
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Runs several statements (DDL) at once, without parameters. */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in one transaction, serialized with every other transaction of this Db. Statements
   * made through the `tx` handle are in the transaction; reads on the outer Db see only committed data.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** An integer column as a JS number (counts, timestamps, versions). */
export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : Number(v);
}

/** An integer column as bigint (money). */
export function big(v: unknown): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`unsafe integer from the database: ${v}`);
    return BigInt(v);
  }
  return BigInt(String(v));
}

/** A nullable integer column as bigint or null. */
export function bigOrNull(v: unknown): bigint | null {
  return v === null || v === undefined ? null : big(v);
}

/** Rewrites `?` placeholders to PostgreSQL's `$n` (our SQL never has `?` inside literals). */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * True for errors that say "try the whole transaction again", not "this item is bad":
 * PostgreSQL deadlocks and serialization failures, SQLite busy/locked.
 */
export function isTransientStoreError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001' || code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/**
 * True for errors that say "the database cannot be reached now" (refused, reset or terminated
 * connections, a login refused, PostgreSQL shutting down): the request is answered 503 with
 * Retry-After, not 500 — nothing is wrong with it.
 */
export function isStoreUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  // SQLSTATE class 08 (connection exception), 57P01–57P03 (shutdown, cannot connect now), 28000/28P01 (login refused).
  if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '28000' || code === '28P01') return true;
  return typeof e?.message === 'string' && /Connection terminated|timeout exceeded when trying to connect/.test(e.message);
}
