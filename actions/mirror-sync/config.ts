import os from 'node:os';
import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { parseDuration } from '../lib/duration.js';
import { UserError } from '../lib/errors.js';
import { checkUrl } from '../lib/git/url.js';
import { loadProfile } from '../lib/profile/load.js';
import { resolveSecret, type SecretRef } from '../lib/secrets.js';
import { Inputs, type MirrorSyncInputs } from './inputs.js';
import type { SandboxSettings } from './gate-sandbox.js';
import { type GatedRefs, readGatedReport } from './gated.js';
import { DEFAULT_REFS, patternProblem } from './ref-patterns.js';

export { checkUrl, urlKind, type UrlKind } from '../lib/git/url.js';

/** The profile's `mirrors:` section (profiles/schema/sections/mirrors.json). */
export interface MirrorsSection {
  'cache-dir'?: string;
  defaults?: MirrorOptions;
  repos?: Record<string, MirrorOptions & { upstream: string; mirror: string }>;
}

export interface MirrorOptions {
  refs?: string[];
  'exclude-refs'?: string[];
  gate?: string;
  'gate-timeout'?: number | string;
  'allow-force'?: boolean | string[];
  prune?: boolean;
  'fail-fast'?: boolean;
  'upstream-token'?: SecretRef;
  'mirror-token'?: SecretRef;
  'ssh-key'?: SecretRef;
}

/** Everything a sync needs, defaults applied and secrets resolved. */
export interface MirrorSyncConfig {
  name: string;
  upstream: string;
  mirror: string;
  refs: string[];
  excludeRefs: string[];
  gate?: string;
  gateTimeoutMs: number;
  /** Job environment variables the gate gets besides PATH, LANG, LC_ALL and TZ. */
  gateEnv: string[];
  /** Where the gate runs: a container image, or the user it runs as (gate-sandbox.ts). */
  gateSandbox: SandboxSettings;
  /** Ref values an earlier job's gate approved (`gated`): push only those, run no gate. */
  gated?: GatedRefs;
  /** Ref patterns whose non-fast-forward updates are accepted. */
  allowForce: string[];
  prune: boolean;
  failFast: boolean;
  upstreamToken?: string;
  mirrorToken?: string;
  sshKey?: string;
  cacheDir: string;
  dryRun: boolean;
  /** Where the settings came from, for the log: `profiles/dev.yaml mirrors.repos.nova`, or `inputs`. */
  source: string;
  /** Environment variables the profile takes secrets from: a gate (upstream code) never sees them. */
  secretEnv: string[];
}

export const DEFAULT_GATE_TIMEOUT_MS = 30 * 60_000;

/** The names in a profile's `mirrors.repos` (a workflow's matrix). */
export function mirrorNames(profileSpec: string | undefined, workspace: string): string[] {
  return Object.keys(loadProfile(profileSpec, workspace).section<MirrorsSection>('mirrors')?.repos ?? {});
}

export function resolveConfig(
  inputs: MirrorSyncInputs,
  ctx: Pick<ActionContext, 'env' | 'setSecret' | 'workspace'>,
): MirrorSyncConfig {
  const source = mirrorSource(inputs, ctx.workspace);
  const { upstream, mirror } = resolveUrls(inputs, source);
  const { refs, excludeRefs, allowForce } = resolveRefs(inputs, source);
  const gate = inputs.gate ?? (source.pick('gate') || undefined);
  if (inputs.gated && inputs.gate)
    throw new UserError(
      `Give either '${Inputs.gate}' or '${Inputs.gated}' (the report of a gate job), not both`,
    );
  const secretEnv = SECRET_KEYS.flatMap((key) => {
    const ref = source.pick(key);
    return ref ? [ref.env] : [];
  });
  return {
    name: inputs.name ?? repositoryName(upstream),
    upstream,
    mirror,
    refs,
    excludeRefs,
    gate: inputs.gated ? undefined : gate,
    gated: inputs.gated
      ? readGatedReport(path.resolve(ctx.workspace, inputs.gated), upstream, mirror, gate !== undefined)
      : undefined,
    gateTimeoutMs: gateTimeout(inputs, source),
    gateEnv: checkGateEnv(inputs.gateEnv ?? [], secretEnv),
    gateSandbox: {
      image: inputs.gateImage,
      engine: inputs.gateEngine,
      network: inputs.gateNetwork,
      user: inputs.gateUser,
    },
    allowForce,
    prune: inputs.prune ?? source.pick('prune') ?? false,
    failFast: inputs.failFast ?? source.pick('fail-fast') ?? false,
    ...resolveSecrets(inputs, source, ctx),
    cacheDir: path.resolve(
      ctx.workspace,
      inputs.cacheDir ?? source.section?.['cache-dir'] ?? defaultCacheDir(ctx.env),
    ),
    dryRun: inputs.dryRun,
    source: source.where,
    secretEnv,
  };
}

const SECRET_KEYS = ['upstream-token', 'mirror-token', 'ssh-key'] as const;

/** Where a mirror's settings come from: its profile entry over the profile's defaults, or inputs alone. */
interface MirrorSource {
  entry?: MirrorOptions & { upstream?: string; mirror?: string };
  section?: MirrorsSection;
  /** `profiles/dev.yaml mirrors.repos.nova`, or `inputs`. */
  where: string;
  /** The entry's value of a setting, else the profile's default. */
  pick<K extends keyof MirrorOptions>(key: K): MirrorOptions[K];
  /** How an error names a setting: `mirrors.repos.nova.refs`, or `input 'refs'`. */
  settingName(key: string): string;
}

function mirrorSource(inputs: MirrorSyncInputs, workspace: string): MirrorSource {
  if (!inputs.name || (inputs.upstream && inputs.mirror)) {
    if (!inputs.upstream || !inputs.mirror) {
      throw new UserError(
        `Give both '${Inputs.upstream}' and '${Inputs.mirror}', or '${Inputs.name}' (with '${Inputs.profile}') to take them from the profile's mirrors.repos`,
      );
    }
    return { where: 'inputs', pick: () => undefined, settingName: (key) => `input '${key}'` };
  }
  const name = inputs.name;
  const profile = loadProfile(inputs.profile, workspace);
  const section = profile.section<MirrorsSection>('mirrors');
  const entry = section?.repos?.[name];
  if (!entry) {
    const known = Object.keys(section?.repos ?? {});
    throw new UserError(
      `${path.relative(workspace, profile.file) || profile.file}: mirrors.repos has no entry ${JSON.stringify(name)}` +
        (known.length ? ` (it has: ${known.join(', ')})` : ' (the profile has no mirrors.repos)'),
    );
  }
  const defaults = section?.defaults ?? {};
  return {
    entry,
    section,
    where: `${profile.file} mirrors.repos.${name}`,
    pick: (key) => entry[key] ?? defaults[key],
    settingName: (key) => `mirrors.repos.${name}.${key}`,
  };
}

function resolveUrls(inputs: MirrorSyncInputs, source: MirrorSource): { upstream: string; mirror: string } {
  const upstream = checkUrl(
    inputs.upstream ?? source.entry?.upstream ?? '',
    inputs.upstream ? `Input '${Inputs.upstream}'` : source.settingName('upstream'),
  );
  const mirror = checkUrl(
    inputs.mirror ?? source.entry?.mirror ?? '',
    inputs.mirror ? `Input '${Inputs.mirror}'` : source.settingName('mirror'),
  );
  if (sameRepository(upstream, mirror))
    throw new UserError(`upstream and mirror are the same repository (${upstream})`);
  return { upstream, mirror };
}

/** The ref patterns to mirror, to leave out and to force-update, each pattern checked. */
function resolveRefs(
  inputs: MirrorSyncInputs,
  source: MirrorSource,
): { refs: string[]; excludeRefs: string[]; allowForce: string[] } {
  const { pick, settingName } = source;
  const refs = inputs.refs ?? pick('refs') ?? [...DEFAULT_REFS];
  const excludeRefs = inputs.excludeRefs ?? pick('exclude-refs') ?? [];
  const allowForceValue = inputs.allowForce ?? pick('allow-force') ?? false;
  const allowForce = allowForceValue === true ? [...refs] : allowForceValue === false ? [] : allowForceValue;
  for (const [what, patterns] of [
    [inputs.refs ? `Input '${Inputs.refs}'` : settingName('refs'), refs],
    [inputs.excludeRefs ? `Input '${Inputs.excludeRefs}'` : settingName('exclude-refs'), excludeRefs],
    [
      inputs.allowForce !== undefined ? `Input '${Inputs.allowForce}'` : settingName('allow-force'),
      allowForce,
    ],
  ] as const) {
    for (const pattern of patterns) {
      const problem = patternProblem(pattern);
      if (problem) throw new UserError(`${what}: ${problem}`);
    }
  }
  if (refs.length === 0) throw new UserError(`${settingName('refs')}: expected at least one ref pattern`);
  return { refs, excludeRefs, allowForce };
}

function gateTimeout(inputs: MirrorSyncInputs, source: MirrorSource): number {
  if (inputs.gateTimeoutMs !== undefined) return inputs.gateTimeoutMs;
  const fromProfile = source.pick('gate-timeout');
  return fromProfile === undefined
    ? DEFAULT_GATE_TIMEOUT_MS
    : (parseDuration(String(fromProfile)) ?? DEFAULT_GATE_TIMEOUT_MS);
}

function resolveSecrets(
  inputs: MirrorSyncInputs,
  source: MirrorSource,
  ctx: Pick<ActionContext, 'env' | 'setSecret'>,
): Pick<MirrorSyncConfig, 'upstreamToken' | 'mirrorToken' | 'sshKey'> {
  const secret = (key: (typeof SECRET_KEYS)[number]) =>
    // A secret the profile names must be there: running on without it would only fail later, less clearly.
    resolveSecret(
      ctx,
      inputs[camel(key)] ? `Input '${key}'` : source.settingName(key),
      inputs[camel(key)],
      source.pick(key),
      { required: source.pick(key) !== undefined },
    );
  return {
    upstreamToken: secret('upstream-token'),
    mirrorToken: secret('mirror-token'),
    sshKey: secret('ssh-key'),
  };
}

function defaultCacheDir(env: Record<string, string | undefined>): string {
  return path.join(
    env.RUNNER_TOOL_CACHE || env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
    'taco-mirror-sync',
  );
}

/** Names that carry credentials or runner state: `gate-env` cannot hand them to upstream code. */
const NEVER_TO_A_GATE =
  /^(INPUT_|STATE_|ACTIONS_|GITHUB_TOKEN$|GH_TOKEN$|GIT_CONFIG_|GIT_SSH|SSH_AUTH_SOCK$|DOCKER_CONFIG$|KUBECONFIG$)/;

function checkGateEnv(names: string[], secretEnv: readonly string[]): string[] {
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UserError(`Input '${Inputs.gateEnv}': ${JSON.stringify(name)} is not a variable name`);
    if (NEVER_TO_A_GATE.test(name) || secretEnv.includes(name))
      throw new UserError(
        `Input '${Inputs.gateEnv}': ${name} carries credentials or runner state; a gate runs upstream code and never gets it`,
      );
  }
  return names;
}

function camel(
  key: 'upstream-token' | 'mirror-token' | 'ssh-key',
): 'upstreamToken' | 'mirrorToken' | 'sshKey' {
  return key === 'upstream-token' ? 'upstreamToken' : key === 'mirror-token' ? 'mirrorToken' : 'sshKey';
}

function sameRepository(a: string, b: string): boolean {
  const norm = (u: string) =>
    u
      .replace(/^file:\/\//, '')
      .replace(/\/+$/, '')
      .replace(/\.git$/, '');
  return norm(a) === norm(b);
}

/** `https://opendev.org/openstack/nova.git` → `nova`. */
export function repositoryName(url: string): string {
  const last = url.replace(/\/+$/, '').split(/[/:]/).pop() ?? 'repo';
  return last.replace(/\.git$/, '') || 'repo';
}
