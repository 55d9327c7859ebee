import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planJobs, REBUILD_NODE_FLAGS } from './projections.cli';

describe('projections CLI', () => {
  it('is run by `npm run projections` with the V8 flags a rebuild is measured with', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.projections).toBe(
      `node ${REBUILD_NODE_FLAGS.join(' ')} scripts/run-ts.cjs src/read-store/projections.cli.ts`,
    );
  });

  it('splits the projections over the jobs, heaviest first onto the least loaded, the same way every time', () => {
    const all = ['deadlines', 'orders', 'notifications', 'seller-stats', 'cancellation-analytics'];
    expect(planJobs(all, 2)).toEqual([
      ['notifications', 'seller-stats', 'cancellation-analytics'],
      ['orders', 'deadlines'],
    ]);
    expect(planJobs(all, 1)).toEqual([
      ['notifications', 'orders', 'deadlines', 'seller-stats', 'cancellation-analytics'],
    ]);
    expect(planJobs(['orders'], 4)).toEqual([['orders']]);
  });
});
