/**
 * Runs a workflow of this repository through the local runner (actions/lib/workflow) with the
 * bundles in dist/ on Node 24, in a temp work dir, and collects its log.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { stringify } from 'yaml';
import { resolveWorkflowFile } from '../../actions/lib/workflow/model.js';
import { runWorkflow, type WorkflowRun } from '../../actions/lib/workflow/runner.js';
import { nodeBinary, repoRoot } from '../harness/run-action.js';

export interface LocalRun extends WorkflowRun {
  log: string;
  workDir: string;
}

export interface LocalRunOptions {
  inputs?: Record<string, string>;
  secrets?: Record<string, string>;
  /** Added to the runner's environment (PATH of fakes, HOME, …). */
  env?: Record<string, string | undefined>;
  /**
   * The runner's own cluster credentials, as a stage runner pod has them from its service account
   * (no workflow passes a kubeconfig secret): written to a file named by KUBECONFIG in the runner's
   * environment.
   */
  kubeconfig?: string;
  callerRepo?: string;
  eventName?: string;
}

// Each job's workspace holds a copy of this repository (its checkout of taco/actions): remove them
// when the test file is done.
const workDirs: string[] = [];
afterAll(() => workDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

export async function runLocalWorkflow(name: string, options: LocalRunOptions = {}): Promise<LocalRun> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `workflow-${name}-`));
  workDirs.push(workDir);
  const lines: string[] = [];
  const run = await runWorkflow({
    workflowFile: resolveWorkflowFile(name, repoRoot),
    inputs: options.inputs ?? {},
    secrets: options.secrets ?? {},
    actionsRoot: repoRoot,
    callerRepo: options.callerRepo,
    workDir,
    node: nodeBinary('24'),
    baseEnv: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: 'C.UTF-8',
      ...runnerKubeconfig(workDir, options.kubeconfig),
      ...options.env,
    },
    eventName: options.eventName,
    log: (line) => lines.push(line),
  });
  const log = lines.join('\n');
  return { ...run, log, workDir };
}

function runnerKubeconfig(workDir: string, kubeconfig: string | undefined): Record<string, string> {
  if (kubeconfig === undefined) return {};
  const file = path.join(workDir, 'runner-kubeconfig.yaml');
  writeFileSync(file, kubeconfig, { mode: 0o600 });
  return { KUBECONFIG: file };
}

/** The built-in local profile with this test's loopback ports and paths on top (`extends:` it). */
export function localProfile(dir: string, overrides: Record<string, unknown>): string {
  const file = path.join(dir, 'local-test.yaml');
  const base = path.join(repoRoot, 'profiles', 'local.yaml');
  writeFileSync(file, stringify({ extends: base, name: 'local-test', ...overrides }));
  return file;
}

/** Lines of the log from one job (its label in brackets), for failure messages. */
export function jobLog(run: LocalRun, label: string): string {
  return run.log
    .split('\n')
    .filter((l) => l.startsWith(`[${label}`))
    .join('\n');
}
