/**
 * Mode `candidate-release`: the release artifact `<registry>/taco-release:<candidate>` of the
 * candidate images (by their verified digests), the candidate charts as helm-rally pushed them (no
 * re-versioning) and the Armada manifest rendered against them. The nightly deploys it with
 * deploy-armada's `release` input; promoting it (input `release`) releases exactly those bits.
 */
import { errorMessage, JobFailure } from '../lib/errors.js';
import { type BillOfMaterials, pushRelease } from '../lib/release/index.js';
import { type VerifiedChart, verifyCharts } from './charts.js';
import { gitOptions, inspectGitRepo } from './git-tags.js';
import { verifyCandidates, type VerifiedCandidate } from './images.js';
import { planRelease } from './release-artifact.js';
import type { PromoteSettings } from './settings.js';
import type { PromotionDeps } from './promote.js';

/** What a candidate release needs: a promotion's dependencies (it writes no ledger entry, so no clock). */
export type CandidateReleaseDeps = Omit<PromotionDeps, 'now'>;

export interface CandidateReleaseReport {
  candidate: string;
  ref: string;
  digest: string;
  /** `pushed`, `skipped` (the tag already holds this release) or `planned` (dry-run). */
  status: 'pushed' | 'skipped' | 'planned';
  bom: BillOfMaterials;
  dryRun: boolean;
}

/** `host/repo:tag@digest`: the candidate tag for people, the digest for what is deployed (tags move). */
function pinnedRef(host: string, candidate: VerifiedCandidate): string {
  const base = `${host}/${candidate.sourceRepository}`;
  const tag = candidate.sourceReference.includes(':') ? '' : `:${candidate.sourceReference}`;
  return `${base}${tag}@${candidate.digest}`;
}

export async function candidateRelease(
  settings: PromoteSettings,
  deps: CandidateReleaseDeps,
): Promise<CandidateReleaseReport> {
  const { client, log } = deps;
  if (!settings.manifest) throw new Error('candidateRelease needs settings.manifest');
  await client.ping();
  const images = await verifyCandidates(client, settings.candidates);
  const charts: VerifiedChart[] = settings.charts.length
    ? await verifyCharts(client, settings.charts, settings.candidate)
    : [];
  log(`Verified ${images.length} candidate image(s) and ${charts.length} chart(s) of ${settings.candidate}`);
  const git = gitOptions(settings.gitToken, deps);
  // The commits are a record, not a gate, here: a repository whose candidate tag is not set yet
  // (the nightly tags after it builds) is left out of the candidate's BOM; the promotion tags it.
  const gitStates = (
    await Promise.all(
      settings.gitRepos.map((spec) =>
        inspectGitRepo(spec, settings.candidate, git).catch((err: unknown) => {
          log(`Source commit of ${spec.url} not recorded: ${errorMessage(err)}`);
          return undefined;
        }),
      ),
    )
  ).filter((state) => state !== undefined);
  const plan = await planRelease(client, settings.registry, {
    tag: settings.candidate,
    candidate: settings.candidate,
    images: images.map((c) => ({ name: c.name, ref: pinnedRef(client.host, c), digest: c.digest })),
    charts: charts.map((c) => ({
      name: c.name,
      version: c.version,
      ref: c.source,
      digest: c.digest,
      contentDigest: c.contentDigest,
    })),
    commits: gitStates.map((s) => ({ repository: s.spec.url, commit: s.commit })),
    manifest: settings.manifest,
  });
  if (plan.state.kind === 'other') {
    throw new JobFailure(
      `Nothing was written: ${plan.ref} already exists with digest ${plan.state.digest} and names other bits:\n` +
        plan.state.differences.map((d) => `  - ${d}`).join('\n') +
        `\nA candidate release is immutable like a release: give the rebuilt candidate a new candidate tag.`,
    );
  }
  const report = (status: CandidateReleaseReport['status'], digest: string): CandidateReleaseReport => ({
    candidate: settings.candidate,
    ref: plan.ref,
    digest,
    status,
    bom: plan.bom,
    dryRun: settings.dryRun,
  });
  if (plan.state.kind === 'same') {
    log(`${plan.ref} already holds this candidate release (${plan.state.digest})`);
    return report('skipped', plan.state.digest);
  }
  if (settings.dryRun) return report('planned', plan.digest);
  const pushed = await pushRelease(client, settings.registry, {
    bom: plan.bom,
    manifestYaml: plan.manifestYaml,
  });
  if (pushed.digest !== plan.digest)
    throw new JobFailure(`${plan.ref}: the registry holds ${pushed.digest}, expected ${plan.digest}`);
  log(`Candidate release ${plan.ref} = ${pushed.digest}`);
  return report(pushed.status === 'unchanged' ? 'skipped' : 'pushed', pushed.digest);
}
