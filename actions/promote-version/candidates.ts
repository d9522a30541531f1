import path from 'node:path';
import { UserError } from '../lib/errors.js';
import {
  isDigest,
  isValidRepository,
  isValidTag,
  type ImageReference,
  joinRepository,
  parseImageReference,
  type RegistryLocation,
} from '../lib/registry/reference.js';

/** One image to promote: where the candidate is and where the release tag goes. */
export interface Candidate {
  /** Image name as given (`keystone`, `candidates/x`). */
  name: string;
  sourceRepository: string;
  /** Candidate tag or digest. */
  sourceReference: string;
  /** The digest the candidate must have (kolla-bats records it); checked before anything changes. */
  expectedDigest?: string;
  targetRepository: string;
  /** kolla-bats' test results for the image, kept for the ledger. */
  tests?: unknown;
  /** The reference exactly as kolla-bats' JSON gave it. */
  givenRef?: string;
}

export interface CandidateOptions {
  registry: RegistryLocation;
  /** The candidate tag; required when images are given by name. */
  candidateTag?: string;
  /** Namespace under the registry namespace where candidates live (profile `registry.candidate-namespace`). */
  candidateNamespace?: string;
  /** Prefix of the release repositories; without it a release tag goes into the candidate's own repository. */
  targetPrefix?: string;
}

/** kolla-bats' `images` output: `[{name, ref, digest, tests}]`. */
interface KollaImage {
  name?: unknown;
  ref?: unknown;
  digest?: unknown;
  tests?: unknown;
}

/**
 * Reads `images`: names (a list, one per line or comma-separated) combined with the candidate tag,
 * or kolla-bats' JSON whose refs and digests pin each candidate exactly.
 */
export function parseCandidates(text: string, what: string, options: CandidateOptions): Candidate[] {
  const trimmed = text.trim();
  let candidates: Candidate[];
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new UserError(
        `${what}: expected image names or kolla-bats' images JSON [{name, ref, digest}], but the JSON is invalid (${(err as Error).message})`,
      );
    }
    if (!Array.isArray(parsed)) throw new UserError(`${what}: expected a JSON list`);
    candidates = parsed.every((item) => typeof item === 'string')
      ? fromNames(parsed as string[], what, options)
      : parsed.map((item, i) => fromKolla(item as KollaImage, `${what}[${i}]`, options));
  } else {
    const names = trimmed
      .split(/\r?\n/)
      .filter((line) => !line.trim().startsWith('#'))
      .flatMap((line) => line.split(','))
      .map((name) => name.trim())
      .filter(Boolean);
    candidates = fromNames(names, what, options);
  }
  if (candidates.length === 0) throw new UserError(`${what}: no images to promote`);
  const byTarget = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const other = byTarget.get(candidate.targetRepository);
    if (other) {
      throw new UserError(
        `${what}: ${other.name} and ${candidate.name} would both be released as ${options.registry.host}/${candidate.targetRepository}`,
      );
    }
    byTarget.set(candidate.targetRepository, candidate);
  }
  return candidates;
}

function targetRepository(name: string, sourceRepository: string, options: CandidateOptions): string {
  return options.targetPrefix
    ? joinRepository(options.registry.namespace, options.targetPrefix, path.posix.basename(name))
    : sourceRepository;
}

function fromNames(names: string[], what: string, options: CandidateOptions): Candidate[] {
  if (names.length === 0) return [];
  const tag = options.candidateTag?.trim();
  if (!tag)
    throw new UserError(
      `Input 'candidate' is required when ${what} lists image names (which tag to promote, e.g. nightly-20261124)`,
    );
  if (!isValidTag(tag) && !isDigest(tag))
    throw new UserError(`Input 'candidate': ${JSON.stringify(tag)} is not a valid tag`);
  return names.map((name) => {
    if (!isValidRepository(name)) {
      throw new UserError(
        `${what}: ${JSON.stringify(name)} is not a valid image name (lower-case path components such as keystone or kolla/nova-api)`,
      );
    }
    const sourceRepository = joinRepository(options.registry.namespace, options.candidateNamespace, name);
    return {
      name,
      sourceRepository,
      sourceReference: tag,
      targetRepository: targetRepository(name, sourceRepository, options),
    };
  });
}

function fromKolla(item: KollaImage, what: string, options: CandidateOptions): Candidate {
  if (typeof item !== 'object' || item === null)
    throw new UserError(`${what}: expected an object {name, ref, digest}`);
  if (typeof item.ref !== 'string') throw new UserError(`${what}.ref: expected an image reference string`);
  const { ref, digest, reference } = pinnedArtifact(
    { ref: item.ref, digest: item.digest },
    what,
    options.registry,
  );
  const name = typeof item.name === 'string' && item.name ? item.name : path.posix.basename(ref.repository);
  if (!isValidRepository(name))
    throw new UserError(`${what}.name: ${JSON.stringify(name)} is not a valid image name`);
  return {
    name,
    sourceRepository: ref.repository,
    sourceReference: reference,
    expectedDigest: digest,
    targetRepository: targetRepository(name, ref.repository, options),
    tests: item.tests,
    givenRef: item.ref,
  };
}

/** The candidate's label for logs and the ledger: the candidate input, else the tags the refs share. */
export function candidateLabel(candidates: readonly Candidate[], candidateTag: string | undefined): string {
  if (candidateTag?.trim()) return candidateTag.trim();
  const tags = [...new Set(candidates.map((c) => c.sourceReference).filter((ref) => !isDigest(ref)))];
  return tags.length ? tags.join(',') : 'by-digest';
}

/**
 * A producer's `{ref, digest}` output item on the promotion registry: the repository and what
 * pins it (the digest when one is given, in `digest` or in the reference, else the tag).
 */
export function pinnedArtifact(
  item: { ref: string; digest?: unknown },
  what: string,
  registry: RegistryLocation,
): { ref: ImageReference; digest?: string; reference: string } {
  const ref = parseImageReference(item.ref, `${what}.ref`);
  if (ref.host !== registry.host) {
    throw new UserError(
      `${what}.ref: ${item.ref} is on ${ref.host}, not on the promotion registry ${registry.host} (promotion copies within one registry)`,
    );
  }
  if (item.digest !== undefined && (typeof item.digest !== 'string' || !isDigest(item.digest))) {
    throw new UserError(
      `${what}.digest: expected a digest such as sha256:…, got ${JSON.stringify(item.digest)}`,
    );
  }
  const digest = (item.digest as string | undefined) ?? ref.digest;
  if (ref.digest && digest !== ref.digest)
    throw new UserError(`${what}: ref says ${ref.digest} but digest says ${digest}`);
  const reference = digest ?? ref.tag;
  if (!reference) throw new UserError(`${what}.ref: ${item.ref} has neither a tag nor a digest`);
  return { ref, digest, reference };
}
