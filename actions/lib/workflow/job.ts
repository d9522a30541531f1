/**
 * One job: its `if:` against the jobs it needs, its matrix expanded, each combination run in its
 * own workspace, and its outputs — which must have been produced by the steps they name.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  evaluateCondition,
  interpolate,
  interpolateString,
  truthy,
  type ExpressionScope,
  type Json,
} from './expressions.js';
import { UserError } from '../errors.js';
import { expandMatrix, type Combination } from './matrix.js';
import type { JobDef } from './model.js';
import type { Runtime } from './runtime.js';
import { evaluateEnv, runSteps, type StepRecord } from './steps.js';

export type JobResult = 'success' | 'failure' | 'skipped' | 'cancelled';

export interface CombinationRun {
  matrix: Combination;
  result: JobResult;
  steps: Record<string, StepRecord>;
  outputs: Record<string, string>;
  workspace: string;
  summary: string;
  /** Why the combination failed after its steps (an output nobody produced). */
  error?: string;
}

export interface JobRun {
  result: JobResult;
  outputs: Record<string, string>;
  runs: CombinationRun[];
}

export interface JobSetting {
  rt: Runtime;
  id: string;
  job: JobDef;
  /** Folder for this job's workspaces and runner files. */
  dir: string;
  /** github, inputs, secrets, vars: the contexts every job sees. */
  contexts: Record<string, Json>;
  workflowEnv: Record<string, string>;
  needs: Record<string, { result: JobResult; outputs: Record<string, string> }>;
  /** Some job this one depends on, directly or not, failed. */
  ancestorFailed: boolean;
  repository: string;
}

export async function runJob(s: JobSetting): Promise<JobRun> {
  const { rt, id, job } = s;
  const where = `jobs.${id}`;
  const needs = s.needs as unknown as Json;
  const jobScope: ExpressionScope = {
    contexts: { ...s.contexts, needs },
    status: {
      success: Object.values(s.needs).every((n) => n.result === 'success'),
      failure: s.ancestorFailed,
      cancelled: false,
    },
    where: `${where}.if`,
  };
  if (job.uses)
    throw new Error(
      `${where}: calling a reusable workflow (uses: ${job.uses}) is not modelled by the local runner`,
    );
  if (!evaluateCondition(job.if, jobScope)) {
    rt.log(`[${id}] skipped (if: ${String(job.if ?? 'success()')})`);
    return { result: 'skipped', outputs: {}, runs: [] };
  }
  const strategy = jobStrategy(job, jobScope, where);
  if ('error' in strategy) {
    // GitHub fails only this job (its dependents then follow their own if:), not the whole run.
    rt.log(`[${id}] ::error::${strategy.error}`);
    rt.log(`[${id}] failure`);
    return { result: 'failure', outputs: {}, runs: [] };
  }
  const { combos, failFast } = strategy;
  const runs: CombinationRun[] = [];
  for (const [index, matrix] of combos.entries()) {
    if (failFast && runs.some((r) => r.result === 'failure')) {
      runs.push({ matrix, result: 'cancelled', steps: {}, outputs: {}, workspace: '', summary: '' });
      continue;
    }
    const context = {
      matrix,
      strategy: {
        'fail-fast': failFast,
        'job-index': index,
        'job-total': combos.length,
        'max-parallel': combos.length,
      },
    };
    runs.push(await runCombination(s, context, combos.length > 1 ? index : undefined));
  }
  const outputs: Record<string, string> = {};
  for (const run of runs)
    for (const [k, v] of Object.entries(run.outputs)) if (v !== '' || !(k in outputs)) outputs[k] = v;
  const continueOnError =
    job['continue-on-error'] !== undefined && truthy(interpolate(job['continue-on-error'], jobScope));
  const result: JobResult =
    runs.some((r) => r.result === 'failure') && !continueOnError
      ? 'failure'
      : runs.some((r) => r.result === 'cancelled')
        ? 'cancelled'
        : 'success';
  rt.log(`[${id}] ${result}`);
  return { result, outputs, runs };
}

/**
 * The job's matrix combinations, evaluated only once its `if:` let it run (a matrix read from a
 * skipped or failed job's outputs is never evaluated then); a bad strategy is this job's error.
 */
function jobStrategy(
  job: JobDef,
  scope: ExpressionScope,
  where: string,
): { combos: Combination[]; failFast: boolean } | { error: string } {
  try {
    const strategy = (
      job.strategy ? interpolate(job.strategy as Json, { ...scope, where: `${where}.strategy` }) : {}
    ) as Record<string, Json>;
    return {
      combos: expandMatrix(strategy.matrix, where),
      failFast: strategy['fail-fast'] === undefined || truthy(strategy['fail-fast']),
    };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { error: err.message };
  }
}

async function runCombination(
  s: JobSetting,
  matrixContexts: Record<string, Json>,
  index: number | undefined,
): Promise<CombinationRun> {
  const { rt, id, job } = s;
  const dir = index === undefined ? s.dir : `${s.dir}-${index}`;
  const workspace = path.join(dir, 'workspace');
  const temp = path.join(dir, 'temp');
  const toolCache = path.join(dir, 'tool-cache');
  for (const d of [workspace, temp, toolCache]) mkdirSync(d, { recursive: true });
  const summaryFile = path.join(dir, 'summary.md');
  writeFileSync(summaryFile, '');
  const github = { ...(s.contexts.github as Record<string, Json>), workspace, job: id };
  const runner = { os: 'Linux', arch: 'X64', name: 'taco-ci local', temp, tool_cache: toolCache };
  const contexts = { ...s.contexts, github, runner, needs: s.needs as unknown as Json, ...matrixContexts };
  const scope: ExpressionScope = { contexts: { ...contexts, env: s.workflowEnv }, where: `jobs.${id}` };
  const jobEnv = { ...s.workflowEnv, ...evaluateEnv(job.env, scope) };
  const name = interpolateString(job.name ?? id, scope);
  const label = index === undefined ? name : `${name} (${index})`;
  const minutes =
    job['timeout-minutes'] !== undefined ? Number(interpolate(job['timeout-minutes'], scope)) : 360;
  rt.log(
    `[${label}] ▶ job ${id}${index === undefined ? '' : ` matrix ${JSON.stringify(matrixContexts.matrix)}`}`,
  );

  const { status, steps } = await runSteps({
    rt,
    place: { workspace, temp, filesDir: path.join(dir, 'files'), summaryFile },
    label,
    steps: job.steps ?? [],
    contexts,
    env: jobEnv,
    processEnv: runnerEnv(s, github, runner),
    repository: s.repository,
    deadline: Date.now() + minutes * 60_000,
  });
  const outputScope: ExpressionScope = {
    contexts: { ...contexts, env: jobEnv, steps: steps as unknown as Json },
    where: `jobs.${id}.outputs`,
  };
  const outputs: Record<string, string> = {};
  let error: string | undefined;
  for (const [name, value] of Object.entries(job.outputs ?? {})) {
    outputs[name] = interpolateString(value, { ...outputScope, where: `jobs.${id}.outputs.${name}` });
    error ??= unproducedOutput(id, name, value, steps);
  }
  if (error) rt.log(`[${label}] ::error::${error}`);
  const summary = readFileSync(summaryFile, 'utf8');
  return {
    matrix: (matrixContexts.matrix ?? {}) as Combination,
    result: status === 'success' && !error ? 'success' : 'failure',
    steps,
    outputs,
    workspace,
    summary,
    error,
  };
}

/** An output that names `steps.<id>.outputs.<name>` of a step that succeeded without setting it. */
function unproducedOutput(
  job: string,
  name: string,
  value: Json,
  steps: Record<string, StepRecord>,
): string | undefined {
  for (const m of JSON.stringify(value).matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
    const step = steps[m[1]];
    if (step?.conclusion === 'success' && step.outcome === 'success' && !(m[2] in step.outputs)) {
      return `job ${job}: output ${name} reads steps.${m[1]}.outputs.${m[2]}, which step ${m[1]} did not set`;
    }
  }
  return undefined;
}

function runnerEnv(
  s: JobSetting,
  github: Record<string, Json>,
  runner: Record<string, Json>,
): Record<string, string | undefined> {
  const str = (v: Json | undefined) => (v === undefined || v === null ? '' : String(v));
  return {
    ...s.rt.baseEnv,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: str(github.workspace),
    GITHUB_EVENT_NAME: str(github.event_name),
    GITHUB_REPOSITORY: str(github.repository),
    GITHUB_REPOSITORY_OWNER: str(github.repository_owner),
    GITHUB_RUN_ID: str(github.run_id),
    GITHUB_RUN_NUMBER: str(github.run_number),
    GITHUB_RUN_ATTEMPT: str(github.run_attempt),
    GITHUB_SHA: str(github.sha),
    GITHUB_REF: str(github.ref),
    GITHUB_REF_NAME: str(github.ref_name),
    GITHUB_SERVER_URL: str(github.server_url),
    GITHUB_API_URL: str(github.api_url),
    GITHUB_ACTOR: str(github.actor),
    GITHUB_JOB: str(github.job),
    RUNNER_OS: str(runner.os),
    RUNNER_ARCH: str(runner.arch),
    RUNNER_NAME: str(runner.name),
    RUNNER_TEMP: str(runner.temp),
    RUNNER_TOOL_CACHE: str(runner.tool_cache),
  };
}
