import { defineConfig } from 'vitest/config';

/** `npm run test:soak`: the heavy reliability runs (reliability.md §4 items 4, 5, 6, 8 and 12), not in `npm test`; sizes in each file's header. */
export default defineConfig({
  test: {
    include: ['test/reliability/soak/**/*.soak.ts'],
    setupFiles: ['test/helpers/provide-dcmjs.ts'], // tests import src/ directly (see the file)
    testTimeout: 15 * 60 * 1000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
