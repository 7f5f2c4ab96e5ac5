import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: log mode (issue 15) against real JetStream servers that the suites start
// themselves on free loopback ports (never the shared 4222), with PostgreSQL schemas of their own.
// `*.nats.test.ts`: one server; `test/cluster/*.cluster.test.ts`: a 3-server cluster under faults.
export default defineConfig({
  test: {
    include: ['**/*.nats.test.ts', 'test/cluster/**/*.cluster.test.ts'],
    exclude: ['**/node_modules/**'],
    environment: 'node',
    testTimeout: 240_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
