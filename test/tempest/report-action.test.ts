/**
 * mode: report of the bundled action on a stream made here: where it writes when no results-dir
 * is given, and what the summary says about skips and failures.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { encodePacket, filePackets, type SubunitPacket } from '../../actions/lib/subunit/index.js';
import { skipPackets } from '../../actions/tempest/streams.js';
import { runAction } from '../harness/run-action.js';

const at = (s: number) => ({ seconds: 1_800_000_000 + s, nanos: 0 });

function failing(id: string, traceback: string): SubunitPacket[] {
  return [
    { testId: id, status: 'inprogress', runnable: true, eof: false, timestamp: at(0) },
    ...filePackets(
      { testId: id, runnable: true, mimeType: 'text/x-traceback; charset="utf8"', timestamp: at(1) },
      'traceback',
      Buffer.from(traceback),
    ),
    { testId: id, status: 'fail', runnable: true, eof: false, timestamp: at(1) },
  ];
}

it('writes outside the checkout by default, lists skip reasons and the assertion of a failure', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tempest-report-'));
  const workspace = path.join(dir, 'checkout');
  mkdirSync(workspace);
  const stream = path.join(dir, 'run.subunit');
  const traceback = [
    'Traceback (most recent call last):',
    '  File "tempest/api/compute/servers/test_x.py", line 10, in test_list',
    '    self.assertEqual(1, len(body))',
    'testtools.matchers._impl.MismatchError: 1 != 2',
    'Details: {"servers": []}',
  ].join('\n');
  writeFileSync(
    stream,
    Buffer.concat([
      ...failing('tempest.api.compute.servers.test_x.T.test_list', traceback).map(encodePacket),
      skipPackets(
        [
          { id: 'tempest.api.volume.test_a.T.test_1', reason: 'Cinder backup is not enabled' },
          { id: 'tempest.api.volume.test_a.T.test_2', reason: 'Cinder backup is not enabled' },
          { id: 'tempest.api.network.test_b.T.test_3', reason: 'IPv6 is not enabled' },
        ],
        1_800_000_000_000,
      ),
    ]),
  );
  const run = await runAction('tempest', { cwd: workspace, inputs: { mode: 'report', subunit: stream } });
  expect(run.exitCode).toBe(1);
  expect(existsSync(path.join(workspace, 'tempest-results'))).toBe(false);
  expect(run.outputs.junit.startsWith(path.join(run.runnerDir, 'temp'))).toBe(true);
  expect(existsSync(run.outputs.junit)).toBe(true);
  expect(run.summary).toContain('Skipped (3), by reason');
  expect(run.summary).toMatch(/\| Cinder backup is not enabled \| 2 \|\n\| IPv6 is not enabled \| 1 \|/);
  expect(run.annotations.find((a) => a.properties.title === 'Tempest: new failure')?.message).toBe(
    'tempest.api.compute.servers.test_x.T.test_list: testtools.matchers._impl.MismatchError: 1 != 2',
  );
});
