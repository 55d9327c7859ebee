import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClockFile, PersistentManualClock, readManualClockFile } from './persistent-manual-clock';

describe('PersistentManualClock', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rc-clock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const wall = new Date('2030-01-01T00:00:00.000Z');

  it('starts at the wall clock without a file, and keeps every move', () => {
    const file = manualClockFile(dir);
    const clock = new PersistentManualClock(file, wall);
    expect(clock.now()).toEqual(wall);
    clock.advance(1000);
    expect(readManualClockFile(file)).toEqual(new Date(wall.getTime() + 1000));
    clock.set(new Date('2030-02-01T00:00:00.000Z'));
    expect(new PersistentManualClock(file, wall).now()).toEqual(new Date('2030-02-01T00:00:00.000Z'));
  });

  it('never starts before the wall clock', () => {
    const file = manualClockFile(dir);
    new PersistentManualClock(file, wall).set(new Date('2029-01-01T00:00:00.000Z'));
    expect(new PersistentManualClock(file, wall).now()).toEqual(wall);
  });

  it('ignores an unreadable file', () => {
    const file = manualClockFile(dir);
    writeFileSync(file, 'not json');
    expect(new PersistentManualClock(file, wall).now()).toEqual(wall);
    writeFileSync(file, JSON.stringify({ now: 'yesterday' }));
    expect(new PersistentManualClock(file, wall).now()).toEqual(wall);
  });
});
