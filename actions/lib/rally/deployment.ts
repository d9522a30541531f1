/**
 * The Rally env a task runs against, from a profile's `rally.deployment` (helm-rally and
 * cookiemonster's load read the same section). An OpenStack spec is checked against what
 * rally-openstack 2.2's `existing@openstack` platform accepts (its CONFIG_SCHEMA in
 * rally_openstack/environment/platforms/existing.py) before Rally sees it, so a typo is one
 * located error instead of Rally's schema dump.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ActionContext } from '../context.js';
import { UserError } from '../errors.js';
import { isSecretRef } from '../secrets.js';
import type { RallyDeployment } from './run.js';

/** The profile's `rally.deployment`. */
export interface ProfileRallyDeployment {
  name?: string;
  spec?: Record<string, unknown>;
  'from-env'?: boolean;
}

type SecretsContext = Pick<ActionContext, 'env' | 'setSecret'>;

/**
 * Replaces every `{env: NAME}` inside a Rally env spec by the variable's value (masked). `keyPath`
 * names the profile key in errors.
 */
export function resolveSpecSecrets(value: unknown, ctx: SecretsContext, keyPath: string): unknown {
  if (isSecretRef(value) && Object.keys(value).length === 1) {
    const secret = ctx.env[value.env];
    if (secret === undefined || secret === '')
      throw new UserError(
        `${keyPath}: environment variable ${value.env} is not set (the profile takes this secret from it)`,
      );
    ctx.setSecret(secret);
    return secret;
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveSpecSecrets(item, ctx, `${keyPath}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveSpecSecrets(v, ctx, `${keyPath}.${k}`)]),
    );
  }
  return value;
}

const PLATFORM_KEYS = new Set([
  'auth_url',
  'region_name',
  'endpoint',
  'endpoint_type',
  'https_insecure',
  'https_cacert',
  'https_cert',
  'https_key',
  'profiler_hmac_key',
  'profiler_conn_str',
  'admin',
  'users',
  'api_info',
]);
const USER_KEYS = new Set([
  'username',
  'password',
  'project_name',
  'tenant_name',
  'domain_name',
  'user_domain_name',
  'project_domain_name',
]);
const ENDPOINT_TYPES = ['public', 'internal', 'admin'];

function checkUser(user: unknown, keyPath: string): void {
  if (typeof user !== 'object' || user === null || Array.isArray(user))
    throw new UserError(`${keyPath}: expected a user {username, password, project_name, …}`);
  const record = user as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !USER_KEYS.has(k));
  if (unknown.length)
    throw new UserError(
      `${keyPath}: rally-openstack does not know ${unknown.join(', ')} (a user has ${[...USER_KEYS].join(', ')})`,
    );
  const missing = ['username', 'password'].filter((k) => typeof record[k] !== 'string');
  if (typeof record.project_name !== 'string' && typeof record.tenant_name !== 'string')
    missing.push('project_name');
  if (missing.length) throw new UserError(`${keyPath}: missing ${missing.join(', ')}`);
}

/** Checks an `openstack` / `existing@openstack` platform spec the way rally-openstack 2.2 would. */
export function checkOpenStackSpec(spec: Record<string, unknown>, keyPath: string): void {
  const key = ['openstack', 'existing@openstack'].find((k) => k in spec);
  if (!key) return;
  const platform = spec[key];
  const at = `${keyPath}.${key}`;
  if (typeof platform !== 'object' || platform === null || Array.isArray(platform))
    throw new UserError(`${at}: expected a mapping {auth_url, admin, users, …}`);
  const record = platform as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !PLATFORM_KEYS.has(k));
  if (unknown.length)
    throw new UserError(
      `${at}: rally-openstack does not know ${unknown.join(', ')} (expected some of ${[...PLATFORM_KEYS].join(', ')})`,
    );
  if (typeof record.auth_url !== 'string') throw new UserError(`${at}.auth_url: the Keystone URL is missing`);
  if (record.admin === undefined && record.users === undefined)
    throw new UserError(`${at}: give admin, existing users, or both`);
  if (
    record.endpoint_type !== undefined &&
    record.endpoint_type !== null &&
    !ENDPOINT_TYPES.includes(record.endpoint_type as string)
  )
    throw new UserError(
      `${at}.endpoint_type: expected one of ${ENDPOINT_TYPES.join(', ')}, got ${JSON.stringify(record.endpoint_type)}`,
    );
  if (record.admin !== undefined) checkUser(record.admin, `${at}.admin`);
  if (record.users !== undefined) {
    if (!Array.isArray(record.users) || record.users.length === 0)
      throw new UserError(`${at}.users: expected a list of at least one existing user`);
    record.users.forEach((u, i) => checkUser(u, `${at}.users[${i}]`));
  }
}

/**
 * The Rally env for a run from the profile's `rally.deployment`: from the job's OS_* variables
 * (`from-env`, which wins over an inherited spec), from the spec with its secrets resolved, or
 * empty (Rally's own Dummy scenarios). `where` locates a key of the section in errors.
 */
export function deploymentFromProfile(
  section: ProfileRallyDeployment | undefined,
  ctx: SecretsContext,
  where: (key: string) => string,
  options: { needsCloud: boolean },
): RallyDeployment {
  const deployment: RallyDeployment = { name: section?.name ?? 'taco' };
  if (section?.['from-env']) {
    if (options.needsCloud && !ctx.env.OS_AUTH_URL)
      throw new UserError(
        `${where('from-env')}: OS_AUTH_URL is not set, so there is no cloud to create the Rally deployment from`,
      );
    deployment.fromSysEnv = true;
  } else if (section?.spec) {
    const spec = resolveSpecSecrets(section.spec, ctx, where('spec')) as Record<string, unknown>;
    checkOpenStackSpec(spec, where('spec'));
    deployment.spec = spec;
  }
  return deployment;
}

/** Rally's own platform (no cloud): its scenarios run in an empty environment. */
const DEFAULT_PLATFORM_GROUPS = ['Dummy', 'HttpRequests'];

/**
 * The scenario names a task file uses (`Dummy.dummy`, `NovaServers.boot_server`): the keys of a v1
 * task and the `scenario:` mappings of a v2 one, read from the text because a task may be a Jinja
 * template that is not YAML until Rally renders it.
 */
export function taskScenarios(text: string): string[] {
  const names = [...text.matchAll(/(?:^|[\s{,])["']?([A-Z][A-Za-z0-9]*\.[a-z_][A-Za-z0-9_]*)["']?\s*:/gm)];
  return [...new Set(names.map((m) => m[1]))];
}

/**
 * True when every scenario of the task file is in Rally's default platform (Dummy.*, HttpRequests.*):
 * such a task runs in an empty environment and needs no cloud, so none of the cloud's secrets.
 */
export function runsOnDefaultPlatform(taskFile: string): boolean {
  const scenarios = taskScenarios(readFileSync(taskFile, 'utf8'));
  return scenarios.length > 0 && scenarios.every((s) => DEFAULT_PLATFORM_GROUPS.includes(s.split('.')[0]));
}

/**
 * The Rally environment a task file needs: an empty one when every scenario is on Rally's own
 * platform (Dummy.*), else the profile's deployment with its secrets resolved. A task file that is
 * not there gets the profile's deployment and is left for Rally to report.
 */
export function deploymentForTask(
  taskFile: string,
  section: ProfileRallyDeployment | undefined,
  ctx: SecretsContext,
  where: (key: string) => string,
): RallyDeployment {
  if (existsSync(taskFile) && statSync(taskFile).isFile() && runsOnDefaultPlatform(taskFile))
    return { name: section?.name ?? 'taco', spec: {} };
  return deploymentFromProfile(section, ctx, where, { needsCloud: true });
}
