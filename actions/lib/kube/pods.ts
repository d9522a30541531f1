import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from './client.js';
import { withRetry, type BackoffOptions } from './retry.js';

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
