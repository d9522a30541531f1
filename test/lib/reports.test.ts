import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { toJUnitXml, type JUnitSuite } from '../../actions/lib/reports/junit.js';
import { parseJUnitXml } from '../support/junit-xml.js';
import { details, markdownTable } from '../../actions/lib/reports/markdown.js';
import { parseTap } from '../../actions/lib/reports/tap.js';
import { repoRoot } from '../harness/run-action.js';

const suite = 'test/fixtures/reports/sample.bats';

function bats(...args: string[]): string {
  // bats exits 1 when a test fails; the report is what matters here.
  return spawnSync('bats', [...args, suite], { cwd: repoRoot, encoding: 'utf8' }).stdout;
}

describe('TAP from real bats-core', () => {
  for (const formatter of [['--tap'], ['--formatter', 'tap13']]) {
    it(`reads ${formatter.join(' ')} output with statuses and failure locations`, () => {
      const report = parseTap(bats(...formatter));
      expect(report.plan).toEqual({ start: 1, end: 3 });
      expect(report.tests.map((t) => [t.id, t.name, t.status])).toEqual([
        [1, 'image has a shell', 'passed'],
        [2, 'keystone runs as the keystone user', 'failed'],
        [3, 'optional extension', 'skipped'],
      ]);
      expect(report.tests[1]).toMatchObject({ file: suite, line: 10 });
      expect(report.tests[1].diagnostics).toContain('`[ "$output" = "keystone" ]\' failed');
      expect(report.tests[2].reason).toBe('not built for this distro');
    });
  }

  it('reads a bail out', () => {
    expect(parseTap('1..2\nok 1 a\nBail out! registry down\n').bailOut).toBe('registry down');
  });
});

describe('JUnit', () => {
  const suites: JUnitSuite[] = [
    {
      name: 'keystone',
      timestamp: '2026-11-25T10:00:00',
      properties: { image: '127.0.0.1:5000/taco/keystone:c1' },
      cases: [
        { name: 'runs', classname: 'keystone', timeSeconds: 0.5, status: 'passed' },
        {
          name: 'user <root> & "quotes"',
          status: 'failed',
          message: 'expected keystone',
          details: 'line 1\nline 2\x1b[31m',
          file: 'x.bats',
          line: 7,
        },
        { name: 'broken', status: 'error', message: 'crashed', details: 'Traceback' },
        { name: 'later', status: 'skipped', message: 'not today', systemOut: 'out' },
      ],
    },
  ];

  it('round-trips through XML', () => {
    expect(XMLValidator.validate(toJUnitXml(suites))).toBe(true);
    const parsed = parseJUnitXml(toJUnitXml(suites));
    expect(parsed).toHaveLength(1);
    expect(parsed[0].properties).toEqual({ image: '127.0.0.1:5000/taco/keystone:c1' });
    expect(parsed[0].cases.map((c) => c.status)).toEqual(['passed', 'failed', 'error', 'skipped']);
    expect(parsed[0].cases[1]).toMatchObject({
      name: 'user <root> & "quotes"',
      message: 'expected keystone',
      file: 'x.bats',
      line: 7,
    });
    expect(parsed[0].cases[1].details).toBe('line 1\nline 2\\x1b[31m');
    expect(parsed[0].cases[3]).toMatchObject({ message: 'not today', systemOut: 'out' });
  });

  it('writes the counts on both levels', () => {
    const xml = toJUnitXml(suites);
    expect(xml).toMatch(/<testsuites name="taco" tests="4" failures="1" errors="1" skipped="1"/);
    expect(xml).toMatch(/<testsuite name="keystone" tests="4" failures="1" errors="1" skipped="1"/);
  });

  it('reads the JUnit report real bats writes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bats-junit-'));
    spawnSync('bats', ['--report-formatter', 'junit', '--output', dir, suite], { cwd: repoRoot });
    const file = path.join(dir, 'report.xml');
    // Debian's bats 1.8 finishes the report file about a second after it exits.
    for (
      let i = 0;
      i < 50 && !(existsSync(file) && readFileSync(file, 'utf8').includes('</testsuites>'));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const parsed = parseJUnitXml(readFileSync(file, 'utf8'));
    const cases = parsed.flatMap((s) => s.cases);
    expect(cases.map((c) => [c.name, c.status])).toEqual([
      ['image has a shell', 'passed'],
      ['keystone runs as the keystone user', 'failed'],
      ['optional extension', 'skipped'],
    ]);
  });

  it('reads what subunit2junitxml writes from a real subunit stream', () => {
    const xml = execFileSync(
      'sh',
      ['-c', '/usr/bin/python3 -m subunit.run sample_tests | subunit2junitxml; true'],
      { cwd: path.join(repoRoot, 'test/fixtures/reports/pyunit'), encoding: 'utf8' },
    );
    const cases = parseJUnitXml(xml).flatMap((s) => s.cases);
    expect(cases.map((c) => [c.classname, c.name, c.status]).sort()).toEqual([
      ['sample_tests.Compute', 'test_boots', 'passed'],
      ['sample_tests.Compute', 'test_live_migrate', 'skipped'],
      ['sample_tests.Compute', 'test_resize', 'failed'],
    ]);
    expect(cases.find((c) => c.name === 'test_resize')?.details).toContain('flavor did not change');
    expect(cases.find((c) => c.name === 'test_live_migrate')?.message).toBe('no second host');
  });
});

describe('markdown', () => {
  it('builds tables that survive pipes and newlines', () => {
    expect(markdownTable(['a', 'b'], [['x|y', 'l1\nl2']])).toBe(
      '| a | b |\n| --- | --- |\n| x\\|y | l1<br>l2 |\n',
    );
  });
  it('folds long text', () => {
    expect(details('3 <failures>', 'body')).toBe(
      '<details><summary>3 &lt;failures&gt;</summary>\n\nbody\n\n</details>\n',
    );
  });
});
