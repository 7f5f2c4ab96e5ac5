/**
 * How far each shard's messages have been committed: one row per (stream, shard) holding the last
 * stream sequence whose effects are in the database, updated in the same transaction as those
 * effects. It is what makes a redelivered batch a no-op for every kind of item (refusals and
 * redirect clicks have no event key of their own), and it fences a shard: a worker that lost its
 * lease without knowing it blocks on the row, then finds it moved and skips what is done.
 *
 * ```ts
 * await ensureOffsets(db, 'perfpixel', 16);
 * const done = await readOffset(db, 'perfpixel', 3);
 * await db.transaction(async (tx) => { await lockOffset(tx, 'perfpixel', 3, done); …; await setOffset(tx, 'perfpixel', 3, 1042); });
 * ```
 */
import { big, type Db } from '../store/db';

/** Thrown inside a batch transaction when another process committed this shard since it was read. */
export class OffsetMoved extends Error {
  constructor(readonly now: bigint) {
    super(`shard offset moved to ${now}`);
  }
}

/** Creates the offsets table and a row per shard (idempotent; workers call it at start). */
export async function ensureOffsets(db: Db, stream: string, shards: number): Promise<void> {
  await db
    .exec(
      `CREATE TABLE IF NOT EXISTS log_offsets (
        stream TEXT NOT NULL,
        shard INTEGER NOT NULL,
        last_seq BIGINT NOT NULL,
        PRIMARY KEY (stream, shard)
      )`,
    )
    .catch((err: { code?: string }) => {
      // IF NOT EXISTS is not atomic: two workers starting at once, the second fails with a unique
      // violation on the catalog (23505) or duplicate_table (42P07). The table is there: go on.
      if (err.code !== '23505' && err.code !== '42P07') throw err;
    });
  for (let shard = 0; shard < shards; shard++) {
    await db.run('INSERT INTO log_offsets (stream, shard, last_seq) VALUES (?, ?, 0) ON CONFLICT (stream, shard) DO NOTHING', [stream, shard]);
  }
}

/** The last committed stream sequence of a shard. */
export async function readOffset(db: Db, stream: string, shard: number): Promise<bigint> {
  const r = await db.get<{ last_seq: unknown }>('SELECT last_seq FROM log_offsets WHERE stream = ? AND shard = ?', [stream, shard]);
  if (!r) throw new Error(`no offset row for ${stream} shard ${shard}: ensureOffsets was not run`);
  return big(r.last_seq);
}

/** Locks the shard's row for the transaction and throws OffsetMoved unless it still holds `expected`. */
export async function lockOffset(tx: Db, stream: string, shard: number, expected: bigint): Promise<void> {
  const r = await tx.get<{ last_seq: unknown }>(`SELECT last_seq FROM log_offsets WHERE stream = ? AND shard = ?${tx.dialect === 'postgres' ? ' FOR UPDATE' : ''}`, [stream, shard]);
  const now = big(r?.last_seq);
  if (now !== expected) throw new OffsetMoved(now);
}

/** Records that every message of the shard up to `seq` is committed. */
export async function setOffset(tx: Db, stream: string, shard: number, seq: bigint): Promise<void> {
  await tx.run('UPDATE log_offsets SET last_seq = ? WHERE stream = ? AND shard = ?', [seq, stream, shard]);
}
