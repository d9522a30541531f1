import { spawnSync } from 'node:child_process';
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
        d: { uses: 'taco/actions/.github/workflows/mirror-sync.yml@v1' },
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
      'w jobs.d: taco/actions/.github/workflows/mirror-sync.yml@v1 requires secret MIRROR_TOKEN',
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

describe('reusable workflows warn when taco/actions runs from a moving ref', () => {
  type Step = { uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, string> };
  const script = path.join(repoRoot, 'scripts', 'check-actions-ref.sh');
  const check = (ref: string) =>
    spawnSync(script, [], { env: { PATH: process.env.PATH, ACTIONS_REF: ref }, encoding: 'utf8' });

  for (const file of workflowFiles(repoRoot)) {
    const wf = read(file) as Workflow & {
      on: Record<string, { inputs?: Record<string, unknown> } | null>;
    };
    if (!wf.on.workflow_call?.inputs?.['actions-ref']) continue;
    it(`${file}: a job checks actions-ref with scripts/check-actions-ref.sh after checking taco/actions out`, () => {
      const checks = Object.values(wf.jobs ?? {}).flatMap((job) => {
        const steps = (job.steps ?? []) as Step[];
        const at = steps.findIndex((s) => s.run?.trim() === '.taco-actions/scripts/check-actions-ref.sh');
        if (at < 0) return [];
        const checkout = steps.slice(0, at).find((s) => s.with?.repository === 'taco/actions');
        return [{ checkout: checkout?.with, env: steps[at].env }];
      });
      expect(checks.length, file).toBeGreaterThan(0);
      for (const { checkout, env } of checks) {
        expect(checkout?.path).toBe('.taco-actions');
        // The ref it judges is the ref the actions were checked out at.
        expect(env?.ACTIONS_REF).toBe(checkout?.ref);
      }
    });
  }

  it('the script warns for a tag or a short SHA and is silent for a full commit SHA', () => {
    for (const ref of ['v1', 'main', '0123abc', 'refs/tags/v1.2.0']) {
      const result = check(ref);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(
        `::warning::taco/actions code runs from '${ref}', a moving ref: pass actions-ref with the commit SHA this workflow is pinned to\n`,
      );
    }
    const pinned = check('0123456789abcdef0123456789abcdef01234567');
    expect([pinned.status, pinned.stdout]).toEqual([0, '']);
    const unset = spawnSync(script, [], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(unset.status).not.toBe(0);
    expect(unset.stderr).toContain('ACTIONS_REF is not set');
  });
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

/**
 * Issue 17, finding 3: the Kubernetes-facing jobs run on their stage scale sets (docs/runners.md),
 * each picked by its own `runs-on` input, and no job receives a credential it does not use.
 */
describe('stage jobs: their own runners, only the credentials they use', () => {
  type Job = {
    'runs-on'?: string;
    env?: Record<string, string>;
    steps?: { env?: unknown; with?: unknown }[];
  };
  const workflow = (file: string) =>
    read(file) as Workflow & {
      on: {
        workflow_call: { inputs: Record<string, { default?: string }>; secrets?: Record<string, unknown> };
      };
      env?: Record<string, string>;
      jobs: Record<string, Job>;
    };
  /** job → [its runs-on input, the default runner (docs/runners.md), the secrets it uses]. */
  const STAGES: Record<string, Record<string, [string, string[], string[]]>> = {
    '.github/workflows/nightly.yml': {
      // The Armada manifest's passwords (the built-in profiles' armada.variables and tokens).
      deploy: [
        'deploy-runs-on',
        ['taco-dev-deploy-armada'],
        [
          'REGISTRY_PASSWORD',
          'REGISTRY_USERNAME',
          'TACO_CEPH_ADMIN_KEYRING',
          'TACO_KEYSTONE_ADMIN_PASSWORD',
          'TACO_MARIADB_ADMIN_PASSWORD',
          'TACO_RABBITMQ_ADMIN_PASSWORD',
        ],
      ],
      tempest: ['tempest-runs-on', ['self-hosted', 'taco', 'dev'], ['OS_PASSWORD', 'TEMPEST_ADMIN_PASSWORD']],
      // The Rally deployment the chaos load runs against reads the Keystone admin password.
      cookiemonster: [
        'chaos-runs-on',
        ['taco-dev-cookiemonster'],
        ['OS_PASSWORD', 'TACO_KEYSTONE_ADMIN_PASSWORD'],
      ],
      shards: ['runs-on', ['self-hosted', 'taco', 'dev'], []],
      'tempest-report': ['runs-on', ['self-hosted', 'taco', 'dev'], []],
    },
    '.github/workflows/unit-helm.yml': {
      rally: ['helm-runs-on', ['taco-dev-helm-rally'], ['REGISTRY_PASSWORD', 'REGISTRY_USERNAME']],
      changes: ['runs-on', ['self-hosted', 'taco', 'dev'], []],
      published: ['runs-on', ['self-hosted', 'taco', 'dev'], []],
    },
  };
  const secretsOf = (value: unknown) =>
    [
      ...new Set(
        [...JSON.stringify(value ?? {}).matchAll(/secrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]),
      ),
    ].sort();

  for (const [file, jobs] of Object.entries(STAGES)) {
    for (const [id, [input, runner, secrets]] of Object.entries(jobs)) {
      it(`${file} jobs.${id}: runs-on from input ${input} (default ${runner.join(',')}), secrets ${secrets.join(', ') || 'none'}`, () => {
        const wf = workflow(file);
        const job = wf.jobs[id];
        expect(job['runs-on']).toContain(`inputs.${input}`);
        expect(JSON.parse(wf.on.workflow_call.inputs[input].default!)).toEqual(runner);
        // Scheduled and dispatched runs have no inputs: their fallback is the same runner.
        if ('schedule' in wf.on || 'workflow_dispatch' in wf.on)
          expect(job['runs-on']).toContain(`'${JSON.stringify(runner)}'`);
        expect(secretsOf(job)).toEqual(secrets);
        // Only the steps that use them see them: never the job's (or the workflow's) environment.
        expect(secretsOf(job.env)).toEqual([]);
        expect(secretsOf(wf.env)).toEqual([]);
      });
    }
  }

  it('no workflow passes a kubeconfig secret: stage runners use their own service accounts', () => {
    for (const file of workflowFiles(repoRoot)) {
      const text = readFileSync(path.join(repoRoot, file), 'utf8');
      expect(text, file).not.toMatch(/secrets\.[A-Z_]*KUBECONFIG/);
      expect(text, file).not.toMatch(/secrets: inherit/);
    }
  });

  it('the cookiemonster job gets no deploy rights: another runner than deploy, no registry or kube secret', () => {
    const wf = workflow('.github/workflows/nightly.yml');
    expect(wf.jobs.cookiemonster['runs-on']).not.toEqual(wf.jobs.deploy['runs-on']);
    expect(wf.on.workflow_call.secrets).not.toHaveProperty('KUBECONFIG');
    expect(secretsOf(wf.jobs.cookiemonster)).not.toContain('REGISTRY_PASSWORD');
  });
});
