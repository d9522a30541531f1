import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { parseDuration } from '../lib/duration.js';
import { dotted } from '../lib/located.js';
import { UserError } from '../lib/errors.js';
import { maskKubeconfig } from '../lib/kube/mask.js';
import type { Profile } from '../lib/profile/load.js';
import { deploymentForTask, type ProfileRallyDeployment } from '../lib/rally/deployment.js';
import type { RallyDeployment } from '../lib/rally/run.js';
import { isSecretRef, resolveSecret, type SecretRef } from '../lib/secrets.js';
import { KILL_MODES, type KillMode } from './chaos.js';
import { Inputs, type CookiemonsterInputs } from './inputs.js';
import { readLegacyConfig } from './legacy-config.js';
import { randomSeed } from './prng.js';
import {
  DEFAULT_MIN_KILLS,
  allowedNamespaces,
  applyNamespacePolicy,
  parseTargets,
  type TargetSpec,
} from './targets.js';

/** The profile's `cookiemonster:` section (profiles/schema/sections/cookiemonster.json). */
export interface CookiemonsterSection {
  kubeconfig?: string | SecretRef;
  namespaces?: string[];
  targets?: unknown[];
  config?: string;
  duration?: number | string;
  interval?: number | string;
  jitter?: number;
  seed?: string | number;
  slack?: number;
  'min-ready'?: number;
  'max-concurrent-kills'?: number;
  'kill-mode'?: KillMode;
  'grace-period'?: number | string;
  'recovery-timeout'?: number | string;
  'min-availability'?: number;
  'min-kills'?: number;
  'rally-task'?: string;
  'rally-task-args'?: Record<string, unknown>;
}

export interface ChaosSettings {
  kubeconfig?: string;
  namespaces: string[];
  targets: TargetSpec[];
  durationMs: number;
  intervalMs: number;
  jitter: number;
  seed: string;
  /** False when the seed was generated for this run. */
  seedGiven: boolean;
  maxConcurrentKills: number;
  killMode: KillMode;
  gracePeriodSeconds?: number;
  recoveryTimeoutMs: number;
  minAvailabilityPercent: number;
  rallyTask?: string;
  rallyTaskArgs?: Record<string, unknown>;
  /** The Rally env of the load: the profile's rally.deployment (the cloud the chaos disturbs). */
  rallyDeployment?: RallyDeployment;
  dryRun: boolean;
  /** Where the targets came from (for the plan and the log). */
  targetSource: string;
  warnings: string[];
}

export const DEFAULTS = {
  durationMs: 600_000,
  intervalMs: 60_000,
  jitter: 0.2,
  maxConcurrentKills: 1,
  killMode: 'delete' as KillMode,
  recoveryTimeoutMs: 300_000,
  minAvailabilityPercent: 50,
};

function profileDuration(
  profile: Profile | undefined,
  section: CookiemonsterSection,
  key: keyof CookiemonsterSection,
): number | undefined {
  const value = section[key];
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? Math.round(value * 1000) : parseDuration(String(value));
  if (ms === undefined)
    throw new UserError(
      `${where(profile, key)}: expected a duration such as 90, 30s or 10m, got ${JSON.stringify(value)}`,
    );
  return ms;
}

function where(profile: Profile | undefined, key: string, index?: number): string {
  const keyPath = ['cookiemonster', key, ...(index !== undefined && index >= 0 ? [index] : [])];
  return profile ? profile.where(keyPath) : dotted(keyPath);
}

function rallyWhere(profile: Profile | undefined, key: string): string {
  const keyPath = ['rally', 'deployment', key];
  return profile ? profile.where(keyPath) : dotted(keyPath);
}

/** The Rally env of the load, as helm-rally picks it (deploymentForTask). */
function rallyLoadDeployment(
  taskFile: string,
  profile: Profile | undefined,
  ctx: Pick<ActionContext, 'env' | 'setSecret'>,
): RallyDeployment {
  const section = profile?.section<{ deployment?: ProfileRallyDeployment }>('rally')?.deployment;
  return deploymentForTask(taskFile, section, ctx, (key) => rallyWhere(profile, key));
}

/** Inputs first, then the original config file (for targets, interval, duration), then the profile, then defaults. */
export function resolveSettings(
  inputs: CookiemonsterInputs,
  profile: Profile | undefined,
  ctx: Pick<ActionContext, 'env' | 'setSecret' | 'workspace'>,
  options: { planOnly?: boolean } = {},
): ChaosSettings {
  const section = profile?.section<CookiemonsterSection>('cookiemonster') ?? {};
  const warnings: string[] = [];
  const fromWorkspace = (file: string) => path.resolve(ctx.workspace, file);

  const { targets, targetSource, configFile, legacy } = resolveTargets(
    inputs,
    section,
    profile,
    ctx.workspace,
  );
  warnings.push(...legacy.warnings);
  if (targets.length === 0) throw new UserError(`${targetSource}: no targets to disrupt`);

  const [given, namedIn] = namespaceList(inputs, section, profile, { configFile, legacy });
  const namespaces = allowedNamespaces(given, targets, namedIn);
  const policy = applyNamespacePolicy(targets, namespaces);
  warnings.push(...policy.warnings);
  if (policy.targets.length === 0)
    throw new UserError(
      `${targetSource}: every target is outside the allowed namespaces (${namespaces.join(', ')})`,
    );

  const killMode = resolveKillMode(inputs, section, profile);
  const { gracePeriodMs, durationMs, intervalMs, recoveryTimeoutMs } = resolveTiming(
    inputs,
    section,
    profile,
    legacy,
  );
  const givenSeed = inputs.seed ?? (section.seed !== undefined ? String(section.seed) : undefined);

  const kubeconfig = options.planOnly ? inputs.kubeconfig : resolveKubeconfig(inputs, section, ctx);
  maskKubeconfig(ctx, kubeconfig);

  const rallyTask = inputs.rallyTask ?? section['rally-task'];
  // A dry run starts no Rally load: it resolves none of the deployment's secrets.
  const rallyDeployment =
    rallyTask && !options.planOnly && !inputs.dryRun
      ? rallyLoadDeployment(fromWorkspace(rallyTask), profile, ctx)
      : undefined;
  return {
    kubeconfig,
    namespaces,
    targets: policy.targets,
    durationMs,
    intervalMs,
    jitter: section.jitter ?? DEFAULTS.jitter,
    seed: givenSeed ?? randomSeed(),
    seedGiven: givenSeed !== undefined,
    maxConcurrentKills:
      inputs.maxConcurrentKills ?? section['max-concurrent-kills'] ?? DEFAULTS.maxConcurrentKills,
    killMode,
    gracePeriodSeconds: gracePeriodMs === undefined ? undefined : Math.round(gracePeriodMs / 1000),
    recoveryTimeoutMs,
    minAvailabilityPercent: section['min-availability'] ?? DEFAULTS.minAvailabilityPercent,
    rallyTask: rallyTask ? fromWorkspace(rallyTask) : undefined,
    rallyTaskArgs: section['rally-task-args'],
    ...(rallyDeployment ? { rallyDeployment } : {}),
    dryRun: inputs.dryRun,
    targetSource,
    warnings,
  };
}

interface ResolvedTargets {
  targets: TargetSpec[];
  /** Where they came from, for messages: `input targets`, `config <file>`, `profile <name>`. */
  targetSource: string;
  configFile?: string;
  /** What an original cookiemonster config.yaml also sets. */
  legacy: { namespaces: string[]; intervalMs?: number; durationMs?: number; warnings: string[] };
}

/** The targets: from the input, else an original config file, else the profile. */
function resolveTargets(
  inputs: CookiemonsterInputs,
  section: CookiemonsterSection,
  profile: Profile | undefined,
  workspace: string,
): ResolvedTargets {
  const slack = inputs.slack ?? section.slack;
  const minKills = inputs.minKills ?? section['min-kills'];
  const policyDefaults = { slack, minReady: section['min-ready'], minKills };
  const none = { namespaces: [], warnings: [] };
  const configFile = inputs.config ?? section.config;
  if (inputs.targets !== undefined) {
    const targets = parseTargets(
      inputs.targets,
      (i, k) => `Input '${Inputs.targets}'${i >= 0 ? ` item ${i + 1}` : ''}${k ? ` key '${k}'` : ''}`,
      policyDefaults,
    );
    return { targets, targetSource: `input ${Inputs.targets}`, configFile, legacy: none };
  }
  if (configFile) {
    const legacy = readLegacyConfig(path.resolve(workspace, configFile));
    const targets = legacy.targets.map((t) => ({
      ...t,
      slack: t.slack ?? slack,
      minReady: t.minReady ?? section['min-ready'],
      minKills: minKills ?? t.minKills,
    }));
    return { targets, targetSource: `config ${configFile}`, configFile, legacy };
  }
  if (section.targets) {
    const targets = parseTargets(
      section.targets,
      (i, k) => `${where(profile, 'targets', i)}${k ? `.${k}` : ''}`,
      policyDefaults,
    );
    return { targets, targetSource: `profile ${profile?.name}`, configFile, legacy: none };
  }
  throw new UserError(
    `No targets: set the '${Inputs.targets}' input, the '${Inputs.config}' input (an original cookiemonster config.yaml) or cookiemonster.targets in the profile`,
  );
}

/** How long, how often, and how patient: inputs, else the original config file, else the profile. */
function resolveTiming(
  inputs: CookiemonsterInputs,
  section: CookiemonsterSection,
  profile: Profile | undefined,
  legacy: ResolvedTargets['legacy'],
): { gracePeriodMs?: number; durationMs: number; intervalMs: number; recoveryTimeoutMs: number } {
  const gracePeriodMs = inputs.gracePeriodMs ?? profileDuration(profile, section, 'grace-period');
  const durationMs =
    inputs.durationMs ??
    legacy.durationMs ??
    profileDuration(profile, section, 'duration') ??
    DEFAULTS.durationMs;
  const intervalMs =
    inputs.intervalMs ??
    legacy.intervalMs ??
    profileDuration(profile, section, 'interval') ??
    DEFAULTS.intervalMs;
  if (intervalMs <= 0) throw new UserError(`Interval must be longer than 0, got ${intervalMs} ms`);
  const recoveryTimeoutMs =
    inputs.recoveryTimeoutMs ??
    profileDuration(profile, section, 'recovery-timeout') ??
    DEFAULTS.recoveryTimeoutMs;
  return { gracePeriodMs, durationMs, intervalMs, recoveryTimeoutMs };
}

/** The allowed namespaces and where they were named: the input, the original config file, the profile. */
function namespaceList(
  inputs: CookiemonsterInputs,
  section: CookiemonsterSection,
  profile: Profile | undefined,
  from: Pick<ResolvedTargets, 'configFile' | 'legacy'>,
): [namespaces: string[], what: string] {
  if (inputs.namespaces.length) return [inputs.namespaces, `Input '${Inputs.namespaces}'`];
  if (from.legacy.namespaces.length) return [from.legacy.namespaces, `config ${from.configFile}`];
  return [section.namespaces ?? [], where(profile, 'namespaces')];
}

function resolveKillMode(
  inputs: CookiemonsterInputs,
  section: CookiemonsterSection,
  profile: Profile | undefined,
): KillMode {
  const killMode = inputs.killMode ?? section['kill-mode'] ?? DEFAULTS.killMode;
  if (!(KILL_MODES as readonly string[]).includes(killMode)) {
    throw new UserError(
      `${inputs.killMode ? `Input '${Inputs.killMode}'` : where(profile, 'kill-mode')}: expected one of ${KILL_MODES.join(', ')}, got ${JSON.stringify(killMode)}`,
    );
  }
  return killMode as KillMode;
}

/** The kubeconfig input, else the profile's (text, or a secret reference that must be set). */
function resolveKubeconfig(
  inputs: CookiemonsterInputs,
  section: CookiemonsterSection,
  ctx: Pick<ActionContext, 'env' | 'setSecret'>,
): string | undefined {
  if (inputs.kubeconfig !== undefined || section.kubeconfig === undefined) return inputs.kubeconfig;
  return isSecretRef(section.kubeconfig)
    ? resolveSecret(ctx, 'cookiemonster.kubeconfig', undefined, section.kubeconfig, { required: true })
    : section.kubeconfig;
}

/** One line per target, for logs and the plan. */
export function describeTarget(t: TargetSpec, namespaces: string[] = []): string {
  const what = t.name
    ? `${t.kind} ${t.name}`
    : t.selector
      ? `${t.kind}s matching ${t.selector}`
      : `${t.pickOne ? 'a random' : 'every'} ${t.kind}`;
  const guard = [
    t.quorum ? 'quorum' : undefined,
    t.minReady !== undefined ? `min-ready ${t.minReady}` : undefined,
    t.slack !== undefined ? `slack ${t.slack}` : undefined,
    t.exclude.length ? `excluding ${t.exclude.join(', ')}` : undefined,
    t.optional ? 'optional' : undefined,
    t.minKills !== DEFAULT_MIN_KILLS ? `min-kills ${t.minKills}` : undefined,
  ].filter(Boolean);
  return `${what} in ${t.namespace ?? (namespaces.join(', ') || 'every listed namespace')}: ${t.podsPerTick} pod(s) per tick${guard.length ? ` (${guard.join(', ')})` : ''}`;
}
