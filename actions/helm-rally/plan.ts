import type { PlanNode } from '../lib/plan.js';
import type { Profile } from '../lib/profile/load.js';
import type { RallySection } from './settings.js';

/** What helm-rally would do with this profile (no input given), for `taco-ci plan`. */
export function plan(profile: Profile): PlanNode {
  const section = profile.section<RallySection>('rally') ?? {};
  const helm = section.helm ?? {};
  const children: PlanNode[] = [];
  if (helm.chart) {
    const tags = Object.entries(helm['image-tags'] ?? {});
    children.push({
      title: `deploy ${helm.chart} with helm upgrade --install --wait (timeout ${String(helm.timeout ?? '15m')})`,
      details: [
        `namespace: ${helm['namespace-prefix'] ?? 'taco-ci'}-<run id>-<attempt> (per run)`,
        ...(Object.keys(helm.values ?? {}).length
          ? [`values: ${Object.keys(helm.values ?? {}).join(', ')}`]
          : []),
        ...(helm['values-files']?.length ? [`values files: ${helm['values-files'].join(', ')}`] : []),
        ...tags.map(([key, ref]) => `image ${key} = ${ref}`),
      ],
    });
  } else {
    children.push({ title: 'no chart in the profile: deploy only when the chart input is given' });
  }
  const deployment = section.deployment ?? {};
  const env = deployment['from-env']
    ? 'from OS_* variables'
    : deployment.spec
      ? `spec with ${Object.keys(deployment.spec).join(', ') || 'no platform'}`
      : 'empty spec (Dummy scenarios only)';
  children.push({
    title: `rally task start ${section.task ?? '<task input>'} (timeout ${String(section.timeout ?? '30m')})`,
    details: [
      `fresh sqlite Rally database, env "${deployment.name ?? 'taco'}" ${env}`,
      ...(Object.keys(section['task-args'] ?? {}).length
        ? [`task args: ${Object.keys(section['task-args'] ?? {}).join(', ')}`]
        : []),
      'verdict: exit 0 = SLA passed, 2 = SLA failed, anything else = Rally crashed',
    ],
  });
  children.push({
    title: helm.keep
      ? 'keep the release and namespace (keep: true)'
      : 'post: helm uninstall and delete the per-run namespace (also on cancel)',
  });
  return { title: 'deploy the chart under test and prove it with Rally', children };
}
