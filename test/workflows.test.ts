import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { workflowFiles } from '../actions/cli/workflow-lint.js';
import { PIPELINES } from '../actions/cli/plan.js';
import { ACTION_NAMES } from '../actions/cli/registry.js';
import { checkWorkflowReferences, resolveReference, type Workflow } from './harness/workflow-refs.js';
import { repoRoot } from './harness/run-action.js';

const read = (file: string) => parseYaml(readFileSync(path.join(repoRoot, file), 'utf8')) as Workflow;

/** The ```yaml blocks of the README and docs that call this repository's actions or workflows. */
function documentedExamples(): { label: string; workflow: Workflow }[] {
  const files = ['README.md', ...ACTION_NAMES.map((a) => `docs/${a}.md`), 'docs/runners.md'];
  const out: { label: string; workflow: Workflow }[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(path.join(repoRoot, file), 'utf8');
    } catch {
      continue;
    }
    [...text.matchAll(/```ya?ml\n([\s\S]*?)```/g)].forEach((m, i) => {
      if (!/uses: (\.\/|taco\/actions\/)/.test(m[1])) return;
      const doc = parseYaml(m[1]) as Workflow;
      if (doc?.jobs) out.push({ label: `${file} example ${i + 1}`, workflow: doc });
    });
  }
  return out;
}

describe('workflow references', () => {
  it('resolves references to this repository', () => {
    expect(resolveReference('taco/actions/kolla-bats@v1')).toEqual({
      kind: 'action',
      file: 'kolla-bats/action.yml',
    });
    expect(resolveReference('./.taco-actions/tempest')).toEqual({
      kind: 'action',
      file: 'tempest/action.yml',
    });
    expect(resolveReference('taco/actions/.github/workflows/nightly.yml@v1')).toEqual({
      kind: 'workflow',
      file: '.github/workflows/nightly.yml',
    });
    expect(resolveReference('actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8')).toBeUndefined();
  });

  it('catches an undeclared input, a missing required one and a wrong type', () => {
    const workflow: Workflow = {
      jobs: {
        a: { steps: [{ uses: 'taco/actions/tempest@v1', with: { 'no-such-input': 'x' } }] },
        b: { uses: 'taco/actions/.github/workflows/promote.yml@v1', with: { 'dry-run': 'yes' } },
        c: { uses: 'taco/actions/.github/workflows/unit-helm.yml@v1', secrets: { KUBE_CONFIG: 'x' } },
      },
    };
    const problems = checkWorkflowReferences(repoRoot, workflow, 'w');
    expect(problems).toContainEqual(
      expect.stringMatching(/^w jobs\.a\.steps\[0\]: taco\/actions\/tempest@v1 has no input no-such-input/),
    );
    expect(problems).toContain(
      'w jobs.b: taco/actions/.github/workflows/promote.yml@v1 requires input candidate',
    );
    expect(problems).toContain('w jobs.b: input dry-run is a boolean, got "yes"');
    expect(problems).toContainEqual(expect.stringMatching(/^w jobs\.c: .* has no secret KUBE_CONFIG/));
    expect(problems).toContain(
      'w jobs.c: taco/actions/.github/workflows/unit-helm.yml@v1 requires secret KUBECONFIG',
    );
  });

  for (const file of workflowFiles(repoRoot)) {
    it(`${file} passes only declared inputs to this repository's actions`, () => {
      expect(checkWorkflowReferences(repoRoot, read(file), file)).toEqual([]);
    });
  }

  it('the documented caller examples can be copied verbatim', () => {
    const examples = documentedExamples();
    expect(examples.length).toBeGreaterThan(0);
    for (const { label, workflow } of examples)
      expect(checkWorkflowReferences(repoRoot, workflow, label)).toEqual([]);
  });
});

describe('reusable workflows follow the house rules', () => {
  for (const file of workflowFiles(repoRoot)) {
    const workflow = read(file) as Workflow & {
      permissions?: unknown;
      jobs: Record<string, Record<string, unknown>>;
    };
    it(`${file}: least-privilege permissions, timeouts, pinned third-party actions`, () => {
      expect(workflow.permissions).toEqual({ contents: 'read' });
      for (const [id, job] of Object.entries(workflow.jobs)) {
        if (!job.uses)
          expect(job['timeout-minutes'], `${file} jobs.${id} timeout-minutes`).toBeGreaterThan(0);
        for (const step of (job.steps as { uses?: string }[] | undefined) ?? []) {
          if (step.uses && !step.uses.startsWith('./'))
            expect(step.uses).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
        }
      }
    });
  }
});

describe("a profile path in the caller's repository exists where it is read", () => {
  type Step = { uses?: string; with?: Record<string, unknown> };
  for (const file of workflowFiles(repoRoot)) {
    const workflow = read(file) as Workflow & { jobs: Record<string, { steps?: Step[] }> };
    it(`${file}: every job that hands an action a profile checks out the caller's repository first`, () => {
      for (const [id, job] of Object.entries(workflow.jobs)) {
        const steps = job.steps ?? [];
        const first = steps.findIndex(
          (step) => step.uses?.startsWith('./') && step.with?.profile !== undefined,
        );
        if (first < 0) continue;
        const callerCheckout = steps
          .slice(0, first)
          .some((step) => step.uses?.startsWith('actions/checkout@') && step.with?.repository === undefined);
        expect(callerCheckout, `${file} jobs.${id}`).toBe(true);
      }
    });
  }
});

describe('taco-ci plan and the workflows agree', () => {
  for (const pipeline of PIPELINES) {
    for (const { file, jobs } of pipeline.workflows) {
      it(`${pipeline.name}: ${file} defines the jobs the plan lists`, () => {
        expect(Object.keys(read(file).jobs ?? {})).toEqual(jobs.map((j) => j.id));
      });
    }
  }
});
