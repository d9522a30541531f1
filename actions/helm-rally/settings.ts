import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDuration } from '../lib/duration.js';
import { UserError } from '../lib/errors.js';
import type { Profile } from '../lib/profile/load.js';
import {
  deploymentForTask,
  type ProfileRallyDeployment,
  resolveSpecSecrets,
} from '../lib/rally/deployment.js';
import type { RallyDeployment } from '../lib/rally/index.js';
import { type PublishSettings, resolvePublishSettings } from './chart-publish.js';
import { type HelmRallyInputs, Inputs, type Mode } from './inputs.js';

/** The profile's `rally` section (profiles/schema/sections/rally.json). */
export interface RallySection {
  task?: string;
  'task-args'?: Record<string, unknown>;
  timeout?: string | number;
  deployment?: ProfileRallyDeployment;
  helm?: {
    chart?: string;
    binary?: string;
    version?: string;
    'namespace-prefix'?: string;
    values?: Record<string, unknown>;
    'values-files'?: string[];
    'image-tags'?: Record<string, string>;
    timeout?: string | number;
    keep?: boolean;
  };
}

export interface DeploySettings {
  chart: string;
  chartVersion?: string;
  release: string;
  namespace: string;
  /** True when the namespace was made up for this run: the post step deletes it. */
  perRunNamespace: boolean;
  /** Profile values, then image tags: written to files by the deploy step. */
  values: Record<string, unknown>;
  /** Values files (absolute), applied after `values`. */
  valuesFiles: string[];
  kubeconfig?: string;
  helmBinary: string;
  /** The profile's pin on the helm version (a semver range). */
  helmVersion?: string;
  timeoutMs: number;
  keep: boolean;
}

export interface HelmRallySettings {
  mode: Mode;
  /** Undefined: nothing to deploy (Rally against an existing cloud, or report mode). */
  deploy?: DeploySettings;
  /** Absolute task file (mode rally). */
  taskFile?: string;
  taskArgs: Record<string, unknown>;
  /** The Rally env; secrets in its spec are resolved. */
  deployment: RallyDeployment;
  /** Absolute report file (mode report). */
  rallyReport?: string;
  timeoutMs: number;
  /** Undefined: nothing is published (publish: false, or nothing deployed with publish defaulted). */
  publish?: PublishSettings;
}

export interface SettingsContext {
  env: Readonly<Record<string, string | undefined>>;
  workspace: string;
  setSecret(value: string): void;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_DEPLOY_TIMEOUT_MS = 15 * 60_000;

function profileDuration(
  profile: Profile,
  keyPath: string[],
  value: string | number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const ms = typeof value === 'number' ? value * 1000 : parseDuration(value);
  if (ms === undefined)
    throw new UserError(
      `${profile.where(keyPath)}: expected a duration such as 90, 30s or 10m, got ${JSON.stringify(value)}`,
    );
  return ms;
}

/** An existing file, relative to the workspace; `what` names the input or profile key in errors. */
function existingFile(workspace: string, file: string, what: string): string {
  const absolute = path.resolve(workspace, file);
  if (!existsSync(absolute) || !statSync(absolute).isFile())
    throw new UserError(`${what}: file ${file} does not exist (looked for ${absolute})`);
  return absolute;
}

/** A DNS-1123 label: lower-case alphanumerics and '-', at most 63 characters. */
export function dnsLabel(text: string): string {
  const label = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return label || 'x';
}

/** `<prefix>-<run id>-<attempt>`, or a random suffix outside GitHub Actions. */
export function perRunNamespace(prefix: string, env: Readonly<Record<string, string | undefined>>): string {
  const id = env.GITHUB_RUN_ID
    ? `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`
    : `local-${Date.now().toString(36)}`;
  return dnsLabel(`${prefix}-${id}`);
}

/** A release name from a chart reference: its base name without version or archive suffix. */
export function releaseFromChart(chart: string): string {
  const base = path
    .basename(chart.replace(/\/+$/, ''))
    .replace(/\.tgz$/, '')
    .replace(/-\d+\.\d+\.\d+.*$/, '');
  return dnsLabel(base).slice(0, 53);
}

export function resolveSettings(
  inputs: HelmRallyInputs,
  profile: Profile,
  ctx: SettingsContext,
): HelmRallySettings {
  const section = profile.section<RallySection>('rally') ?? {};
  const timeoutMs =
    inputs.timeoutMs ?? profileDuration(profile, ['rally', 'timeout'], section.timeout, DEFAULT_TIMEOUT_MS);
  const chart = inputs.chart ?? section.helm?.chart;
  if (!chart && inputs.mode === 'helm-test')
    throw new UserError(
      `Input '${Inputs.chart}': mode helm-test deploys a chart and runs its tests, but no chart was given (input or profile rally.helm.chart)`,
    );
  const chartUnderTest = chart && inputs.mode !== 'report' ? resolveChart(chart, ctx.workspace) : undefined;
  const deploy = chartUnderTest && resolveDeploy(inputs, profile, ctx, chartUnderTest);
  // Before the task file and the Rally env: a run that cannot publish must not start at all.
  const publish = resolvePublishSettings(inputs, profile, ctx, chartUnderTest);
  const taskFile =
    inputs.mode === 'rally' ? resolveTaskFile(inputs, section, profile, ctx.workspace) : undefined;
  const rallyReport = inputs.mode === 'report' ? resolveRallyReport(inputs, ctx.workspace) : undefined;
  const deployment = resolveDeployment(inputs.mode, taskFile, section, profile, ctx);

  return {
    mode: inputs.mode,
    ...(deploy ? { deploy } : {}),
    ...(taskFile ? { taskFile } : {}),
    // Task arguments may carry secrets too (a password for a users context): {env: VAR} works
    // here, resolved only when a task runs.
    taskArgs: {
      ...(inputs.mode === 'rally'
        ? (resolveSpecSecrets(
            section['task-args'] ?? {},
            ctx,
            profile.where(['rally', 'task-args']),
          ) as Record<string, unknown>)
        : {}),
      ...inputs.taskArgs,
    },
    deployment,
    ...(rallyReport ? { rallyReport } : {}),
    timeoutMs,
    ...(publish ? { publish } : {}),
  };
}

interface ChartUnderTest {
  reference: string;
  local?: string;
}

/** A local chart must exist; anything else is a repository reference helm resolves. */
function resolveChart(chart: string, workspace: string): ChartUnderTest {
  const chartDir = path.resolve(workspace, chart);
  const isLocal = chart.startsWith('.') || chart.startsWith('/') || existsSync(chartDir);
  if (isLocal && !existsSync(chartDir))
    throw new UserError(`Input '${Inputs.chart}': chart ${chart} does not exist (looked for ${chartDir})`);
  return { reference: chart, ...(isLocal ? { local: chartDir } : {}) };
}

function resolveDeploy(
  inputs: HelmRallyInputs,
  profile: Profile,
  ctx: SettingsContext,
  chart: ChartUnderTest,
): DeploySettings {
  const helm = profile.section<RallySection>('rally')?.helm ?? {};
  return {
    chart: chart.local ?? chart.reference,
    ...(inputs.chartVersion ? { chartVersion: inputs.chartVersion } : {}),
    release: inputs.release ?? releaseFromChart(chart.reference),
    namespace: inputs.namespace ?? perRunNamespace(helm['namespace-prefix'] ?? 'taco-ci', ctx.env),
    perRunNamespace: inputs.namespace === undefined,
    values: withImageTags({ ...helm.values }, { ...helm['image-tags'], ...inputs.imageTags }),
    valuesFiles: [
      ...(helm['values-files'] ?? []).map((f, i) =>
        existingFile(ctx.workspace, f, profile.where(['rally', 'helm', 'values-files', i])),
      ),
      ...inputs.values.map((f) => existingFile(ctx.workspace, f, `Input '${Inputs.values}'`)),
    ],
    ...(inputs.kubeconfig ? { kubeconfig: inputs.kubeconfig } : {}),
    helmBinary: helm.binary ?? 'helm',
    ...(helm.version ? { helmVersion: helm.version } : {}),
    timeoutMs: profileDuration(
      profile,
      ['rally', 'helm', 'timeout'],
      helm.timeout,
      DEFAULT_DEPLOY_TIMEOUT_MS,
    ),
    keep: inputs.keep ?? helm.keep ?? false,
  };
}

/** The chart's values with `images.tags` extended by the given tags (when there are any). */
function withImageTags(
  values: Record<string, unknown>,
  imageTags: Record<string, string>,
): Record<string, unknown> {
  if (!Object.keys(imageTags).length) return values;
  const images = (typeof values.images === 'object' && values.images !== null ? values.images : {}) as Record<
    string,
    unknown
  >;
  const tags = (typeof images.tags === 'object' && images.tags !== null ? images.tags : {}) as Record<
    string,
    unknown
  >;
  return { ...values, images: { ...images, tags: { ...tags, ...imageTags } } };
}

function resolveTaskFile(
  inputs: HelmRallyInputs,
  section: RallySection,
  profile: Profile,
  workspace: string,
): string {
  if (inputs.task) return existingFile(workspace, inputs.task, `Input '${Inputs.task}'`);
  if (section.task) return existingFile(workspace, section.task, profile.where(['rally', 'task']));
  throw new UserError(
    `Input '${Inputs.task}': mode rally needs a Rally task file (input task or profile rally.task)`,
  );
}

function resolveRallyReport(inputs: HelmRallyInputs, workspace: string): string {
  if (!inputs.rallyReport)
    throw new UserError(
      `Input '${Inputs.rallyReport}': mode report reads an existing Rally JSON report, but none was given`,
    );
  return existingFile(workspace, inputs.rallyReport, `Input '${Inputs.rallyReport}'`);
}

/**
 * The Rally deployment a task needs. Only mode rally uses one, so only it resolves the profile's
 * secrets; a task whose scenarios are all in Rally's default platform (Dummy.*) gets an empty
 * environment, and OpenStack scenarios get the profile's deployment.
 */
function resolveDeployment(
  mode: Mode,
  taskFile: string | undefined,
  section: RallySection,
  profile: Profile,
  ctx: SettingsContext,
): RallyDeployment {
  const name = section.deployment?.name ?? 'taco';
  if (mode !== 'rally' || !taskFile) return { name };
  return deploymentForTask(taskFile, section.deployment, ctx, (key) =>
    profile.where(['rally', 'deployment', key]),
  );
}
