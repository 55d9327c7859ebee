// Compiles TypeScript on require with swc: source runs of the CLIs and bench (run-ts.cjs), and worker threads
// started from TypeScript sources (tests).
const { transformSync } = require('@swc/core');
const fs = require('node:fs');
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
