#!/usr/bin/env node
// The `netdicom` command: runs an app from the built CLI (dist/cli.js, `npm run build`).
import module from 'node:module';

// Node ≥ 22.1 keeps the code it compiles on disk between runs (as npm's own CLI does), so a
// command does not parse and compile the CLI and dcmjs again each time it starts. Before the
// import below: the cache applies to modules loaded after this call. NODE_DISABLE_COMPILE_CACHE=1
// turns it off; NODE_COMPILE_CACHE=DIR moves it.
module.enableCompileCache?.();
const { main } = await import('../dist/cli.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`netdicom: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
