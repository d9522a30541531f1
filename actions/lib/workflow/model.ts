/**
 * A workflow file as the local runner reads it: checked by GitHub's parser
 * (@actions/workflow-parser), then taken as plain YAML. Expressions stay unevaluated strings.
 */
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../errors.js';
import type { Json } from './expressions.js';

export interface InputSpec {
  type?: 'string' | 'boolean' | 'number' | 'choice' | 'environment';
  default?: Json;
  required?: boolean;
  options?: string[];
}

export interface StepDef {
  id?: string;
  name?: Json;
  if?: Json;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, Json>;
  env?: Record<string, Json>;
  'continue-on-error'?: Json;
  'working-directory'?: Json;
  'timeout-minutes'?: Json;
}

export interface JobDef {
  name?: Json;
  needs?: string | string[];
  if?: Json;
  'runs-on'?: Json;
  env?: Record<string, Json>;
  outputs?: Record<string, Json>;
  strategy?: { matrix?: Json; 'fail-fast'?: Json; 'max-parallel'?: Json };
  steps?: StepDef[];
  uses?: string;
  'timeout-minutes'?: Json;
  'continue-on-error'?: Json;
  defaults?: { run?: { shell?: string; 'working-directory'?: string } };
}

export interface WorkflowDef {
  file: string;
  name: string;
  /** The trigger whose inputs and secrets this run uses (workflow_call when the file has one). */
  trigger: 'workflow_call' | 'workflow_dispatch';
  inputs: Record<string, InputSpec>;
  secrets: Record<string, { required?: boolean }>;
  outputs: Record<string, { value: Json }>;
  env: Record<string, Json>;
  jobs: Record<string, JobDef>;
}

/** `nightly` → `<root>/.github/workflows/nightly.yml`; a path to a file is taken as it is. */
export function resolveWorkflowFile(nameOrPath: string, root: string): string {
  if (existsSync(nameOrPath) && /\.ya?ml$/.test(nameOrPath)) return path.resolve(nameOrPath);
  for (const ext of ['yml', 'yaml']) {
    const file = path.join(root, '.github', 'workflows', `${nameOrPath}.${ext}`);
    if (existsSync(file)) return file;
  }
  throw new UserError(
    `workflow ${nameOrPath}: no such file, and no .github/workflows/${nameOrPath}.yml in ${root}`,
  );
}

export async function loadWorkflow(file: string): Promise<WorkflowDef> {
  const content = readFileSync(file, 'utf8');
  const label = path.basename(file);
  const parsed = parseWorkflow({ name: label, content }, new NoOperationTraceWriter());
  if (parsed.value) await convertWorkflowTemplate(parsed.context, parsed.value);
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (errors.length) throw new UserError(`${file}: not a valid workflow:\n  ${errors.join('\n  ')}`);

  const doc = parseYaml(content) as {
    name?: string;
    on?: Record<
      string,
      {
        inputs?: Record<string, InputSpec>;
        secrets?: WorkflowDef['secrets'];
        outputs?: WorkflowDef['outputs'];
      } | null
    >;
    env?: Record<string, Json>;
    jobs: Record<string, JobDef>;
  };
  const on = typeof doc.on === 'object' && doc.on !== null ? doc.on : {};
  const trigger = 'workflow_call' in on ? 'workflow_call' : 'workflow_dispatch';
  const spec = on[trigger] ?? {};
  return {
    file,
    name: doc.name ?? label,
    trigger,
    inputs: spec.inputs ?? {},
    secrets: spec.secrets ?? {},
    outputs: spec.outputs ?? {},
    env: doc.env ?? {},
    jobs: doc.jobs,
  };
}

export function needsOf(job: JobDef): string[] {
  if (job.needs === undefined) return [];
  return Array.isArray(job.needs) ? job.needs : [job.needs];
}

/** Jobs in an order that runs every job after the jobs it needs (file order among equals). */
export function jobOrder(workflow: WorkflowDef): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, from: string) => {
    const job = workflow.jobs[id];
    if (!job) throw new UserError(`${workflow.file}: job ${from} needs ${id}, which does not exist`);
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting')
      throw new UserError(`${workflow.file}: jobs ${from} and ${id} need each other`);
    state.set(id, 'visiting');
    for (const need of needsOf(job)) visit(need, id);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of Object.keys(workflow.jobs)) visit(id, id);
  return order;
}
