import type {
  ApplyMethod,
  ListOptions,
  TestOptions,
  UninstallOptions,
  UpgradeInstallRequest,
} from './types.js';

/**
 * Flags every helm call gets: which cluster (a kubeconfig file, never its content) and context, and
 * the helm major version whose flags to use (default 3).
 */
export interface HelmGlobals {
  kubeconfig?: string;
  kubeContext?: string;
  major?: 3 | 4;
}

/** Helm takes Go durations; whole seconds (rounded up) keep the command line readable. */
export function goDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

function globalArgs(globals: HelmGlobals): string[] {
  const args: string[] = [];
  if (globals.kubeconfig) args.push('--kubeconfig', globals.kubeconfig);
  if (globals.kubeContext) args.push('--kube-context', globals.kubeContext);
  return args;
}

/**
 * `helm upgrade --install`, with flags that mean the same on both majors:
 * - `wait`: Helm 3's readiness checks, which Helm 4 calls `--wait=legacy` (a bare `--wait` there is
 *   the kstatus watcher);
 * - `force`: Helm 3 replaces resources (`--force`). Helm 4 refuses replacement together with
 *   server-side apply (its default for new releases) and refuses `--force-conflicts` with
 *   client-side apply (releases Helm 3 installed keep it), so `applyMethod`, the release's current
 *   one, picks `--force-conflicts` (ssa, or no release yet) or `--force-replace` (csa);
 * - `atomic`: Helm 4 renamed it `--rollback-on-failure`.
 */
export function upgradeInstallArgs(
  request: UpgradeInstallRequest,
  globals: HelmGlobals = {},
  applyMethod?: ApplyMethod,
): string[] {
  const helm4 = globals.major === 4;
  const args = ['upgrade', request.release, request.chart, '--install', '--namespace', request.namespace];
  for (const file of request.valuesFiles) args.push('--values', file);
  if (request.version) args.push('--version', request.version);
  if (request.wait) args.push(helm4 ? '--wait=legacy' : '--wait');
  if (request.waitForJobs) args.push('--wait-for-jobs');
  args.push('--timeout', goDuration(request.timeoutMs));
  if (request.noHooks) args.push('--no-hooks');
  if (request.force)
    args.push(helm4 ? (applyMethod === 'csa' ? '--force-replace' : '--force-conflicts') : '--force');
  if (request.atomic) args.push(helm4 ? '--rollback-on-failure' : '--atomic');
  if (request.createNamespace) args.push('--create-namespace');
  if (request.description) args.push('--description', request.description);
  args.push('--output', 'json', ...globalArgs(globals));
  return args;
}

export function statusArgs(release: string, namespace: string, globals: HelmGlobals = {}): string[] {
  return ['status', release, '--namespace', namespace, '--output', 'json', ...globalArgs(globals)];
}

export function listArgs(options: ListOptions = {}, globals: HelmGlobals = {}): string[] {
  const args = ['list'];
  if (options.allNamespaces) args.push('--all-namespaces');
  else if (options.namespace) args.push('--namespace', options.namespace);
  // Helm 4 lists releases in every state by default and has no --all.
  if (options.all && globals.major !== 4) args.push('--all');
  if (options.filter) args.push('--filter', options.filter);
  // helm list stops at 256 releases by default; 0 asks the storage backend for all of them.
  args.push('--max', '0', '--output', 'json', ...globalArgs(globals));
  return args;
}

export function testArgs(
  release: string,
  namespace: string,
  options: TestOptions,
  globals: HelmGlobals = {},
): string[] {
  const args = ['test', release, '--namespace', namespace, '--timeout', goDuration(options.timeoutMs)];
  if (options.logs) args.push('--logs');
  for (const filter of options.filter ?? []) args.push('--filter', filter);
  args.push(...globalArgs(globals));
  return args;
}

export function uninstallArgs(
  release: string,
  namespace: string,
  options: UninstallOptions = {},
  globals: HelmGlobals = {},
): string[] {
  const args = ['uninstall', release, '--namespace', namespace];
  if (options.keepHistory) args.push('--keep-history');
  if (options.wait) args.push(globals.major === 4 ? '--wait=legacy' : '--wait');
  if (options.timeoutMs !== undefined) args.push('--timeout', goDuration(options.timeoutMs));
  args.push(...globalArgs(globals));
  return args;
}

export function historyArgs(
  release: string,
  namespace: string,
  max: number | undefined,
  globals: HelmGlobals = {},
): string[] {
  const args = ['history', release, '--namespace', namespace];
  if (max !== undefined) args.push('--max', String(max));
  args.push('--output', 'json', ...globalArgs(globals));
  return args;
}
