import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests create their own uniquely named network namespaces, so files may run
    // in parallel; on a 2-core machine two workers is the useful maximum.
    maxWorkers: 2,
  },
});
