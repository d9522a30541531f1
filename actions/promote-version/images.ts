import pLimit from 'p-limit';
import { errorMessage, JobFailure } from '../lib/errors.js';
import type { RegistryClient } from '../lib/registry/client.js';
import { copyManifest } from '../lib/registry/copy.js';
import type { RawManifest } from '../lib/registry/manifest.js';
import type { Candidate } from './candidates.js';
import { highestRelease, nextMajor, type VersionRequest } from './version.js';

/** A candidate whose manifest was found, with the digest it will be released with. */
export interface VerifiedCandidate extends Candidate {
  digest: string;
  mediaType: string;
  /** The manifest's bytes as verified: the copy PUTs these without reading them again (else it GETs them). */
  manifest?: RawManifest;
}

/** The release tag's state in a target repository before anything is written. */
export type TargetState = { kind: 'absent' } | { kind: 'same' } | { kind: 'other'; digest: string };

export type ImageStatus = 'promoted' | 'skipped' | 'failed' | 'not-started' | 'planned';

export interface ImageOutcome {
  name: string;
  /** `host/repo@digest` of the candidate. */
  source: string;
  /** `host/repo:version`. */
  target: string;
  digest: string;
  mediaType: string;
  status: ImageStatus;
  error?: string;
  /** kolla-bats' test results for the candidate, carried into the ledger. */
  tests?: unknown;
}

export interface VersionChoice {
  version: string;
  /** Why this version, for the log. */
  reason: string;
  states: Map<Candidate, TargetState>;
}

/**
 * Every candidate must exist (and have its recorded digest) before anything is promoted. One GET
 * each: its bytes are hashed here (the digest released) and are what the copy later PUTs.
 */
export async function verifyCandidates(
  client: RegistryClient,
  candidates: readonly Candidate[],
): Promise<VerifiedCandidate[]> {
  const problems: string[] = [];
  const verified = await Promise.all(
    candidates.map(async (candidate): Promise<VerifiedCandidate | undefined> => {
      const ref = `${client.host}/${candidate.sourceRepository}${candidate.sourceReference.includes(':') ? '@' : ':'}${candidate.sourceReference}`;
      try {
        const manifest = await client.findManifest(candidate.sourceRepository, candidate.sourceReference);
        if (!manifest) {
          problems.push(`${candidate.name}: ${ref} does not exist`);
          return undefined;
        }
        if (candidate.expectedDigest && manifest.digest !== candidate.expectedDigest) {
          problems.push(
            `${candidate.name}: ${ref} has digest ${manifest.digest}, not the recorded ${candidate.expectedDigest}`,
          );
          return undefined;
        }
        return { ...candidate, digest: manifest.digest, mediaType: manifest.mediaType, manifest };
      } catch (err) {
        problems.push(`${candidate.name}: ${errorMessage(err)}`);
        return undefined;
      }
    }),
  );
  if (problems.length) throw unverified(problems, candidates.length, 'image');
  return verified as VerifiedCandidate[];
}

/**
 * What each candidate's release repository holds at `version`. `listed`: the tags of release
 * repositories just listed; a repository whose list lacks the version does not have it, and no
 * HEAD asks again (a promotion of 50 images is 50 requests fewer).
 */
export async function targetStates(
  client: RegistryClient,
  candidates: readonly VerifiedCandidate[],
  version: string,
  listed: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): Promise<Map<Candidate, TargetState>> {
  const states = new Map<Candidate, TargetState>();
  await Promise.all(
    candidates.map(async (candidate) => {
      if (listed.get(candidate.targetRepository)?.has(version) === false) {
        states.set(candidate, { kind: 'absent' });
        return;
      }
      const head = await client.headManifest(candidate.targetRepository, version);
      states.set(
        candidate,
        !head
          ? { kind: 'absent' }
          : head.digest === candidate.digest
            ? { kind: 'same' }
            : { kind: 'other', digest: head.digest },
      );
    }),
  );
  return states;
}

/**
 * The release version. Explicit: as given. next-major: one major above the highest release among
 * the release repositories' tags (and `extraTags`, e.g. git tags) — unless that highest release
 * already holds exactly these candidates wherever it exists, in which case this is a re-run of that
 * promotion (complete: a no-op; interrupted: it completes it) and the version stays.
 */
export async function chooseVersion(
  client: RegistryClient,
  candidates: readonly VerifiedCandidate[],
  request: VersionRequest,
  extraTags: readonly string[] = [],
  /** The states of the release's other parts (charts, the release artifact) at a version. */
  otherStates: (version: string) => Promise<TargetState[]> = async () => [],
): Promise<VersionChoice> {
  if (request.kind === 'explicit') {
    return {
      version: request.version,
      reason: 'explicit version',
      states: await targetStates(client, candidates, request.version),
    };
  }
  const repositories = [...new Set(candidates.map((c) => c.targetRepository))];
  const tagLists = await Promise.all(repositories.map((repository) => client.listTags(repository)));
  const listed = new Map(repositories.map((repository, i) => [repository, new Set(tagLists[i])]));
  const tags = [...tagLists.flat(), ...extraTags];
  const highest = highestRelease(tags);
  if (highest) {
    const states = await targetStates(client, candidates, highest, listed);
    const values = [...states.values(), ...(await otherStates(highest))];
    if (values.some((s) => s.kind === 'same') && values.every((s) => s.kind !== 'other')) {
      const missing = values.filter((s) => s.kind === 'absent').length;
      return {
        version: highest,
        reason: missing
          ? `${highest} already holds some of these candidates: completing that promotion (${missing} part(s) left)`
          : `${highest} already holds exactly these candidates: nothing to do`,
        states,
      };
    }
  }
  const version = nextMajor(tags);
  return {
    version,
    reason: highest ? `next major after ${highest}` : 'first release (no release tags yet)',
    states: await targetStates(client, candidates, version, listed),
  };
}

export interface CopyOptions {
  concurrency: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** Copies each candidate to its release tag, a bounded number at a time; one failure does not stop the others. */
export async function copyImages(
  client: RegistryClient,
  candidates: readonly VerifiedCandidate[],
  version: string,
  options: CopyOptions,
): Promise<ImageOutcome[]> {
  const limit = pLimit(options.concurrency);
  return Promise.all(
    candidates.map((candidate) =>
      limit(async (): Promise<ImageOutcome> => {
        const outcome = describe(client, candidate, version, 'not-started');
        if (options.signal?.aborted) return outcome;
        try {
          const result = await copyManifest(client, {
            sourceRepository: candidate.sourceRepository,
            sourceReference: candidate.digest,
            targetRepository: candidate.targetRepository,
            targetReference: version,
            expectedDigest: candidate.digest,
            source: candidate.manifest,
          });
          options.log?.(
            `${candidate.name}: ${outcome.target} = ${result.digest}${result.mountedBlobs ? ` (${result.mountedBlobs} blobs mounted)` : ''}`,
          );
          return { ...outcome, status: 'promoted' };
        } catch (err) {
          options.log?.(`${candidate.name}: FAILED ${errorMessage(err)}`);
          return { ...outcome, status: 'failed', error: errorMessage(err) };
        }
      }),
    ),
  );
}

export function describe(
  client: RegistryClient,
  candidate: VerifiedCandidate,
  version: string,
  status: ImageStatus,
): ImageOutcome {
  return {
    name: candidate.name,
    source: `${client.host}/${candidate.sourceRepository}@${candidate.digest}`,
    target: `${client.host}/${candidate.targetRepository}:${version}`,
    digest: candidate.digest,
    mediaType: candidate.mediaType,
    status,
    ...(candidate.tests !== undefined ? { tests: candidate.tests } : {}),
  };
}

/** The verification failure that stops a promotion before anything changes: every problem, one per line. */
export function unverified(problems: readonly string[], of: number, kind: 'image' | 'chart'): JobFailure {
  return new JobFailure(
    `Nothing was promoted: ${problems.length} of ${of} candidate ${kind}(s) could not be verified:\n` +
      problems.map((p) => `  - ${p}`).join('\n'),
  );
}
