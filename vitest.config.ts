import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Rebuilds dist/ when it is older than src/: workers run the compiled files (test/globalSetup.ts).
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Load tests measure timing; two cores cannot host many parallel load tests without skewing them.
    fileParallelism: true,
    maxWorkers: 2,
    env: { FORCE_COLOR: '0', NO_COLOR: '1' },
  },
});
