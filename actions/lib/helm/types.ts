import { ExternalError } from '../errors.js';

/**
 * The Helm vocabulary both deployment engines share (deploy-armada, helm-rally): what a release is,
 * what an install/upgrade asks for, and the client interface. `HelmCli` implements it over the helm
 * binary, Helm 3 or Helm 4; the tests run it with both real binaries.
 */

/** Release states exactly as Helm 3 spells them (`helm status`, `helm list`). */
export const RELEASE_STATUSES = [
  'unknown',
  'deployed',
  'uninstalled',
  'superseded',
  'failed',
  'uninstalling',
  'pending-install',
  'pending-upgrade',
  'pending-rollback',
] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

/** One row of `helm list -o json`. */
export interface ReleaseSummary {
  name: string;
  namespace: string;
  revision: number;
  /** When the release was last deployed (ISO 8601), undefined when helm printed `-`. */
  updated?: string;
  status: ReleaseStatus;
  /** `<chart name>-<chart version>` as helm prints it. */
  chart: string;
  appVersion: string;
}

/** A test hook of a release and how its last run went. */
export interface TestHookRun {
  name: string;
  /** Unknown until it ran; then Running, Succeeded or Failed. */
  phase: 'Unknown' | 'Running' | 'Succeeded' | 'Failed';
  startedAt?: string;
  completedAt?: string;
}

/** How Helm 4 applied a release: client-side (Helm 3's way) or server-side apply. */
export type ApplyMethod = 'csa' | 'ssa';

/** `helm status -o json`, reduced to what a pipeline needs. */
export interface ReleaseDetail {
  name: string;
  namespace: string;
  revision: number;
  status: ReleaseStatus;
  description: string;
  firstDeployed?: string;
  lastDeployed?: string;
  chartName?: string;
  chartVersion?: string;
  appVersion?: string;
  notes?: string;
  /** Helm 4 only (`apply_method`). */
  applyMethod?: ApplyMethod;
  /** Hooks with the `test` event (also `test-success`, the Helm 2 spelling Helm 3 still runs). */
  tests: TestHookRun[];
}

/** One row of `helm history -o json`. */
export interface HistoryEntry {
  revision: number;
  updated?: string;
  status: ReleaseStatus;
  chart: string;
  appVersion: string;
  description: string;
}

/** What `helm test` reported. */
export interface TestRunResult {
  release: string;
  passed: boolean;
  suites: TestHookRun[];
  /** Pod logs (`--logs`), when requested, as printed. */
  logs?: string;
  /** The tail of the failure output when helm test failed. */
  failure?: string;
}

export interface UpgradeInstallRequest {
  release: string;
  /** A chart directory, packaged chart, or repo/name reference. */
  chart: string;
  namespace: string;
  /** Values files applied in order (later ones win). Values never travel in argv. */
  valuesFiles: string[];
  /** Chart version constraint for repository charts. */
  version?: string;
  /** `--wait`: wait until the release's resources are ready (Helm's native wait). */
  wait: boolean;
  waitForJobs?: boolean;
  timeoutMs: number;
  noHooks?: boolean;
  /** Armada's force: replace resources (Helm 3, Helm 4 client-side) or take over conflicting fields (Helm 4 server-side). */
  force?: boolean;
  atomic?: boolean;
  createNamespace?: boolean;
  description?: string;
}

export interface UninstallOptions {
  timeoutMs?: number;
  keepHistory?: boolean;
  wait?: boolean;
}

export interface ListOptions {
  namespace?: string;
  allNamespaces?: boolean;
  /** Regular expression on the release name (`--filter`). */
  filter?: string;
  /** Every state, not only deployed and failed (`--all` on Helm 3; Helm 4 always lists every state). */
  all?: boolean;
}

export interface TestOptions {
  timeoutMs: number;
  logs?: boolean;
  /** Only run tests whose name matches (`--filter name=...`). */
  filter?: string[];
}

/** Per-call settings of the client: cancellation. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** The operations the deployment engines need from Helm. */
export interface HelmClient {
  /**
   * Asks the binary for its version (once): a UserError when it is not Helm 3 or Helm 4, or outside
   * the profile's pin. Every other operation checks it too; this lets a caller check up front.
   */
  checkVersion(): Promise<void>;
  /** `helm upgrade --install`; resolves to the resulting release, throws HelmError when it failed. */
  upgradeInstall(request: UpgradeInstallRequest, options?: CallOptions): Promise<ReleaseDetail>;
  /** `helm status`; undefined when the release does not exist. */
  status(release: string, namespace: string, options?: CallOptions): Promise<ReleaseDetail | undefined>;
  list(listOptions?: ListOptions, options?: CallOptions): Promise<ReleaseSummary[]>;
  /** `helm test`; resolves with passed=false when a test failed (a failed test is not an error). */
  test(
    release: string,
    namespace: string,
    testOptions: TestOptions,
    options?: CallOptions,
  ): Promise<TestRunResult>;
  uninstall(
    release: string,
    namespace: string,
    uninstallOptions?: UninstallOptions,
    options?: CallOptions,
  ): Promise<void>;
  /** `helm history`, oldest first; empty when the release does not exist. */
  history(release: string, namespace: string, max?: number, options?: CallOptions): Promise<HistoryEntry[]>;
}

/** A helm operation that failed; `timedOut` when helm (or our own guard) gave up waiting. */
export class HelmError extends ExternalError {
  override readonly name: string = 'HelmError';
  constructor(
    message: string,
    readonly details: {
      command?: string;
      exitCode?: number | null;
      output?: string;
      timedOut?: boolean;
      cancelled?: boolean;
    } = {},
    options?: { cause?: unknown },
  ) {
    super('helm', message, options);
  }
}

/** Output from helm that does not have the shape Helm 3 prints. */
export class HelmOutputError extends ExternalError {
  override readonly name: string = 'HelmOutputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('helm', message, options);
  }
}
