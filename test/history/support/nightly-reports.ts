/**
 * The reports a nightly's stages leave behind, made by the real producers: a Subunit v2 stream from
 * `python3 -m subunit.run` over a small Tempest-like test module (which tests fail is chosen per
 * night), and a cookiemonster report.json built by cookiemonster's own report code.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChaosResult, KillRecord, WorkloadResult } from '../../../actions/cookiemonster/chaos.js';
import { buildReport, verdict } from '../../../actions/cookiemonster/report.js';

const PYTHON = '/usr/bin/python3';

/** Test ids look like Tempest's: `tempest_fixture.api.compute.test_servers.ServersTest.test_x`. */
const MODULE = `
import os, unittest

FAILING = set(filter(None, os.environ.get("NIGHT_FAILS", "").split(",")))

def outcome(self, name):
    if name in FAILING:
        self.fail("%s failed tonight" % name)

class ServersTest(unittest.TestCase):
    def test_create_server(self):
        outcome(self, "test_create_server")

    def test_resize_server(self):
        outcome(self, "test_resize_server")

    def test_reboot_server(self):
        outcome(self, "test_reboot_server")

    @unittest.skip("no second compute host")
    def test_live_migration(self):
        pass

class TokensTest(unittest.TestCase):
    def test_issue_token(self):
        outcome(self, "test_issue_token")
`;

export const TEST_PREFIX = 'tempest_fixture.api.compute.test_servers.';

/** Writes the module once under `dir` (as package tempest_fixture.api.compute). */
export function writeTempestModule(dir: string): string {
  const pkg = path.join(dir, 'tempest_fixture', 'api', 'compute');
  mkdirSync(pkg, { recursive: true });
  for (const d of ['tempest_fixture', 'tempest_fixture/api', 'tempest_fixture/api/compute'])
    writeFileSync(path.join(dir, d, '__init__.py'), '');
  writeFileSync(path.join(pkg, 'test_servers.py'), MODULE);
  return dir;
}

/** Runs the module with the real subunit producer; `failing` are method names (`test_resize_server`). */
export function tempestStream(moduleDir: string, out: string, failing: string[]): string {
  const stream = execFileSync(PYTHON, ['-m', 'subunit.run', 'tempest_fixture.api.compute.test_servers'], {
    cwd: moduleDir,
    env: { PATH: process.env.PATH, NIGHT_FAILS: failing.join(','), PYTHONPATH: moduleDir },
    maxBuffer: 16 * 1024 * 1024,
  });
  writeFileSync(out, stream);
  return out;
}

export interface WorkloadPlan {
  workload: string;
  /** Recovery time of each kill in ms; undefined = never recovered. */
  recoveries: (number | undefined)[];
}

/** cookiemonster's report for a run that killed pods of these workloads (times relative to `start`). */
export function chaosReport(out: string, start: number, plans: WorkloadPlan[]): string {
  const kills: KillRecord[] = [];
  const workloads: WorkloadResult[] = plans.map((plan) => {
    const [kind, rest] = plan.workload.split(' ');
    const [namespace, name] = rest.split('/');
    const mine = plan.recoveries.map((recoveryMs, i): KillRecord => {
      const at = start + (kills.length + i + 1) * 10_000;
      return {
        id: kills.length + i + 1,
        tick: kills.length + i + 1,
        target: 'targets[0]',
        workload: plan.workload,
        namespace,
        pod: `${name}-${i}`,
        podUid: `uid-${name}-${i}`,
        mode: 'delete',
        outcome: 'killed',
        at,
        desired: 2,
        availableBefore: 2,
        floor: 1,
        ...(recoveryMs !== undefined ? { recoveredAt: at + recoveryMs, recoveryMs } : {}),
      };
    });
    kills.push(...mine);
    const times = plan.recoveries.filter((t): t is number => t !== undefined);
    const recovered = times.length === plan.recoveries.length;
    return {
      workload: plan.workload,
      kind: kind as WorkloadResult['kind'],
      namespace,
      name,
      desired: 2,
      kills: mine.length,
      refused: 0,
      meanRecoveryMs: times.length ? times.reduce((a, b) => a + b, 0) / times.length : undefined,
      maxRecoveryMs: times.length ? Math.max(...times) : undefined,
      availabilityPercent: recovered ? 97.5 : 60,
      minReady: recovered ? 1 : 0,
      recovered,
      finalReady: recovered ? 2 : 1,
    };
  });
  const end = start + (kills.length + 2) * 10_000;
  const result: ChaosResult = {
    seed: 'fixture',
    dryRun: false,
    cancelled: false,
    startedAt: start,
    chaosEndedAt: end,
    finishedAt: end + 1000,
    ticks: kills.length,
    kills,
    skips: [],
    workloads,
    matchedTargets: kills.length ? ['targets[0]'] : [],
    unrecoveredKills: kills.filter((k) => k.recoveredAt === undefined).map((k) => k.id),
    watchReconnects: 0,
  };
  const report = buildReport(result, {}, undefined, verdict(result, undefined, 50));
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  return out;
}
