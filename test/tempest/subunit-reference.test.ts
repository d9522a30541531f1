import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJUnitXml, type JUnitCase } from '../../actions/lib/reports/junit.js';
import { parseJUnitXml } from '../support/junit-xml.js';
import {
  countOutcomes,
  readSubunit,
  subunitToJUnit,
  type SubunitRun,
} from '../../actions/lib/subunit/index.js';
import { parseStats, reference, subunitRun, writeSamplePackage } from './support/python-tests.js';

let dir: string;
const streams: Record<string, Buffer> = {};

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'subunit-ref-'));
  writeSamplePackage(dir);
  streams.outcomes = subunitRun(dir, ['sample.test_outcomes']);
  streams.attachments = subunitRun(dir, ['sample.test_attachments']);
  streams.dies = subunitRun(dir, ['sample.test_dies']);
  const stestr = spawnSync(
    'stestr',
    ['run', '--subunit', 'sample.test_outcomes', 'sample.test_attachments'],
    { cwd: dir, maxBuffer: 64 << 20 },
  );
  streams.stestr = stestr.stdout;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const byId = (cases: JUnitCase[]) =>
  new Map(cases.map((c) => [c.classname ? `${c.classname}.${c.name}` : c.name, c]));

/** Compares our JUnit with subunit2junitxml's, test by test. */
function compareWithJUnitReference(stream: Buffer, run: SubunitRun) {
  const ours = byId(parseJUnitXml(toJUnitXml(subunitToJUnit(run)))[0].cases);
  const xml = reference('subunit2junitxml', stream).stdout;
  const theirs = byId(parseJUnitXml(xml).flatMap((s) => s.cases));
  expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
  for (const [id, ref] of theirs) {
    const mine = ours.get(id)!;
    // The reference has one word for every failing outcome; we say `error` for a test that never finished.
    const status = mine.status === 'error' ? 'failed' : mine.status;
    expect({ id, status }).toEqual({ id, status: ref.status });
    // subunit2junitxml writes the reason as the element's text: <skipped>reason</skipped>.
    if (ref.status === 'skipped') expect(xml).toContain(`<skipped>${mine.message}</skipped>`);
    // The reference's failure text is every attachment folded together; ours holds the traceback.
    if (ref.status === 'failed' && mine.details) expect(ref.details).toContain(mine.details.trim());
  }
  return { ours, theirs };
}

describe('the parser agrees with the reference tools on real streams', () => {
  it('python -m subunit.run: pass, fail, error, skip, xfail, uxsuccess, setUpClass and tearDownClass errors', async () => {
    const stream = streams.outcomes;
    expect(stream[0]).toBe(0xb3);
    const run = await readSubunit([stream]);
    expect(run.stream.error).toBeUndefined();
    const outcome = Object.fromEntries(run.tests.map((t) => [t.id, t.outcome]));
    expect(outcome).toEqual({
      'sample.test_outcomes.TestOutcomes.test_pass': 'success',
      'sample.test_outcomes.TestOutcomes.test_fail': 'fail',
      'sample.test_outcomes.TestOutcomes.test_error': 'fail',
      'sample.test_outcomes.TestOutcomes.test_skip': 'skip',
      'sample.test_outcomes.TestOutcomes.test_xfail': 'xfail',
      'sample.test_outcomes.TestOutcomes.test_uxsuccess': 'uxsuccess',
      'setUpClass (sample.test_outcomes.TestBrokenSetup)': 'fail',
      'sample.test_outcomes.TestBrokenTeardown.test_ok': 'success',
      'tearDownClass (sample.test_outcomes.TestBrokenTeardown)': 'fail',
    });
    // subunit-stats counts an unexpected success as passed; we (like subunit2junitxml) as failed.
    const stats = parseStats(reference('subunit-stats', stream).stdout);
    const counts = countOutcomes(run.tests);
    expect({
      total: counts.total,
      passed: counts.passed + counts.uxsuccess,
      failed: counts.failed - counts.uxsuccess,
      skipped: counts.skipped,
    }).toEqual(stats);
    expect(reference('subunit-ls', stream).stdout.trim().split('\n').sort()).toEqual(
      run.tests.map((t) => t.id).sort(),
    );
    const { ours } = compareWithJUnitReference(stream, run);
    expect(ours.get('sample.test_outcomes.TestOutcomes.test_fail')!.message).toBe('AssertionError: 1 != 2');
    expect(ours.get('setUpClass (sample.test_outcomes.TestBrokenSetup)')!.details).toMatch(
      /ValueError: class setup broke/,
    );
    expect(run.stream.enumerated).toBe(8); // TestBrokenSetup.test_never_runs exists but never ran
  });

  it('keeps traceback, pythonlogging and stdout attachments of a failure, drops those of a pass', async () => {
    const run = await readSubunit([streams.attachments]);
    const failed = run.tests.find((t) => t.outcome === 'fail')!;
    expect(failed.attachments.map((a) => a.name).sort()).toEqual(["pythonlogging:''", 'stdout', 'traceback']);
    expect(failed.attachments.find((a) => a.name === "pythonlogging:''")!.text).toBe(
      'INFO tempest.lib.common.rest_client Request: GET /v3\n'.repeat(200),
    );
    expect(run.tests.find((t) => t.outcome === 'success')!.attachments).toEqual([]);
    compareWithJUnitReference(streams.attachments, run);
  });

  it('stestr run --subunit (worker tags, route codes)', async () => {
    const run = await readSubunit([streams.stestr]);
    expect(run.stream.error).toBeUndefined();
    expect(run.tests.length).toBe(11);
    expect(run.tests.every((t) => t.tags.some((tag) => tag.startsWith('worker-')))).toBe(true);
    const stats = parseStats(reference('subunit-stats', streams.stestr).stdout);
    const counts = countOutcomes(run.tests);
    expect(counts.total).toBe(stats.total);
    expect(counts.skipped).toBe(stats.skipped);
    expect(counts.failed - counts.uxsuccess).toBe(stats.failed);
    compareWithJUnitReference(streams.stestr, run);
  });

  it('a test that never finishes (the process died) is unfinished, and stdout text around packets is passed through', async () => {
    const run = await readSubunit([streams.dies]);
    expect(run.tests.map((t) => [t.id, t.outcome])).toEqual([
      ['sample.test_dies.TestDies.test_a_first', 'success'],
      ['sample.test_dies.TestDies.test_b_dies', 'unfinished'],
    ]);
    const { ours } = compareWithJUnitReference(streams.dies, run);
    expect(ours.get('sample.test_dies.TestDies.test_b_dies')!.message).toMatch(/did not finish/);
    expect(run.stream.nonSubunitTail).toBe('about to die\n');
  });

  it('a real stream cut mid-packet or corrupted: a clear error at the right byte, the tests before it kept', async () => {
    const stream = streams.outcomes;
    const whole = await readSubunit([stream]);
    const cutAt = Math.floor(stream.length * 0.6);
    const cut = await readSubunit([stream.subarray(0, cutAt)]);
    expect(cut.stream.error!.message).toMatch(
      /^stream truncated: the last packet has only \d+ of \d+ bytes \(at byte \d+\)$/,
    );
    expect(cut.stream.error!.offset).toBeLessThan(cutAt);
    expect(cut.stream.bytes).toBe(cut.stream.error!.offset);
    // Everything that completed before the cut is there, with the same outcome as in the whole stream.
    const before = cut.tests.filter((t) => t.outcome !== 'unfinished');
    expect(before.length).toBeGreaterThan(0);
    for (const t of before) expect(whole.tests.find((w) => w.id === t.id)!.outcome).toBe(t.outcome);

    const corrupt = Buffer.from(stream);
    corrupt[cut.stream.error!.offset + 5] ^= 0x55;
    const damaged = await readSubunit([corrupt]);
    expect(damaged.stream.error!.offset).toBe(cut.stream.error!.offset);
    expect(damaged.stream.error!.message).toMatch(/bad CRC32|corrupt packet|impossible packet length/);
    expect(damaged.tests.filter((t) => t.outcome !== 'unfinished').map((t) => t.id)).toEqual(
      before.map((t) => t.id),
    );
  });
});
