import type { ActionContext } from '../lib/context.js';
import { UserError } from '../lib/errors.js';
import { type HistoryTarget, parseHistoryTarget } from '../lib/history/target.js';
import { loadProfile, type Profile } from '../lib/profile/load.js';
import type { Credentials } from '../lib/registry/auth.js';
import { type RegistrySection, resolveRegistryAccess } from '../lib/registry/access.js';
import { formatReference, type RegistryLocation } from '../lib/registry/reference.js';
import { resolveSecret } from '../lib/secrets.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../lib/package-root.js';
import { isValidTag } from '../lib/registry/reference.js';
import { parseReleaseRef } from '../lib/release/index.js';
import { type Candidate, type CandidateOptions, candidateLabel, parseCandidates } from './candidates.js';
import { type ChartCandidate, parseChartCandidates } from './charts.js';
import type { ManifestSource } from './release-artifact.js';
import { type GitRepoSpec, parseGitRepos } from './git-tags.js';
import { type GitHubReleaseTarget, parseReleaseRepository } from './github-release.js';
import { Inputs, type Mode, type PromoteInputs } from './inputs.js';
import { parseVersionRequest, type VersionRequest } from './version.js';
import type { Stage, StageVerdicts } from '../lib/history/entry.js';
import { type DeployedRelease, parseDeployed } from './deployed.js';
import { parseRequiredStages, parseStageResult } from './stages.js';

export type { RegistrySection } from '../lib/registry/access.js';

/** The `promote:` profile section. */
export interface PromoteSection {
  images?: string[];
  charts?: string[];
  manifest?: string;
  'target-prefix'?: string;
  version?: string;
  'git-repos'?: string[];
  'github-release'?: boolean | string;
  history?: string;
  'nightly-stages'?: string[];
  concurrency?: number;
  retries?: number;
}

/** The `armada:` profile section, for the manifest a release is rendered from. */
interface ArmadaSection {
  manifest?: string;
  'target-manifest'?: string;
}

/** Everything a promotion needs, resolved from inputs (first) and the profile. */
export interface PromoteSettings {
  registry: RegistryLocation;
  insecure: boolean;
  credentials?: Credentials;
  /** Plain-HTTP token realms the profile allows besides the registry (`registry.token-realms`). */
  tokenRealms: string[];
  candidates: Candidate[];
  /** How image names and refs become candidates (also for a release artifact's BOM). */
  candidateOptions: CandidateOptions;
  /** Charts to re-version and release ([] = images only). */
  charts: ChartCandidate[];
  /** The Armada manifest to render into the release artifact (none: no release artifact). */
  manifest?: ManifestSource;
  /** A candidate release artifact to promote instead of images/charts/manifest. */
  release?: { text: string; host: string; repository: string; reference: string; tag?: string };
  /** The candidate's label for logs and the ledger. */
  candidate: string;
  version: VersionRequest;
  gitRepos: GitRepoSpec[];
  gitToken?: string;
  githubRelease?: GitHubReleaseTarget;
  history?: HistoryTarget;
  dryRun: boolean;
  /** `promote`, or `record-nightly`: only append a nightly entry to the ledger. */
  mode: Mode;
  /** The nightly's stage verdicts (record-nightly only; deploy-result is required there). */
  nightlyStages?: StageVerdicts;
  /** What the nightly deployed: deploy-armada's release output (record-nightly). */
  deployed?: DeployedRelease;
  /** Refuse a candidate without a passing nightly (with the same digests) in the ledger. */
  requireNightly: boolean;
  /** The stages that nightly must have passed (require-nightly). */
  requiredStages: Stage[];
  concurrency: number;
  retries: number;
  runUrl?: string;
  /** The profile's name (recorded with a nightly, for the per-profile timeline). */
  profileName?: string;
  /** record-nightly: the Tempest stream and chaos report to summarize in the entry (absolute paths). */
  reports: { tempestResults?: string; chaosReport?: string };
}

export function loadOptionalProfile(spec: string, cwd: string): Profile | undefined {
  return spec ? loadProfile(spec, cwd) : undefined;
}

export function resolveSettings(
  ctx: Pick<ActionContext, 'env' | 'setSecret' | 'workspace'>,
  inputs: PromoteInputs,
  profile: Profile | undefined,
): PromoteSettings {
  const promote = profile?.section<PromoteSection>('promote') ?? {};
  const where = (key: string) => (profile ? profile.where(key.split('.')) : key);

  const { access, candidateOptions } = resolveRegistry(ctx, inputs, profile);
  const registry = access.location;
  const release = inputs.release ? parseReleaseInput(inputs, registry) : undefined;
  const deployed = inputs.deployed ? parseDeployedInput(inputs) : undefined;
  const { candidates, charts, manifest } =
    release || deployed
      ? { candidates: [], charts: [], manifest: undefined }
      : resolveSources(ctx.workspace, inputs, profile, candidateOptions, where);

  const version = parseVersionRequest(
    inputs.version || promote.version || 'next-major',
    inputs.version ? `Input '${Inputs.version}'` : where('promote.version'),
  );
  const gitRepos = inputs.gitRepos
    ? parseGitRepos(splitList(inputs.gitRepos), `Input '${Inputs.gitRepos}'`)
    : parseGitRepos(promote['git-repos'] ?? [], where('promote.git-repos'));
  const gitToken = resolveSecret(ctx, `Input '${Inputs.gitToken}'`, inputs.gitToken, undefined);

  const recordNightly = inputs.mode === 'record-nightly';
  checkModeInputs(inputs, release, manifest);
  const nightlyStages = recordNightly ? readStageResults(inputs) : undefined;
  const required = parseRequiredStages(
    inputs.requireNightly,
    promote['nightly-stages'],
    `Input '${Inputs.requireNightly}'`,
    where('promote.nightly-stages'),
  );
  const requireNightly = required !== undefined;

  // A nightly record has nothing to publish: the release settings are not needed (nor their token).
  const githubRelease =
    recordNightly || inputs.mode === 'candidate-release'
      ? undefined
      : resolveGithubRelease(ctx, inputs, promote, where);

  const history = resolveHistory(ctx.workspace, inputs, promote, where, {
    recordNightly,
    requireNightly,
    profile,
  });

  return {
    registry,
    insecure: access.insecure,
    credentials: access.credentials,
    tokenRealms: access.tokenRealms,
    candidates,
    candidateOptions,
    charts,
    manifest,
    release,
    candidate: candidateName(inputs, { release, deployed, candidates }),
    version,
    gitRepos,
    gitToken,
    githubRelease,
    history,
    dryRun: inputs.dryRun,
    mode: inputs.mode,
    nightlyStages,
    deployed,
    requireNightly,
    requiredStages: required ?? [],
    concurrency: promote.concurrency ?? 8,
    retries: promote.retries ?? 4,
    runUrl: runUrl(ctx.env),
    ...(profile ? { profileName: profile.name } : {}),
    reports: nightlyReports(inputs, ctx.workspace),
  };
}

/** The registry and its credentials (inputs over the profile), and how candidates are named in it. */
function resolveRegistry(
  ctx: Pick<ActionContext, 'env' | 'setSecret'>,
  inputs: PromoteInputs,
  profile: Profile | undefined,
): { access: NonNullable<ReturnType<typeof resolveRegistryAccess>>; candidateOptions: CandidateOptions } {
  const registrySection = profile?.section<RegistrySection>('registry');
  const promote = profile?.section<PromoteSection>('promote') ?? {};
  const access = resolveRegistryAccess(ctx, {
    registry: inputs.registry,
    username: inputs.registryUsername,
    password: inputs.registryPassword,
    inputNames: {
      registry: Inputs.registry,
      username: Inputs.registryUsername,
      password: Inputs.registryPassword,
    },
    profile,
  });
  if (!access) throw new UserError(`Input '${Inputs.registry}' is required (or a profile with registry.url)`);

  const targetPrefix =
    inputs.targetPrefix || promote['target-prefix'] || registrySection?.['release-namespace'] || undefined;
  const candidateOptions: CandidateOptions = {
    registry: access.location,
    candidateTag: inputs.candidate || undefined,
    candidateNamespace: registrySection?.['candidate-namespace'],
    targetPrefix,
  };
  return { access, candidateOptions };
}

/** The candidate's name: the input, else the release's tag, the deployment's, or the images'. */
function candidateName(
  inputs: PromoteInputs,
  from: { release?: PromoteSettings['release']; deployed?: DeployedRelease; candidates: Candidate[] },
): string {
  if (from.release) return inputs.candidate || from.release.tag!;
  if (from.deployed) return inputs.candidate || deployedCandidate(from.deployed);
  return candidateLabel(from.candidates, inputs.candidate);
}

function nightlyReports(inputs: PromoteInputs, workspace: string): PromoteSettings['reports'] {
  return {
    ...(inputs.tempestResults ? { tempestResults: path.resolve(workspace, inputs.tempestResults) } : {}),
    ...(inputs.chaosReport ? { chaosReport: path.resolve(workspace, inputs.chaosReport) } : {}),
  };
}

type Where = (key: string) => string;

/** The candidate images, charts and manifest named by inputs or the profile (no release or deployment given). */
function resolveSources(
  workspace: string,
  inputs: PromoteInputs,
  profile: Profile | undefined,
  candidateOptions: CandidateOptions,
  where: Where,
): { candidates: Candidate[]; charts: ChartCandidate[]; manifest?: ManifestSource } {
  const promote = profile?.section<PromoteSection>('promote') ?? {};
  const registry = candidateOptions.registry;
  const imagesText = inputs.images || (promote.images ?? []).join('\n');
  // A failed nightly may have deployed nothing to name; a passing one is refused without digests.
  if (!imagesText.trim() && inputs.mode !== 'record-nightly')
    throw new UserError(
      `Input '${Inputs.images}' is required (or promote.images in the profile, or a candidate release artifact as input '${Inputs.release}')`,
    );
  const imagesWhat = inputs.images ? `Input '${Inputs.images}'` : where('promote.images');
  const candidates = imagesText.trim() ? parseCandidates(imagesText, imagesWhat, candidateOptions) : [];
  if (inputs.mode === 'record-nightly') return { candidates, charts: [] };
  const chartsText = inputs.charts || (promote.charts ?? []).join('\n');
  const charts = parseChartCandidates(
    chartsText,
    inputs.charts ? `Input '${Inputs.charts}'` : where('promote.charts'),
    registry,
  );
  if (charts.length && !inputs.candidate && charts.some((c) => !c.reference))
    throw new UserError(
      `Input 'candidate' is required when ${Inputs.charts} lists chart names (their versions are found by the candidate, <version>-<candidate>)`,
    );
  const manifest = resolveManifest(
    inputs,
    promote,
    profile?.section<ArmadaSection>('armada'),
    charts.length > 0,
    where,
    workspace,
  );
  if (charts.length && !manifest)
    throw new UserError(
      `A release with charts needs the Armada manifest that deploys them: set input '${Inputs.manifest}' (or promote.manifest / armada.manifest in the profile)`,
    );
  return { candidates, charts, manifest };
}

/** What each mode cannot do without (or cannot take). */
function checkModeInputs(
  inputs: PromoteInputs,
  release: unknown,
  manifest: ManifestSource | undefined,
): void {
  if (inputs.mode === 'candidate-release') {
    if (release)
      throw new UserError(
        `Input '${Inputs.release}' is for mode promote; mode candidate-release writes that artifact`,
      );
    if (!inputs.candidate || !isValidTag(inputs.candidate))
      throw new UserError(
        `Input 'candidate' is required in mode candidate-release and must be a valid tag: the artifact is <registry>/taco-release:<candidate>${inputs.candidate ? ` (got ${JSON.stringify(inputs.candidate)})` : ''}`,
      );
    if (!manifest)
      throw new UserError(
        `Mode candidate-release renders the Armada manifest into the candidate release: set input '${Inputs.manifest}' (or promote.manifest / armada.manifest in the profile)`,
      );
  }
  if (release && inputs.mode === 'record-nightly')
    throw new UserError(`Input '${Inputs.release}' is for mode promote, not record-nightly`);
}

/** Where the GitHub release goes and the token that creates it (none: no GitHub release). */
function resolveGithubRelease(
  ctx: Pick<ActionContext, 'env' | 'setSecret'>,
  inputs: PromoteInputs,
  promote: PromoteSection,
  where: Where,
): GitHubReleaseTarget | undefined {
  const releaseRepo = parseReleaseRepository(
    inputs.githubRelease || promote['github-release'],
    inputs.githubRelease ? `Input '${Inputs.githubRelease}'` : where('promote.github-release'),
    ctx.env.GITHUB_REPOSITORY,
  );
  if (!releaseRepo) return undefined;
  const token = resolveSecret(
    ctx,
    `Input '${Inputs.githubToken}'`,
    inputs.githubToken || ctx.env.GITHUB_TOKEN,
    undefined,
  );
  if (!token) throw new UserError(`Input '${Inputs.githubToken}' is required to create a GitHub release`);
  return { ...releaseRepo, token, apiUrl: ctx.env.GITHUB_API_URL || 'https://api.github.com' };
}

/** The artifact ledger; required when the mode appends to it or require-nightly reads it. */
function resolveHistory(
  workspace: string,
  inputs: PromoteInputs,
  promote: PromoteSection,
  where: Where,
  needs: { recordNightly: boolean; requireNightly: boolean; profile?: Profile },
): HistoryTarget | undefined {
  const historyText = inputs.history || promote.history;
  const history = historyText
    ? parseHistoryTarget(
        historyText,
        inputs.history ? `Input '${Inputs.history}'` : where('promote.history'),
        workspace,
      )
    : undefined;
  const needsLedger = needs.recordNightly
    ? `${Inputs.mode} record-nightly appends to the artifact ledger`
    : needs.requireNightly
      ? `${Inputs.requireNightly} looks for the candidate's nightly run in the artifact ledger`
      : undefined;
  if (needsLedger && !history) {
    throw new UserError(
      `${needsLedger}, but none is configured: set input '${Inputs.history}' or promote.history in the profile${needs.profile ? ` (${needs.profile.file})` : ''}`,
    );
  }
  return history;
}

function runUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = env;
  return server && repository && runId ? `${server}/${repository}/actions/runs/${runId}` : undefined;
}

/** record-nightly: the stages' results; deploy-result is required (a nightly without it tested nothing). */
function readStageResults(inputs: PromoteInputs): StageVerdicts {
  if (!inputs.deployResult)
    throw new UserError(
      `Input '${Inputs.deployResult}' is required when ${Inputs.mode} is record-nightly: the deploy job's result (success, failure, cancelled or skipped), with '${Inputs.tempestResult}' and '${Inputs.chaosResult}'`,
    );
  return {
    deploy: parseStageResult(inputs.deployResult, `Input '${Inputs.deployResult}'`),
    tempest: parseStageResult(inputs.tempestResult, `Input '${Inputs.tempestResult}'`),
    chaos: parseStageResult(inputs.chaosResult, `Input '${Inputs.chaosResult}'`),
  };
}

/** `deployed` names everything recorded: images and charts come from it, not from other inputs. */
function parseDeployedInput(inputs: PromoteInputs): DeployedRelease {
  if (inputs.mode !== 'record-nightly')
    throw new UserError(`Input '${Inputs.deployed}' is for mode record-nightly`);
  const given = [Inputs.images, Inputs.charts, Inputs.release].filter(
    (name) => inputs[name as 'images' | 'charts' | 'release'],
  );
  if (given.length)
    throw new UserError(
      `Input '${Inputs.deployed}' names everything the nightly deployed; it cannot be combined with ${given.map((g) => `'${g}'`).join(', ')}`,
    );
  return parseDeployed(inputs.deployed, `Input '${Inputs.deployed}'`);
}

function deployedCandidate(deployed: DeployedRelease): string {
  if (!deployed.candidate)
    throw new UserError(
      `Input '${Inputs.candidate}' is required: the deployed release ${deployed.release.ref} names no candidate`,
    );
  return deployed.candidate;
}

function splitList(text: string): string[] {
  const value = text.trim();
  if (value.startsWith('[')) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed;
    } catch {
      // fall through to the error
    }
    throw new UserError(
      `Input '${Inputs.gitRepos}': expected a JSON list of strings or one repository per line`,
    );
  }
  return value
    .split(/\r?\n|,/)
    .map((item) => item.trim())
    .filter((item) => item && !item.startsWith('#'));
}

/** `release`: a candidate release artifact on the promotion registry; excludes images/charts/manifest. */
function parseReleaseInput(inputs: PromoteInputs, registry: RegistryLocation) {
  const given = [Inputs.images, Inputs.charts, Inputs.manifest].filter(
    (name) => inputs[name as 'images' | 'charts' | 'manifest'],
  );
  if (given.length)
    throw new UserError(
      `Input '${Inputs.release}' names everything that is released; it cannot be combined with ${given.map((g) => `'${g}'`).join(', ')}`,
    );
  const what = `Input '${Inputs.release}'`;
  // A bare tag names a release of the promotion registry (the nightly's <registry>/taco-release:<candidate>).
  const ref = parseReleaseRef(inputs.release, what, registry);
  const text = formatReference(ref);
  if (ref.host !== registry.host)
    throw new UserError(
      `${what}: ${inputs.release} is on ${ref.host}, not on the promotion registry ${registry.host} (promotion copies within one registry)`,
    );
  if (!ref.tag && !inputs.candidate)
    throw new UserError(
      `${what}: ${inputs.release} names the release by digest only; give its candidate tag as input 'candidate' (for require-nightly and the ledger)`,
    );
  return { text, ...ref };
}

/**
 * The manifest: input `manifest`, else promote.manifest, else — when charts are released —
 * armada.manifest (what the nightly deploys). A path is absolute, relative to the workspace, or
 * relative to the taco/actions checkout (the bundled examples), as deploy-armada resolves it.
 */
function resolveManifest(
  inputs: PromoteInputs,
  promote: PromoteSection,
  armada: ArmadaSection | undefined,
  withCharts: boolean,
  where: (key: string) => string,
  workspace: string,
): ManifestSource | undefined {
  const [spec, what] = inputs.manifest
    ? [inputs.manifest, `Input '${Inputs.manifest}'`]
    : promote.manifest
      ? [promote.manifest, where('promote.manifest')]
      : withCharts || inputs.mode === 'candidate-release'
        ? [armada?.manifest, where('armada.manifest')]
        : [undefined, ''];
  if (!spec) return undefined;
  const tried = path.isAbsolute(spec)
    ? [spec]
    : [path.resolve(workspace, spec), path.resolve(packageRoot(), spec)];
  const file = tried.find((candidate) => existsSync(candidate));
  if (!file)
    throw new UserError(
      `${what}: Armada manifest ${JSON.stringify(spec)} not found (looked at ${tried.join(' and ')})`,
    );
  return {
    file: path.basename(file),
    path: file,
    text: readFileSync(file, 'utf8'),
    target: armada?.['target-manifest'] || undefined,
  };
}
