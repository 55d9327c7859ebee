import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REBUILD_NODE_FLAGS } from './projections.cli';

describe('projections CLI', () => {
  it('is run by `npm run projections` with the V8 flags a rebuild is measured with', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.projections).toBe(
      `node ${REBUILD_NODE_FLAGS.join(' ')} scripts/run-ts.cjs src/cli/projections.cli.ts`,
    );
  });
});
