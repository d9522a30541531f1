import { UserError } from '../lib/errors.js';
import { normalizeKind, type WorkloadKind } from '../lib/kube/workloads.js';
import { parseLabelSelector } from '../lib/kube/selector.js';
import type { GuardPolicy } from './guard.js';

/** Namespaces chaos never touches, whatever the configuration says. */
export const PROTECTED_NAMESPACES = ['kube-system'] as const;

/** Clustered StatefulSets that lose their data path without a majority: quorum by default. */
const QUORUM_BY_DEFAULT = /(^|-)(mariadb|galera|rabbitmq|etcd|zookeeper)(-|$)/;

/** One kind of workload to disrupt, as configured. */
export interface TargetSpec extends GuardPolicy {
  /** Where it was configured, for messages: `targets[1]`, `config namespace[0].resource[2]`. */
  source: string;
  /** Only this namespace; undefined means every allowed namespace. */
  namespace?: string;
  kind: WorkloadKind;
  /** A workload name (exact). */
  name?: string;
  /** A label selector over the workloads' own labels. */
  selector?: string;
  /** Workload names never disrupted. */
  exclude: string[];
  /** One random matching workload per tick instead of all of them (original empty `name`). */
  pickOne: boolean;
  /** Pods to kill per workload per tick. */
  podsPerTick: number;
  /** Matching no workload is not an error (the run still needs its disruptions elsewhere). */
  optional: boolean;
  /** Disruptive kills this target must achieve in a real run. */
  minKills: number;
}

/** Where a bad value sits: turns a key into a message prefix. */
export type Locator = (index: number, key?: string) => string;

const TARGET_KEYS = [
  'namespace',
  'kind',
  'name',
  'selector',
  'exclude',
  'pick',
  'pods-per-tick',
  'min-ready',
  'quorum',
  'slack',
  'optional',
  'min-kills',
];

/** Disruptive kills each target needs by default: a run that disrupted nothing tested nothing. */
export const DEFAULT_MIN_KILLS = 1;

/**
 * Parses the native `targets` list: `[{kind: StatefulSet, name: mariadb-server, quorum: true},
 * {kind: Deployment, selector: 'application=nova', exclude: [nova-bootstrap], pods-per-tick: 2}]`.
 */
export function parseTargets(value: unknown, where: Locator, defaults: TargetDefaults = {}): TargetSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new UserError(`${where(-1)}: expected a list of targets, got ${describe(value)}`);
  return value.map((item, index) => parseTarget(item, index, where, defaults));
}

/** Defaults from the profile or inputs for what a target leaves unset. */
export interface TargetDefaults extends GuardPolicy {
  minKills?: number;
}

function parseTarget(item: unknown, index: number, where: Locator, defaults: TargetDefaults): TargetSpec {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new UserError(
      `${where(index)}: expected a mapping such as {kind: Deployment, name: keystone-api}, got ${describe(item)}`,
    );
  }
  const record = item as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!TARGET_KEYS.includes(key))
      throw new UserError(`${where(index, key)}: unknown key; expected one of ${TARGET_KEYS.join(', ')}`);
  }
  const kindText = record.kind;
  const kind = typeof kindText === 'string' ? normalizeKind(kindText) : undefined;
  if (!kind)
    throw new UserError(
      `${where(index, 'kind')}: expected Deployment, StatefulSet or DaemonSet, got ${describe(kindText)}`,
    );
  const name = optionalString(record.name, () => where(index, 'name'));
  const selector = optionalString(record.selector, () => where(index, 'selector'));
  if (name && selector) throw new UserError(`${where(index)}: give either name or selector, not both`);
  if (selector) {
    try {
      parseLabelSelector(selector);
    } catch (err) {
      throw new UserError(`${where(index, 'selector')}: ${(err as Error).message}`);
    }
  }
  const pick = record.pick ?? 'all';
  if (pick !== 'all' && pick !== 'random')
    throw new UserError(`${where(index, 'pick')}: expected all or random, got ${describe(pick)}`);
  const exclude = record.exclude ?? [];
  if (!Array.isArray(exclude) || exclude.some((e) => typeof e !== 'string')) {
    throw new UserError(
      `${where(index, 'exclude')}: expected a list of workload names, got ${describe(exclude)}`,
    );
  }
  const quorum = optionalBoolean(record.quorum, () => where(index, 'quorum'));
  const optional = optionalBoolean(record.optional, () => where(index, 'optional'));
  return {
    source: where(index),
    namespace: optionalString(record.namespace, () => where(index, 'namespace')),
    kind,
    name,
    selector,
    exclude: exclude as string[],
    pickOne: pick === 'random',
    podsPerTick: integer(record['pods-per-tick'], 1, 1, () => where(index, 'pods-per-tick')),
    minReady: integer(record['min-ready'], defaults.minReady, 0, () => where(index, 'min-ready')),
    quorum:
      quorum ??
      (defaults.quorum ||
        (kind === 'StatefulSet' && name !== undefined && QUORUM_BY_DEFAULT.test(name)) ||
        undefined),
    slack: integer(record.slack, defaults.slack, 0, () => where(index, 'slack')),
    optional: optional ?? false,
    minKills: integer(record['min-kills'], defaults.minKills ?? DEFAULT_MIN_KILLS, 0, () =>
      where(index, 'min-kills'),
    ),
  };
}

function optionalBoolean(value: unknown, where: () => string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean')
    throw new UserError(`${where()}: expected true or false, got ${describe(value)}`);
  return value;
}

/** Checks targets against the allowed namespaces; returns them with warnings for skipped ones. */
export function applyNamespacePolicy(
  targets: TargetSpec[],
  allowed: string[],
): { targets: TargetSpec[]; warnings: string[] } {
  const warnings: string[] = [];
  const kept = targets.filter((target) => {
    if (target.namespace && (PROTECTED_NAMESPACES as readonly string[]).includes(target.namespace)) {
      warnings.push(`${target.source}: namespace ${target.namespace} is never disrupted; target skipped`);
      return false;
    }
    if (target.namespace && !allowed.includes(target.namespace)) {
      warnings.push(
        `${target.source}: namespace ${target.namespace} is not in the namespaces list (${allowed.join(', ') || 'empty'}); target skipped`,
      );
      return false;
    }
    return true;
  });
  return { targets: kept, warnings };
}

/** The allowed namespaces: the list given, else those the targets name. kube-system is refused. */
export function allowedNamespaces(given: string[], targets: TargetSpec[], where: string): string[] {
  const list = given.length
    ? given
    : [...new Set(targets.map((t) => t.namespace).filter((n): n is string => Boolean(n)))];
  for (const ns of list) {
    if ((PROTECTED_NAMESPACES as readonly string[]).includes(ns))
      throw new UserError(`${where}: ${ns} can never be a chaos namespace`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns))
      throw new UserError(`${where}: ${JSON.stringify(ns)} is not a valid namespace name`);
  }
  if (list.length === 0)
    throw new UserError(`${where}: no namespace given; set namespaces or give every target a namespace`);
  return list;
}

function optionalString(value: unknown, where: () => string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new UserError(`${where()}: expected a string, got ${describe(value)}`);
  return value;
}

function integer(value: unknown, fallback: number | undefined, min: number, where: () => string): number;
function integer(
  value: unknown,
  fallback: number | undefined,
  min: number,
  where: () => string,
): number | undefined;
function integer(
  value: unknown,
  fallback: number | undefined,
  min: number,
  where: () => string,
): number | undefined {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new UserError(`${where()}: expected an integer ≥ ${min}, got ${describe(value)}`);
  return value;
}

export function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
