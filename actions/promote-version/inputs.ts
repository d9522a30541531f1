import type { ActionContext } from '../lib/context.js';
import { booleanInput, choiceInput, stringInput } from '../lib/inputs.js';

/** Input and output names, exactly as in promote-version/action.yml. */
export const Inputs = {
  profile: 'profile',
  registry: 'registry',
  images: 'images',
  charts: 'charts',
  manifest: 'manifest',
  release: 'release',
  candidate: 'candidate',
  version: 'version',
  targetPrefix: 'target-prefix',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  gitRepos: 'git-repos',
  gitToken: 'git-token',
  githubRelease: 'github-release',
  githubToken: 'github-token',
  history: 'history',
  dryRun: 'dry-run',
  mode: 'mode',
  deployResult: 'deploy-result',
  tempestResult: 'tempest-result',
  chaosResult: 'chaos-result',
  deployed: 'deployed',
  requireNightly: 'require-nightly',
  tempestResults: 'tempest-results',
  chaosReport: 'chaos-report',
  siteDir: 'site-dir',
} as const;

export const MODES = ['promote', 'record-nightly', 'candidate-release', 'history-site'] as const;
export type Mode = (typeof MODES)[number];

export const Outputs = {
  version: 'version',
  promoted: 'promoted',
  skipped: 'skipped',
  historyEntry: 'history-entry',
  nightlyStatus: 'nightly-status',
  release: 'release',
  site: 'site',
} as const;

/** The raw inputs; `settings.ts` combines them with the profile. Empty strings mean "not given". */
export interface PromoteInputs {
  /** Profile file or built-in profile name; '' = no profile (inputs only). */
  profile: string;
  /** `host[:port][/namespace]`; '' = the profile's `registry.url`. */
  registry: string;
  /** Image names (one per line or comma-separated) or kolla-bats' `images` JSON; '' = `promote.images`. */
  images: string;
  /** Chart names (one per line or comma-separated; `name` or `name:version`) or helm-rally's `chart` JSON; '' = `promote.charts`. */
  charts: string;
  /** The Armada manifest file to release with the charts; '' = `promote.manifest`, else `armada.manifest` when charts are given. */
  manifest: string;
  /** A candidate release artifact `<registry>/taco-release:<candidate>` to promote (instead of images/charts/manifest). */
  release: string;
  /** The candidate tag to promote (`nightly-20261124`); with kolla-bats JSON it is only a label. */
  candidate: string;
  /** `next-major` or an explicit `X.Y.Z`; '' = `promote.version` or `next-major`. */
  version: string;
  /** Repository prefix of the release images under the registry namespace ('' = `promote.target-prefix`). */
  targetPrefix: string;
  registryUsername: string;
  registryPassword: string;
  /** Git repositories to tag: a list of `url` or `url@commit-or-ref`; '' = `promote.git-repos`. */
  gitRepos: string;
  /** HTTPS token for the git repositories and a git ledger. */
  gitToken: string;
  /** `false`, `true` (this repository) or `owner/repo`; '' = `promote.github-release`. */
  githubRelease: string;
  githubToken: string;
  /** Ledger: a file path or `<git-url>#<branch>:<path>`; '' = `promote.history`. */
  history: string;
  /** Verify and plan everything, change nothing. */
  dryRun: boolean;
  /**
   * `promote` (copy to a release), `record-nightly` (only append a nightly run's verdict to the
   * ledger), `candidate-release` (write the candidate release artifact the nightly deploys) or
   * `history-site` (write the ledger's dashboard).
   */
  mode: Mode;
  /** record-nightly: the stages' job results (`success`, `failure`, `cancelled`, `skipped`); '' = not given. */
  deployResult: string;
  tempestResult: string;
  chaosResult: string;
  /** record-nightly: deploy-armada's `release` output (JSON), what the nightly deployed. */
  deployed: string;
  /**
   * `false`, `true` (the profile's promote.nightly-stages, else deploy, tempest, chaos) or the
   * stages whose pass a promotion requires from the candidate's recorded nightly.
   */
  requireNightly: string;
  /** record-nightly: tempest's Subunit stream, kept in the entry as a compact summary; '' = none. */
  tempestResults: string;
  /** record-nightly: cookiemonster's JSON report, kept in the entry as a compact summary; '' = none. */
  chaosReport: string;
  /** history-site: where the dashboard is written (relative to the workspace). */
  siteDir: string;
}

export function readInputs(ctx: Pick<ActionContext, 'getInput'>): PromoteInputs {
  return {
    profile: stringInput(ctx, Inputs.profile) ?? '',
    registry: stringInput(ctx, Inputs.registry) ?? '',
    images: stringInput(ctx, Inputs.images) ?? '',
    charts: stringInput(ctx, Inputs.charts) ?? '',
    manifest: stringInput(ctx, Inputs.manifest) ?? '',
    release: stringInput(ctx, Inputs.release) ?? '',
    candidate: stringInput(ctx, Inputs.candidate) ?? '',
    version: stringInput(ctx, Inputs.version) ?? '',
    targetPrefix: stringInput(ctx, Inputs.targetPrefix) ?? '',
    registryUsername: stringInput(ctx, Inputs.registryUsername) ?? '',
    registryPassword: ctx.getInput(Inputs.registryPassword),
    gitRepos: stringInput(ctx, Inputs.gitRepos) ?? '',
    gitToken: ctx.getInput(Inputs.gitToken),
    githubRelease: stringInput(ctx, Inputs.githubRelease) ?? '',
    githubToken: ctx.getInput(Inputs.githubToken),
    history: stringInput(ctx, Inputs.history) ?? '',
    dryRun: booleanInput(ctx, Inputs.dryRun, { default: false }),
    mode: choiceInput(ctx, Inputs.mode, MODES, { default: 'promote' }),
    deployResult: ctx.getInput(Inputs.deployResult).trim(),
    tempestResult: ctx.getInput(Inputs.tempestResult).trim(),
    chaosResult: ctx.getInput(Inputs.chaosResult).trim(),
    deployed: ctx.getInput(Inputs.deployed).trim(),
    requireNightly: ctx.getInput(Inputs.requireNightly).trim(),
    tempestResults: stringInput(ctx, Inputs.tempestResults) ?? '',
    chaosReport: stringInput(ctx, Inputs.chaosReport) ?? '',
    siteDir: stringInput(ctx, Inputs.siteDir) ?? 'history-site',
  };
}
