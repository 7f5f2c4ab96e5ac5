/** The test-events route on PostgreSQL (`npm run test:pg`): a fresh schema per test, dropped afterwards. */
import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { openStore } from '../store/open-store';
import { openPgDb } from '../store/pg-db';
import { runTestEventsSuite } from './test-events-routes.case.test';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = openPgDb(URL, { max: 1 });
afterAll(() => admin.close());

runTestEventsSuite('PostgreSQL', async (clock) => {
  const schema = `tst_${randomBytes(6).toString('hex')}`;
  const store = await openStore(URL, { clock, pgSchema: schema });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
});
