/** `taco-ci run helm-rally --input mode=rally` with real Rally: the verdict reaches the exit code. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/run-action.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'helm-rally');

/** A task with an OpenStack scenario: it needs the profile's deployment (a Dummy task does not). */
function openStackTask(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'helm-rally-cli-')), 'users.yaml');
  writeFileSync(
    file,
    'version: 2\ntitle: users\nsubtasks:\n  - title: users\n    workloads:\n      - scenario: {KeystoneBasic.create_user: {}}\n        runner: {constant: {times: 1, concurrency: 1}}\n',
  );
  return file;
}
const profile = path.join(fixtures, 'profile-dummy.yaml');

function taco(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'taco-ci.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, GITHUB_ACTIONS: undefined, ...env },
    });
    // A run that hangs is cancelled the way a job is (SIGINT), so that it cleans up before the test ends.
    const deadline = setTimeout(() => child.kill('SIGINT'), 270_000);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, out });
    });
  });
}

const REAL_RALLY_TIMEOUT = 300_000;
const output = (out: string, name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(out)?.[1];

describe('taco-ci run helm-rally (real Rally)', () => {
  it.concurrent(
    'exit 0 and sla-passed=true when every SLA passed',
    async () => {
      const { code, out } = await taco([
        'run',
        'helm-rally',
        '--profile',
        profile,
        '--input',
        'mode=rally',
        '--input',
        `task=${path.join(fixtures, 'dummy-pass.yaml')}`,
      ]);
      expect(out).toContain('SLA passed');
      expect(code).toBe(0);
      expect(output(out, 'sla-passed')).toBe('true');
      expect(JSON.parse(readFileSync(output(out, 'report-json')!, 'utf8')).tasks[0].pass_sla).toBe(true);
    },
    REAL_RALLY_TIMEOUT,
  );

  it.concurrent(
    'exit 1 with the failing workload named when an SLA failed',
    async () => {
      const { code, out } = await taco([
        'run',
        'helm-rally',
        '--profile',
        profile,
        '--input',
        'mode=rally',
        '--input',
        `task=${path.join(fixtures, 'dummy-sla-fail.yaml')}`,
      ]);
      expect(code).toBe(1);
      expect(output(out, 'sla-passed')).toBe('false');
      expect(out).toMatch(/error: failure_rate: Failure rate criteria 0.00% <= 100.00% <= 0.00% - Failed/);
      expect(out).toMatch(/Rally SLA failed \(.*report.json\): 1 of 2 workloads failed their SLA/);
      expect(out).not.toContain('crashed');
    },
    REAL_RALLY_TIMEOUT,
  );

  it.concurrent(
    'exit 2 naming the task file when Rally refuses it',
    async () => {
      const task = path.join(fixtures, 'invalid-task.yaml');
      const { code, out } = await taco([
        'run',
        'helm-rally',
        '--profile',
        profile,
        '--input',
        `task=${task}`,
      ]);
      expect(code).toBe(2);
      expect(out).toContain(`Rally task file ${task} is invalid (InvalidTaskConfig, exit 114)`);
      expect(out).toContain("Unexpected argument(s) found ['sleeep']");
    },
    REAL_RALLY_TIMEOUT,
  );

  it.concurrent(
    'exit 2 before Rally starts when the profile wants a deployment from OS_* variables that are not set',
    async () => {
      const { code, out } = await taco(
        ['run', 'helm-rally', '--profile', 'production', '--input', `task=${openStackTask()}`],
        { OS_AUTH_URL: undefined },
      );
      expect(code).toBe(2);
      expect(out).toMatch(
        /profiles\/production.yaml:\d+:\d+ rally.deployment.from-env: OS_AUTH_URL is not set/,
      );
    },
  );
});
