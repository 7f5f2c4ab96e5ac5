import { defineConfig } from 'vitest/config';

// `npm run test:pg`: the storage contract suite and multi-process tests against a real PostgreSQL
// (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test).
export default defineConfig({
  test: {
    include: ['**/*.pg.test.ts'],
    exclude: ['**/node_modules/**'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
