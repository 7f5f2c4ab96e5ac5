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
