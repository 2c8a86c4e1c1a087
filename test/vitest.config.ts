import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'api/**/*.test.ts', 'workers/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    // One Temporal dev server per test run, on free ports with a throwaway database.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more parallel files only add contention with the dev server.
    maxWorkers: 2,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
});
