import { errorMessage, JobFailure, UserError } from '../lib/errors.js';
import type { HistoryEntry } from '../lib/history/entry.js';
import { appendHistory, readHistory } from '../lib/history/store.js';
import { describeHistoryTarget } from '../lib/history/target.js';
import type { RegistryClient } from '../lib/registry/client.js';
import { createGitTag, type GitTagOutcome, gitOptions, inspectGitRepo, planGitTag } from './git-tags.js';
import { publishRelease, releaseBody, type ReleaseOutcome } from './github-release.js';
import pLimit from 'p-limit';
import { pushChart } from '../lib/charts/index.js';
import {
  type BillOfMaterials,
  type BomChart,
  diffReleases,
  pullRelease,
  pushRelease,
  releaseDiffMarkdown,
  releaseRepository,
} from '../lib/release/index.js';
import {
  type ChartOutcome,
  type ChartPlan,
  chartOutcome,
  chartTags,
  planCharts,
  verifyCharts,
} from './charts.js';
import { planRelease, type ReleasePlan } from './release-artifact.js';
import { resolveSources } from './sources.js';
import {
  chooseVersion,
  copyImages,
  describe,
  type ImageOutcome,
  type TargetState,
  verifyCandidates,
  type VerifiedCandidate,
} from './images.js';
import { checkNightlyDigests, passingNightlies } from './nightly.js';
import type { PromoteSettings } from './settings.js';
import { releaseVersions } from './version.js';
import type { Candidate } from './candidates.js';
import semver from 'semver';

export interface PromotionDeps {
  client: RegistryClient;
  env: Readonly<Record<string, string | undefined>>;
  tempDir: string;
  signal?: AbortSignal;
  log: (line: string) => void;
  now?: () => Date;
}

export interface ReleaseArtifactOutcome {
  ref: string;
  digest: string;
  status: 'promoted' | 'skipped' | 'failed' | 'not-started' | 'planned';
  error?: string;
}

export interface PromotionReport {
  version: string;
  /** Why this version was chosen. */
  versionReason: string;
  candidate: string;
  dryRun: boolean;
  images: ImageOutcome[];
  charts: ChartOutcome[];
  /** The release artifact `<registry>/taco-release:<version>` (when a manifest is released). */
  releaseArtifact?: ReleaseArtifactOutcome;
  /** The bill of materials written (or planned) with it. */
  bom?: BillOfMaterials;
  /** The candidate release artifact promoted (input `release`). */
  from?: { ref: string; digest: string };
  /** The changes against the previous release artifact, as markdown (or why they could not be read). */
  previous?: { version: string; markdown?: string; error?: string };
  gitTags: GitTagOutcome[];
  release?: ReleaseOutcome;
  history?: {
    target: string;
    entry: HistoryEntry;
    status: 'written' | 'planned' | 'unchanged' | 'failed';
    error?: string;
  };
  /** Everything the promotion should do is done. */
  complete: boolean;
}

/** Charts and the release artifact planned at one version. */
interface ReleaseParts {
  charts: ChartPlan[];
  release?: ReleasePlan;
}

/** Everything verified before a release version is chosen. */
interface VerifiedSources {
  sources: Awaited<ReturnType<typeof resolveSources>>;
  verified: VerifiedCandidate[];
  charts: Awaited<ReturnType<typeof verifyCharts>>;
  /** The nightly that tested these digests (require-nightly). */
  tested?: HistoryEntry;
  gitStates: Awaited<ReturnType<typeof inspectGitRepo>>[];
}

type TagPlan = Exclude<ReturnType<typeof planGitTag>, { conflict: string }>;

/**
 * What a promotion will do, decided from reads only: the version and, for each image, chart, the
 * release artifact and git tag, whether it is to be written or is already there. The dry run
 * reports exactly this; `applyPromotion` carries it out.
 */
export interface PromotionPlan {
  version: string;
  versionReason: string;
  candidate: string;
  /** Every verified candidate image (to copy or already there). */
  verified: VerifiedCandidate[];
  toCopy: VerifiedCandidate[];
  alreadyThere: VerifiedCandidate[];
  chartsToPush: ChartPlan[];
  chartsThere: ChartPlan[];
  release?: ReleasePlan;
  tagPlans: TagPlan[];
  from?: { ref: string; digest: string };
  /** The changes against the previous release artifact (for the summary). */
  previous?: PromotionReport['previous'];
}

const asTargetState = (state: ReleasePlan['state']): TargetState =>
  state.kind === 'other' ? { kind: 'other', digest: state.digest } : { kind: state.kind };

/**
 * A promotion: plan it (verify every candidate and release tag; nothing is changed when one is
 * missing or a release tag already holds something else), then apply the plan unless this is a
 * dry run. Every step skips what is already done, so re-running a promotion that failed midway
 * completes it and re-running a complete one changes nothing.
 */
export async function promote(settings: PromoteSettings, deps: PromotionDeps): Promise<PromotionReport> {
  const plan = await planPromotion(settings, deps);
  return settings.dryRun ? plannedReport(plan, settings, deps) : applyPromotion(plan, settings, deps);
}

/**
 * Reads the registry, git and (with require-nightly) the ledger, and decides what the promotion
 * does; writes nothing. Throws a JobFailure naming every problem when something is missing or a
 * release tag is taken.
 */
export async function planPromotion(settings: PromoteSettings, deps: PromotionDeps): Promise<PromotionPlan> {
  const { client, log } = deps;
  const inputs = await verifySources(settings, deps);
  const { verified, charts, gitStates } = inputs;
  const partsAt = releasePartsAt(settings, deps, inputs);
  const partStates = async (version: string) => {
    const parts = await partsAt(version);
    return [
      ...parts.charts.map((p) => p.state),
      ...(parts.release ? [asTargetState(parts.release.state)] : []),
    ];
  };
  const otherTags = [
    ...gitStates.flatMap((s) => s.tags),
    ...(charts.length ? await chartTags(client, settings.registry, charts) : []),
    ...(inputs.sources.manifest ? await client.listTags(releaseRepository(settings.registry)) : []),
  ];
  const choice = await chooseVersion(client, verified, settings.version, otherTags, partStates);
  const version = choice.version;
  log(`Release version ${version}: ${choice.reason}`);
  const parts = await partsAt(version);
  const gitPlans = gitStates.map((state) => planGitTag(state, version));
  refuseConflicts(client.host, version, verified, choice.states, parts, gitPlans);
  const state = (c: VerifiedCandidate) => choice.states.get(c)!.kind;
  return {
    version,
    versionReason: choice.reason,
    candidate: settings.candidate,
    verified,
    toCopy: verified.filter((c) => state(c) === 'absent'),
    alreadyThere: verified.filter((c) => state(c) === 'same'),
    chartsToPush: parts.charts.filter((p) => p.state.kind === 'absent'),
    chartsThere: parts.charts.filter((p) => p.state.kind === 'same'),
    ...(parts.release ? { release: parts.release } : {}),
    tagPlans: gitPlans.filter((p): p is TagPlan => !('conflict' in p)),
    ...(inputs.sources.from ? { from: inputs.sources.from } : {}),
    ...(parts.release ? { previous: await previousReleaseDiff(client, settings, parts.release, log) } : {}),
  };
}

/** Every candidate (images, charts), the nightly that tested them and the git repositories, verified. */
async function verifySources(settings: PromoteSettings, deps: PromotionDeps): Promise<VerifiedSources> {
  const { client, log } = deps;
  // require-nightly: the ledger is read first, so a candidate without a passing nightly is refused
  // before the registry or git is touched.
  const nightlies = settings.requireNightly ? await passingNightlies(settings, deps) : undefined;
  await client.ping();
  const sources = await resolveSources(settings, client);
  if (sources.from) log(`Promoting what ${sources.from.ref} (${sources.from.digest}) names`);
  const verified = await verifyCandidates(client, sources.candidates);
  const charts = sources.charts.length ? await verifyCharts(client, sources.charts, settings.candidate) : [];
  log(
    `Verified ${verified.length} candidate image(s)${charts.length ? ` and ${charts.length} chart(s)` : ''} of ${settings.candidate}`,
  );
  let tested: HistoryEntry | undefined;
  if (nightlies) {
    tested = checkNightlyDigests(settings, nightlies, client.host, verified, charts, sources.from);
    log(`Nightly of ${tested.time} tested exactly these digests`);
  }
  const git = gitOptions(settings.gitToken, deps);
  const gitStates = await Promise.all(
    settings.gitRepos.map((spec) =>
      inspectGitRepo(spec, settings.candidate, git).catch((err: unknown) => {
        if (err instanceof UserError) throw err;
        throw new JobFailure(`Nothing was promoted: ${errorMessage(err)}`);
      }),
    ),
  );
  return { sources, verified, charts, tested, gitStates };
}

/** The charts and release artifact at a version, planned once per version asked about. */
function releasePartsAt(
  settings: PromoteSettings,
  deps: PromotionDeps,
  { sources, verified, charts, tested, gitStates }: VerifiedSources,
): (version: string) => Promise<ReleaseParts> {
  const { client } = deps;
  const manifest = sources.manifest;
  const planned = new Map<string, Promise<ReleaseParts>>();
  const plan = async (version: string): Promise<ReleaseParts> => {
    const chartPlans = await planCharts(client, settings.registry, charts, version);
    if (!manifest) return { charts: chartPlans };
    const release = await planRelease(client, settings.registry, {
      tag: version,
      candidate: settings.candidate,
      images: verified.map((c) => {
        const image = describe(client, c, version, 'planned');
        return { name: image.name, ref: image.target, digest: image.digest, source: image.source };
      }),
      charts: chartPlans.map(bomChart),
      commits: gitStates.map((s) => ({ repository: s.spec.url, commit: s.commit, tag: version })),
      nightly: tested && {
        time: tested.time,
        status: tested.status,
        ...(tested.runUrl ? { runUrl: tested.runUrl } : {}),
      },
      manifest,
    });
    return { charts: chartPlans, release };
  };
  return (version) => {
    if (!planned.has(version)) planned.set(version, plan(version));
    return planned.get(version)!;
  };
}

/** Release tags are immutable: any part of the release that exists with other content stops everything. */
function refuseConflicts(
  host: string,
  version: string,
  verified: readonly VerifiedCandidate[],
  states: Map<Candidate, TargetState>,
  parts: ReleaseParts,
  gitPlans: ReturnType<typeof planGitTag>[],
): void {
  const conflicts: string[] = [];
  for (const candidate of verified) {
    const state = states.get(candidate)!;
    if (state.kind === 'other') {
      conflicts.push(
        `${host}/${candidate.targetRepository}:${version} already exists with digest ${state.digest} (the candidate is ${candidate.digest})`,
      );
    }
  }
  for (const plan of parts.charts) {
    if (plan.state.kind === 'other')
      conflicts.push(
        `chart ${plan.ref} already exists with digest ${plan.state.digest} (${plan.chart.source} re-versioned is ${plan.digest})`,
      );
  }
  if (parts.release?.state.kind === 'other') {
    conflicts.push(
      `release ${parts.release.ref} already exists with digest ${parts.release.state.digest} and names another release:\n` +
        parts.release.state.differences.map((d) => `      ${d}`).join('\n'),
    );
  }
  for (const plan of gitPlans) if ('conflict' in plan) conflicts.push(plan.conflict);
  if (conflicts.length) {
    throw new JobFailure(
      `Nothing was promoted: release tags are immutable and ${version} is taken:\n${conflicts.map((c) => `  - ${c}`).join('\n')}\n` +
        `Promote to another version (input version) if this candidate should be released.`,
    );
  }
}

/** The report of a plan before anything is done: what is there is skipped, the rest is to do. */
function reportOf(plan: PromotionPlan, settings: PromoteSettings, client: RegistryClient): PromotionReport {
  return {
    version: plan.version,
    versionReason: plan.versionReason,
    candidate: plan.candidate,
    dryRun: settings.dryRun,
    images: plan.alreadyThere.map((c) => describe(client, c, plan.version, 'skipped')),
    charts: plan.chartsThere.map((p) => chartOutcome(p, 'skipped')),
    ...(plan.release ? { bom: plan.release.bom } : {}),
    ...(plan.from ? { from: plan.from } : {}),
    ...(plan.release ? { previous: plan.previous } : {}),
    gitTags: [],
    complete: true,
  };
}

/** The release artifact's line of the report. */
function releaseOutcome(
  plan: ReleasePlan,
  status: ReleaseArtifactOutcome['status'],
  error?: string,
): ReleaseArtifactOutcome {
  return {
    ref: plan.ref,
    digest: plan.state.kind === 'same' ? plan.state.digest : plan.digest,
    status,
    ...(error ? { error } : {}),
  };
}

/** The dry run's report: the plan, every write marked `planned`. */
export function plannedReport(
  plan: PromotionPlan,
  settings: PromoteSettings,
  deps: PromotionDeps,
): PromotionReport {
  const { client } = deps;
  const report = reportOf(plan, settings, client);
  report.images = [...plan.toCopy.map((c) => describe(client, c, plan.version, 'planned')), ...report.images];
  report.charts = [...plan.chartsToPush.map((p) => chartOutcome(p, 'planned')), ...report.charts];
  if (plan.release)
    report.releaseArtifact = releaseOutcome(
      plan.release,
      plan.release.state.kind === 'same' ? 'skipped' : 'planned',
    );
  report.gitTags = plan.tagPlans.map((p) => ({ ...p, status: p.state === 'exists' ? 'skipped' : 'planned' }));
  if (settings.githubRelease) report.release = { status: 'planned' };
  if (settings.history)
    report.history = {
      target: describeHistoryTarget(settings.history),
      entry: entryFor(settings, report, deps),
      status: 'planned',
    };
  return report;
}

/**
 * Carries out a plan: copies the images, pushes the charts, then the release artifact that names
 * them; only when all of that is complete, tags git and publishes the GitHub release; finally one
 * ledger line for the whole promotion (the images never wait for the ledger).
 */
export async function applyPromotion(
  plan: PromotionPlan,
  settings: PromoteSettings,
  deps: PromotionDeps,
): Promise<PromotionReport> {
  const { client, log } = deps;
  const report = reportOf(plan, settings, client);
  const copied = await copyImages(client, plan.toCopy, plan.version, {
    concurrency: settings.concurrency,
    signal: deps.signal,
    log,
  });
  report.images = [...copied, ...report.images];
  const pushedCharts = await pushCharts(client, settings, plan.chartsToPush, deps);
  report.charts = [...pushedCharts, ...report.charts];
  report.complete =
    copied.every((o) => o.status === 'promoted') && pushedCharts.every((o) => o.status === 'promoted');
  if (plan.release) await writeReleaseArtifact(plan.release, report, settings, deps);
  if (report.complete) await createGitTags(plan, report, settings, deps);
  if (report.complete && settings.githubRelease) await publishGithubRelease(plan, report, settings, deps);
  if (settings.history) await recordHistory(settings, report, deps);
  return report;
}

/** The release artifact names every image and chart: it is written only once they all exist. */
async function writeReleaseArtifact(
  plan: ReleasePlan,
  report: PromotionReport,
  settings: PromoteSettings,
  deps: PromotionDeps,
): Promise<void> {
  if (plan.state.kind === 'same') {
    report.releaseArtifact = releaseOutcome(plan, 'skipped');
    return;
  }
  if (!report.complete || deps.signal?.aborted) {
    report.releaseArtifact = releaseOutcome(plan, 'not-started');
    report.complete = false;
    return;
  }
  try {
    const pushed = await pushRelease(deps.client, settings.registry, {
      bom: plan.bom,
      manifestYaml: plan.manifestYaml,
    });
    if (pushed.digest !== plan.digest)
      throw new Error(`the registry holds ${pushed.digest}, expected ${plan.digest}`);
    report.releaseArtifact = releaseOutcome(plan, pushed.status === 'unchanged' ? 'skipped' : 'promoted');
    deps.log(`Release artifact ${plan.ref} = ${pushed.digest}`);
  } catch (err) {
    deps.log(`Release artifact ${plan.ref}: FAILED ${errorMessage(err)}`);
    report.releaseArtifact = releaseOutcome(plan, 'failed', errorMessage(err));
    report.complete = false;
  }
}

async function createGitTags(
  plan: PromotionPlan,
  report: PromotionReport,
  settings: PromoteSettings,
  deps: PromotionDeps,
): Promise<void> {
  const git = gitOptions(settings.gitToken, deps);
  for (const tag of plan.tagPlans) {
    if (tag.state === 'exists') {
      report.gitTags.push({ ...tag, status: 'skipped' });
      continue;
    }
    try {
      await createGitTag(tag, `TACO release ${plan.version} (candidate ${settings.candidate})`, git);
      report.gitTags.push({ ...tag, status: 'created' });
    } catch (err) {
      report.gitTags.push({ ...tag, status: 'failed', error: errorMessage(err) });
      report.complete = false;
    }
  }
}

async function publishGithubRelease(
  plan: PromotionPlan,
  report: PromotionReport,
  settings: PromoteSettings,
  deps: PromotionDeps,
): Promise<void> {
  try {
    const previous = await previousRelease(deps.client, plan.verified, plan.version);
    const body = releaseBody({
      version: plan.version,
      candidate: settings.candidate,
      images: report.images,
      charts: report.charts,
      releaseArtifact: report.releaseArtifact,
      previous,
      commits: plan.tagPlans.map((p) => ({ url: p.url, commit: p.commit })),
      runUrl: settings.runUrl,
    });
    report.release = await publishRelease(settings.githubRelease!, plan.version, body);
    deps.log(
      `GitHub release ${plan.version}: ${report.release.status}${report.release.url ? ` (${report.release.url})` : ''}`,
    );
  } catch (err) {
    report.release = { status: 'failed', error: errorMessage(err) };
    report.complete = false;
  }
}

function bomChart(plan: ChartPlan): BomChart {
  return {
    name: plan.chart.name,
    version: plan.version,
    sourceVersion: plan.chart.version,
    ref: plan.ref,
    digest: plan.digest,
    contentDigest: plan.contentDigest,
    source: `${plan.chart.source}@${plan.chart.digest}`,
  };
}

/** Pushes the re-versioned charts, a bounded number at a time; one failure does not stop the others. */
async function pushCharts(
  client: RegistryClient,
  settings: PromoteSettings,
  plans: readonly ChartPlan[],
  deps: PromotionDeps,
): Promise<ChartOutcome[]> {
  const limit = pLimit(settings.concurrency);
  return Promise.all(
    plans.map((plan) =>
      limit(async (): Promise<ChartOutcome> => {
        if (deps.signal?.aborted) return chartOutcome(plan, 'not-started');
        try {
          const pushed = await pushChart(client, settings.registry, plan.pkg);
          if (pushed.digest !== plan.digest)
            throw new Error(`the registry holds ${pushed.digest}, expected ${plan.digest}`);
          deps.log(`chart ${plan.chart.name}: ${plan.ref} = ${pushed.digest}`);
          return chartOutcome(plan, 'promoted');
        } catch (err) {
          deps.log(`chart ${plan.chart.name}: FAILED ${errorMessage(err)}`);
          return chartOutcome(plan, 'failed', errorMessage(err));
        }
      }),
    ),
  );
}

/** The highest release artifact below `plan`'s version, compared with it (for the job summary). */
async function previousReleaseDiff(
  client: RegistryClient,
  settings: PromoteSettings,
  plan: ReleasePlan,
  log: (line: string) => void,
): Promise<PromotionReport['previous']> {
  const previous = releaseVersions(await client.listTags(plan.repository)).find((v) =>
    semver.lt(v, plan.tag),
  );
  if (!previous) return undefined;
  try {
    const pulled = await pullRelease(client, plan.repository, previous);
    return { version: previous, markdown: releaseDiffMarkdown(diffReleases(pulled.bom, plan.bom)) };
  } catch (err) {
    log(`Previous release ${previous} could not be read: ${errorMessage(err)}`);
    return { version: previous, error: errorMessage(err) };
  }
}

/** The ledger line for this promotion: what is released under the version now. */
function entryFor(settings: PromoteSettings, report: PromotionReport, deps: PromotionDeps): HistoryEntry {
  const released = report.images.filter(
    (i) => i.status === 'promoted' || i.status === 'skipped' || i.status === 'planned',
  );
  const missing = [...report.images, ...report.charts].filter(
    (i) => i.status === 'failed' || i.status === 'not-started',
  );
  return {
    schema: 1,
    kind: 'promotion',
    time: (deps.now?.() ?? new Date()).toISOString(),
    status: report.complete ? 'complete' : 'partial',
    candidate: settings.candidate,
    version: report.version,
    images: released.map((i) => ({
      name: i.name,
      ref: i.target,
      digest: i.digest,
      source: i.source,
      ...(i.tests !== undefined ? { tests: i.tests } : {}),
    })),
    ...(report.charts.length
      ? {
          charts: report.charts
            .filter((c) => c.status === 'promoted' || c.status === 'skipped' || c.status === 'planned')
            .map((c) => ({
              name: c.name,
              version: c.version,
              ref: c.ref,
              digest: c.digest,
              contentDigest: c.contentDigest,
              source: c.source,
            })),
        }
      : {}),
    ...(report.releaseArtifact && ['promoted', 'skipped', 'planned'].includes(report.releaseArtifact.status)
      ? { release: { ref: report.releaseArtifact.ref, digest: report.releaseArtifact.digest } }
      : {}),
    commits: report.gitTags
      .filter((t) => t.status !== 'failed')
      .map((t) => ({ repository: t.url, commit: t.commit, tag: t.tag })),
    ...(settings.runUrl ? { runUrl: settings.runUrl } : {}),
    ...(missing.length
      ? {
          details: {
            notPromoted: missing.map((i) => ({
              name: i.name,
              target: 'target' in i ? i.target : i.ref,
              error: i.error ?? i.status,
            })),
          },
        }
      : {}),
  };
}

async function recordHistory(
  settings: PromoteSettings,
  report: PromotionReport,
  deps: PromotionDeps,
): Promise<void> {
  const target = settings.history!;
  const where = describeHistoryTarget(target);
  const entry = entryFor(settings, report, deps);
  const options = gitOptions(settings.gitToken, deps);
  try {
    const changedNothing =
      report.images.every((i) => i.status === 'skipped') &&
      report.charts.every((c) => c.status === 'skipped') &&
      (!report.releaseArtifact || report.releaseArtifact.status === 'skipped') &&
      report.gitTags.every((t) => t.status === 'skipped') &&
      report.release?.status !== 'created';
    if (changedNothing && report.complete) {
      const recorded = (await readHistory(target, options)).findLast(
        (e) => e.kind === 'promotion' && e.version === report.version && e.status === 'complete',
      );
      if (recorded && sameImages(recorded, entry)) {
        report.history = { target: where, entry: recorded, status: 'unchanged' };
        deps.log(`History: ${report.version} is already recorded in ${where}`);
        return;
      }
    }
    await appendHistory(target, entry, options);
    report.history = { target: where, entry, status: 'written' };
    deps.log(`History: recorded ${report.version} (${entry.status}) in ${where}`);
  } catch (err) {
    report.history = { target: where, entry, status: 'failed', error: errorMessage(err) };
    report.complete = false;
  }
}

function sameImages(a: HistoryEntry, b: HistoryEntry): boolean {
  const key = (e: HistoryEntry) =>
    [...e.images, ...(e.charts ?? []), ...(e.release ? [e.release] : [])]
      .map((i) => `${i.ref}@${i.digest}`)
      .sort()
      .join(' ');
  return key(a) === key(b);
}

/** The release before `version` among the release repositories, with its digest per image. */
async function previousRelease(
  client: RegistryClient,
  candidates: readonly VerifiedCandidate[],
  version: string,
) {
  const tagLists = await Promise.all(candidates.map((c) => client.listTags(c.targetRepository)));
  const previous = releaseVersions(tagLists.flat()).find((v) => semver.lt(v, version));
  if (!previous) return undefined;
  const digests = new Map<string, string>();
  await Promise.all(
    candidates.map(async (c) => {
      const head = await client.headManifest(c.targetRepository, previous);
      if (head) digests.set(c.name, head.digest);
    }),
  );
  return { version: previous, digests };
}

/** The one-paragraph account of an incomplete promotion: what is released and what is not. */
export function incompleteMessage(report: PromotionReport): string {
  const parts = [
    ...report.images.map((i) => ({ ref: i.target, status: i.status, error: i.error })),
    ...report.charts.map((c) => ({ ref: c.ref, status: c.status, error: c.error })),
    ...(report.releaseArtifact
      ? [
          {
            ref: report.releaseArtifact.ref,
            status: report.releaseArtifact.status,
            error:
              report.releaseArtifact.error ??
              (report.releaseArtifact.status === 'not-started'
                ? 'not started: it names every image and chart, and some are missing'
                : undefined),
          },
        ]
      : []),
  ];
  const done = parts.filter((i) => i.status === 'promoted' || i.status === 'skipped');
  const notDone = parts.filter((i) => i.status === 'failed' || i.status === 'not-started');
  const lines = [`Promotion of ${report.candidate} to ${report.version} is incomplete.`];
  lines.push(`Released (${done.length}/${parts.length}): ${done.map((i) => i.ref).join(', ') || 'none'}`);
  if (notDone.length) {
    lines.push(`NOT promoted (${notDone.length}):`);
    for (const i of notDone) lines.push(`  - ${i.ref}: ${i.error ?? 'not started (cancelled)'}`);
  }
  for (const t of report.gitTags.filter((t) => t.status === 'failed'))
    lines.push(`Git tag ${t.tag} on ${t.url} failed: ${t.error}`);
  if (notDone.length)
    lines.push('Git tags and the GitHub release wait until every image and chart is promoted.');
  if (report.release?.status === 'failed') lines.push(`GitHub release failed: ${report.release.error}`);
  if (report.history?.status === 'failed')
    lines.push(`History entry could not be written to ${report.history.target}: ${report.history.error}`);
  lines.push(
    `Re-run the same promotion (version ${report.version}) to complete it: what is done is skipped.`,
  );
  return lines.join('\n');
}
