import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../actions/lib/errors.js';
import {
  encodePacket,
  filePackets,
  readSubunit,
  type SubunitPacket,
} from '../../actions/lib/subunit/index.js';
import { mergeIni, tempestOptions } from '../../actions/tempest/config.js';
import { matchKnown, parseKnownFailuresFile } from '../../actions/tempest/known-failures.js';
import { failureLine } from '../../actions/lib/subunit/junit.js';
import { compilePythonRegex } from '../../actions/tempest/python-regex.js';
import { splitShards } from '../../actions/tempest/shard.js';
import { classify, rerunList, serviceOf } from '../../actions/tempest/verdict.js';
import { expandStreamInputs } from '../../actions/tempest/streams.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { repoRoot } from '../harness/run-action.js';
import os from 'node:os';
import path from 'node:path';

const ts = (s: number) => ({ seconds: 1_800_000_000 + s, nanos: 0 });
function testPackets(
  id: string,
  status: SubunitPacket['status'],
  start: number,
  end: number,
  traceback?: string,
): SubunitPacket[] {
  return [
    { testId: id, status: 'inprogress', runnable: true, eof: false, timestamp: ts(start) },
    ...(traceback
      ? filePackets(
          {
            testId: id,
            runnable: true,
            mimeType: 'text/x-traceback; charset="utf8"; language="python"',
            timestamp: ts(end),
          },
          'traceback',
          Buffer.from(traceback),
        )
      : []),
    { testId: id, status, runnable: true, eof: false, timestamp: ts(end) },
  ];
}
const stream = (...packets: SubunitPacket[][]) => Buffer.concat(packets.flat().map(encodePacket));

describe('python regexes', () => {
  it('translate named groups, inline flags and \\A/\\Z; search anywhere like re.search', () => {
    expect(compilePythonRegex('(?i)COMPUTE\\.servers', 'x').test('tempest.api.compute.servers.T.test')).toBe(
      true,
    );
    expect(compilePythonRegex('(?P<svc>volume)\\.(?P=svc)', 'x').test('tempest.api.volume.volume')).toBe(
      true,
    );
    expect(compilePythonRegex('\\Atempest\\.api', 'x').test('x.tempest.api')).toBe(false);
    expect(compilePythonRegex('test_x\\Z', 'x').test('T.test_x')).toBe(true);
  });
  it('a bad regex is a UserError naming where it came from', () => {
    expect(() => compilePythonRegex('tempest.(api', 'known.txt:3')).toThrow(UserError);
    expect(() => compilePythonRegex('tempest.(api', 'known.txt:3')).toThrow(
      /^known\.txt:3: not a valid regular expression "tempest\.\(api"/,
    );
  });
});

describe('known-failures file', () => {
  const text = [
    '# nightly known failures',
    '',
    'tempest\\.api\\.volume\\.test_volumes_backup  # https://bugs.launchpad.net/cinder/+bug/1234 backup driver missing',
    'setUpClass \\(tempest\\.api\\.image\\.v2\\.test_images_member\\.ImagesMemberTest\\) # bug 777',
    'tempest\\.scenario\\.test_minimum_basic',
  ].join('\n');
  const known = parseKnownFailuresFile(text, 'known.txt');
  it('reads one regex per line, # comments as reason and bug', () => {
    expect(known.map((k) => [k.pattern, k.bug, k.source])).toEqual([
      [
        'tempest\\.api\\.volume\\.test_volumes_backup',
        'https://bugs.launchpad.net/cinder/+bug/1234',
        'known.txt:3',
      ],
      [
        'setUpClass \\(tempest\\.api\\.image\\.v2\\.test_images_member\\.ImagesMemberTest\\)',
        'bug 777',
        'known.txt:4',
      ],
      ['tempest\\.scenario\\.test_minimum_basic', undefined, 'known.txt:5'],
    ]);
    expect(known[0].reason).toBe('https://bugs.launchpad.net/cinder/+bug/1234 backup driver missing');
    expect(
      matchKnown('setUpClass (tempest.api.image.v2.test_images_member.ImagesMemberTest)', known)?.bug,
    ).toBe('bug 777');
    expect(matchKnown('tempest.api.compute.T.test', known)).toBeUndefined();
  });
  it('attaches the # lines right above an entry to it: bug link and reason', () => {
    const above = parseKnownFailuresFile(
      [
        '# volume backups: driver missing',
        '# https://bugs.launchpad.net/cinder/+bug/99',
        'tempest\\.api\\.volume\\.test_volumes_backup',
        '',
        '# a heading, not about the next entry',
        '',
        'tempest\\.scenario',
      ].join('\n'),
      'k.txt',
    );
    expect(above.map((k) => [k.pattern, k.bug, k.reason])).toEqual([
      [
        'tempest\\.api\\.volume\\.test_volumes_backup',
        'https://bugs.launchpad.net/cinder/+bug/99',
        'volume backups: driver missing https://bugs.launchpad.net/cinder/+bug/99',
      ],
      ['tempest\\.scenario', undefined, undefined],
    ]);
  });

  it('names the line of a bad regex', () => {
    expect(() => parseKnownFailuresFile('ok\n[unclosed # why', 'k.txt')).toThrow(
      /^k\.txt:2: not a valid regular expression/,
    );
  });
});

describe('shards', () => {
  const ids = fc.uniqueArray(
    fc
      .tuple(
        fc.constantFrom('compute', 'network', 'volume', 'identity', 'image'),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 20 }),
      )
      .map(([svc, cls, t]) => `tempest.api.${svc}.test_m.Class${cls}.test_${t}[id-${cls}-${t}]`),
    { maxLength: 300 },
  );
  it('cover the selection exactly, none twice, classes whole, the same split from any order', () => {
    fc.assert(
      fc.property(
        ids,
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.integer(),
        (tests, count, withTimings, seed) => {
          const timings = withTimings
            ? new Map(
                tests
                  .filter((_, i) => (i + seed) % 3 !== 0)
                  .map((id, i) => [id, ((i * 7919 + seed) % 100) / 10]),
              )
            : undefined;
          const shards = splitShards(tests, count, timings);
          expect(shards).toHaveLength(count);
          const all = shards.flat();
          expect(new Set(all).size).toBe(all.length);
          expect([...all].sort()).toEqual([...tests].sort());
          const owner = new Map<string, number>();
          shards.forEach((shard, i) =>
            shard.forEach((id) => {
              const cls = id.slice(0, id.lastIndexOf('.'));
              expect(owner.get(cls) ?? i).toBe(i);
              owner.set(cls, i);
            }),
          );
          const shuffled = [...tests].sort(() => (seed % 2 ? 1 : -1)).reverse();
          expect(splitShards(shuffled, count, timings)).toEqual(shards);
        },
      ),
      { numRuns: 200 },
    );
  });
  it('balance by previous durations when given', () => {
    const tests = ['a.Slow.test_1', 'a.Slow.test_2', 'b.Fast.test_1', 'c.Fast.test_1', 'd.Fast.test_1'];
    const timings = new Map([
      ['a.Slow.test_1', 100],
      ['a.Slow.test_2', 100],
      ['b.Fast.test_1', 1],
      ['c.Fast.test_1', 1],
      ['d.Fast.test_1', 1],
    ]);
    expect(splitShards(tests, 2, timings)).toEqual([
      ['a.Slow.test_1', 'a.Slow.test_2'],
      ['b.Fast.test_1', 'c.Fast.test_1', 'd.Fast.test_1'],
    ]);
    // By class size without timings: the two-test class weighs 2, the others 1.
    expect(splitShards(tests, 2)).toEqual([
      ['a.Slow.test_1', 'a.Slow.test_2', 'd.Fast.test_1'],
      ['b.Fast.test_1', 'c.Fast.test_1'],
    ]);
    expect(splitShards(tests, 3)).toEqual([
      ['a.Slow.test_1', 'a.Slow.test_2'],
      ['b.Fast.test_1', 'd.Fast.test_1'],
      ['c.Fast.test_1'],
    ]);
  });
});

describe('verdict', () => {
  const known = parseKnownFailuresFile(
    'tempest\\.api\\.volume\\.Backup # https://bugs.example/1\ntempest\\.api\\.image\\.Fixed # bug 2',
    'k.txt',
  );
  it('sorts new, known, fixed-known, flaky and unfinished, rerun and class-fixture aware', async () => {
    const bytes = stream(
      testPackets(
        'tempest.api.compute.Servers.test_boot[id-1]',
        'fail',
        0,
        3,
        'Traceback\nAssertionError: boom\n',
      ),
      testPackets('tempest.api.volume.Backup.test_backup[id-2]', 'fail', 0, 2, 'Traceback\nTimeout\n'),
      testPackets('tempest.api.image.Fixed.test_it[id-3]', 'success', 0, 1),
      testPackets('tempest.api.network.Ports.test_port[id-4]', 'fail', 0, 1, 'Traceback\nflake\n'),
      [
        {
          testId: 'setUpClass (tempest.api.identity.Users)',
          status: 'fail',
          runnable: true,
          eof: false,
          timestamp: ts(1),
        },
      ],
      testPackets('tempest.api.compute.Keys.test_key[id-5]', 'skip', 0, 0),
      [
        {
          testId: 'tempest.api.compute.Hang.test_hang[id-6]',
          status: 'inprogress',
          runnable: true,
          eof: false,
          timestamp: ts(2),
        },
      ],
      // The rerun: the port test passes now, the users class sets up fine.
      testPackets('tempest.api.network.Ports.test_port[id-4]', 'success', 10, 11),
      testPackets('tempest.api.identity.Users.test_list[id-7]', 'success', 10, 12),
    );
    const run = await readSubunit([bytes]);
    const v = classify(run, known);
    const ids = (items: { test: { id: string } }[]) => items.map((i) => i.test.id);
    expect(ids(v.newFailures)).toEqual([
      'tempest.api.compute.Servers.test_boot[id-1]',
      'tempest.api.compute.Hang.test_hang[id-6]',
    ]);
    expect(ids(v.knownFailures)).toEqual(['tempest.api.volume.Backup.test_backup[id-2]']);
    expect(v.knownFailures[0].known!.bug).toBe('https://bugs.example/1');
    expect(ids(v.fixedKnown)).toEqual(['tempest.api.image.Fixed.test_it[id-3]']);
    expect(ids(v.flaky).sort()).toEqual([
      'setUpClass (tempest.api.identity.Users)',
      'tempest.api.network.Ports.test_port[id-4]',
    ]);
    expect(v.unfinished.map((t) => t.id)).toEqual(['tempest.api.compute.Hang.test_hang[id-6]']);
    expect(v.counts).toMatchObject({ passed: 3, failed: 3, skipped: 1, total: 7 });
    expect(run.tests.find((t) => t.id.includes('Servers'))!.durationMs).toBe(3000);
    expect(serviceOf('setUpClass (tempest.api.identity.Users)')).toBe('identity');
    expect(serviceOf('tempest.scenario.test_x.T.test_y[id-1]')).toBe('scenario');
  });
  it('reruns failed tests and every selected test of a class whose setUpClass failed', async () => {
    const run = await readSubunit([
      stream(
        [{ testId: 'setUpClass (tempest.api.identity.Users)', status: 'fail', runnable: true, eof: false }],
        testPackets('tempest.api.compute.S.test_a[id-1]', 'fail', 0, 1),
      ),
    ]);
    const selected = [
      'tempest.api.identity.Users.test_list[id-7]',
      'tempest.api.identity.Users.test_show[id-8]',
      'tempest.api.identity.Roles.test_x[id-9]',
      'tempest.api.compute.S.test_a[id-1]',
    ];
    expect(rerunList(classify(run, []).newFailures, selected)).toEqual([
      'tempest.api.compute.S.test_a[id-1]',
      'tempest.api.identity.Users.test_list[id-7]',
      'tempest.api.identity.Users.test_show[id-8]',
    ]);
  });
});

describe('tempest.conf', () => {
  it('merges profile settings into the conf tempest init wrote, escaping $ for oslo.config', () => {
    const initial =
      '[DEFAULT]\nlog_file = tempest.log\n\n[auth]\nadmin_username = admin\nadmin_domain_name = Default\n\n[identity]\nauth_version = v3\n\n[service_available]\n';
    const options = tempestOptions(
      {
        identity: {
          uri: 'https://keystone.example/v3',
          region: 'R1',
          username: 'ci-admin',
          password: { env: 'X' },
          project: 'admin',
          'verify-tls': false,
        },
        image: { ref: 'img-1' },
        services: { swift: false, nova: true },
        extra: { 'compute-feature-enabled': { resize: true } },
      },
      'p$ss',
    );
    const text = mergeIni(initial, options);
    expect(text).toContain(
      '[auth]\nadmin_username = ci-admin\nadmin_domain_name = Default\nadmin_password = p$$ss\nadmin_project_name = admin\nuse_dynamic_credentials = true\n',
    );
    expect(text).toContain(
      '[identity]\nauth_version = v3\nuri_v3 = https://keystone.example/v3\nregion = R1\ndisable_ssl_certificate_validation = true\n',
    );
    expect(text).toContain('[service_available]\nswift = false\nnova = true\n');
    expect(text).toContain('[compute]\nimage_ref = img-1\n');
    expect(text).toContain('[compute-feature-enabled]\nresize = true\n');
    expect(text.match(/\[auth\]/g)).toHaveLength(1);
  });
  it('refuses values that would break the file', () => {
    expect(() =>
      tempestOptions(
        { identity: { uri: 'https://k/v3', username: 'a', password: { env: 'X' }, project: 'p' } },
        'line\nbreak',
      ),
    ).toThrow(/admin_password: a value cannot contain a line break/);
  });
});

describe('stream inputs', () => {
  it("take a directory's combined streams, not the raw and rerun copies beside them", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'streams-'));
    try {
      mkdirSync(path.join(dir, 'shards'));
      mkdirSync(path.join(dir, 'empty'));
      for (const name of [
        'tempest-shard-1.subunit',
        'tempest-shard-0.subunit',
        'tempest-shard-0-raw.subunit',
        'tempest-shard-0-rerun.subunit',
        'notes.txt',
      ])
        writeFileSync(path.join(dir, 'shards', name), '');
      writeFileSync(path.join(dir, 'chart.subunit'), '');
      expect(expandStreamInputs(['shards', 'chart.subunit'], dir)).toEqual([
        path.join(dir, 'shards', 'tempest-shard-0.subunit'),
        path.join(dir, 'shards', 'tempest-shard-1.subunit'),
        path.join(dir, 'chart.subunit'),
      ]);
      expect(() => expandStreamInputs(['empty'], dir)).toThrow(
        /^Input 'subunit': directory empty has no \*\.subunit files \(searched its subfolders too\)$/,
      );
      expect(() => expandStreamInputs(['nope.subunit'], dir)).toThrow(
        /^Input 'subunit': nope\.subunit does not exist$/,
      );
      expect(() => expandStreamInputs([], dir)).toThrow(UserError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('take the streams download-artifact puts in one subfolder per artifact, by folder or by glob', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'streams-'));
    try {
      for (const shard of ['tempest-shard-0', 'tempest-shard-1']) {
        mkdirSync(path.join(dir, 'shards', shard), { recursive: true });
        writeFileSync(path.join(dir, 'shards', shard, 'tempest-shard.subunit'), '');
        writeFileSync(path.join(dir, 'shards', shard, 'tempest-shard-raw.subunit'), '');
      }
      const expected = [0, 1].map((i) =>
        path.join(dir, 'shards', `tempest-shard-${i}`, 'tempest-shard.subunit'),
      );
      expect(expandStreamInputs(['shards'], dir)).toEqual(expected);
      expect(expandStreamInputs(['shards/**/*.subunit'], dir)).toEqual(expected);
      expect(expandStreamInputs(['shards/tempest-shard-1/*.subunit'], dir)).toEqual([expected[1]]);
      expect(() => expandStreamInputs(['shards/**/*.xml'], dir)).toThrow(
        /^Input 'subunit': shards\/\*\*\/\*\.xml matches no \*\.subunit file$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bad input through the CLI', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/taco-ci.js', 'run', 'tempest', ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
  it('exits 2 with one clear line, and leaves nothing half-made', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tempest-cli-'));
    try {
      const noConfig = cli(
        '--profile',
        'test/fixtures/profiles/base.yaml',
        '--input',
        `workspace=${path.join(dir, 'ws')}`,
      );
      expect(noConfig.status).toBe(2);
      expect(noConfig.stderr + noConfig.stdout).toMatch(/No tempest configuration: give the 'config' input/);
      expect(existsSync(path.join(dir, 'ws'))).toBe(false);
      const shard = cli('--input', 'shard-index=2', '--input', 'shard-count=2');
      expect(shard.status).toBe(2);
      expect(shard.stderr + shard.stdout).toMatch(
        /Input 'shard-index': expected 0 to 1 \(shard-count is 2\), got 2/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the one-line failure message', () => {
  it('is the exception line of the last traceback, not the detail lines after it', () => {
    const text = [
      'Traceback (most recent call last):',
      '  File "/usr/lib/python3/dist-packages/tempest/api/compute/test_x.py", line 10, in test_x',
      '    self.assertEqual([1, 2], body)',
      '  File "/usr/lib/python3/dist-packages/testtools/testcase.py", line 481, in assertThat',
      '    raise mismatch_error',
      'testtools.matchers._impl.MismatchError: [1, 2] != [1, 3]',
      'Details: {"error": "mismatch"}',
      '',
    ].join('\n');
    expect(failureLine(text)).toBe('testtools.matchers._impl.MismatchError: [1, 2] != [1, 3]');
    const chained = [
      'Traceback (most recent call last):',
      '  File "a.py", line 1, in f',
      'KeyError: 1',
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "b.py", line 2, in g',
      "AssertionError: Lists differ: ['a'] != ['b']",
      '',
      'First differing element 0:',
      "'a'",
    ].join('\n');
    expect(failureLine(chained)).toBe("AssertionError: Lists differ: ['a'] != ['b']");
    expect(failureLine('no traceback\njust text\n')).toBe('just text');
  });
});
