import { defineConfig } from 'vitest/config';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// `npm run test:pg`, against a real PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test):
// - `pg`: the storage contract suite, budgets under concurrency and two collector processes (`*.pg.test.ts`);
// - `pg-http`: the whole HTTP suite, the invalid-traffic and fuzz suites again, with every harness
//   (collector/src/test-fixtures.ts) and collector process (test-server.ts) on PostgreSQL, one schema per
//   test (PP_TEST_DATABASE_URL). `npm test` runs the same files on SQLite.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'pg',
          include: ['**/*.pg.test.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'pg-http',
          include: ['collector/src/http/**/*.test.ts', 'collector/src/app.test.ts', 'test/reliability/fuzz.test.ts', 'test/reliability/fraud.test.ts'],
          exclude: ['**/node_modules/**', '**/*.pg.test.ts', '**/*.case.test.ts'],
          environment: 'node',
          env: { PP_TEST_DATABASE_URL: DATABASE_URL },
          testTimeout: 120_000,
          hookTimeout: 90_000,
          // Two files at a time: each test opens its own schema and a small pool (4 connections).
          maxWorkers: 2,
        },
      },
    ],
  },
});
