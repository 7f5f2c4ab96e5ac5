/**
 * The money model-based test on SQLite (test/model/money-model.ts has the commands and the
 * invariants). `npm test` runs MODEL_RUNS sequences (default 2,000: two halves from two seeds, in
 * two files so they run side by side); `npm run test:deep` runs 50,000. A failure prints the seed
 * and the steps; re-run one with `MODEL_SEED=<seed> MODEL_RUNS=1 npx vitest run test/model/money-model.test.ts`.
 */
import { describe, it } from 'vitest';
import { openStore } from '../../collector/src/store/open-store';
import { runModel } from './money-model';

const RUNS = Math.ceil(Number(process.env.MODEL_RUNS ?? 2000) / 2);
const SEED = Number(process.env.MODEL_SEED ?? 20_261_206);

describe('money model (SQLite), first half', () => {
  it(`holds every invariant after every step of ${RUNS} random command sequences (seed ${SEED})`, async () => {
    const stats = await runModel({ runs: RUNS, seed: SEED, store: (clock) => openStore(':memory:', { clock }) });
    console.log(`money model seed ${SEED}: ${JSON.stringify(stats)}`);
  }, 3_600_000);
});
