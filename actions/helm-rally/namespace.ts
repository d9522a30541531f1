import { kubeApiError } from '../lib/kube/errors.js';
import { readKubeAccess } from '../lib/kube/kube-access.js';
import { kubeRequest } from '../lib/kube/rest.js';
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

/**
 * Deletes namespaces with one REST request (foreground: the API removes what is inside), not
 * through @kubernetes/client-node: this is helm-rally's only API call, and the client would be
 * most of its bundle. Same kubeconfig auth as kubectl, except legacy auth-provider plugins.
 */
export function kubeNamespaceClient(options: KubeNamespaceOptions): NamespaceClient {
  return {
    async delete(namespace, signal) {
      const access = readKubeAccess({ kubeconfig: options.kubeconfig, env: options.env });
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
      try {
        await withRetry(
          () =>
            kubeRequest(
              access,
              {
                method: 'DELETE',
                path,
                body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' },
                signal,
              },
              { env: options.env },
            ),
          { signal },
        );
        return 'deleted';
      } catch (err) {
        if (httpStatus(err) === 404) return 'absent';
        throw kubeApiError(`could not delete namespace ${namespace} on ${access.server}`, err);
      }
    },
  };
}
