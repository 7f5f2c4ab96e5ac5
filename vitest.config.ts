import { defineConfig } from 'vitest/config';

// `npm test`: everything that runs on a machine with only Node.js. PostgreSQL suites are
// `*.pg.test.ts` (vitest.pg.config.ts) and real-browser suites live in test/e2e (vitest.e2e.config.ts).
// Shared suites `*.case.test.ts` only export a function that the runners call (hono's layout).
// Process-level reliability suites (`*.slow.test.ts`: kill -9, overload) run in
// vitest.reliability.config.ts (`npm run test:reliability`, called by .ci/run).
const skip = ['**/node_modules/**', '**/dist/**', '**/*.pg.test.ts', '**/*.case.test.ts', '**/*.slow.test.ts', '**/*.nats.test.ts', 'test/cluster/**', 'test/e2e/**'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'collector',
          environment: 'node',
          include: ['collector/**/*.test.ts', 'demo-site/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: skip,
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'sdk',
          environment: 'happy-dom',
          include: ['sdk/**/*.test.ts'],
          exclude: skip,
        },
      },
    ],
  },
});
