import { existsSync } from 'node:fs';
import type { PlanNode } from '../lib/plan.js';
import type { Profile } from '../lib/profile/load.js';
import type { RegistrySection } from '../lib/registry/access.js';
import type { RallySection } from './settings.js';

/** The publish step for a profile chart (inputs publish, registry and candidate can change it). */
function publishPlan(profile: Profile, chart: string): PlanNode {
  const registry = profile.section<RegistrySection>('registry')?.url;
  const name = chart
    .replace(/\/+$/, '')
    .split('/')
    .at(-1)!
    .replace(/\.tgz$/, '');
  // As settings.ts decides: a path that exists, or starts with . or /, is local; anything else is a repository chart.
  const local = chart.startsWith('.') || chart.startsWith('/') || existsSync(chart);
  if (!local)
    return {
      title: `publish: ${chart} is a repository chart, which cannot be packaged as tested: the run fails before deploying unless publish is false (or input chart names a directory)`,
    };
  return {
    title: registry
      ? `on a pass (never after a failure, crash or cancel): push the chart to ${registry}/charts/${name}:<Chart.yaml version>-<candidate>`
      : 'publish: no registry.url in the profile: the run fails before deploying unless input registry is set or publish is false',
    details: [
      'the chart directory (or .tgz) is packaged with version <Chart.yaml version>-<candidate> before the deploy, and that package is what helm installs and what is pushed',
      'candidate: input candidate, default c.<UTC yyyymmdd>.<GITHUB_RUN_NUMBER>',
      'OCI chart as Helm pushes it (config application/vnd.cncf.helm.config.v1+json, one chart content layer); tag = version with + as _',
      'immutable: the same package again is left unchanged, another package under that tag is refused (checked before the deploy too)',
      'output chart = {name, version, ref, digest}; publish: false skips all of this',
    ],
  };
}

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
  if (helm.chart) children.push(publishPlan(profile, helm.chart));
  children.push({
    title: helm.keep
      ? 'keep the release and namespace (keep: true)'
      : 'post: helm uninstall and delete the per-run namespace (also on cancel)',
  });
  return { title: 'deploy the chart under test and prove it with Rally', children };
}
