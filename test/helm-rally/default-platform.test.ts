/**
 * mode rally on the built-in `local` profile, whose deployment is an OpenStack cloud: a task whose
 * scenarios are all in Rally's default platform (Dummy.*) runs with real Rally in an empty
 * environment, with no cloud and no OpenStack secret.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/helm-rally/main.js';
import { taskScenarios } from '../../actions/lib/rally/deployment.js';
import { missingPlatformHint } from '../../actions/lib/rally/run.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { repoRoot } from '../harness/run-action.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'helm-rally-dummy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('helm-rally mode rally: the platform a task needs', () => {
  it('finds the scenarios of v1 and v2 tasks, templates included', () => {
    expect(
      taskScenarios(
        readFileSync(path.join(repoRoot, 'test', 'fixtures', 'helm-rally', 'dummy-pass.yaml'), 'utf8'),
      ),
    ).toEqual(['Dummy.dummy']);
    expect(
      taskScenarios(
        '---\n  NovaServers.boot_server:\n    -\n      args: {flavor: {name: "{{flavor}}"}}\n  "Dummy.dummy": []\n',
      ),
    ).toEqual(['NovaServers.boot_server', 'Dummy.dummy']);
  });

  it('a Dummy task runs with real Rally in an empty environment on the local profile, without OpenStack secrets', async () => {
    cpSync(
      path.join(repoRoot, 'test', 'fixtures', 'helm-rally', 'dummy-pass.yaml'),
      path.join(dir, 'dummy.yaml'),
    );
    const lines: string[] = [];
    const ctx = terminalContext({
      inputs: {
        profile: 'local',
        mode: 'rally',
        task: 'dummy.yaml',
        'task-args': '{sleep: 0, times: 2}',
        publish: 'false',
      },
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      signal: new AbortController().signal,
      write: (t) => lines.push(t),
      workspace: dir,
      tempDir: dir,
    });
    await run(ctx);
    expect(ctx.outputs['sla-passed']).toBe('true');
    const report = JSON.parse(readFileSync(ctx.outputs['report-json'], 'utf8')) as {
      tasks: { env_name: string; subtasks: { workloads: { total_iteration_count: number }[] }[] }[];
    };
    expect(report.tasks[0].subtasks[0].workloads[0].total_iteration_count).toBe(2);
  }, 300_000);

  it('names rally-openstack when Rally has no OpenStack platform', () => {
    expect(
      missingPlatformHint('Env spec is invalid: There is no Platform plugin `existing@openstack`'),
    ).toContain(
      'Rally has no platform plugin "existing@openstack": OpenStack scenarios need rally-openstack',
    );
    expect(missingPlatformHint('some other failure')).toBe('');
  });
});
