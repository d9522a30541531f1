/**
 * A bats run that tested nothing is not a pass (issue 16, hole 7): real bats-core runs a suite
 * with no test, a suite whose every test skips, and a suite with one passing test; only the last
 * proves the image.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bats, resolveBats, runSuite } from '../../actions/kolla-bats/bats.js';
import { suitesFailure } from '../../actions/kolla-bats/report.js';

let dir: string;
let bats: Bats;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-bats-empty-'));
  bats = await resolveBats({
    info: () => undefined,
    debug: () => undefined,
    signal: new AbortController().signal,
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runFile(name: string, text: string) {
  const suite = path.join(dir, `${name}.bats`);
  writeFileSync(suite, text);
  return runSuite({
    bats,
    suite,
    image: 'taco-local/keystone:empty',
    engine: 'docker',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    timeoutMs: 60_000,
    signal: new AbortController().signal,
  });
}

describe('bats suites that test nothing fail the image', () => {
  it('a suite with no test fails, naming that it ran none', async () => {
    const run = await runFile('no-tests', '#!/usr/bin/env bats\n# tests to come\nsetup() { true; }\n');
    expect(run.exitCode).toBe(0);
    expect(run.tests).toEqual([]);
    expect(run.error).toMatch(/^ran no tests/);
    expect(suitesFailure([run])).toBe('1 bats test failed');
  });

  it('a suite whose every test skips fails: nothing was tested', async () => {
    const run = await runFile(
      'all-skipped',
      '@test "serves" { skip "no cloud here"; }\n@test "logs" { skip "later"; }\n',
    );
    expect(run.exitCode).toBe(0);
    expect(run.error).toBeUndefined();
    expect(run.tests.map((t) => t.status)).toEqual(['skipped', 'skipped']);
    expect(suitesFailure([run])).toBe('no bats test ran (2 skipped)');
  });

  it('one test that passed, beside a skipped one, proves the image', async () => {
    const run = await runFile('one-passed', '@test "runs" { true; }\n@test "later" { skip; }\n');
    expect(run.exitCode).toBe(0);
    expect(suitesFailure([run])).toBeUndefined();
  });
});
