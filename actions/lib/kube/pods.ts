import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from './client.js';
import { httpStatus, withRetry, type BackoffOptions } from './retry.js';

/** Ready as the kubelet reports it: the pod's Ready condition is True. */
export function isPodReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function isTerminating(pod: V1Pod): boolean {
  return Boolean(pod.metadata?.deletionTimestamp);
}

/** A pod chaos may take down: Running and not already on its way out. */
export function isVictimCandidate(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && !isTerminating(pod);
}

/** Counts as available to serve: Ready and not terminating. */
export function isServing(pod: V1Pod): boolean {
  return isPodReady(pod) && !isTerminating(pod);
}

export function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

export async function listPods(
  client: KubeClient,
  namespace: string,
  labelSelector: string | undefined,
  retry: BackoffOptions = {},
): Promise<V1Pod[]> {
  const list = await withRetry(
    () => client.core.listNamespacedPod({ namespace, labelSelector: labelSelector || undefined }),
    retry,
  );
  return list.items;
}

/** The pod now, or undefined when it does not exist. */
export async function readPod(
  client: KubeClient,
  pod: { namespace: string; name: string },
  retry: BackoffOptions = {},
): Promise<V1Pod | undefined> {
  try {
    return await withRetry(
      () => client.core.readNamespacedPod({ name: pod.name, namespace: pod.namespace }),
      retry,
    );
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}
