/**
 * Runs a workflow's jobs on this machine, one after another in `needs:` order, as GitHub would run
 * them for one call (workflow_call, else workflow_dispatch). docs/workflow-runner.md says what it
 * does not model.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { interpolateString, neededOutputs, type ExpressionScope, type Json } from './expressions.js';
import { runJob, type JobRun } from './job.js';
import { jobOrder, loadWorkflow, needsOf, type WorkflowDef } from './model.js';
import type { Runtime } from './runtime.js';
import { evaluateEnv } from './steps.js';

export interface WorkflowRunSettings extends Omit<Runtime, 'artifactsDir' | 'masks'> {
  workflowFile: string;
  inputs: Record<string, string>;
  secrets: Record<string, string>;
  /** Runner files, workspaces and artifacts go here. */
  workDir: string;
  eventName?: string;
  /** github.repository: the caller's repository (`actions/checkout` without `repository:`). */
  repository?: string;
}

export interface WorkflowRun {
  result: 'success' | 'failure';
  jobs: Record<string, JobRun>;
  outputs: Record<string, string>;
  artifactsDir: string;
}

export async function runWorkflow(settings: WorkflowRunSettings): Promise<WorkflowRun> {
  const workflow = await loadWorkflow(settings.workflowFile);
  const inputs = typedInputs(workflow, settings.inputs);
  const secrets = declaredSecrets(workflow, settings.secrets);
  checkNeededOutputs(workflow);
  const artifactsDir = path.join(settings.workDir, 'artifacts');
  mkdirSync(artifactsDir, { recursive: true });
  const rt: Runtime = { ...settings, artifactsDir, masks: Object.values(settings.secrets).filter(Boolean) };
  const repository = settings.repository ?? 'local/caller';
  const github = githubContext(settings, repository, settings.secrets.GITHUB_TOKEN ?? '');
  const contexts: Record<string, Json> = { github, inputs, secrets, vars: {} };
  const workflowEnv = evaluateEnv(workflow.env, { contexts, where: `${workflow.file} env` });

  const jobs: Record<string, JobRun> = {};
  for (const id of jobOrder(workflow)) {
    const job = workflow.jobs[id];
    const needs = Object.fromEntries(
      needsOf(job).map((n) => [n, { result: jobs[n].result, outputs: jobs[n].outputs }]),
    );
    jobs[id] = await runJob({
      rt,
      id,
      job,
      dir: path.join(settings.workDir, 'jobs', id),
      contexts,
      workflowEnv,
      needs,
      ancestorFailed: ancestors(workflow, id).some((a) => jobs[a].result === 'failure'),
      repository,
    });
  }
  const jobsContext = Object.fromEntries(
    Object.entries(jobs).map(([id, j]) => [id, { result: j.result, outputs: j.outputs }]),
  );
  const outputs = Object.fromEntries(
    Object.entries(workflow.outputs).map(([name, spec]) => {
      const scope: ExpressionScope = {
        contexts: { ...contexts, jobs: jobsContext },
        where: `outputs.${name}`,
      };
      return [name, interpolateString(spec.value, scope)];
    }),
  );
  const failedJob = Object.values(jobs).some((j) => j.result === 'failure' || j.result === 'cancelled');
  return { result: failedJob ? 'failure' : 'success', jobs, outputs, artifactsDir };
}

function githubContext(s: WorkflowRunSettings, repository: string, token: string): Json {
  const runId = String(Date.now());
  return {
    event_name: s.eventName ?? 'workflow_dispatch',
    event: {},
    repository,
    repository_owner: repository.split('/')[0],
    run_id: runId,
    run_number: '1',
    run_attempt: '1',
    sha: '0000000000000000000000000000000000000000',
    ref: 'refs/heads/main',
    ref_name: 'main',
    server_url: 'https://github.com',
    api_url: 'https://api.github.com',
    actor: 'taco-ci',
    token,
  };
}

/** The caller's strings as the declared types (boolean, number); an undeclared or missing required input is refused. */
function typedInputs(workflow: WorkflowDef, given: Record<string, string>): Record<string, Json> {
  const declared = workflow.inputs;
  const unknown = Object.keys(given).filter((k) => !(k in declared));
  if (unknown.length) {
    throw new UserError(
      `${workflow.file}: no input ${unknown.join(', ')} (${workflow.trigger} declares: ${Object.keys(declared).join(', ')})`,
    );
  }
  const out: Record<string, Json> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const raw = given[name];
    if (raw === undefined && spec.required && spec.default === undefined)
      throw new UserError(`${workflow.file}: input ${name} is required`);
    const value = raw ?? spec.default ?? (spec.type === 'boolean' ? false : spec.type === 'number' ? 0 : '');
    out[name] = typed(workflow.file, name, spec.type ?? 'string', value);
  }
  return out;
}

function typed(file: string, name: string, type: string, value: Json): Json {
  if (type === 'boolean') {
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new UserError(`${file}: input ${name} is a boolean, got ${JSON.stringify(value)}`);
  }
  if (type === 'number') {
    const n = Number(value);
    if (value === '' || Number.isNaN(n))
      throw new UserError(`${file}: input ${name} is a number, got ${JSON.stringify(value)}`);
    return n;
  }
  return String(value);
}

function declaredSecrets(workflow: WorkflowDef, given: Record<string, string>): Record<string, string> {
  const unknown = Object.keys(given).filter((k) => !(k in workflow.secrets) && k !== 'GITHUB_TOKEN');
  if (unknown.length && workflow.trigger === 'workflow_call') {
    throw new UserError(
      `${workflow.file}: no secret ${unknown.join(', ')} (workflow_call declares: ${Object.keys(workflow.secrets).join(', ')})`,
    );
  }
  for (const [name, spec] of Object.entries(workflow.secrets)) {
    if (spec?.required && !given[name]) throw new UserError(`${workflow.file}: secret ${name} is required`);
  }
  return { ...given };
}

/** Every `needs.<job>.outputs.<name>` a job reads names a job it needs and an output that job declares. */
function checkNeededOutputs(workflow: WorkflowDef): void {
  for (const [id, job] of Object.entries(workflow.jobs)) {
    for (const { job: needed, output } of neededOutputs(job as unknown as Json)) {
      if (!needsOf(job).includes(needed)) {
        throw new UserError(
          `${workflow.file}: job ${id} reads needs.${needed}.outputs.${output} but does not need ${needed}`,
        );
      }
      if (!(output in (workflow.jobs[needed].outputs ?? {}))) {
        throw new UserError(
          `${workflow.file}: job ${id} reads needs.${needed}.outputs.${output}, which job ${needed} does not declare`,
        );
      }
    }
  }
  for (const [name, spec] of Object.entries(workflow.outputs)) {
    for (const m of JSON.stringify(spec.value).matchAll(/jobs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      if (!(m[2] in (workflow.jobs[m[1]]?.outputs ?? {}))) {
        throw new UserError(
          `${workflow.file}: output ${name} reads jobs.${m[1]}.outputs.${m[2]}, which is not declared`,
        );
      }
    }
  }
}

function ancestors(workflow: WorkflowDef, id: string): string[] {
  const seen = new Set<string>();
  const visit = (j: string) => {
    for (const n of needsOf(workflow.jobs[j])) {
      if (seen.has(n)) continue;
      seen.add(n);
      visit(n);
    }
  };
  visit(id);
  return [...seen];
}
