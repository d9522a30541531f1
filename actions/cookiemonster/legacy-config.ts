import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { UserError } from '../lib/errors.js';
import { normalizeKind } from '../lib/kube/workloads.js';
import { DEFAULT_MIN_KILLS, describe, type TargetSpec } from './targets.js';

/**
 * The original TACO cookiemonster's config.yaml, read as that tool did (viper: keys are
 * case-insensitive), e.g.
 *
 *   namespace:
 *     - name: openstack
 *       resource:
 *       - {kind: statefulset, name: mariadb, target: 1}
 *       - {kind: deployment, name: , target: 1}   # empty name: a random Deployment each tick
 *   interval: 60      # seconds between ticks
 *   duration: 600     # seconds of chaos
 *   slack: true       # Slack notifications: not supported here, reported as a warning
 */
export interface LegacyConfig {
  file: string;
  targets: TargetSpec[];
  namespaces: string[];
  intervalMs?: number;
  durationMs?: number;
  warnings: string[];
}

const KNOWN = ['namespace', 'interval', 'duration', 'slack'];

export function readLegacyConfig(file: string): LegacyConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(
      `config ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  return parseLegacyConfig(text, file);
}

export function parseLegacyConfig(text: string, file: string): LegacyConfig {
  const doc = parseDocument(text);
  if (doc.errors.length)
    throw new UserError(`config ${file}: not valid YAML (${doc.errors[0].message.split('\n')[0]})`);
  const root = lowerKeys(doc.toJS()) as Record<string, unknown> | null;
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    throw new UserError(`config ${file}: expected a mapping with namespace, interval, duration`);
  const warnings: string[] = [];
  for (const key of Object.keys(root)) {
    if (!KNOWN.includes(key))
      warnings.push(`config ${file}: key ${key} is not a cookiemonster setting; ignored`);
  }
  if (root.slack !== undefined)
    warnings.push(
      `config ${file}: slack (notifications) is ignored; the result goes to the job summary and outputs`,
    );
  const namespaces = root.namespace;
  if (!Array.isArray(namespaces) || namespaces.length === 0)
    throw new UserError(
      `config ${file}: namespace: expected a list of {name, resource}, got ${describe(namespaces)}`,
    );
  const targets: TargetSpec[] = [];
  const names: string[] = [];
  namespaces.forEach((entry: unknown, i) => {
    const at = `config ${file}: namespace[${i}]`;
    const ns = entry as { name?: unknown; resource?: unknown } | null;
    if (!ns || typeof ns !== 'object' || typeof ns.name !== 'string' || ns.name === '')
      throw new UserError(`${at}.name: expected a namespace name, got ${describe(ns?.name)}`);
    names.push(ns.name);
    if (!Array.isArray(ns.resource))
      throw new UserError(
        `${at}.resource: expected a list of {kind, name, target}, got ${describe(ns.resource)}`,
      );
    ns.resource.forEach((res: unknown, j) => {
      const where = `${at}.resource[${j}]`;
      const r = (res ?? {}) as { kind?: unknown; name?: unknown; target?: unknown };
      const kind = typeof r.kind === 'string' ? normalizeKind(r.kind) : undefined;
      if (!kind)
        throw new UserError(
          `${where}.kind: expected deployment, statefulset or daemonset, got ${describe(r.kind)}`,
        );
      const name = r.name === null || r.name === undefined || r.name === '' ? undefined : String(r.name);
      const target = r.target ?? 1;
      if (typeof target !== 'number' || !Number.isInteger(target) || target < 0)
        throw new UserError(`${where}.target: expected a number of pods ≥ 0, got ${describe(r.target)}`);
      if (target === 0) {
        warnings.push(`${where}: target 0 kills nothing; skipped`);
        return;
      }
      targets.push({
        source: where,
        namespace: ns.name as string,
        kind,
        name,
        exclude: [],
        pickOne: name === undefined,
        podsPerTick: target,
        optional: false,
        minKills: DEFAULT_MIN_KILLS,
        // The original kept a quorum for mariadb and rabbitmq; the name rule in targets.ts covers more.
        quorum: name !== undefined && /(^|-)(mariadb|rabbitmq)(-|$)/.test(name) ? true : undefined,
      });
    });
  });
  return {
    file,
    targets,
    namespaces: names,
    intervalMs: seconds(root.interval, 'interval', file),
    durationMs: seconds(root.duration, 'duration', file),
    warnings,
  };
}

function seconds(value: unknown, key: string, file: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || value <= 0)
    throw new UserError(
      `config ${file}: ${key}: expected seconds (a positive number), got ${describe(value)}`,
    );
  return Math.round(value * 1000);
}

function lowerKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowerKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), lowerKeys(v)]));
  return value;
}
