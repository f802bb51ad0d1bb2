// Types for demo/samples.mjs (used by test/browser/demo.test.ts).
/** Writes the generated sample instances (Part 10 files) into `directory`; returns their paths. */
export declare function writeSamples(directory: string): string[];
