/**
 * One job's steps in order, as the runner runs them: each step's `if:` against the job's status,
 * its env and `with:` evaluated, its outputs in `steps.<id>`, GITHUB_ENV/GITHUB_PATH carried on,
 * `continue-on-error` honoured, then the post steps of the actions that ran, last first.
 */
import path from 'node:path';
import { builtinAction, runBuiltin } from './builtin-actions.js';
import {
  evaluateCondition,
  interpolate,
  interpolateString,
  truthy,
  type ExpressionScope,
  type Json,
} from './expressions.js';
import type { StepDef } from './model.js';
import { runActionStep, runShellStep } from './process-steps.js';
import { failed, type Runtime, type StepPlace, type StepResult } from './runtime.js';

export type StepConclusion = 'success' | 'failure' | 'skipped';

export interface StepRecord {
  outputs: Record<string, string>;
  outcome: StepConclusion;
  conclusion: StepConclusion;
}

export interface JobStepsInput {
  rt: Runtime;
  place: Omit<StepPlace, 'env' | 'label'>;
  label: string;
  steps: StepDef[];
  /** Contexts without env and steps (github, inputs, secrets, needs, matrix, strategy, runner, vars). */
  contexts: Record<string, Json>;
  /** Workflow and job env, evaluated. */
  env: Record<string, string>;
  /** The runner's variables (GITHUB_*, RUNNER_*) and the base environment. */
  processEnv: Record<string, string | undefined>;
  repository: string;
  deadline: number;
}

export interface JobStepsResult {
  status: 'success' | 'failure';
  steps: Record<string, StepRecord>;
}

export async function runSteps(input: JobStepsInput): Promise<JobStepsResult> {
  const { rt, steps } = input;
  const records: Record<string, StepRecord> = {};
  const exported: Record<string, string> = {};
  const paths: string[] = [];
  const posts: { label: string; post: () => Promise<StepResult> }[] = [];
  let status: 'success' | 'failure' = 'success';

  for (const [index, step] of steps.entries()) {
    const id = step.id ?? `__step${index}`;
    const where = `${input.label} steps[${index}]${step.id ? ` (${step.id})` : ''}`;
    const contexts = { ...input.contexts, steps: stepsContext(records), job: { status } };
    const baseScope: ExpressionScope = {
      contexts: { ...contexts, env: { ...input.env, ...exported } },
      status: { success: status === 'success', failure: status === 'failure', cancelled: false },
      where,
    };
    const stepEnv = evaluateEnv(step.env, baseScope);
    const scope = {
      ...baseScope,
      contexts: { ...baseScope.contexts, env: { ...input.env, ...exported, ...stepEnv } },
    };
    const label = `${input.label} › ${step.name !== undefined ? interpolateString(step.name, scope) : (step.uses ?? step.id ?? `step ${index + 1}`)}`;
    if (!evaluateCondition(step.if, scope)) {
      records[id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
      rt.log(`[${label}] skipped (if: ${String(step.if ?? 'success()')})`);
      continue;
    }
    rt.log(`[${label}] ▶ ${step.run !== undefined ? 'run' : step.uses}`);
    const place: StepPlace = {
      ...input.place,
      label,
      env: {
        ...input.processEnv,
        ...input.env,
        ...exported,
        ...stepEnv,
        PATH: [...paths, input.processEnv.PATH].filter(Boolean).join(':'),
      },
      timeoutMs: stepTimeout(step, scope, input.deadline),
    };
    const result = await runStep(rt, place, step, scope, input.repository).catch((err: Error) =>
      failed(err.message),
    );
    if (result.post) posts.unshift({ label, post: result.post });
    Object.assign(exported, result.env);
    paths.unshift(...result.paths.reverse());
    const continueOnError =
      step['continue-on-error'] !== undefined && truthy(interpolate(step['continue-on-error'], scope));
    const conclusion = result.outcome === 'failure' && !continueOnError ? 'failure' : 'success';
    records[id] = { outputs: result.outputs, outcome: result.outcome, conclusion };
    if (result.outcome === 'failure')
      rt.log(
        `[${label}] ::error::${result.error ?? 'failed'}${continueOnError ? ' (continue-on-error)' : ''}`,
      );
    if (conclusion === 'failure') status = 'failure';
  }
  for (const { label, post } of posts) {
    rt.log(`[${label}] ▶ post`);
    const result = await post().catch((err: Error) => failed(err.message));
    if (result.outcome === 'failure') {
      rt.log(`[${label}] ::error::post: ${result.error ?? 'failed'}`);
      status = 'failure';
    }
  }
  return { status, steps: records };
}

function runStep(
  rt: Runtime,
  place: StepPlace,
  step: StepDef,
  scope: ExpressionScope,
  repository: string,
): Promise<StepResult> {
  if (step.run !== undefined) {
    if (step.shell !== undefined && step.shell !== 'bash') {
      return Promise.resolve(failed(`shell: ${step.shell} is not modelled by the local runner (bash only)`));
    }
    const script = interpolateString(step.run, scope);
    const dir =
      step['working-directory'] !== undefined ? interpolateString(step['working-directory'], scope) : '.';
    return runShellStep(rt, place, script, path.resolve(place.workspace, dir));
  }
  const uses = step.uses ?? '';
  const inputs = Object.fromEntries(
    Object.entries(step.with ?? {}).map(([name, value]) => [name, interpolateString(value, scope)]),
  );
  if (uses.startsWith('./')) {
    const evaluateDefault = (value: string) => interpolateString(value, scope);
    return runActionStep(rt, place, path.resolve(place.workspace, uses), inputs, evaluateDefault);
  }
  const builtin = builtinAction(uses);
  if (builtin) return Promise.resolve(runBuiltin(rt, place, builtin, inputs, repository));
  return Promise.resolve(failed(`uses: ${uses} is not modelled by the local runner`));
}

function stepsContext(records: Record<string, StepRecord>): Json {
  return Object.fromEntries(
    Object.entries(records)
      .filter(([id]) => !id.startsWith('__'))
      .map(([id, r]) => [id, { outputs: r.outputs, outcome: r.outcome, conclusion: r.conclusion }]),
  );
}

export function evaluateEnv(
  env: Record<string, Json> | undefined,
  scope: ExpressionScope,
): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, interpolateString(v, scope)]));
}

function stepTimeout(step: StepDef, scope: ExpressionScope, deadline: number): number {
  const left = Math.max(1, deadline - Date.now());
  if (step['timeout-minutes'] === undefined) return left;
  return Math.min(left, Number(interpolate(step['timeout-minutes'], scope)) * 60_000);
}
