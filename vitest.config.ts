import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/isomorphic/**/*.test.ts'],
          testTimeout: 20000,
        },
      },
      {
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          setupFiles: ['test/reliability/helpers/setup.ts'],
          // Timing cases (ARTIM ± 10 %, answers within 200 ms) must not compete with each other for 2 cores.
          fileParallelism: false,
          testTimeout: 20000,
          hookTimeout: 20000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60000,
          hookTimeout: 60000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'interop',
          include: ['test/interop/**/*.test.ts'],
          testTimeout: 60000,
          fileParallelism: false,
        },
      },
    ],
  },
});
