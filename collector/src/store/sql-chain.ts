/**
 * Sealing the ledger chain (core/chain.ts) in SQL: at the end of every write transaction the groups
 * it posted are linked after the chain's head, in the order they were posted. On PostgreSQL a
 * transaction-scoped advisory lock makes the processes take the head in turn (it is held only from
 * the seal to COMMIT); SQLite has a single writer.
 *
 * ```ts
 * await sealGroups(tx, [{ id: 42, group }], now);   // inside the transaction that posted group 42
 * ```
 */
import { hash, randomBytes } from 'node:crypto';
import { contentHash, fullView, GENESIS_HASH, linkHash, type Sha256 } from '../core/chain';
import type { EntryGroup } from '../core/ledger';
import { num, type Db } from './db';

/**
 * SHA-256 with node:crypto (what the collector and the CLI hash with). The one-shot `hash` (Node
 * ≥ 20.12), not `createHash`: a chain link costs about twelve hashes of a few bytes each, and the
 * Hash object's set-up was most of their time (≈ 5 µs against ≈ 1 µs, bench/statement-bench.ts).
 */
export const nodeSha256: Sha256 = Object.assign((data: Uint8Array | string) => hash('sha256', data, 'buffer'), {
  hex: (text: string) => hash('sha256', text, 'hex'),
});

/** A group posted in the current transaction, waiting to be sealed. */
export interface Posted {
  id: number;
  group: EntryGroup;
}

/** One link of the chain as stored. */
export interface ChainLink {
  seq: number;
  groupId: number;
  salt: string;
  contentHash: string;
  hash: string;
  sealedAt: number;
}

/** Links `posted` after the chain head, in order; call inside the transaction that posted them. */
export async function sealGroups(tx: Db, posted: readonly Posted[], now: number): Promise<void> {
  if (posted.length === 0) return;
  if (tx.dialect === 'postgres') await tx.get("SELECT pg_advisory_xact_lock(hashtext('perfpixel:ledger-chain'))");
  const head = await tx.get<Record<string, unknown>>('SELECT seq, hash FROM ledger_chain ORDER BY seq DESC LIMIT 1');
  let seq = head ? num(head.seq) : 0;
  let prev = head ? String(head.hash) : GENESIS_HASH;
  const rows: (string | number)[] = [];
  // One draw for the whole group commit: a call per group was ~4 % of a billed event's CPU.
  const salts = randomBytes(16 * posted.length).toString('hex');
  for (const [i, p] of posted.entries()) {
    const salt = salts.slice(32 * i, 32 * i + 32);
    const content = contentHash(nodeSha256, fullView(nodeSha256, p.group, p.group.facts ?? null, salt));
    prev = linkHash(nodeSha256, prev, content);
    rows.push(++seq, p.id, salt, content, prev, now);
  }
  await tx.run(
    `INSERT INTO ledger_chain (seq, group_id, salt, content_hash, hash, sealed_at) VALUES ${posted.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
    rows,
  );
}

/** The chain's head: its last link's sequence number and hash (0 and the genesis hash when empty). */
export async function chainHead(db: Db): Promise<{ seq: number; hash: string }> {
  const r = await db.get<Record<string, unknown>>('SELECT seq, hash FROM ledger_chain ORDER BY seq DESC LIMIT 1');
  return r ? { seq: num(r.seq), hash: String(r.hash) } : { seq: 0, hash: GENESIS_HASH };
}
