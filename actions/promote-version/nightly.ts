/**
 * Nightly runs in the artifact ledger: `mode: record-nightly` appends a run's verdict with the
 * digests it deployed, and `require-nightly` lets a promotion through only for a candidate whose
 * nightly passed with exactly the bits that are about to be released.
 */
import { errorMessage, JobFailure, UserError } from '../lib/errors.js';
import type { HistoryEntry, HistoryImage } from '../lib/history/entry.js';
import { appendHistory, readHistory } from '../lib/history/store.js';
import { describeHistoryTarget } from '../lib/history/target.js';
import { gitOptions } from './git-tags.js';
import { readNightlyReports } from './nightly-reports.js';
import type { RegistryClient } from '../lib/registry/client.js';
import { isDigest, parseImageReference } from '../lib/registry/reference.js';
import type { Candidate } from './candidates.js';
import type { VerifiedCandidate } from './images.js';
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
  /** Candidate references not in the registry: left out of the entry's images, listed in details.missing. */
  missing: string[];
}

/** `host/repo:tag` (or `@digest`) of a candidate as the nightly deployed it. */
function candidateRef(host: string, candidate: Candidate): string {
  if (candidate.givenRef) return candidate.givenRef;
  const separator = isDigest(candidate.sourceReference) ? '@' : ':';
  return `${host}/${candidate.sourceRepository}${separator}${candidate.sourceReference}`;
}

/**
 * Appends the nightly's verdict for the candidate to the ledger. Digests come from kolla-bats'
 * JSON as given, else from the registry (the candidate tag). A passing nightly must be recorded
 * with every digest it could read — a registry error fails the step rather than record a pass that
 * would let other bits through later; a failing one is recorded with what could be read.
 */
export async function recordNightly(settings: PromoteSettings, deps: NightlyDeps): Promise<NightlyRecord> {
  const passed = settings.nightlyPassed;
  if (passed === undefined) throw new Error('recordNightly needs settings.nightlyPassed');
  const target = settings.history;
  if (!target) throw new Error('recordNightly needs settings.history');
  const { client } = deps;
  const images: HistoryImage[] = [];
  const missing: string[] = [];
  const unreadable: string[] = [];
  const lookups = settings.candidates.filter((c) => !c.expectedDigest);
  let reachable = true;
  if (lookups.length) {
    try {
      await client.ping();
    } catch (err) {
      if (passed) throw new JobFailure(`Nothing was recorded: ${errorMessage(err)}`);
      reachable = false;
      unreadable.push(...lookups.map((c) => `${c.name}: ${errorMessage(err)}`));
    }
  }
  const resolved = await Promise.all(
    settings.candidates.map(async (candidate): Promise<HistoryImage | undefined> => {
      const ref = candidateRef(client.host, candidate);
      const base = {
        name: candidate.name,
        ref,
        ...(candidate.tests !== undefined ? { tests: candidate.tests } : {}),
      };
      if (candidate.expectedDigest) return { ...base, digest: candidate.expectedDigest };
      if (!reachable) return undefined;
      try {
        const head = await client.headManifest(candidate.sourceRepository, candidate.sourceReference);
        if (!head) missing.push(ref);
        return head ? { ...base, digest: head.digest } : undefined;
      } catch (err) {
        unreadable.push(`${candidate.name}: ${errorMessage(err)}`);
        return undefined;
      }
    }),
  );
  if (unreadable.length && passed) {
    throw new JobFailure(
      `Nothing was recorded: the digests of ${unreadable.length} candidate image(s) could not be read, and a passing nightly must record what it tested:\n` +
        unreadable.map((line) => `  - ${line}`).join('\n'),
    );
  }
  for (const image of resolved) if (image) images.push(image);
  missing.sort(); // lookups finish in any order
  for (const line of unreadable) deps.warn?.(`Recorded without its digest: ${line}`);
  if (missing.length)
    deps.warn?.(
      `Not in the registry, left out of the entry (listed as details.missing): ${missing.join(', ')}`,
    );

  const reports = await readNightlyReports(settings.reports, deps.warn);
  const details: Record<string, unknown> = {};
  if (missing.length) details.missing = missing;
  if (unreadable.length) details.unreadable = unreadable;
  const entry: HistoryEntry = {
    schema: 1,
    kind: NIGHTLY_KIND,
    time: (deps.now?.() ?? new Date()).toISOString(),
    status: passed ? 'passed' : 'failed',
    ...(settings.profileName ? { profile: settings.profileName } : {}),
    candidate: settings.candidate,
    images,
    ...(settings.runUrl ? { runUrl: settings.runUrl } : {}),
    ...reports,
    ...(Object.keys(details).length ? { details } : {}),
  };
  const where = describeHistoryTarget(target);
  if (settings.dryRun) {
    deps.log(`Dry run: would record the nightly of ${settings.candidate} (${entry.status}) in ${where}`);
    return { target: where, entry, status: 'planned', missing };
  }
  await appendHistory(target, entry, gitOptions(settings.gitToken, deps));
  deps.log(`History: recorded the nightly of ${settings.candidate} (${entry.status}) in ${where}`);
  return { target: where, entry, status: 'written', missing };
}

/**
 * The passing nightly entries of the candidate, newest first. Read before anything else happens: a
 * candidate without one is refused before the registry is touched.
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
  const passing = mine.filter((e) => e.status === 'passed');
  if (passing.length === 0) {
    const seen = mine.length
      ? `its nightly run(s) there did not pass (${mine.map((e) => `${e.status} at ${e.time}${e.runUrl ? ` ${e.runUrl}` : ''}`).join('; ')})`
      : 'there is no nightly run of it there';
    throw new UserError(
      `Refusing to promote ${settings.candidate}: require-nightly needs a passing nightly run in the artifact ledger ${where}, and ${seen}`,
    );
  }
  deps.log(
    `Nightly: ${settings.candidate} passed at ${passing[0].time}${passing[0].runUrl ? ` (${passing[0].runUrl})` : ''}`,
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

/**
 * Passes when one of the candidate's passing nightlies tested exactly these digests (or recorded
 * none to compare); otherwise refuses, listing the differences to the newest passing nightly.
 */
export function checkNightlyDigests(
  settings: PromoteSettings,
  passing: readonly HistoryEntry[],
  host: string,
  candidates: readonly VerifiedCandidate[],
): HistoryEntry {
  const differences = passing.map((entry) =>
    entry.images.some((i) => i.digest) ? nightlyDifferences(entry, host, candidates) : [],
  );
  const match = differences.findIndex((d) => d.length === 0);
  if (match !== -1) return passing[match];
  const newest = passing[0];
  throw new UserError(
    `Refusing to promote ${settings.candidate}: the candidate is not what its passing nightly tested ` +
      `(${newest.time}${newest.runUrl ? `, ${newest.runUrl}` : ''}, in the artifact ledger ${describeHistoryTarget(settings.history!)}):\n` +
      differences[0].map((d) => `  - ${d}`).join('\n') +
      '\nRun the nightly again on the current candidate, or promote the tested digests (kolla-bats JSON).',
  );
}
