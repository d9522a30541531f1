/**
 * Publishing the chart helm-rally proved: the candidate version, the publish settings (from the
 * inputs and the profile's `registry` section), packaging before the deploy and the push after a
 * pass. The same package bytes are deployed and pushed, so the registry holds what was tested.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import {
  type ChartPackage,
  type PushedChart,
  chartTag,
  packageChart,
  pushChart,
  readChartPackage,
  reversionChart,
} from '../lib/charts/index.js';
import { UserError } from '../lib/errors.js';
import type { Profile } from '../lib/profile/load.js';
import { type RegistryAccess, resolveRegistryAccess } from '../lib/registry/access.js';
import type { RegistryClient } from '../lib/registry/client.js';
import { RegistryError } from '../lib/registry/errors.js';
import { isValidTag } from '../lib/registry/reference.js';
import { type HelmRallyInputs, Inputs } from './inputs.js';

/** Where charts go (`<host>/<namespace>/charts/<name>`), how to log in, and what. */
export interface PublishSettings extends RegistryAccess {
  /** The candidate label: the version pushed is `<Chart.yaml version>-<candidate>`. */
  candidate: string;
  /** The chart under test: a chart directory, or a packaged chart (.tgz) that is re-versioned. */
  source: { kind: 'directory' | 'package'; path: string };
}

/** What is packaged before the deploy: the deploy installs `file`, the push sends `pkg`. */
export interface PreparedChart {
  pkg: ChartPackage;
  /** The package written to disk for helm. */
  file: string;
  /** The version in the chart under test, before the candidate was added. */
  baseVersion: string;
}

/** The `chart` output: `{name, version, ref, digest}`. */
export interface ChartOutput {
  name: string;
  version: string;
  ref: string;
  digest: string;
}

const PRERELEASE_IDENTIFIER = /^(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)$/;

/**
 * Checks that `candidate` can follow a version as its semver pre-release (dot-separated
 * identifiers of [0-9A-Za-z-], numeric ones without leading zeros); `what` names the input.
 */
export function validateCandidate(candidate: string, what: string): string {
  const bad = candidate
    .split('.')
    .filter((identifier) => !PRERELEASE_IDENTIFIER.test(identifier))
    .map((identifier) => JSON.stringify(identifier));
  if (candidate === '' || bad.length || !semver.valid(`0.0.0-${candidate}`)) {
    throw new UserError(
      `${what}: ${JSON.stringify(candidate)} cannot be a semver pre-release (expected dot-separated identifiers of letters, digits and '-', numbers without leading zeros, e.g. c.20261124.7)${bad.length ? `; bad part${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}` : ''}`,
    );
  }
  return candidate;
}

/**
 * `c.<UTC yyyymmdd>.<GITHUB_RUN_NUMBER>` in GitHub Actions (a re-run attempt gets the same label, so
 * its push is a no-op); outside Actions `c.<yyyymmdd>.local-<hhmmss>`.
 */
export function defaultCandidate(
  env: Readonly<Record<string, string | undefined>>,
  now = new Date(),
): string {
  const iso = now.toISOString();
  const day = iso.slice(0, 10).replace(/-/g, '');
  const run = env.GITHUB_RUN_NUMBER?.trim();
  if (run && /^[1-9][0-9]*$/.test(run)) return `c.${day}.${run}`;
  return `c.${day}.local-${iso.slice(11, 19).replace(/:/g, '')}`;
}

/**
 * `<version>-<candidate>`: the candidate becomes (the end of) the pre-release, before any build
 * metadata. `chartWhat` names the Chart.yaml for a version that is not semver.
 */
export function candidateVersion(version: string, candidate: string, chartWhat: string): string {
  if (!semver.valid(version)) {
    throw new UserError(
      `${chartWhat}: version ${JSON.stringify(version)} is not a semantic version (Helm requires SemVer 2, e.g. 0.3.1)`,
    );
  }
  const plus = version.indexOf('+');
  const core = plus === -1 ? version : version.slice(0, plus);
  const build = plus === -1 ? '' : version.slice(plus);
  const result = `${core}-${candidate}${build}`;
  if (!semver.valid(result) || !isValidTag(chartTag(result))) {
    throw new UserError(
      `Input '${Inputs.candidate}': ${JSON.stringify(candidate)} makes chart version ${JSON.stringify(result)}, which is not a valid semver version or OCI tag (at most 128 characters)`,
    );
  }
  return result;
}

function isChartDirectory(dir: string): boolean {
  return existsSync(path.join(dir, 'Chart.yaml'));
}

/**
 * The publish settings, or undefined when nothing is published. Everything that can be wrong is
 * found here, before anything is deployed: a chart that cannot be packaged faithfully, no registry,
 * a candidate that makes no semver pre-release, half the credentials.
 */
export function resolvePublishSettings(
  inputs: HelmRallyInputs,
  profile: Profile,
  ctx: { env: Readonly<Record<string, string | undefined>>; setSecret(value: string): void },
  chart: { reference: string; local?: string } | undefined,
): PublishSettings | undefined {
  // A candidate given is checked even when unused: a typo must not wait for the day it matters.
  if (inputs.candidate !== undefined) validateCandidate(inputs.candidate, `Input '${Inputs.candidate}'`);
  // Nothing deployed (Rally against an existing cloud, or mode report): no chart under test to publish.
  if (!inputs.publish || inputs.mode === 'report' || chart === undefined) return undefined;
  const candidate =
    inputs.candidate ??
    validateCandidate(
      defaultCandidate(ctx.env),
      `The default candidate (input '${Inputs.candidate}' not given)`,
    );

  const local = chart.local;
  let source: PublishSettings['source'];
  if (local && statSync(local).isDirectory()) {
    if (!isChartDirectory(local))
      throw new UserError(`Input '${Inputs.chart}': ${chart.reference} is a directory without a Chart.yaml`);
    source = { kind: 'directory', path: local };
  } else if (local && /\.tgz$/.test(local)) {
    source = { kind: 'package', path: local };
  } else {
    throw new UserError(
      `Publishing is on (input '${Inputs.publish}', default true), but chart ${JSON.stringify(chart.reference)} is neither a chart directory nor a packaged chart (.tgz), so it cannot be packaged as what was tested: give a chart directory, or set ${Inputs.publish}: false`,
    );
  }

  // The shared resolver gives the profile's credentials to the profile's registry host only.
  const access = resolveRegistryAccess(ctx, {
    ...(inputs.registry !== undefined ? { registry: inputs.registry } : {}),
    inputNames: { registry: Inputs.registry, username: 'registry.username', password: 'registry.password' },
    profile,
  });
  if (!access) {
    throw new UserError(
      `Publishing is on (input '${Inputs.publish}', default true), but no registry is configured: set input '${Inputs.registry}' or registry.url in profile ${profile.file} (host[:port][/namespace]), or set ${Inputs.publish}: false`,
    );
  }
  return {
    ...access,
    candidate,
    source,
  };
}

/**
 * Packages the chart under test with its candidate version and writes the package into `dir`
 * (helm deploys that file, so the pushed bytes are the tested ones).
 */
export async function prepareChart(settings: PublishSettings, dir: string): Promise<PreparedChart> {
  let pkg: ChartPackage;
  let baseVersion: string;
  if (settings.source.kind === 'directory') {
    const chartYaml = path.join(settings.source.path, 'Chart.yaml');
    let metadata: { version?: unknown };
    try {
      metadata = (parseYaml(readFileSync(chartYaml, 'utf8')) ?? {}) as { version?: unknown };
    } catch (err) {
      throw new UserError(`${chartYaml}: not valid YAML: ${(err as Error).message}`);
    }
    if (typeof metadata.version !== 'string' || metadata.version === '')
      throw new UserError(`${chartYaml}: version: expected the chart's semantic version, e.g. 0.3.1`);
    baseVersion = metadata.version;
    const version = candidateVersion(baseVersion, settings.candidate, chartYaml);
    pkg = await packageChart(settings.source.path, { version });
  } else {
    const original = await readChartPackage(
      readFileSync(settings.source.path),
      `Input '${Inputs.chart}' (${settings.source.path})`,
    );
    baseVersion = original.version;
    const version = candidateVersion(baseVersion, settings.candidate, `${settings.source.path}: Chart.yaml`);
    pkg = await reversionChart(original, version);
  }
  const file = path.join(dir, `${pkg.name}-${pkg.version}.tgz`);
  writeFileSync(file, pkg.bytes);
  return { pkg, file, baseVersion };
}

/**
 * Before the deploy: the registry answers, and the candidate tag is free or already holds exactly
 * this package (a re-run). A tag holding another chart is refused now rather than after the test.
 */
export async function checkChartTag(
  client: RegistryClient,
  settings: PublishSettings,
  prepared: PreparedChart,
): Promise<PushedChart> {
  try {
    return await pushChart(client, settings.location, prepared.pkg, { dryRun: true });
  } catch (err) {
    if (err instanceof RegistryError && err.details.code === 'TAG_TAKEN')
      throw new UserError(
        `${err.message}\nChart ${prepared.pkg.name} ${prepared.pkg.version} is already published with other content: use another '${Inputs.candidate}' or raise the version in Chart.yaml`,
      );
    throw err;
  }
}

/** After a pass: pushes the package (idempotent: the same bytes again are 'unchanged'). */
export async function publishChart(
  client: RegistryClient,
  settings: PublishSettings,
  prepared: PreparedChart,
): Promise<PushedChart> {
  return pushChart(client, settings.location, prepared.pkg);
}

export function chartOutput(pushed: PushedChart): ChartOutput {
  return { name: pushed.name, version: pushed.version, ref: pushed.ref, digest: pushed.digest };
}
