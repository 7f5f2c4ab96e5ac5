/**
 * The money model-based test (test/model/money-model.ts) on PostgreSQL, in `npm run test:pg`: the
 * same command sequences as on SQLite — the same seed, so the first MODEL_PG_RUNS of them (default
 * 100: each needs a schema of its own, created and migrated, then dropped) — through the same
 * collector over the PostgreSQL store.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { openStore } from '../../collector/src/store/open-store';
import { runModel } from './money-model';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUNS = Number(process.env.MODEL_PG_RUNS ?? 100);
const SEED = Number(process.env.MODEL_SEED ?? 20_261_206);
const admin = new pg.Pool({ connectionString: URL, max: 2 });
const schemas = new Map<object, string>();
afterAll(() => admin.end());

describe('money model (PostgreSQL)', () => {
  it(`holds every invariant after every step of ${RUNS} random command sequences (seed ${SEED})`, async () => {
    const stats = await runModel({
      runs: RUNS,
      seed: SEED,
      store: async (clock) => {
        const schema = `model_${randomBytes(6).toString('hex')}`;
        const store = await openStore(URL, { clock, pgSchema: schema, pgPoolSize: 4 });
        schemas.set(store, schema);
        return store;
      },
      cleanup: async (store) => {
        await store.close();
        await admin.query(`DROP SCHEMA ${schemas.get(store)} CASCADE`);
      },
    });
    console.log(`money model on PostgreSQL, seed ${SEED}: ${JSON.stringify(stats)}`);
  }, 3_600_000);
});
