/** Progress lines read from a Subunit stream while it is written. */
import { appendFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { encodePacket, type SubunitPacket } from '../../actions/lib/subunit/index.js';
import { LiveProgress } from '../../actions/tempest/live-progress.js';

const at = { seconds: 1_800_000_000, nanos: 0 };
const finished = (id: string, status: SubunitPacket['status']): Buffer =>
  Buffer.concat(
    [
      { testId: id, status: 'inprogress' as const, runnable: true, eof: false, timestamp: at },
      { testId: id, status, runnable: true, eof: false, timestamp: at },
    ].map(encodePacket),
  );

it('logs a line per N finished tests with passes and failures so far, and the total at the end', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'live-')), 'raw.subunit');
  const lines: string[] = [];
  const progress = new LiveProgress(file, (l) => lines.push(l), 2);
  progress.poll(); // the file does not exist yet
  appendFileSync(file, finished('t.A.test_1', 'success'));
  // Half a packet: nothing counted until the rest arrives.
  const second = finished('t.A.test_2', 'fail');
  appendFileSync(file, second.subarray(0, second.length - 3));
  progress.poll();
  expect(lines).toEqual([]);
  appendFileSync(file, second.subarray(second.length - 3));
  appendFileSync(file, finished('t.B.test_3', 'skip'));
  progress.poll();
  expect(lines).toEqual(['tempest: 2 tests finished: 1 passed, 1 failed, 0 skipped']);
  progress.finish();
  expect(lines).toEqual([
    'tempest: 2 tests finished: 1 passed, 1 failed, 0 skipped',
    'tempest: 3 tests finished: 1 passed, 1 failed, 1 skipped',
  ]);
});
