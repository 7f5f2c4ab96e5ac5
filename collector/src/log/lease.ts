/**
 * Shard leases: a worker owns a shard while it holds a session-level PostgreSQL advisory lock on
 * it (`pg_try_advisory_lock`) on one dedicated connection. The lock dies with the process or with
 * its connection — no timer to tune, no clock to trust. The same connection's application_name
 * lets every worker count the live workers, so each takes its fair share of the shards.
 *
 * ```ts
 * const leases = createLeases({ url, schema: 'public', stream: 'perfpixel' });
 * if (await leases.tryTake(3)) { … }    // this process owns shard 3 until release or death
 * await leases.workers();              // live workers of this stream and schema (≥ 1)
 * ```
 *
 * A lease is an optimisation of ownership, not the guarantee of exactly-once: if a connection
 * dies unnoticed, the batch transaction's offset fence (offsets.ts) still serializes two owners.
 */
import pg from 'pg';
import { shardOf } from './shard';

/** Options of the lease connection. */
export interface LeaseOptions {
  url: string;
  /** PostgreSQL schema of the store: leases of two deployments in one database never collide. */
  schema?: string;
  stream: string;
  onLost?: (err: unknown) => void;
}

/** A worker's shard leases. */
export interface Leases {
  /** Takes a shard if nobody holds it; true when this process now owns it. */
  tryTake(shard: number): Promise<boolean>;
  /** Gives a shard back. */
  release(shard: number): Promise<void>;
  /** Shards held now (empty after the connection died). */
  owned(): ReadonlySet<number>;
  /** True while the connection holding the locks is up (checked with a round trip). */
  check(): Promise<boolean>;
  /** Live workers of this stream and schema, this one included. */
  workers(): Promise<number>;
  close(): Promise<void>;
}

/** Creates the leases of one worker; the connection opens on first use and again after it died. */
export function createLeases(o: LeaseOptions): Leases {
  const scope = `${o.schema ?? 'public'}:${o.stream}`;
  // Advisory locks take two int4 keys: the deployment (hash of schema and stream) and the shard.
  const space = shardOf(`perfpixel-lease:${scope}`, 2 ** 31);
  const appName = `perfpixel-worker:${scope}`.slice(0, 63);
  let client: pg.Client | null = null;
  let connecting: Promise<pg.Client> | null = null;
  const held = new Set<number>();

  const lost = (err: unknown) => {
    if (!client) return;
    client = null;
    held.clear();
    o.onLost?.(err);
  };
  const conn = async (): Promise<pg.Client> => {
    if (client) return client;
    connecting ??= (async () => {
      const c = new pg.Client({ connectionString: o.url, application_name: appName, keepAlive: true, connectionTimeoutMillis: 5000 });
      c.on('error', (err) => lost(err));
      c.on('end', () => lost(new Error('lease connection ended')));
      try {
        await c.connect();
      } catch (err) {
        c.removeAllListeners();
        c.on('error', () => undefined); // a late socket error of a client we gave up on must not crash the worker
        await c.end().catch(() => undefined);
        throw err;
      }
      client = c;
      return c;
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  };
  const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> => {
    const c = await conn();
    try {
      return (await c.query<T>(text, values)).rows;
    } catch (err) {
      // A failed round trip means the session (and so every lock) may be gone: drop it.
      if (c === client) {
        lost(err);
        await c.end().catch(() => undefined);
      }
      throw err;
    }
  };

  return {
    async tryTake(shard) {
      if (held.has(shard)) return true;
      const [r] = await query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [space, shard]);
      if (r?.ok) held.add(shard);
      return r?.ok === true;
    },
    async release(shard) {
      if (!held.delete(shard)) return;
      await query('SELECT pg_advisory_unlock($1, $2)', [space, shard]).catch(() => undefined);
    },
    owned: () => held,
    async check() {
      if (!client) return false;
      return query('SELECT 1', []).then(
        () => true,
        () => false,
      );
    },
    async workers() {
      const [r] = await query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [appName]);
      return Math.max(1, Number(r?.n ?? 1));
    },
    async close() {
      const c = client;
      client = null;
      held.clear();
      if (c) {
        c.removeAllListeners();
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      }
    },
  };
}
