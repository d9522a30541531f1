/**
 * The tempest action with the real Tempest 33: its real test list, a real run against a closed
 * loopback port (every class fails to authenticate — real failures with real tracebacks), the CLI,
 * and the bundled action on Node 24 and the current Node.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseJUnitXml } from '../support/junit-xml.js';
import {
  encodePacket,
  mergeStreams,
  readSubunitFile,
  type SubunitPacket,
} from '../../actions/lib/subunit/index.js';
import { splitShards } from '../../actions/tempest/shard.js';
import { applySkips } from '../../actions/tempest/tempest.js';
import { compilePythonRegex } from '../../actions/tempest/python-regex.js';
import { repoRoot, runAction } from '../harness/run-action.js';
import { freePort } from '../support/ports.js';
import { reference, tempestList } from './support/python-tests.js';

let dir: string;
let env: NodeJS.ProcessEnv;
let listed: string[];
let closedPort: number;
const PASSWORD = 'n0t-$hown-anywhere';

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tempest-real-'));
  env = { ...process.env, HOME: path.join(dir, 'home') };
  execFileSync('tempest', ['init', path.join(dir, 'list-ws')], { cwd: dir, env, stdio: 'ignore' });
  listed = tempestList(path.join(dir, 'list-ws'), env);
  closedPort = await freePort();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function shardStream(ids: readonly string[], base: number): Buffer {
  const packets: SubunitPacket[] = ids.flatMap((id, i) => [
    {
      testId: id,
      status: 'inprogress',
      runnable: true,
      eof: false,
      timestamp: { seconds: base + i, nanos: 0 },
    },
    {
      testId: id,
      status: 'success',
      runnable: true,
      eof: false,
      timestamp: { seconds: base + i, nanos: 500_000_000 },
    },
  ]);
  return Buffer.concat(packets.map(encodePacket));
}

describe('shards of the real tempest test list', () => {
  it('cover the selection exactly with none twice, for any shard count', () => {
    expect(listed.length).toBeGreaterThan(1000);
    const skip = [{ regex: compilePythonRegex('tempest\\.scenario\\.', 'test'), reason: 'no guest images' }];
    const { selected, skipped } = applySkips(listed, skip);
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((s) => s.id.startsWith('tempest.scenario.'))).toBe(true);
    for (const count of [1, 2, 3, 5, 8]) {
      const shards = splitShards(selected, count);
      const all = shards.flat();
      expect(all.length).toBe(selected.length);
      expect(new Set(all)).toEqual(new Set(selected));
      const sizes = shards.map((s) => s.length);
      // Balanced by class size: no shard more than one big class away from the mean.
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(selected.length / count);
    }
  });

  it('merge back into one stream the reference tools read as exactly the selection', async () => {
    const shards = splitShards(listed, 3);
    const files = shards.map((ids, i) => {
      const file = path.join(dir, `shard-${i}.subunit`);
      writeFileSync(file, shardStream(ids, 1_800_000_000 + i * 10_000));
      return file;
    });
    const merged = path.join(dir, 'merged.subunit');
    const reports = await mergeStreams(
      files.map((file, i) => ({ file, route: String(i) })),
      merged,
    );
    expect(reports.map((r) => r.testIds.size)).toEqual(shards.map((s) => s.length));
    const bytes = readFileSync(merged);
    expect(reference('subunit-ls', bytes).stdout.trim().split('\n').sort()).toEqual([...listed].sort());
    expect(reference('subunit-stats', bytes).stdout).toMatch(
      new RegExp(`Total tests:\\s+${listed.length}\\nPassed tests:\\s+${listed.length}\\n`),
    );
    const run = await readSubunitFile(merged);
    expect(run.tests.map((t) => t.routeCode).filter((r, i, a) => a.indexOf(r) === i)).toEqual([
      '0',
      '1',
      '2',
    ]);

    // The bundled action in merge mode: the same numbers, green.
    const all = await runAction('tempest', {
      inputs: { mode: 'merge', subunit: files.join('\n'), 'results-dir': path.join(dir, 'merge-res') },
    });
    expect(all.stderr).toBe('');
    expect(all.exitCode).toBe(0);
    expect(all.outputs).toMatchObject({ passed: String(listed.length), failed: '0', 'new-failures': '0' });
    const junit = parseJUnitXml(readFileSync(all.outputs.junit, 'utf8'));
    expect(junit[0].cases).toHaveLength(listed.length);

    // A shard given twice is caught: its tests would otherwise count as reruns.
    const twice = await runAction('tempest', {
      inputs: {
        mode: 'merge',
        subunit: `${files[0]},${files[0]}`,
        'results-dir': path.join(dir, 'merge-twice'),
      },
    });
    expect(twice.exitCode).toBe(1);
    expect(twice.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /tests have results in more than one stream/,
    );
  });
});

describe('a real tempest run against a closed port', () => {
  let results: string;

  it('through the CLI: runs tempest --subunit, keeps the raw stream, fails on the new failure only', async () => {
    const profile = path.join(dir, 'loopback.yaml');
    writeFileSync(
      profile,
      [
        'name: loopback',
        'tempest:',
        '  concurrency: 2',
        '  timeout: 5m',
        '  config:',
        '    identity:',
        `      uri: http://127.0.0.1:${closedPort}/v3`,
        '      username: admin',
        '      password: { env: TEMPEST_ADMIN_PASSWORD }',
        '      project: admin',
        '    services: { swift: false }',
        '  skip:',
        "    - regex: 'test_flavors_negative'",
        '      reason: negative flavor tests run elsewhere',
        '  known-failures:',
        "    - regex: 'setUpClass \\(tempest\\.api\\.identity\\.v3\\.test_domains'",
        '      bug: https://bugs.launchpad.net/tempest/+bug/42',
        '',
      ].join('\n'),
    );
    results = path.join(dir, 'cli-results');
    const args = [
      'bin/taco-ci.js',
      'run',
      'tempest',
      '--profile',
      profile,
      '--input',
      'regex=tempest\\.api\\.compute\\.flavors|tempest\\.api\\.identity\\.v3\\.test_domains',
      '--input',
      `workspace=${path.join(dir, 'run-ws')}`,
      '--input',
      `results-dir=${results}`,
      '--input',
      'rerun-failed=true',
    ];
    const cli = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, args, {
        cwd: repoRoot,
        env: { ...env, TEMPEST_ADMIN_PASSWORD: PASSWORD },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(cli.code, cli.out).toBe(1);
    expect(cli.out).toMatch(
      /failed: Tempest: 1 new failure:\n {2}setUpClass \(tempest\.api\.compute\.flavors\.test_flavors\.FlavorsV2TestJSON\): .*Connection refused/,
    );
    expect(cli.out).toMatch(/passed=0\nfailed=2\nskipped=1\nnew-failures=1\n/);
    expect(cli.out).not.toContain(PASSWORD);
    const conf = readFileSync(path.join(dir, 'run-ws', 'etc', 'tempest.conf'), 'utf8');
    expect(conf).toContain(`uri_v3 = http://127.0.0.1:${closedPort}/v3`);
    expect(conf).toContain('admin_password = n0t-$$hown-anywhere');

    // The raw stream is tempest's own bytes; the reference tools read it as we do.
    const raw = readFileSync(path.join(results, 'tempest-raw.subunit'));
    expect(raw[0]).toBe(0xb3);
    const ours = parseJUnitXml(readFileSync(path.join(results, 'tempest-junit.xml'), 'utf8'))[0].cases;
    const theirs = parseJUnitXml(reference('subunit2junitxml', raw).stdout).flatMap((s) => s.cases);
    expect(theirs.map((c) => c.name).sort()).toEqual(
      ours
        .filter((c) => c.status !== 'skipped')
        .map((c) => c.name)
        .sort(),
    );
    expect(ours.find((c) => c.name.startsWith('setUpClass (tempest.api.identity'))!.message).toMatch(
      /^\[known failure: https:\/\/bugs\.launchpad\.net\/tempest\/\+bug\/42\] /,
    );
    const skipped = ours.filter((c) => c.status === 'skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0].message).toBe('skipped by profile loopback: negative flavor tests run elsewhere');
    expect(
      readFileSync(path.join(results, 'tempest-tests.txt'), 'utf8').trim().split('\n').length,
    ).toBeGreaterThan(5);
    // rerun-failed ran the class whose setUpClass failed (not the known failure) once more: still failing.
    const rerun = readFileSync(path.join(results, 'tempest-rerun-tests.txt'), 'utf8').trim().split('\n');
    expect(rerun.length).toBeGreaterThan(3);
    expect(
      rerun.every((id) => id.startsWith('tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.')),
    ).toBe(true);
    const combined = await readSubunitFile(path.join(results, 'tempest.subunit'));
    expect(combined.tests.find((t) => t.id.startsWith('setUpClass (tempest.api.compute'))).toMatchObject({
      outcome: 'fail',
      previous: ['fail'],
    });
    expect(cli.out).toMatch(/flaky=0\n/);
  });

  it('two failing runs in a row in one HOME: each has a workspace of its own, unregistered afterwards', async () => {
    const home = path.join(dir, 'home-twice');
    const registry = path.join(home, '.tempest', 'workspace.yaml');
    for (const attempt of [1, 2]) {
      const run = await runAction('tempest', {
        inputs: {
          profile: path.join(dir, 'loopback.yaml'),
          regex: 'tempest\\.api\\.compute\\.flavors\\.test_flavors\\.',
          'results-dir': path.join(dir, `twice-${attempt}`),
        },
        env: { HOME: home, TEMPEST_ADMIN_PASSWORD: PASSWORD },
      });
      expect(run.exitCode, run.stdout).toBe(1);
      expect(run.stdout).toMatch(/Created tempest workspace .*tempest-workspace/);
      expect(run.outputs['new-failures']).toBe('1');
      expect(parseYaml(readFileSync(registry, 'utf8')) ?? {}).toEqual({});
    }
  });

  it('a run that exceeds its timeout is stopped, process group and all, and fails the step', async () => {
    const marker = path.join(dir, 'timeout-results');
    const timedOut = await runAction('tempest', {
      inputs: {
        profile: path.join(dir, 'loopback.yaml'),
        workspace: path.join(dir, 'run-ws'),
        regex: 'tempest\\.api\\.compute\\.flavors',
        timeout: '1s',
        'results-dir': marker,
      },
      env: { HOME: env.HOME, TEMPEST_ADMIN_PASSWORD: PASSWORD },
    });
    expect(timedOut.exitCode).toBe(1);
    expect(timedOut.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /tempest run timed out after 1\.00s/,
    );
    expect(timedOut.summary).toContain('tempest run timed out after 1.00s');
    const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(marker));
    expect(left).toEqual([]);
  });

  it('the bundled action on Node 24 reports the real stream, with the new failure listed as known: green', async () => {
    const known = path.join(dir, 'known.txt');
    writeFileSync(
      known,
      '# tracked\nsetUpClass \\(tempest\\.api\\.compute\\.flavors\\.test_flavors\\.FlavorsV2TestJSON\\)  # https://bugs.launchpad.net/nova/+bug/7 keystone down\n',
    );
    const stream = path.join(results, 'tempest.subunit');
    const green = await runAction('tempest', {
      node: '24',
      inputs: {
        mode: 'report',
        subunit: stream,
        profile: path.join(dir, 'loopback.yaml'),
        'known-failures': known,
        'results-dir': path.join(dir, 'report-green'),
      },
    });
    expect(green.stderr).toBe('');
    expect(green.exitCode).toBe(0);
    expect(green.outputs).toMatchObject({
      passed: '0',
      failed: '2',
      skipped: '1',
      'new-failures': '0',
      flaky: '0',
      subunit: stream,
    });
    expect(existsSync(green.outputs.junit)).toBe(true);
    expect(green.summary).toContain('### Known failures (2)');
    expect(green.summary).toContain('[bug 7](https://bugs.launchpad.net/nova/+bug/7)');
    expect(green.summary).toContain('Time per service');

    const red = await runAction('tempest', {
      inputs: {
        mode: 'report',
        subunit: stream,
        profile: path.join(dir, 'loopback.yaml'),
        'results-dir': path.join(dir, 'report-red'),
      },
    });
    expect(red.exitCode).toBe(1);
    expect(red.outputs['new-failures']).toBe('1');
    expect(
      red.annotations
        .filter((a) => a.properties.title === 'Tempest: new failure')
        .map((a) => a.message.split(':')[0]),
    ).toEqual(['setUpClass (tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON)']);
    expect(red.summary).toContain('### New failures (1)');
    expect(red.summary).toMatch(
      /<details><summary>setUpClass \(tempest\.api\.compute\.flavors\.test_flavors\.FlavorsV2TestJSON\) — urllib3\.exceptions\.MaxRetryError: /,
    );
  });
});
