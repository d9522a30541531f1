import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { JobFailure } from '../lib/errors.js';
import { HelmError, type HelmClient, type ReleaseDetail } from '../lib/helm/index.js';
import type { NamespaceClient } from './namespace.js';
import type { DeploySettings } from './settings.js';

/** What the post step needs to undo a deployment; saved before helm starts, so cancel is covered. */
export interface DeployedState {
  release: string;
  namespace: string;
  perRunNamespace: boolean;
  keep: boolean;
  helmBinary: string;
  helmVersion?: string;
  /** A kubeconfig file (never its content). */
  kubeconfig?: string;
  /** A kubeconfig file this run wrote from inline content: removed by the post step. */
  ownKubeconfigFile?: string;
}

export function deployedState(
  deploy: DeploySettings,
  kubeconfigFile: string | undefined,
  ownKubeconfigFile: boolean,
): DeployedState {
  return {
    release: deploy.release,
    namespace: deploy.namespace,
    perRunNamespace: deploy.perRunNamespace,
    keep: deploy.keep,
    helmBinary: deploy.helmBinary,
    ...(deploy.helmVersion ? { helmVersion: deploy.helmVersion } : {}),
    ...(kubeconfigFile ? { kubeconfig: kubeconfigFile } : {}),
    ...(ownKubeconfigFile && kubeconfigFile ? { ownKubeconfigFile: kubeconfigFile } : {}),
  };
}

/** The values file built from the profile's values and the image tag overrides; undefined when empty. */
export function writeValuesFile(deploy: DeploySettings, dir: string): string | undefined {
  if (Object.keys(deploy.values).length === 0) return undefined;
  const file = path.join(dir, `${deploy.release}-values.yaml`);
  writeFileSync(file, stringify(deploy.values), { mode: 0o600 });
  return file;
}

/**
 * `helm upgrade --install --wait` of the chart under test. A release that does not become ready is
 * a job failure (the chart is what is being tested); a cancelled call is passed on as is.
 */
export async function deployChart(
  helm: HelmClient,
  deploy: DeploySettings,
  options: { tempDir: string; signal?: AbortSignal; description?: string },
): Promise<ReleaseDetail> {
  const generated = writeValuesFile(deploy, options.tempDir);
  try {
    return await helm.upgradeInstall(
      {
        release: deploy.release,
        chart: deploy.chart,
        namespace: deploy.namespace,
        valuesFiles: [...(generated ? [generated] : []), ...deploy.valuesFiles],
        ...(deploy.chartVersion ? { version: deploy.chartVersion } : {}),
        wait: true,
        waitForJobs: true,
        timeoutMs: deploy.timeoutMs,
        // A namespace the caller named exists already, made with its Pod Security labels and RoleBinding
        // (docs/runners.md); creating it again would be a namespace create without those labels.
        createNamespace: deploy.perRunNamespace,
        ...(options.description ? { description: options.description } : {}),
      },
      { signal: options.signal },
    );
  } catch (err) {
    if (err instanceof HelmError && !err.details.cancelled) {
      const why = err.details.timedOut
        ? `did not become ready within ${Math.round(deploy.timeoutMs / 1000)} s`
        : 'failed';
      throw new JobFailure(
        `Deploying ${deploy.chart} as release ${deploy.release} in namespace ${deploy.namespace} ${why}:\n${err.message}`,
      );
    }
    throw err;
  }
}

export interface CleanupResult {
  uninstalled: 'done' | 'absent' | 'failed';
  namespace: 'deleted' | 'absent' | 'kept' | 'failed';
  problems: string[];
}

const NOT_FOUND = /release: not found|not found/i;

/**
 * Uninstalls the release and deletes the per-run namespace (a namespace the caller named is left
 * alone: it may hold other things). Keeps going after a failed step and reports every problem.
 */
export async function cleanupDeployment(
  helm: HelmClient,
  namespaces: NamespaceClient,
  state: DeployedState,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<CleanupResult> {
  const problems: string[] = [];
  let uninstalled: CleanupResult['uninstalled'] = 'done';
  try {
    await helm.uninstall(
      state.release,
      state.namespace,
      { wait: true, timeoutMs: options.timeoutMs ?? 5 * 60_000 },
      { signal: options.signal },
    );
  } catch (err) {
    if (err instanceof HelmError && NOT_FOUND.test(err.details.output ?? err.message)) uninstalled = 'absent';
    else {
      uninstalled = 'failed';
      problems.push(`helm uninstall ${state.release} -n ${state.namespace}: ${(err as Error).message}`);
    }
  }
  let namespace: CleanupResult['namespace'] = 'kept';
  if (state.perRunNamespace) {
    try {
      namespace = await namespaces.delete(state.namespace, options.signal);
    } catch (err) {
      namespace = 'failed';
      problems.push((err as Error).message);
    }
  }
  return { uninstalled, namespace, problems };
}
