/**
 * Charts of a release: which candidate chart versions to promote (names, `name:version` or
 * helm-rally's `chart` outputs), verified by pulling them, and their re-versioned N.0.0 packages.
 */
import semver from 'semver';
import {
  buildArtifactManifest,
  type RegistryClient,
  type RegistryLocation,
  isValidRepository,
} from '../lib/registry/index.js';
import {
  type ChartPackage,
  chartArtifact,
  chartRepository,
  chartTag,
  pullChart,
  reversionChart,
} from '../lib/charts/index.js';
import { errorMessage, UserError } from '../lib/errors.js';
import { pinnedArtifact } from './candidates.js';
import { type TargetState, unverified } from './images.js';

/** One chart to promote, as given. */
export interface ChartCandidate {
  /** Chart name (the repository `<ns>/charts/<name>`). */
  name: string;
  /** Repository of the candidate chart. */
  repository: string;
  /** Tag (OCI form, `_` for `+`) or digest; undefined: the tag whose pre-release ends with the candidate. */
  reference?: string;
  /** The manifest digest the candidate must have (helm-rally's output records it). */
  expectedDigest?: string;
}

/** A candidate chart found in the registry: its package and digests. */
export interface VerifiedChart {
  candidate: ChartCandidate;
  name: string;
  /** The candidate version (the packaged Chart.yaml version). */
  version: string;
  /** `host/<ns>/charts/<name>:<tag>` of the candidate. */
  source: string;
  digest: string;
  contentDigest: string;
  pkg: ChartPackage;
}

/** A chart's release at one version: the re-versioned package and the tag's state. */
export interface ChartPlan {
  chart: VerifiedChart;
  pkg: ChartPackage;
  version: string;
  repository: string;
  ref: string;
  /** Manifest digest the release tag gets (deterministic: same package → same manifest). */
  digest: string;
  contentDigest: string;
  state: TargetState;
}

export type ChartStatus = 'promoted' | 'skipped' | 'failed' | 'not-started' | 'planned';

export interface ChartOutcome {
  name: string;
  version: string;
  source: string;
  ref: string;
  digest: string;
  contentDigest: string;
  status: ChartStatus;
  error?: string;
}

interface ChartOutput {
  name?: unknown;
  version?: unknown;
  ref?: unknown;
  digest?: unknown;
}

/**
 * Reads `charts`: names (one per line or comma-separated; `name` finds the candidate version,
 * `name:version` names it), a JSON list of names, or helm-rally's `chart` output
 * `{name, version, ref, digest}` (one object or a list of them).
 */
export function parseChartCandidates(
  text: string,
  what: string,
  registry: RegistryLocation,
): ChartCandidate[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  let items: unknown[];
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new UserError(
        `${what}: expected chart names or helm-rally's chart output {name, version, ref, digest}, but the JSON is invalid (${(err as Error).message})`,
      );
    }
    items = Array.isArray(parsed) ? parsed : [parsed];
  } else {
    items = trimmed
      .split(/\r?\n/)
      .filter((line) => !line.trim().startsWith('#'))
      .flatMap((line) => line.split(','))
      .map((name) => name.trim())
      .filter(Boolean);
  }
  const charts = items.map((item, i) =>
    typeof item === 'string'
      ? fromName(item, `${what}${Array.isArray(items) && items.length > 1 ? `[${i}]` : ''}`, registry)
      : fromOutput(item as ChartOutput, `${what}[${i}]`, registry),
  );
  const seen = new Set<string>();
  for (const chart of charts) {
    if (seen.has(chart.name)) throw new UserError(`${what}: chart ${chart.name} is listed twice`);
    seen.add(chart.name);
  }
  return charts;
}

function fromName(item: string, what: string, registry: RegistryLocation): ChartCandidate {
  const colon = item.indexOf(':');
  const name = colon === -1 ? item : item.slice(0, colon);
  const version = colon === -1 ? undefined : item.slice(colon + 1);
  if (!isValidRepository(name) || name.includes('/'))
    throw new UserError(
      `${what}: ${JSON.stringify(item)} is not a chart name (lower-case, e.g. keystone) or name:version`,
    );
  if (version !== undefined && !semver.valid(version.replace(/_/g, '+')))
    throw new UserError(`${what}: ${JSON.stringify(version)} is not a chart version (semver)`);
  return {
    name,
    repository: chartRepository(registry, name),
    reference: version === undefined ? undefined : chartTag(version.replace(/_/g, '+')),
  };
}

function fromOutput(item: ChartOutput, what: string, registry: RegistryLocation): ChartCandidate {
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    throw new UserError(
      `${what}: expected a chart name or helm-rally's chart output {name, version, ref, digest}`,
    );
  if (typeof item.name !== 'string' || !item.name)
    throw new UserError(`${what}.name: expected the chart name`);
  if (typeof item.ref !== 'string')
    throw new UserError(`${what}.ref: expected the chart reference host/…/charts/<name>:<tag>`);
  const { ref, digest, reference } = pinnedArtifact({ ref: item.ref, digest: item.digest }, what, registry);
  if (typeof item.version === 'string' && ref.tag && chartTag(item.version) !== ref.tag)
    throw new UserError(`${what}: version ${item.version} does not match the tag of ${item.ref}`);
  return { name: item.name, repository: ref.repository, reference, expectedDigest: digest };
}

/**
 * The candidate version among a chart repository's tags: the tag whose semver pre-release ends
 * with `-<candidate>` or is the candidate (helm-rally pushes `<Chart.yaml version>-<candidate>`,
 * e.g. 0.3.1-nightly-20261124 or 0.3.1-c.20261124.7 for candidate c.20261124.7).
 */
export function candidateChartTags(tags: readonly string[], candidate: string): string[] {
  return tags.filter((tag) => {
    const parsed = semver.parse(tag.replace(/_/g, '+'));
    if (!parsed || parsed.prerelease.length === 0) return false;
    const pre = parsed.prerelease.join('.');
    return pre === candidate || pre.endsWith(`-${candidate}`);
  });
}

/** Finds each chart's candidate tag (when only named) and pulls it: every chart must exist and verify. */
export async function verifyCharts(
  client: RegistryClient,
  charts: readonly ChartCandidate[],
  candidate: string,
): Promise<VerifiedChart[]> {
  const problems: string[] = [];
  const verified = await Promise.all(
    charts.map(async (chart): Promise<VerifiedChart | undefined> => {
      const where = `${client.host}/${chart.repository}`;
      try {
        let reference = chart.reference;
        if (!reference) {
          const matches = candidateChartTags(await client.listTags(chart.repository), candidate);
          if (matches.length !== 1) {
            problems.push(
              matches.length
                ? `${chart.name}: several versions of ${where} belong to candidate ${candidate} (${matches.join(', ')}); name one as ${chart.name}:<version>`
                : `${chart.name}: ${where} has no version of candidate ${candidate} (a tag <version>-${candidate})`,
            );
            return undefined;
          }
          reference = matches[0];
        }
        const pulled = await pullChart(client, chart.repository, reference, {
          expectedDigest: chart.expectedDigest,
        });
        if (pulled.pkg.name !== chart.name) {
          problems.push(`${chart.name}: ${where}:${reference} holds chart ${pulled.pkg.name}`);
          return undefined;
        }
        return {
          candidate: chart,
          name: pulled.pkg.name,
          version: pulled.pkg.version,
          source: `${where}:${chartTag(pulled.pkg.version)}`,
          digest: pulled.manifestDigest,
          contentDigest: pulled.contentDigest,
          pkg: pulled.pkg,
        };
      } catch (err) {
        if (err instanceof UserError) {
          problems.push(`${chart.name}: ${err.message}`);
          return undefined;
        }
        problems.push(
          `${chart.name}: ${where}${chart.reference ? `:${chart.reference}` : ''}: ${errorMessage(err)}`,
        );
        return undefined;
      }
    }),
  );
  if (problems.length) throw unverified(problems, charts.length, 'chart');
  return verified as VerifiedChart[];
}

/** Each chart re-versioned to `version` (only Chart.yaml's version changes) and its release tag's state. */
export async function planCharts(
  client: RegistryClient,
  registry: RegistryLocation,
  charts: readonly VerifiedChart[],
  version: string,
): Promise<ChartPlan[]> {
  return Promise.all(
    charts.map(async (chart) => {
      const pkg = await reversionChart(chart.pkg, version);
      const digest = buildArtifactManifest(chartArtifact(pkg)).digest;
      const repository = chartRepository(registry, chart.name);
      const tag = chartTag(version);
      const head = await client.headManifest(repository, tag);
      const state: TargetState = !head
        ? { kind: 'absent' }
        : head.digest === digest
          ? { kind: 'same' }
          : { kind: 'other', digest: head.digest };
      return {
        chart,
        pkg,
        version,
        repository,
        ref: `${client.host}/${repository}:${tag}`,
        digest,
        contentDigest: pkg.digest,
        state,
      };
    }),
  );
}

export function chartOutcome(plan: ChartPlan, status: ChartStatus, error?: string): ChartOutcome {
  return {
    name: plan.chart.name,
    version: plan.version,
    source: plan.chart.source,
    ref: plan.ref,
    digest: plan.digest,
    contentDigest: plan.contentDigest,
    status,
    ...(error ? { error } : {}),
  };
}

/** The tags of the charts' repositories (for next-major: a chart may have been released alone). */
export async function chartTags(
  client: RegistryClient,
  registry: RegistryLocation,
  charts: readonly VerifiedChart[],
) {
  const lists = await Promise.all(charts.map((c) => client.listTags(chartRepository(registry, c.name))));
  return lists.flat();
}
