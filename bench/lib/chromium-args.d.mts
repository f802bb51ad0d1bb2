// Types for bench/lib/chromium-args.mjs (used by test/browser/demo.test.ts).
export declare const LOOPBACK_CHROMIUM_ARGS: readonly string[];
