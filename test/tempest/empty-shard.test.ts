/**
 * Zero tests are not a pass: a Tempest shard that gets no tests (more shards than test classes)
 * fails unless allow-empty says so. Real tempest makes the workspace and lists the tests; the
 * empty shard then runs nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/tempest/main.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { PYTHON } from './support/python-tests.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tempest-empty-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function context(extra: Record<string, string>) {
  const home = mkdtempSync(path.join(dir, 'home-'));
  return terminalContext({
    inputs: {
      profile: 'local',
      mode: 'run',
      regex: '^tempest\\.api\\.identity\\.v3\\.test_tokens\\.',
      'shard-index': '3',
      'shard-count': '4',
      'admin-password': 'not-used',
      ...extra,
    },
    // tempest init registers workspaces by name in ~/.tempest: one home per run.
    env: { PATH: process.env.PATH, HOME: home },
    signal: new AbortController().signal,
    write: () => undefined,
    workspace: dir,
    tempDir: home,
  });
}

describe('tempest mode run: an empty shard', () => {
  it('fails without allow-empty and passes with it', async () => {
    const strict = context({});
    const error = (await run(strict).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(strict.summary.join('\n')).toContain('Shard 4 of 4 has no tests');

    const allowed = context({ 'allow-empty': 'true' });
    await run(allowed);
    expect(allowed.summary.join('\n')).not.toContain('Shard 4 of 4 has no tests');
  }, 300_000);

  it('merge: streams without a single test result fail unless allow-empty', async () => {
    const empty = path.join(dir, 'empty.subunit');
    writeFileSync(empty, '');
    const strict = context({ mode: 'merge', subunit: empty });
    const error = (await run(strict).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(strict.summary.join('\n')).toContain('hold no test results');
    await run(context({ mode: 'merge', subunit: empty, 'allow-empty': 'true' }));
  });

  it('report: a stream whose every test was skipped fails unless allow-empty', async () => {
    const module = path.join(dir, 'test_skipped.py');
    writeFileSync(
      module,
      'import unittest\n\nclass T(unittest.TestCase):\n    @unittest.skip("no such service")\n    def test_a(self):\n        pass\n\n    @unittest.skip("no such service")\n    def test_b(self):\n        pass\n',
    );
    const skipped = path.join(dir, 'skipped.subunit');
    writeFileSync(skipped, execFileSync(PYTHON, ['-m', 'subunit.run', 'test_skipped'], { cwd: dir }));
    const strict = context({ mode: 'report', subunit: skipped });
    const error = (await run(strict).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(strict.summary.join('\n')).toContain(
      'Every one of the 2 tests in the Subunit stream(s) was skipped',
    );
    await run(context({ mode: 'report', subunit: skipped, 'allow-empty': 'true' }));
  });
});
