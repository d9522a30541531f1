import { createKubeClient } from '../lib/kube/client.js';
import { kubeApiError } from '../lib/kube/errors.js';
import { httpStatus, withRetry } from '../lib/kube/retry.js';

/** What the cleanup needs from the cluster besides Helm: deleting the per-run namespace. */
export interface NamespaceClient {
  /** Starts deleting the namespace; 'absent' when it did not exist (already cleaned up). */
  delete(namespace: string, signal?: AbortSignal): Promise<'deleted' | 'absent'>;
}

export interface KubeNamespaceOptions {
  /** kubeconfig file; empty = KUBECONFIG / ~/.kube/config from `env`. */
  kubeconfig?: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** Deletes namespaces through the Kubernetes API (foreground: the API removes what is inside). */
export function kubeNamespaceClient(options: KubeNamespaceOptions): NamespaceClient {
  return {
    async delete(namespace, signal) {
      const kube = createKubeClient({ kubeconfig: options.kubeconfig, env: options.env });
      try {
        await withRetry(
          () => kube.core.deleteNamespace({ name: namespace, propagationPolicy: 'Foreground' }),
          { signal },
        );
        return 'deleted';
      } catch (err) {
        if (httpStatus(err) === 404) return 'absent';
        throw kubeApiError(`could not delete namespace ${namespace} on ${kube.server}`, err);
      }
    },
  };
}
