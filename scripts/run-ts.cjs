#!/usr/bin/env node
// Runs a TypeScript entry point without a build step (token CLI, bench, demo), compiling on require with swc.
require('./ts-hook.cjs');
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts.cjs <file.ts> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], entry, ...rest];
require(require('node:path').resolve(entry));
