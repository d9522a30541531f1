import path from 'node:path';
import type { PlanNode } from '../lib/plan.js';
import type { Profile } from '../lib/profile/load.js';
import { type ActionName, loadPlanner } from './registry.js';

interface PlannedJob {
  /** The job id in the workflow file. */
  id: string;
  /** The action the job runs, whose planner describes it. */
  action?: ActionName;
  /** What a job without an action of ours does. */
  does?: string;
}

/**
 * The pipelines of the suite, as their reusable workflows define them: every job of every
 * workflow, in order (a test keeps this list and .github/workflows/ in step).
 */
export const PIPELINES: {
  name: string;
  trigger: string;
  workflows: { file: string; jobs: PlannedJob[] }[];
}[] = [
  {
    name: 'mirror',
    trigger: 'schedule, workflow_dispatch, workflow_call',
    workflows: [
      {
        file: '.github/workflows/mirror-sync.yml',
        jobs: [
          { id: 'list', does: "list the profile's mirrors (the matrix)" },
          { id: 'gate', action: 'mirror-sync' },
          { id: 'sync', action: 'mirror-sync' },
        ],
      },
    ],
  },
  {
    name: 'unit',
    trigger: 'push / pull_request of the wrapper repositories (workflow_call)',
    workflows: [
      { file: '.github/workflows/unit-kolla.yml', jobs: [{ id: 'images', action: 'kolla-bats' }] },
      {
        file: '.github/workflows/unit-helm.yml',
        jobs: [
          { id: 'changes', does: 'find the charts the change touches (the matrix)' },
          { id: 'rally', action: 'helm-rally' },
          {
            id: 'published',
            does: 'collect the charts that passed and were published (the `charts` output)',
          },
        ],
      },
    ],
  },
  {
    name: 'nightly',
    trigger: 'schedule, workflow_dispatch, workflow_call',
    workflows: [
      {
        file: '.github/workflows/nightly.yml',
        jobs: [
          {
            id: 'candidate',
            does: 'build the candidate release artifact <registry>/taco-release:<candidate> (promote-version, mode candidate-release)',
          },
          { id: 'deploy', action: 'deploy-armada' },
          { id: 'shards', does: 'split Tempest into shards (the matrix)' },
          { id: 'tempest', action: 'tempest' },
          {
            id: 'tempest-report',
            does: "merge the shards' subunit streams into one verdict (tempest, mode merge)",
          },
          { id: 'cookiemonster', action: 'cookiemonster' },
          {
            id: 'record',
            does: 'record the run and its verdict in the artifact history (promote-version, mode record-nightly)',
          },
          {
            id: 'dashboard',
            does: 'write the artifact history dashboard and publish it as the history-site artifact (promote-version, mode history-site)',
          },
        ],
      },
    ],
  },
  {
    name: 'promote',
    trigger: 'workflow_dispatch in the release environment (required reviewers)',
    workflows: [
      { file: '.github/workflows/promote.yml', jobs: [{ id: 'promote', action: 'promote-version' }] },
    ],
  },
];

async function jobPlan(job: PlannedJob, profile: Profile, cwd: string): Promise<PlanNode> {
  if (!job.action) return { title: `${job.id}: ${job.does}` };
  const node = await loadPlanner(job.action)(profile, cwd);
  const title = node.title.startsWith(job.action) ? node.title : `${job.action} — ${node.title}`;
  return { ...node, title: `${job.id}: ${title}` };
}

export async function buildPlan(profile: Profile, only: string | undefined, cwd: string): Promise<PlanNode> {
  const children: PlanNode[] = [];
  for (const pipeline of PIPELINES.filter((p) => !only || p.name === only)) {
    const workflows: PlanNode[] = [];
    for (const workflow of pipeline.workflows) {
      const jobs: PlanNode[] = [];
      for (const job of workflow.jobs) jobs.push(await jobPlan(job, profile, cwd));
      workflows.push({ title: path.basename(workflow.file), children: jobs });
    }
    children.push({ title: `${pipeline.name} pipeline — ${pipeline.trigger}`, children: workflows });
  }
  const files = profile.files.map((f) => path.relative(cwd, f) || f).join(' ← ');
  return { title: `Plan for profile ${profile.name} (${files})`, children };
}
