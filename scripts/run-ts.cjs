#!/usr/bin/env node
// Runs a TypeScript entry point without a build step (token CLI, bench, demo), compiling on require with swc.
const { transformSync } = require('@swc/core');
const fs = require('node:fs');
const Module = require('node:module');
require.extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
void Module;
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts.cjs <file.ts> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], entry, ...rest];
require(require('node:path').resolve(entry));
