/**
 * `helm dependency update` for what a CI can do offline: dependencies from `file://` repositories
 * (openstack-helm's `file://../helm-toolkit`) are packaged from their directories, recursively,
 * and replace whatever charts/ held for them; any other dependency must already be vendored under
 * charts/. Every vendored version must satisfy the declared constraint.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { UserError } from '../errors.js';
import type { ChartDependency } from './chart-yaml.js';
import type { LoadedChart } from './load.js';

/** Loads a chart directory with its dependencies vendored; `stack` holds the directories being packaged. */
export type ChartDirLoader = (dir: string, stack: string[]) => Promise<LoadedChart>;

export async function vendorDependencies(
  chart: LoadedChart,
  dir: string,
  stack: string[],
  loadDir: ChartDirLoader,
): Promise<void> {
  for (const dep of chart.dependencies) {
    const repository = dep.repository ?? '';
    if (repository.startsWith('file://')) {
      const depDir = path.resolve(dir, repository.slice('file://'.length));
      if (stack.includes(depDir)) {
        throw new UserError(`${dep.where}: dependency cycle: ${[...stack, depDir].join(' -> ')}`);
      }
      const isDir = await stat(path.join(depDir, 'Chart.yaml')).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!isDir) {
        throw new UserError(
          `${dep.where}: repository ${repository} resolves to ${depDir}, which holds no Chart.yaml`,
        );
      }
      const sub = await loadDir(depDir, [...stack, depDir]);
      if (sub.metadata.name !== dep.name) {
        throw new UserError(
          `${dep.where}: ${repository} holds the chart ${JSON.stringify(sub.metadata.name)}, not ${JSON.stringify(dep.name)}`,
        );
      }
      checkVersion(dep, sub.metadata.version, depDir);
      chart.subcharts = [...chart.subcharts.filter((s) => s.metadata.name !== dep.name), sub];
    } else {
      const vendored = chart.subcharts.find((s) => s.metadata.name === dep.name);
      if (!vendored) {
        throw new UserError(
          `${dep.where}: the dependency comes from ${repository ? `repository ${repository}` : 'no repository'} ` +
            `and is not vendored under ${path.join(dir, 'charts')}/ (only file:// dependencies are fetched; ` +
            `vendor it with helm dependency update or point it at a file:// directory)`,
        );
      }
      checkVersion(dep, vendored.metadata.version, vendored.what);
    }
  }
}

/** Helm (Masterminds semver) constraints: `>= 0.1.0`, `^1.2`, `~1.2.3`, `1.x`, comma for AND, `||` for OR. */
export function satisfiesConstraint(version: string, constraint: string): boolean | undefined {
  const range = semver.validRange(constraint.replace(/,/g, ' '));
  if (range === null) return undefined;
  return semver.satisfies(version, range);
}

function checkVersion(dep: ChartDependency, version: string, where: string): void {
  if (!dep.version) return;
  const ok = satisfiesConstraint(version, dep.version);
  if (ok === undefined) {
    throw new UserError(
      `${dep.where}: key "version": expected a semver constraint, got ${JSON.stringify(dep.version)}`,
    );
  }
  if (!ok) {
    throw new UserError(
      `${dep.where}: version constraint ${JSON.stringify(dep.version)} is not satisfied by ${dep.name} ${version} (${where})`,
    );
  }
}
