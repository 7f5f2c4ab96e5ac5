/**
 * A PostgreSQL login role of the test's own, so the test can take PostgreSQL away from its own
 * processes without touching anyone else's: `cut(ms)` makes the role unable to log in and
 * terminates its sessions, for `ms`; then it can log in again. The shared server stays up.
 *
 * ```ts
 * const pg = await createOutageRole(adminUrl, 'tst_cluster_ab12');
 * pg.url;                 // postgres://tst_cluster_ab12@127.0.0.1:5432/test — what the processes use
 * await pg.cut(10_000);
 * await pg.drop();        // after the schema it owns was dropped
 * ```
 */
import { openPgDb } from '../../collector/src/store/pg-db';

/** A role the processes under test connect as. */
export interface OutageRole {
  url: string;
  cut(ms: number): Promise<{ terminated: number }>;
  drop(): Promise<void>;
}

/** Creates `role` (LOGIN, may create schemas in the database) through `adminUrl`. */
export async function createOutageRole(adminUrl: string, role: string): Promise<OutageRole> {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(role)) throw new Error(`bad role name ${role}`);
  const admin = openPgDb(adminUrl, { max: 1 });
  const u = new URL(adminUrl);
  const database = u.pathname.slice(1);
  await admin.exec(`CREATE ROLE ${role} LOGIN`);
  await admin.exec(`GRANT CREATE, CONNECT ON DATABASE "${database}" TO ${role}`);
  u.username = role;
  u.password = '';
  return {
    url: u.toString(),
    async cut(ms) {
      await admin.exec(`ALTER ROLE ${role} NOLOGIN`);
      const rows = await admin.all<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE usename = ?', [role]);
      await new Promise((r) => setTimeout(r, ms));
      await admin.exec(`ALTER ROLE ${role} LOGIN`);
      return { terminated: rows.filter((r) => r.ok).length };
    },
    async drop() {
      await admin.exec(`ALTER ROLE ${role} LOGIN`).catch(() => undefined);
      await admin.all('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ?', [role]).catch(() => undefined);
      await admin.exec(`REVOKE ALL ON DATABASE "${database}" FROM ${role}`).catch(() => undefined);
      await admin.exec(`DROP OWNED BY ${role} CASCADE`).catch(() => undefined);
      await admin.exec(`DROP ROLE IF EXISTS ${role}`);
      await admin.close();
    },
  };
}
