/**
 * Nightly runs in the artifact ledger: `mode: record-nightly` appends a run's per-stage verdict
 * with the digests it deployed, and `require-nightly` lets a promotion through only for a
 * candidate whose nightly passed the required stages with exactly the bits about to be released.
 */
import { JobFailure } from '../lib/errors.js';
import type { HistoryChart, HistoryEntry, HistoryImage } from '../lib/history/entry.js';
import { digestGaps, promotionBlockers } from '../lib/history/promotable.js';
import { appendHistory, readHistory } from '../lib/history/store.js';
import { describeHistoryTarget } from '../lib/history/target.js';
import { gitOptions } from './git-tags.js';
import { readNightlyReports } from './nightly-reports.js';
import type { RegistryClient } from '../lib/registry/client.js';
import { isDigest, parseImageReference } from '../lib/registry/reference.js';
import type { Candidate } from './candidates.js';
import type { VerifiedChart } from './charts.js';
import type { VerifiedCandidate } from './images.js';
import { describeStages, nightlyVerdict } from './stages.js';
import type { PromoteSettings } from './settings.js';

export const NIGHTLY_KIND = 'nightly';

export interface NightlyDeps {
  client: RegistryClient;
  env: Readonly<Record<string, string | undefined>>;
  tempDir: string;
  signal?: AbortSignal;
  log: (line: string) => void;
  warn?: (line: string) => void;
  now?: () => Date;
}

export interface NightlyRecord {
  target: string;
  entry: HistoryEntry;
  /** `planned` in dry-run: the entry was not written. */
  status: 'written' | 'planned';
  /** Images named without a digest (a failed nightly only: a passing one refuses to record them). */
  missing: string[];
}

/** `host/repo:tag` (or `@digest`) of a candidate as the nightly deployed it. */
function candidateRef(host: string, candidate: Candidate): string {
  if (candidate.givenRef) return candidate.givenRef;
  const separator = isDigest(candidate.sourceReference) ? '@' : ':';
  return `${host}/${candidate.sourceRepository}${separator}${candidate.sourceReference}`;
}

/** What the nightly deployed, by digest: deploy-armada's release output, else digests given with the images. */
function deployedArtifacts(settings: PromoteSettings, host: string) {
  if (settings.deployed) {
    const { release, images, charts } = settings.deployed;
    return { release, images, charts, undigested: [] as string[] };
  }
  const images: HistoryImage[] = [];
  const undigested: string[] = [];
  for (const candidate of settings.candidates) {
    const ref = candidateRef(host, candidate);
    const digest =
      candidate.expectedDigest ??
      (isDigest(candidate.sourceReference) ? candidate.sourceReference : undefined);
    if (!digest) {
      undigested.push(ref);
      continue;
    }
    images.push({
      name: candidate.name,
      ref,
      digest,
      ...(candidate.tests !== undefined ? { tests: candidate.tests } : {}),
    });
  }
  return { release: undefined, images, charts: [] as HistoryChart[], undigested };
}

/**
 * Appends the nightly's verdict for the candidate to the ledger, from what was deployed: the
 * release artifact and its bill of materials (deploy-armada's `release` output), or digests given
 * with the images (kolla-bats' JSON). A tag is never looked up again: it may have moved since the
 * deployment. The verdict comes from the stages' results; a passing entry must name every image
 * and chart by digest, or nothing is recorded.
 */
export async function recordNightly(settings: PromoteSettings, deps: NightlyDeps): Promise<NightlyRecord> {
  const stages = settings.nightlyStages;
  if (!stages) throw new Error('recordNightly needs settings.nightlyStages');
  const target = settings.history;
  if (!target) throw new Error('recordNightly needs settings.history');
  const status = nightlyVerdict(stages);
  const { release, images, charts, undigested } = deployedArtifacts(settings, deps.client.host);
  const reports = await readNightlyReports(settings.reports, deps.warn);
  const entry: HistoryEntry = {
    schema: 1,
    kind: NIGHTLY_KIND,
    time: (deps.now?.() ?? new Date()).toISOString(),
    status,
    ...(settings.profileName ? { profile: settings.profileName } : {}),
    candidate: settings.candidate,
    images,
    ...(charts.length ? { charts } : {}),
    ...(release ? { release } : {}),
    stages,
    ...(settings.runUrl ? { runUrl: settings.runUrl } : {}),
    ...reports,
    ...(undigested.length ? { details: { undigested } } : {}),
  };
  const gaps = [
    ...digestGaps(entry),
    ...(undigested.length ? [`no digest for ${undigested.join(', ')}`] : []),
  ];
  if (status === 'passed' && gaps.length)
    throw new JobFailure(
      `Nothing was recorded: a passing nightly must name every image and chart it deployed by digest, and ${gaps.join('; ')}. ` +
        `Pass deploy-armada's release output as input 'deployed' (or kolla-bats' images JSON, with digests).`,
    );
  if (undigested.length)
    deps.warn?.(`Recorded without a digest (listed as details.undigested): ${undigested.join(', ')}`);
  const where = describeHistoryTarget(target);
  const what = `the nightly of ${settings.candidate} (${status}: ${describeStages(stages)})`;
  if (settings.dryRun) {
    deps.log(`Dry run: would record ${what} in ${where}`);
    return { target: where, entry, status: 'planned', missing: undigested };
  }
  await appendHistory(target, entry, gitOptions(settings.gitToken, deps));
  deps.log(`History: recorded ${what} in ${where}`);
  return { target: where, entry, status: 'written', missing: undigested };
}

/**
 * The candidate's nightly entries that can promote (passed, with the required stages passed and
 * every artifact named by digest), newest first. Read before anything else happens: a candidate
 * without one is refused before the registry is touched, with each entry's reason.
 */
export async function passingNightlies(
  settings: PromoteSettings,
  deps: Pick<NightlyDeps, 'env' | 'tempDir' | 'signal' | 'log'>,
): Promise<HistoryEntry[]> {
  const target = settings.history;
  if (!target) throw new Error('passingNightlies needs settings.history');
  const where = describeHistoryTarget(target);
  const mine = (await readHistory(target, gitOptions(settings.gitToken, deps)))
    .filter((e) => e.kind === NIGHTLY_KIND && e.candidate === settings.candidate)
    .reverse();
  const required = settings.requiredStages;
  const blocked = mine.map((e) => promotionBlockers(e, required));
  const passing = mine.filter((_, i) => blocked[i].length === 0);
  if (passing.length === 0) {
    const seen = mine.length
      ? `none of its nightly runs there can promote (${mine.map((e, i) => `${e.status} at ${e.time}${e.runUrl ? ` ${e.runUrl}` : ''}: ${blocked[i].join(', ')}`).join('; ')})`
      : 'there is no nightly run of it there';
    throw new JobFailure(
      `Refusing to promote ${settings.candidate}: require-nightly needs a passing nightly run with ${required.length ? required.join(', ') : 'its digests'} passed in the artifact ledger ${where}, and ${seen}`,
    );
  }
  deps.log(
    `Nightly: ${settings.candidate} passed at ${passing[0].time}${passing[0].runUrl ? ` (${passing[0].runUrl})` : ''}${passing[0].stages ? ` (${describeStages(passing[0].stages)})` : ''}`,
  );
  return passing;
}

/** The repository path of an image reference (the host left out: a digest is the same in every registry). */
function repositoryOf(ref: string): string | undefined {
  try {
    return parseImageReference(ref, 'ref').repository;
  } catch {
    return undefined;
  }
}

/**
 * What differs between a nightly entry's images and the verified candidates (empty: the same bits).
 * Images are matched by repository path, whatever the registry host (the nightly may have run
 * against another environment's registry or a mirror), else by the last path component when only
 * one recorded image has it (`taco/candidates/keystone` ↔ `taco/keystone`).
 */
export function nightlyDifferences(
  entry: HistoryEntry,
  host: string,
  candidates: readonly VerifiedCandidate[],
): string[] {
  const byRepository = new Map<string, HistoryImage>();
  const byBasename = new Map<string, HistoryImage[]>();
  for (const image of entry.images) {
    const repository = repositoryOf(image.ref);
    if (!repository || !image.digest) continue;
    byRepository.set(repository, image);
    const base = repository.split('/').at(-1)!;
    byBasename.set(base, [...(byBasename.get(base) ?? []), image]);
  }
  const problems: string[] = [];
  for (const candidate of candidates) {
    const where = `${host}/${candidate.sourceRepository}`;
    const sameName = byBasename.get(candidate.sourceRepository.split('/').at(-1)!) ?? [];
    const image =
      byRepository.get(candidate.sourceRepository) ?? (sameName.length === 1 ? sameName[0] : undefined);
    if (!image) problems.push(`${candidate.name}: ${where} is not among the images the nightly tested`);
    else if (image.digest !== candidate.digest)
      problems.push(
        `${candidate.name}: ${where} is now ${candidate.digest}, the nightly tested ${image.digest} (${image.ref})`,
      );
  }
  return problems;
}

/** The release artifact promoted must be the one the nightly deployed (it pins the manifest too). */
function releaseDifference(entry: HistoryEntry, from: { ref: string; digest: string } | undefined): string[] {
  if (!from || entry.release?.digest === from.digest) return [];
  return entry.release
    ? [
        `release ${from.ref} is now ${from.digest}, the nightly deployed ${entry.release.digest} (${entry.release.ref})`,
      ]
    : [`release ${from.ref}: the nightly deployed no release artifact`];
}

/** What differs between a nightly entry's charts and the verified candidate charts. */
export function chartDifferences(entry: HistoryEntry, charts: readonly VerifiedChart[]): string[] {
  const tested = new Map((entry.charts ?? []).map((c) => [c.name, c]));
  return charts.flatMap((chart) => {
    const seen = tested.get(chart.name);
    if (!seen) return [`chart ${chart.name}: ${chart.source} is not among the charts the nightly deployed`];
    if (seen.digest !== chart.digest)
      return [
        `chart ${chart.name}: ${chart.source} is now ${chart.digest}, the nightly deployed ${seen.digest} (${seen.ref})`,
      ];
    return [];
  });
}

/**
 * Passes when one of the candidate's passing nightlies tested exactly these digests, images and
 * charts; otherwise refuses, listing the differences to the newest passing nightly. An entry
 * without digests never passes: there is nothing to prove what it tested.
 */
export function checkNightlyDigests(
  settings: PromoteSettings,
  passing: readonly HistoryEntry[],
  host: string,
  candidates: readonly VerifiedCandidate[],
  charts: readonly VerifiedChart[] = [],
  from?: { ref: string; digest: string },
): HistoryEntry {
  const differences = passing.map((entry) => [
    ...digestGaps(entry),
    ...releaseDifference(entry, from),
    ...nightlyDifferences(entry, host, candidates),
    ...chartDifferences(entry, charts),
  ]);
  const match = differences.findIndex((d) => d.length === 0);
  if (match !== -1) return passing[match];
  const newest = passing[0];
  throw new JobFailure(
    `Refusing to promote ${settings.candidate}: the candidate is not what its passing nightly tested ` +
      `(${newest.time}${newest.runUrl ? `, ${newest.runUrl}` : ''}, in the artifact ledger ${describeHistoryTarget(settings.history!)}):\n` +
      differences[0].map((d) => `  - ${d}`).join('\n') +
      '\nRun the nightly again on the current candidate, or promote the tested digests (kolla-bats JSON).',
  );
}
