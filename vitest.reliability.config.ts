import { defineConfig } from 'vitest/config';

// `npm run test:reliability`: suites that start the collector as a child process and kill it,
// overload it or time it (`*.slow.test.ts`). Bounded, loopback only, run one file at a time.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.slow.test.ts'],
    exclude: ['**/node_modules/**'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
