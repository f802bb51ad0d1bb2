#!/usr/bin/env node
// The `netdicom` command: runs an app from the built CLI (dist/cli.js, `npm run build`).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`netdicom: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
