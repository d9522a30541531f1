/** The profile's `armada` section, typed and resolved (secret references looked up and masked). */
import type { ActionContext } from '../lib/context.js';
import { parseDuration } from '../lib/duration.js';
import type { ChartProfileSettings, PlaceholderSettings } from '../lib/armada/index.js';
import type { Profile } from '../lib/profile/load.js';
import { isSecretRef, type SecretRef } from '../lib/secrets.js';
import type { EngineName } from './inputs.js';

/** The section as written in a profile (profiles/schema/sections/armada.json). */
export interface ArmadaSection {
  manifest?: string;
  'target-manifest'?: string;
  engine?: EngineName;
  timeout?: number | string;
  'kube-context'?: string;
  helm?: { binary?: string; version?: string; concurrency?: number };
  armada?: { binary?: string; image?: string; 'container-engine'?: 'docker' | 'podman' };
  variables?: Record<string, string | number | boolean | SecretRef>;
  'env-fallback'?: boolean;
  keep?: string[];
  tokens?: Record<string, string | SecretRef>;
  'token-pattern'?: string;
  charts?: Record<string, { values?: Record<string, unknown>; 'image-tags'?: Record<string, string> }>;
  diagnostics?: { 'log-lines'?: number };
  'insecure-hosts'?: string[];
}

export interface ArmadaSettings {
  manifest?: string;
  targetManifest?: string;
  engine?: EngineName;
  timeoutMs?: number;
  kubeContext?: string;
  helmBinary: string;
  /** The profile's pin on the helm version (a semver range). */
  helmVersion?: string;
  concurrency: number;
  armadaBinary?: string;
  armadaImage?: string;
  containerEngine: 'docker' | 'podman';
  placeholders: PlaceholderSettings;
  charts: Record<string, ChartProfileSettings>;
  logLines: number;
  /** Hosts (host[:port]) whose `tar` chart sources may be downloaded over plain HTTP. */
  insecureHosts: string[];
  /** Secret references whose environment variable is not set (allowed only when planning). */
  missingSecrets: string[];
  /**
   * Placeholders whose secret is not set, with the error a deployment that uses one gives: a
   * deployment asks only for the secrets its manifest uses (checked once it is loaded).
   */
  unsetSecrets: Map<string, string>;
}

/**
 * Stands in for a secret that is not available while planning. It names no variable: the names
 * (TACO_…) would read as unresolved placeholder tokens.
 */
export function secretMarker(index: number): string {
  return `<unset secret ${index}>`;
}

export function readSettings(
  profile: Profile | undefined,
  ctx: Pick<ActionContext, 'env' | 'setSecret'>,
  options: { planning: boolean },
): ArmadaSettings {
  const section = profile?.section<ArmadaSection>('armada') ?? {};
  const missingSecrets: string[] = [];
  const unsetSecrets = new Map<string, string>();
  const resolve = (name: string, where: string, value: string | number | boolean | SecretRef): string => {
    if (!isSecretRef(value)) return String(value);
    const secret = ctx.env[value.env];
    if (secret === undefined || secret === '') {
      unsetSecrets.set(
        name,
        `${profile?.file ?? 'profile'}: ${where} takes a secret from environment variable ${value.env}, which is not set`,
      );
      if (options.planning)
        missingSecrets.push(`${where} ($${value.env}) shows as ${secretMarker(missingSecrets.length + 1)}`);
      return secretMarker(unsetSecrets.size);
    }
    ctx.setSecret(secret);
    return secret;
  };
  const variables = Object.fromEntries(
    Object.entries(section.variables ?? {}).map(([k, v]) => [k, resolve(k, `armada.variables.${k}`, v)]),
  );
  const tokens = Object.fromEntries(
    Object.entries(section.tokens ?? {}).map(([k, v]) => [k, resolve(k, `armada.tokens.${k}`, v)]),
  );
  const env = ctx.env;
  return {
    manifest: section.manifest,
    targetManifest: section['target-manifest'],
    engine: section.engine,
    timeoutMs: section.timeout === undefined ? undefined : parseDuration(String(section.timeout)),
    kubeContext: section['kube-context'],
    helmBinary: section.helm?.binary ?? 'helm',
    helmVersion: section.helm?.version,
    concurrency: section.helm?.concurrency ?? 4,
    armadaBinary: section.armada?.binary,
    armadaImage: section.armada?.image,
    containerEngine: section.armada?.['container-engine'] ?? 'docker',
    placeholders: {
      variables,
      tokens,
      keep: section.keep ?? [],
      tokenPattern: section['token-pattern'],
      fallback: section['env-fallback'] ? (name) => env[name] : undefined,
    },
    charts: Object.fromEntries(
      Object.entries(section.charts ?? {}).map(([name, chart]) => [
        name,
        { values: chart.values, imageTags: chart['image-tags'] },
      ]),
    ),
    logLines: section.diagnostics?.['log-lines'] ?? 200,
    insecureHosts: section['insecure-hosts'] ?? [],
    missingSecrets,
    unsetSecrets,
  };
}
