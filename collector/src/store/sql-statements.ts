/**
 * The reads a statement is built from (http/statement-routes.ts): the chain's head and the links
 * sealed in a period, each with its group, legs, facts and salt, and the earlier groups of actions
 * a period corrects. Paged by chain position, so a statement of any size streams.
 */
import { GENESIS_HASH } from '../core/chain';
import { num, type Db } from './db';
import { GROUP_SELECT, toGroups } from './sql-write-tx';
import type { ChainEntry, PostedGroup, ReportRange } from './store';

type Row = Record<string, unknown>;

/** Chain reads for statements over a Db. */
export function createSqlStatements(db: Db) {
  const head = (r: Row | undefined) => (r ? { seq: num(r.seq), hash: String(r.hash) } : { seq: 0, hash: GENESIS_HASH });
  const withFacts = async (groups: PostedGroup[]): Promise<(PostedGroup & { facts: unknown })[]> => {
    if (groups.length === 0) return [];
    const rows = await db.all<Row>(`SELECT id, facts FROM ledger_groups WHERE id IN (${groups.map(() => '?').join(', ')})`, groups.map((g) => g.id));
    const facts = new Map(rows.map((r) => [num(r.id), r.facts === null || r.facts === undefined ? null : JSON.parse(String(r.facts))]));
    return groups.map((g) => ({ ...g, facts: facts.get(g.id) ?? null }));
  };
  return {
    async chainHead() {
      return head(await db.get<Row>('SELECT seq, hash FROM ledger_chain ORDER BY seq DESC LIMIT 1'));
    },
    async chainRange(range: ReportRange) {
      const start = head(await db.get<Row>('SELECT seq, hash FROM ledger_chain WHERE sealed_at < ? ORDER BY seq DESC LIMIT 1', [range.from]));
      const end = head(await db.get<Row>('SELECT seq, hash FROM ledger_chain WHERE sealed_at < ? ORDER BY seq DESC LIMIT 1', [range.to]));
      return { start, end: end.seq < start.seq ? start : end };
    },
    async chainPage(afterSeq: number, toSeq: number, limit: number): Promise<ChainEntry[]> {
      const links = await db.all<Row>('SELECT seq, group_id, salt, content_hash, hash FROM ledger_chain WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?', [afterSeq, toSeq, limit]);
      if (links.length === 0) return [];
      const ids = links.map((l) => num(l.group_id));
      const groups = await withFacts(toGroups(await db.all<Row>(`${GROUP_SELECT} WHERE g.id IN (${ids.map(() => '?').join(', ')}) ORDER BY g.id`, ids)));
      const byId = new Map(groups.map((g) => [g.id, g]));
      return links.map((l) => ({ seq: num(l.seq), salt: String(l.salt), contentHash: String(l.content_hash), hash: String(l.hash), group: byId.get(num(l.group_id))! }));
    },
    async groupsOfActions(actions: { refType: string; refId: string }[], beforeSeq: number) {
      const out: (PostedGroup & { facts: unknown })[] = [];
      for (const a of actions) {
        const rows = await db.all<Row>(
          `${GROUP_SELECT} JOIN ledger_chain c ON c.group_id = g.id WHERE g.ref_type = ? AND g.ref_id = ? AND c.seq <= ? ORDER BY g.id`,
          [a.refType, a.refId, beforeSeq],
        );
        out.push(...(await withFacts(toGroups(rows))));
      }
      return out;
    },
  };
}
