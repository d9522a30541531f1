import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { requireDuration } from '../lib/duration.js';
import { UserError } from '../lib/errors.js';
import type { Profile } from '../lib/profile/load.js';
import { type SecretRef, resolveSecret } from '../lib/secrets.js';
import { Inputs, type KollaBatsInputs } from './inputs.js';
import type { KollaBuildSection } from './kolla/options.js';
import {
  type RegistryEndpoint,
  type RegistryLocation,
  isLoopbackHost,
  parseRegistryLocation,
} from './registry.js';
import { validateTag } from './tag.js';

export type BuildMode = 'kolla' | 'dockerfile';
export type EngineName = 'docker' | 'podman';

/** The profile's `kolla:` section (profiles/schema/sections/kolla.json). */
export interface KollaSection {
  mode?: BuildMode;
  context?: string;
  engine?: EngineName;
  images?: string[];
  tests?: string;
  push?: boolean;
  'build-args'?: Record<string, string>;
  'build-timeout'?: number | string;
  'test-timeout'?: number | string;
  'kolla-build'?: KollaBuildSection;
}

/** The profile's `registry:` section (profiles/schema/sections/registry.json). */
interface RegistrySection {
  url: string;
  insecure?: boolean;
  username?: SecretRef;
  password?: SecretRef;
  'candidate-namespace'?: string;
  'token-realms'?: string[];
}

/** Plain HTTP when the host is loopback or the profile says `insecure: true`. */
export type PushTarget = RegistryEndpoint;

/** Everything the stage needs, resolved from inputs (first) and the profile (second). */
export interface KollaBatsSettings {
  mode: BuildMode;
  /** Absolute path of the context. */
  context: string;
  images: string[];
  /** Suites pattern relative to the context (or absolute). */
  tests: string;
  engine: EngineName;
  push: boolean;
  /** Where images are tagged and pushed; undefined only when push is off and none is configured. */
  registry?: PushTarget;
  /** Candidate tag; resolved by the caller when undefined (see tag.ts). */
  tag?: string;
  dryRun: boolean;
  buildArgs: Record<string, string>;
  buildTimeoutMs: number;
  testTimeoutMs: number;
  kollaBuild: KollaBuildSection;
}

const MODES: readonly BuildMode[] = ['kolla', 'dockerfile'];
const ENGINES: readonly EngineName[] = ['docker', 'podman'];

function choice<T extends string>(
  value: string | undefined,
  choices: readonly T[],
  what: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UserError(`${what}: expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function profileDuration(
  profile: Profile,
  key: string,
  value: number | string | undefined,
  fallbackMs: number,
): number {
  if (value === undefined) return fallbackMs;
  if (typeof value === 'number') return value * 1000;
  return requireDuration(value, profile.where(['kolla', key]));
}

export function resolveSettings(
  ctx: Pick<ActionContext, 'env' | 'setSecret' | 'workspace'>,
  inputs: KollaBatsInputs,
  profile: Profile,
): KollaBatsSettings {
  const section = profile.section<KollaSection>('kolla') ?? {};
  const mode = choice(inputs.mode, MODES, `Input '${Inputs.mode}'`) ?? section.mode ?? 'dockerfile';
  const engine = choice(inputs.engine, ENGINES, `Input '${Inputs.engine}'`) ?? section.engine ?? 'docker';
  const contextText = inputs.context ?? section.context ?? '.';
  const context = path.resolve(ctx.workspace, contextText);
  if (!existsSync(context) || !statSync(context).isDirectory()) {
    const from =
      inputs.context !== undefined ? `Input '${Inputs.context}'` : profile.where(['kolla', 'context']);
    throw new UserError(`${from}: the context directory ${context} does not exist`);
  }
  const push = inputs.push ?? section.push ?? true;
  // Only a push logs in: a dry run or push: false must not ask for the registry's secret.
  const registry = resolveRegistry(ctx, inputs, profile, push, push && !inputs.dryRun);
  const tag = inputs.tag !== undefined ? validateTag(inputs.tag, `Input '${Inputs.tag}'`) : undefined;
  return {
    mode,
    context,
    images: inputs.images.length ? inputs.images : (section.images ?? []),
    tests: inputs.tests ?? section.tests ?? 'tests/{image}.bats',
    engine,
    push,
    registry,
    tag,
    dryRun: inputs.dryRun,
    buildArgs: section['build-args'] ?? {},
    buildTimeoutMs: profileDuration(profile, 'build-timeout', section['build-timeout'], 60 * 60_000),
    testTimeoutMs: profileDuration(profile, 'test-timeout', section['test-timeout'], 10 * 60_000),
    kollaBuild: section['kolla-build'] ?? {},
  };
}

function resolveRegistry(
  ctx: Pick<ActionContext, 'env' | 'setSecret'>,
  inputs: KollaBatsInputs,
  profile: Profile,
  push: boolean,
  logsIn: boolean,
): PushTarget | undefined {
  const section = profile.section<RegistrySection>('registry');
  let location: RegistryLocation;
  if (inputs.registry !== undefined) {
    location = parseRegistryLocation(inputs.registry, `Input '${Inputs.registry}'`);
  } else if (section) {
    const base = parseRegistryLocation(section.url, profile.where(['registry', 'url']));
    const candidates = section['candidate-namespace']?.replace(/^\/+|\/+$/g, '');
    location = { host: base.host, namespace: [base.namespace, candidates].filter(Boolean).join('/') };
  } else {
    if (push) {
      throw new UserError(
        `Input '${Inputs.registry}' was not given and profile ${profile.file} has no registry section: set one, or push: false`,
      );
    }
    return undefined;
  }
  const fromProfile = inputs.registry === undefined;
  // A user name is not a secret (masking it would blank every occurrence of a common word in the logs).
  const usernameRef = fromProfile && logsIn ? section?.username : undefined;
  const passwordRef = fromProfile && logsIn ? section?.password : undefined;
  const username =
    inputs.registryUsername ??
    (usernameRef ? profileVariable(ctx, profile.where(['registry', 'username']), usernameRef) : undefined);
  // A variable the profile names must be set: without it the push would fail as a bare 401, or
  // go anonymously to a registry that allows it.
  const password = resolveSecret(
    ctx,
    inputs.registryPassword || !passwordRef
      ? `Input '${Inputs.registryPassword}'`
      : profile.where(['registry', 'password']),
    inputs.registryPassword,
    passwordRef,
    { required: passwordRef !== undefined },
  );
  if ((username === undefined) !== (password === undefined)) {
    throw new UserError(
      `Registry credentials: give both '${Inputs.registryUsername}' and '${Inputs.registryPassword}', or neither`,
    );
  }
  const insecure = isLoopbackHost(location.host) || (fromProfile && section?.insecure === true);
  const tokenRealms = fromProfile ? section?.['token-realms'] : undefined;
  return { ...location, insecure, username, password, ...(tokenRealms ? { tokenRealms } : {}) };
}

/** The value of a variable the profile names (a user name: not masked), or a UserError naming it. */
function profileVariable(ctx: Pick<ActionContext, 'env'>, where: string, ref: SecretRef): string {
  const value = ctx.env[ref.env];
  if (!value)
    throw new UserError(
      `${where}: environment variable ${ref.env} is not set (the profile takes this value from it)`,
    );
  return value;
}
