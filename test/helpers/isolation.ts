/**
 * Which unit test files may share a worker process (vitest.config.ts: the 'unit' project runs with
 * `isolate: false`, which took the unit files from ~142 s to ~50 s on 2 cores) and which need a
 * module graph of their own ('unit-isolated'). test/unit/isolation-list.test.ts checks that every
 * file that mocks a module, stubs a global, imports another test file or measures the process is
 * listed here.
 */

/** Every unit and isomorphic test file. */
export const UNIT = ['test/unit/**/*.test.ts', 'test/isomorphic/**/*.test.ts'];

/**
 * Files that mock modules, spy on or count process-wide singletons, switch a shared module's mode,
 * or measure the process (open file descriptors, heap, resident memory: a previous file's sockets
 * still closing in the same worker would move those numbers).
 */
export const NEEDS_ISOLATION = [
  // Each re-runs another file's scenarios over TCP by switching that file's module graph.
  'test/unit/*-tcp.test.ts',
  'test/unit/dataset-chunks.test.ts',
  'test/unit/dcmjs-module.test.ts',
  'test/unit/file-stream-io.test.ts',
  'test/unit/file-stream.test.ts',
  'test/unit/fs-store-io.test.ts',
  'test/unit/gc-retention.test.ts',
  'test/unit/latin1-text.test.ts',
  'test/unit/lent-reads.test.ts',
  'test/unit/lent-reads-release.test.ts',
  'test/unit/node-transport.test.ts',
  'test/unit/pdata-run.test.ts',
  'test/unit/socket-reclaim.test.ts',
  'test/unit/store-cli-args.test.ts',
  'test/unit/store-file.test.ts',
  'test/unit/store-sender.test.ts',
  'test/unit/sync-read.test.ts',
  'test/unit/upper-layer.test.ts',
  'test/unit/websocket-proxy.test.ts',
  'test/isomorphic/bundle-vm.test.ts',
];
