import { errorMessage, JobFailure, UserError } from '../lib/errors.js';
import type { HistoryEntry } from '../lib/history/entry.js';
import { appendHistory, readHistory } from '../lib/history/store.js';
import { describeHistoryTarget } from '../lib/history/target.js';
import type { RegistryClient } from '../lib/registry/client.js';
import { createGitTag, type GitOptions, type GitTagOutcome, inspectGitRepo, planGitTag } from './git-tags.js';
import { publishRelease, releaseBody, type ReleaseOutcome } from './github-release.js';
import {
  chooseVersion,
  copyImages,
  describe,
  type ImageOutcome,
  verifyCandidates,
  type VerifiedCandidate,
} from './images.js';
import { checkNightlyDigests, passingNightlies } from './nightly.js';
import type { PromoteSettings } from './settings.js';
import { releaseVersions } from './version.js';
import semver from 'semver';

export interface PromotionDeps {
  client: RegistryClient;
  env: Readonly<Record<string, string | undefined>>;
  tempDir: string;
  signal?: AbortSignal;
  log: (line: string) => void;
  now?: () => Date;
}

export interface PromotionReport {
  version: string;
  /** Why this version was chosen. */
  versionReason: string;
  candidate: string;
  dryRun: boolean;
  images: ImageOutcome[];
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

/**
 * A promotion: verify every candidate and every release tag first (nothing is changed when one is
 * missing or a release tag already holds something else), copy the manifests, then tag git, publish
 * the GitHub release and append the ledger. Every step skips what is already done, so re-running a
 * promotion that failed midway completes it and re-running a complete one changes nothing.
 */
export async function promote(settings: PromoteSettings, deps: PromotionDeps): Promise<PromotionReport> {
  const { client, log } = deps;
  // require-nightly: the ledger is read first, so a candidate without a passing nightly is refused
  // before the registry or git is touched.
  const nightlies = settings.requireNightly ? await passingNightlies(settings, deps) : undefined;
  await client.ping();
  const verified = await verifyCandidates(client, settings.candidates);
  log(`Verified ${verified.length} candidate image(s) of ${settings.candidate}`);
  if (nightlies) {
    const tested = checkNightlyDigests(settings, nightlies, client.host, verified);
    log(
      tested.images.some((i) => i.digest)
        ? `Nightly of ${tested.time} tested exactly these digests`
        : `Nightly of ${tested.time} recorded no digests: only its verdict is checked`,
    );
  }

  const gitOptions: GitOptions = {
    env: deps.env,
    token: settings.gitToken,
    tempDir: deps.tempDir,
    signal: deps.signal,
    log,
  };
  const gitStates = await Promise.all(
    settings.gitRepos.map((spec) =>
      inspectGitRepo(spec, settings.candidate, gitOptions).catch((err: unknown) => {
        if (err instanceof UserError) throw err;
        throw new JobFailure(`Nothing was promoted: ${errorMessage(err)}`);
      }),
    ),
  );
  const choice = await chooseVersion(
    client,
    verified,
    settings.version,
    gitStates.flatMap((s) => s.tags),
  );
  const version = choice.version;
  log(`Release version ${version}: ${choice.reason}`);

  const conflicts: string[] = [];
  for (const candidate of verified) {
    const state = choice.states.get(candidate)!;
    if (state.kind === 'other') {
      conflicts.push(
        `${client.host}/${candidate.targetRepository}:${version} already exists with digest ${state.digest} (the candidate is ${candidate.digest})`,
      );
    }
  }
  const gitPlans = gitStates.map((state) => planGitTag(state, version));
  for (const plan of gitPlans) if ('conflict' in plan) conflicts.push(plan.conflict);
  if (conflicts.length) {
    throw new JobFailure(
      `Nothing was promoted: release tags are immutable and ${version} is taken:\n${conflicts.map((c) => `  - ${c}`).join('\n')}\n` +
        `Promote to another version (input version) if this candidate should be released.`,
    );
  }
  const tagPlans = gitPlans.filter((p): p is Exclude<typeof p, { conflict: string }> => !('conflict' in p));
  const toCopy = verified.filter((c) => choice.states.get(c)!.kind === 'absent');
  const alreadyThere = verified.filter((c) => choice.states.get(c)!.kind === 'same');

  const report: PromotionReport = {
    version,
    versionReason: choice.reason,
    candidate: settings.candidate,
    dryRun: settings.dryRun,
    images: [],
    gitTags: [],
    complete: true,
  };
  const skipped = alreadyThere.map((c) => describe(client, c, version, 'skipped'));

  if (settings.dryRun) {
    report.images = [...toCopy.map((c) => describe(client, c, version, 'planned')), ...skipped];
    report.gitTags = tagPlans.map((p) => ({ ...p, status: p.state === 'exists' ? 'skipped' : 'planned' }));
    if (settings.githubRelease) report.release = { status: 'planned' };
    if (settings.history)
      report.history = {
        target: describeHistoryTarget(settings.history),
        entry: entryFor(settings, report, deps),
        status: 'planned',
      };
    return report;
  }

  const copied = await copyImages(client, toCopy, version, {
    concurrency: settings.concurrency,
    signal: deps.signal,
    log,
  });
  report.images = [...copied, ...skipped];
  report.complete = copied.every((o) => o.status === 'promoted');

  if (report.complete) {
    for (const plan of tagPlans) {
      if (plan.state === 'exists') {
        report.gitTags.push({ ...plan, status: 'skipped' });
        continue;
      }
      try {
        await createGitTag(plan, `TACO release ${version} (candidate ${settings.candidate})`, gitOptions);
        report.gitTags.push({ ...plan, status: 'created' });
      } catch (err) {
        report.gitTags.push({ ...plan, status: 'failed', error: errorMessage(err) });
        report.complete = false;
      }
    }
  }

  if (report.complete && settings.githubRelease) {
    try {
      const previous = await previousRelease(client, verified, version);
      const body = releaseBody({
        version,
        candidate: settings.candidate,
        images: report.images,
        previous,
        commits: tagPlans.map((p) => ({ url: p.url, commit: p.commit })),
        runUrl: settings.runUrl,
      });
      report.release = await publishRelease(settings.githubRelease, version, body);
      log(
        `GitHub release ${version}: ${report.release.status}${report.release.url ? ` (${report.release.url})` : ''}`,
      );
    } catch (err) {
      report.release = { status: 'failed', error: errorMessage(err) };
      report.complete = false;
    }
  }

  if (settings.history) await recordHistory(settings, report, deps);
  return report;
}

/** The ledger line for this promotion: what is released under the version now. */
function entryFor(settings: PromoteSettings, report: PromotionReport, deps: PromotionDeps): HistoryEntry {
  const released = report.images.filter(
    (i) => i.status === 'promoted' || i.status === 'skipped' || i.status === 'planned',
  );
  const missing = report.images.filter((i) => i.status === 'failed' || i.status === 'not-started');
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
    commits: report.gitTags
      .filter((t) => t.status !== 'failed')
      .map((t) => ({ repository: t.url, commit: t.commit, tag: t.tag })),
    ...(settings.runUrl ? { runUrl: settings.runUrl } : {}),
    ...(missing.length
      ? {
          details: {
            notPromoted: missing.map((i) => ({ name: i.name, target: i.target, error: i.error ?? i.status })),
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
  const options = {
    env: deps.env,
    token: settings.gitToken,
    tempDir: deps.tempDir,
    signal: deps.signal,
    log: deps.log,
  };
  try {
    const changedNothing =
      report.images.every((i) => i.status === 'skipped') &&
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
    e.images
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
  const done = report.images.filter((i) => i.status === 'promoted' || i.status === 'skipped');
  const notDone = report.images.filter((i) => i.status === 'failed' || i.status === 'not-started');
  const lines = [`Promotion of ${report.candidate} to ${report.version} is incomplete.`];
  lines.push(
    `Released (${done.length}/${report.images.length}): ${done.map((i) => i.target).join(', ') || 'none'}`,
  );
  if (notDone.length) {
    lines.push(`NOT promoted (${notDone.length}):`);
    for (const i of notDone) lines.push(`  - ${i.target}: ${i.error ?? 'not started (cancelled)'}`);
  }
  for (const t of report.gitTags.filter((t) => t.status === 'failed'))
    lines.push(`Git tag ${t.tag} on ${t.url} failed: ${t.error}`);
  if (notDone.length) lines.push('Git tags and the GitHub release wait until every image is promoted.');
  if (report.release?.status === 'failed') lines.push(`GitHub release failed: ${report.release.error}`);
  if (report.history?.status === 'failed')
    lines.push(`History entry could not be written to ${report.history.target}: ${report.history.error}`);
  lines.push(
    `Re-run the same promotion (version ${report.version}) to complete it: what is done is skipped.`,
  );
  return lines.join('\n');
}
