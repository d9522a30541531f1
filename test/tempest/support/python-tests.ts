/**
 * Small generated unittest/testtools modules covering every outcome Subunit carries, and helpers
 * to run them with the real producers (python -m subunit.run, stestr) and the reference consumers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const PYTHON = '/usr/bin/python3';

const OUTCOMES = `
import unittest

class TestOutcomes(unittest.TestCase):
    def test_pass(self):
        pass

    def test_fail(self):
        self.assertEqual(1, 2)

    def test_error(self):
        raise RuntimeError("boom")

    @unittest.skip("not on this cloud")
    def test_skip(self):
        pass

    @unittest.expectedFailure
    def test_xfail(self):
        self.assertTrue(False)

    @unittest.expectedFailure
    def test_uxsuccess(self):
        pass


class TestBrokenSetup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise ValueError("class setup broke")

    def test_never_runs(self):
        pass


class TestBrokenTeardown(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        raise ValueError("class teardown broke")

    def test_ok(self):
        pass
`;

const ATTACHMENTS = `
import testtools
from testtools.content import text_content

class TestAttachments(testtools.TestCase):
    def test_logs_then_fails(self):
        self.addDetail("pythonlogging:''", text_content("INFO tempest.lib.common.rest_client Request: GET /v3\\n" * 200))
        self.addDetail("stdout", text_content("captured stdout\\n"))
        self.fail("server went to ERROR")

    def test_logs_and_passes(self):
        self.addDetail("pythonlogging:''", text_content("fine\\n"))
`;

const DIES = `
import os, sys, unittest

class TestDies(unittest.TestCase):
    def test_a_first(self):
        pass

    def test_b_dies(self):
        print("about to die")
        sys.stdout.flush()
        os._exit(3)
`;

/** Writes package `sample` (test_outcomes, test_attachments, test_dies) and a .stestr.conf into `dir`. */
export function writeSamplePackage(dir: string): void {
  mkdirSync(path.join(dir, 'sample'), { recursive: true });
  writeFileSync(path.join(dir, 'sample', '__init__.py'), '');
  writeFileSync(path.join(dir, 'sample', 'test_outcomes.py'), OUTCOMES);
  writeFileSync(path.join(dir, 'sample', 'test_attachments.py'), ATTACHMENTS);
  writeFileSync(path.join(dir, 'sample', 'test_dies.py'), DIES);
  writeFileSync(path.join(dir, '.stestr.conf'), '[DEFAULT]\ntest_path=./sample\ntop_dir=./\n');
}

/** `python -m subunit.run <modules>` → the Subunit v2 bytes it wrote (the exit status is ignored). */
export function subunitRun(dir: string, modules: string[]): Buffer {
  return spawnSync(PYTHON, ['-m', 'subunit.run', ...modules], { cwd: dir, maxBuffer: 64 << 20 }).stdout;
}

/** Pipes a stream through a reference tool; returns stdout and the exit status. */
export function reference(
  tool: 'subunit2junitxml' | 'subunit-stats' | 'subunit-ls',
  stream: Buffer,
): { stdout: string; status: number | null } {
  const result = spawnSync(tool, [], { input: stream, maxBuffer: 256 << 20 });
  return { stdout: result.stdout.toString('utf8'), status: result.status };
}

export interface ReferenceStats {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
}

export function parseStats(text: string): ReferenceStats {
  const value = (label: string) => Number(new RegExp(`${label} tests:\\s+(\\d+)`).exec(text)?.[1]);
  return {
    total: value('Total'),
    passed: value('Passed'),
    failed: value('Failed'),
    skipped: value('Skipped'),
  };
}

export function tempestList(workspace: string, env: NodeJS.ProcessEnv): string[] {
  return execFileSync('tempest', ['run', '--list-tests'], {
    cwd: workspace,
    env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^tempest\.\S+$/.test(l));
}
