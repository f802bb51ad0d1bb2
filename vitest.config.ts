import { configDefaults, defineConfig } from 'vitest/config';

import { NEEDS_ISOLATION, UNIT } from './test/helpers/isolation';

/** Every project: tests import src/ directly, which leaves dcmjs to the package's entries (see the file). */
const PROVIDE_DCMJS = 'test/helpers/provide-dcmjs.ts';

export default defineConfig({
  test: {
    projects: [
      {
        // `npm run test:unit` runs the unit files on every core (vitest's default leaves one free: a
        // single worker on a 2-core machine) and in shared workers (isolate: false; each file in a
        // fresh process spent ~0.5 s importing); the reliability project runs after, alone.
        test: {
          name: 'unit',
          include: UNIT,
          exclude: [...configDefaults.exclude, ...NEEDS_ISOLATION],
          isolate: false,
          setupFiles: [PROVIDE_DCMJS],
          testTimeout: 20000,
        },
      },
      {
        // Files that need a module graph of their own (see NEEDS_ISOLATION).
        test: {
          name: 'unit-isolated',
          include: NEEDS_ISOLATION,
          setupFiles: [PROVIDE_DCMJS],
          testTimeout: 20000,
        },
      },
      {
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          setupFiles: [PROVIDE_DCMJS, 'test/reliability/helpers/setup.ts'],
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
          setupFiles: [PROVIDE_DCMJS],
          testTimeout: 60000,
          hookTimeout: 60000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'interop',
          include: ['test/interop/**/*.test.ts'],
          setupFiles: [PROVIDE_DCMJS],
          testTimeout: 60000,
          fileParallelism: false,
        },
      },
    ],
  },
});
