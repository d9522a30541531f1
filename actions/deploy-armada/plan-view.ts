/** The deployment plan as a readable tree (PlanNode) and as JSON (the `plan` output). */
import path from 'node:path';
import { redact } from '../lib/redact.js';
import type { PlanNode } from '../lib/plan.js';
import {
  dependencyNames,
  formatManifestProblem,
  type LoadedManifest,
  type PlannedChart,
} from '../lib/armada/index.js';
import { describeSource } from './charts.js';
import type { EngineName } from './inputs.js';
import type { VerifiedRelease } from './release.js';
import { releaseJson, releasePlanNode } from './release-view.js';

export interface PlanContext {
  loaded: LoadedManifest;
  manifestFile: string;
  engine: EngineName;
  concurrency: number;
  timeoutMs?: number;
  /** Secret values to blank out of the plan. */
  secrets: string[];
  /** Paths are shown relative to this directory (the workspace, or where taco-ci runs). */
  cwd: string;
  /** The release artifact deployed (its rendered manifest is manifestFile). */
  release?: VerifiedRelease;
}

function labels(map: Record<string, string>): string {
  return Object.entries(map)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function chartDetails(chart: PlannedChart): string[] {
  const deps = dependencyNames(chart.dependencies);
  const wait = [`${chart.wait.timeoutS}s`, `labels ${labels(chart.wait.labels)}`];
  if (chart.wait.resources.length)
    wait.push(
      `resources ${chart.wait.resources.map((r) => `${r.type}${r.minReady !== undefined ? ` (min_ready ${r.minReady})` : ''}`).join(', ')}`,
    );
  if (!chart.wait.native) wait.push('no helm --wait');
  const details = [
    `source: ${describeSource(chart.source)}${deps.length ? ` + ${deps.join(', ')} packaged in charts/` : ''}`,
    `wait: ${wait.join('; ')}`,
    `test: ${chart.test.enabled ? `helm test (${chart.test.timeoutS}s${chart.test.cleanup ? ', cleanup' : ''})` : 'disabled'}`,
  ];
  const upgrade: string[] = [];
  if (chart.upgrade.preDelete.length)
    upgrade.push(
      `pre-delete ${chart.upgrade.preDelete.map((h) => `${h.type}${h.name ? ` ${h.name}` : ''}${h.labels ? ` ${labels(h.labels)}` : ''}`).join('; ')}`,
    );
  if (chart.upgrade.noHooks) upgrade.push('no hooks');
  if (chart.upgrade.force) upgrade.push('force');
  if (upgrade.length) details.push(`upgrade: ${upgrade.join(', ')}`);
  if (chart.protected)
    details.push(
      `protected: never deleted${chart.protected.continueProcessing ? ' (continue_processing)' : ''}`,
    );
  const keys = Object.keys(chart.values);
  details.push(`values: ${keys.length ? keys.join(', ') : '(none)'}`);
  return details;
}

export function planTree(context: PlanContext): PlanNode {
  const { loaded, engine } = context;
  const model = loaded.model;
  const file = context.release
    ? `release ${context.release.ref}`
    : path.relative(context.cwd, context.manifestFile) || context.manifestFile;
  const details = [
    `file: ${file}; release prefix ${model.releasePrefix}; engine ${engine}`,
    `${model.groups.length} chart groups, ${model.groups.reduce((n, g) => n + g.charts.length, 0)} releases${context.timeoutMs ? `; deadline ${Math.round(context.timeoutMs / 60_000)}m` : ''}`,
  ];
  if (loaded.placeholdersUsed.length)
    details.push(`placeholders filled: ${loaded.placeholdersUsed.join(', ')}`);
  if (loaded.imageChanges.length)
    details.push(
      `image tags from kolla-bats: ${loaded.imageChanges.length} (${[...new Set(loaded.imageChanges.map((c) => c.chart))].join(', ')})`,
    );
  if (model.unused.length)
    details.push(`not deployed (in no group of this manifest): ${model.unused.join(', ')}`);
  for (const warning of loaded.warnings.filter((w) => w.severity === 'warning'))
    details.push(`warning: ${formatManifestProblem(warning, context.cwd)}`);
  const tree: PlanNode = {
    title: `Armada manifest ${model.manifest}`,
    details,
    children: [
      ...(context.release ? [releasePlanNode(context.release)] : []),
      ...model.groups.map((group, i) => ({
        title: `${i + 1}. ${group.name} — ${group.sequenced ? 'sequenced' : engine === 'helm' ? `parallel, up to ${context.concurrency} at once` : 'parallel'}`,
        details: group.description ? [group.description] : undefined,
        children: group.charts.map((chart) => ({
          title: `${chart.release} ← chart ${chart.chartName} in ${chart.namespace}`,
          details: chartDetails(chart),
        })),
      })),
    ],
  };
  return JSON.parse(redact(JSON.stringify(tree), context.secrets)) as PlanNode;
}

/**
 * The plan as JSON: everything the tree shows, plus each chart's final values (secrets blanked)
 * unless `values` is false (the `plan` output stays small; `plan-file` has them).
 */
export function planJson(context: PlanContext, { values = true }: { values?: boolean } = {}): object {
  const { loaded } = context;
  const model = loaded.model;
  const plan = {
    manifest: model.manifest,
    file: context.manifestFile,
    ...(context.release ? { release: releaseJson(context.release) } : {}),
    engine: context.engine,
    releasePrefix: model.releasePrefix,
    groups: model.groups.map((group) => ({
      name: group.name,
      description: group.description,
      sequenced: group.sequenced,
      charts: group.charts.map((chart) => ({
        release: chart.release,
        chart: chart.chartName,
        document: chart.document,
        namespace: chart.namespace,
        source: chart.source,
        dependencies: dependencyNames(chart.dependencies),
        wait: chart.wait,
        test: chart.test,
        install: chart.install,
        upgrade: chart.upgrade,
        protected: chart.protected ?? null,
        ...(values ? { values: chart.values } : {}),
      })),
    })),
    notDeployed: model.unused,
    imageTags: loaded.imageChanges,
    placeholders: loaded.placeholdersUsed,
    warnings: loaded.warnings
      .filter((w) => w.severity === 'warning')
      .map((w) => formatManifestProblem(w, context.cwd)),
  };
  return JSON.parse(redact(JSON.stringify(plan), context.secrets)) as object;
}
