import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanNode, StagePlanner } from '../lib/plan.js';
import type { Profile } from '../lib/profile/load.js';
import type { ActionName } from './registry.js';

/** The pipelines of the suite and the actions each runs, in order (mirrors the reusable workflows). */
export const PIPELINES: { name: string; trigger: string; stages: ActionName[] }[] = [
  { name: 'mirror', trigger: 'schedule (mirror-sync.yml)', stages: ['mirror-sync'] },
  {
    name: 'unit',
    trigger: 'push / pull_request (unit-kolla.yml, unit-helm.yml)',
    stages: ['kolla-bats', 'helm-rally'],
  },
  {
    name: 'nightly',
    trigger: 'schedule (nightly.yml)',
    stages: ['deploy-armada', 'tempest', 'cookiemonster'],
  },
  { name: 'promote', trigger: 'workflow_dispatch (promote.yml)', stages: ['promote-version'] },
];

const here = path.dirname(fileURLToPath(import.meta.url));

async function stagePlan(action: ActionName, profile: Profile): Promise<PlanNode> {
  const source = path.join(here, '..', action, 'plan.ts');
  if (!existsSync(source)) {
    return { title: action, details: ['(this action has no planner yet: nothing to show)'] };
  }
  const { plan } = (await import(`../${action}/plan.js`)) as { plan: StagePlanner };
  const node = await plan(profile);
  return { ...node, title: `${action}: ${node.title}` };
}

export async function buildPlan(profile: Profile, only?: string): Promise<PlanNode> {
  const pipelines = PIPELINES.filter((p) => !only || p.name === only);
  const children: PlanNode[] = [];
  for (const pipeline of pipelines) {
    const stages: PlanNode[] = [];
    for (const action of pipeline.stages) stages.push(await stagePlan(action, profile));
    children.push({ title: `${pipeline.name} pipeline — ${pipeline.trigger}`, children: stages });
  }
  return {
    title: `Plan for profile ${profile.name} (${profile.files.map((f) => path.relative(process.cwd(), f) || f).join(' ← ')})`,
    children,
  };
}
