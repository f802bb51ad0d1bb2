import { defineConfig } from 'vitest/config';

/** `npm run test:soak`: the heavy reliability runs (reliability.md §4 items 4 and 12), not in `npm test`. */
export default defineConfig({
  test: {
    include: ['test/reliability/soak/**/*.soak.ts'],
    testTimeout: 15 * 60 * 1000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
