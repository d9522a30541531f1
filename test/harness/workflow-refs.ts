/**
 * Resolves the `uses:` references of workflows to this repository's actions and reusable workflows
 * and checks what each passes in `with:` against what the callee declares.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

interface InputSpec {
  required?: boolean;
  default?: unknown;
  type?: 'string' | 'boolean' | 'number' | 'choice' | 'environment';
}

type Step = { uses?: string; with?: Record<string, unknown> };
type Job = {
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, unknown> | 'inherit';
  steps?: Step[];
};
export type Workflow = { on?: Record<string, unknown>; jobs?: Record<string, Job> };

/** `./.taco-actions/kolla-bats`, `./kolla-bats`, `taco/actions/kolla-bats@v1` → `kolla-bats/action.yml`. */
export function resolveReference(uses: string): { kind: 'action' | 'workflow'; file: string } | undefined {
  const local = /^\.\/(?:\.taco-actions\/)?(.+)$/.exec(uses);
  const remote = /^taco\/actions\/(.+)@[\w.\-/]+$/.exec(uses);
  const target = local?.[1] ?? remote?.[1];
  if (target === undefined) return undefined;
  if (/^\.github\/workflows\/[^/]+\.ya?ml$/.test(target)) return { kind: 'workflow', file: target };
  return { kind: 'action', file: path.join(target, 'action.yml') };
}

function declaredInputs(
  root: string,
  ref: { kind: 'action' | 'workflow'; file: string },
): Record<string, InputSpec> {
  const doc = parseYaml(readFileSync(path.join(root, ref.file), 'utf8'));
  if (ref.kind === 'action') return doc.inputs ?? {};
  return (doc.on?.workflow_call?.inputs ?? {}) as Record<string, InputSpec>;
}

function typeProblem(name: string, value: unknown, spec: InputSpec): string | undefined {
  if (typeof value === 'string' && value.includes('${{')) return undefined; // decided at run time
  if (spec.type === 'boolean' && typeof value !== 'boolean')
    return `input ${name} is a boolean, got ${JSON.stringify(value)}`;
  if (spec.type === 'number' && typeof value !== 'number')
    return `input ${name} is a number, got ${JSON.stringify(value)}`;
  if (spec.type === 'string' && typeof value !== 'string')
    return `input ${name} is a string, got ${JSON.stringify(value)}`;
  return undefined;
}

/** Problems in one workflow document, each as `<where>: <what>`; `where` names the job and step. */
export function checkWorkflowReferences(root: string, workflow: Workflow, label: string): string[] {
  const problems: string[] = [];
  const check = (where: string, uses: string, given: Record<string, unknown> | undefined) => {
    const ref = resolveReference(uses);
    if (!ref) return;
    if (!existsSync(path.join(root, ref.file))) {
      problems.push(`${where}: ${uses} does not resolve to ${ref.file} in this repository`);
      return;
    }
    const declared = declaredInputs(root, ref);
    for (const [name, value] of Object.entries(given ?? {})) {
      const spec = declared[name];
      if (!spec)
        problems.push(
          `${where}: ${uses} has no input ${name} (declared: ${Object.keys(declared).join(', ')})`,
        );
      else {
        const wrong = typeProblem(name, value, spec);
        if (wrong) problems.push(`${where}: ${wrong}`);
      }
    }
    for (const [name, spec] of Object.entries(declared)) {
      if (spec.required && spec.default === undefined && !(name in (given ?? {}))) {
        problems.push(`${where}: ${uses} requires input ${name}`);
      }
    }
  };
  const checkSecrets = (where: string, uses: string, given: Job['secrets']) => {
    const ref = resolveReference(uses);
    if (!ref || ref.kind !== 'workflow' || given === 'inherit' || !existsSync(path.join(root, ref.file)))
      return;
    const doc = parseYaml(readFileSync(path.join(root, ref.file), 'utf8'));
    const declared = (doc.on?.workflow_call?.secrets ?? {}) as Record<string, { required?: boolean }>;
    for (const name of Object.keys(given ?? {})) {
      if (!declared[name])
        problems.push(
          `${where}: ${uses} has no secret ${name} (declared: ${Object.keys(declared).join(', ')})`,
        );
    }
    for (const [name, spec] of Object.entries(declared)) {
      if (spec?.required && !(name in (given ?? {})))
        problems.push(`${where}: ${uses} requires secret ${name}`);
    }
  };
  for (const [jobId, job] of Object.entries(workflow.jobs ?? {})) {
    if (job.uses) {
      check(`${label} jobs.${jobId}`, job.uses, job.with);
      checkSecrets(`${label} jobs.${jobId}`, job.uses, job.secrets);
    }
    (job.steps ?? []).forEach((step, i) => {
      if (step.uses) check(`${label} jobs.${jobId}.steps[${i}]`, step.uses, step.with);
    });
  }
  return problems;
}
