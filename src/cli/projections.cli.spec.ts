import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { foldShares, planJobs, REBUILD_NODE_FLAGS } from './projections.cli';

describe('projections CLI', () => {
  it('is run by `npm run projections` with the V8 flags a rebuild is measured with', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.projections).toBe(
      `node ${REBUILD_NODE_FLAGS.join(' ')} scripts/run-ts.cjs src/cli/projections.cli.ts`,
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

  it('shares the streams of a fold so the jobs end together: the first also rebuilds the feed-order projections', () => {
    const folded = ['deadlines', 'orders', 'notifications'];
    const [first, second] = foldShares(folded, ['seller-stats', 'cancellation-analytics'], 2);
    expect(first + second).toBeCloseTo(1);
    // Fold 6 + 4.5 + 6.5 + 11.5 = 28.5 s; the feed's two 2 + 4 + 1 = 7 s: 28.5 s * 0.377 + 7 s = 28.5 s * 0.623.
    expect(first).toBeCloseTo(0.377, 2);
    expect(second).toBeCloseTo(0.623, 2);
    expect(foldShares(folded, [], 2)).toEqual([0.5, 0.5]);
    const three = foldShares(folded, [], 3);
    expect(three.reduce((a, b) => a + b)).toBeCloseTo(1);
    for (const share of three) expect(share).toBeCloseTo(1 / 3);
    // Feed work heavier than the fold: the first job folds nothing, the others share all of it.
    expect(foldShares(['deadlines'], ['seller-stats', 'a', 'b', 'c', 'd', 'e'], 2)).toEqual([0, 1]);
    expect(foldShares(folded, ['seller-stats'], 1)).toEqual([1]);
  });
});
