import { configDefaults, defineConfig } from 'vitest/config';

const UNIT = ['test/unit/**/*.test.ts', 'test/isomorphic/**/*.test.ts'];
/** Files that mock modules, spy on or count process-wide singletons, or switch a shared module's mode. */
const NEEDS_ISOLATION = [
  // Each re-runs another file's scenarios over TCP by switching that file's module graph.
  'test/unit/*-tcp.test.ts',
  'test/unit/dataset-chunks.test.ts',
  'test/unit/fs-store-io.test.ts',
  'test/unit/latin1-text.test.ts',
  'test/unit/lent-reads.test.ts',
  'test/unit/pdata-run.test.ts',
  'test/unit/socket-reclaim.test.ts',
  'test/unit/store-cli-args.test.ts',
  'test/unit/sync-read.test.ts',
  'test/unit/upper-layer.test.ts',
  'test/unit/websocket-proxy.test.ts',
  'test/isomorphic/bundle-vm.test.ts',
];

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
          testTimeout: 20000,
        },
      },
      {
        // Files that need a module graph of their own (see NEEDS_ISOLATION).
        test: {
          name: 'unit-isolated',
          include: NEEDS_ISOLATION,
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
