import { Writable } from 'node:stream';
import { Exec, type V1Status } from '@kubernetes/client-node';
import type { KubeClient } from './client.js';
import { kubeFailure } from './errors.js';
import { describeApiError, httpStatus, withRetry, type BackoffOptions } from './retry.js';

/** What happened to one disruption attempt. */
export type DisruptionResult =
  | { outcome: 'done'; detail?: string }
  /** The pod was already gone (a retried request that had in fact succeeded, or a race). */
  | { outcome: 'gone'; detail: string }
  /** The Eviction API said no (a PodDisruptionBudget): nothing was disrupted. */
  | { outcome: 'refused'; detail: string };

export interface PodRef {
  namespace: string;
  name: string;
  /** When given, the API only deletes this incarnation (a StatefulSet reuses names). */
  uid?: string;
}

/** DELETE the pod with a grace period (0 = kill at once). A 404 counts as gone, never as an error. */
export async function deletePod(
  client: KubeClient,
  pod: PodRef,
  graceSeconds: number | undefined,
  retry: BackoffOptions = {},
): Promise<DisruptionResult> {
  try {
    await withRetry(
      () =>
        client.core.deleteNamespacedPod({
          name: pod.name,
          namespace: pod.namespace,
          gracePeriodSeconds: graceSeconds,
          body: pod.uid ? { preconditions: { uid: pod.uid }, gracePeriodSeconds: graceSeconds } : undefined,
        }),
      retry,
    );
    return { outcome: 'done' };
  } catch (err) {
    const status = httpStatus(err);
    if (status === 404 || status === 409) return { outcome: 'gone', detail: describeApiError(err) };
    throw err;
  }
}

/**
 * POST an Eviction. A 429 is the API refusing because a PodDisruptionBudget would be violated: it is
 * returned as `refused` and never retried or turned into a delete. 5xx and dropped connections are
 * retried (the eviction is idempotent: a second one for a pod already evicted gets 404 → gone).
 */
export async function evictPod(
  client: KubeClient,
  pod: PodRef,
  graceSeconds: number | undefined,
  retry: BackoffOptions = {},
): Promise<DisruptionResult> {
  let attempts = 0;
  try {
    await withRetry(
      () => {
        attempts++;
        return client.core.createNamespacedPodEviction({
          name: pod.name,
          namespace: pod.namespace,
          body: {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name: pod.name, namespace: pod.namespace },
            deleteOptions: {
              gracePeriodSeconds: graceSeconds,
              ...(pod.uid ? { preconditions: { uid: pod.uid } } : {}),
            },
          },
        });
      },
      {
        ...retry,
        isRetryable: (err) => httpStatus(err) !== 429 && (retry.isRetryable ?? defaultEvictionRetryable)(err),
      },
    );
    return { outcome: 'done' };
  } catch (err) {
    const status = httpStatus(err);
    if (status === 429) {
      // After a lost answer the budget may refuse because the first attempt did evict the pod.
      if (attempts > 1 && (await evictionTookEffect(client, pod, retry)))
        return { outcome: 'done', detail: 'evicted by an attempt whose answer was lost' };
      return { outcome: 'refused', detail: describeApiError(err) };
    }
    if (status === 404 || status === 409) return { outcome: 'gone', detail: describeApiError(err) };
    throw err;
  }
}

async function evictionTookEffect(client: KubeClient, pod: PodRef, retry: BackoffOptions): Promise<boolean> {
  try {
    const current = await withRetry(
      () => client.core.readNamespacedPod({ name: pod.name, namespace: pod.namespace }),
      retry,
    );
    return (
      Boolean(current.metadata?.deletionTimestamp) ||
      (pod.uid !== undefined && current.metadata?.uid !== pod.uid)
    );
  } catch (err) {
    if (httpStatus(err) === 404) return true;
    throw err;
  }
}

function defaultEvictionRetryable(err: unknown): boolean {
  const status = httpStatus(err);
  return status === undefined || status >= 500;
}

/**
 * Kills the container's PID 1 through `exec` (`kill 1`: SIGTERM, since the kernel ignores SIGKILL sent
 * to a namespace's init from inside it). The kubelet then restarts the container in place.
 */
export async function execKillPid1(
  client: KubeClient,
  pod: PodRef,
  container: string,
  timeoutMs = 30_000,
): Promise<DisruptionResult> {
  const exec = new Exec(client.config);
  const stderr: Buffer[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (stderr.push(chunk), cb()) });
  const status = await new Promise<V1Status | undefined>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(kubeFailure(`exec into ${pod.namespace}/${pod.name} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    exec
      .exec(pod.namespace, pod.name, container, ['kill', '1'], null, sink, null, false, (s) => {
        clearTimeout(timer);
        resolve(s);
      })
      .then((socket) => socket.on('close', () => (clearTimeout(timer), resolve(undefined))))
      .catch((err: unknown) => (clearTimeout(timer), reject(err)));
  });
  if (!status) throw kubeFailure(`exec into ${pod.namespace}/${pod.name} closed without reporting a status`);
  if (status.status !== 'Success') {
    const detail = status.message ?? Buffer.concat(stderr).toString('utf8').trim();
    if (status.reason === 'NotFound') return { outcome: 'gone', detail };
    throw kubeFailure(`kill 1 in ${pod.namespace}/${pod.name} (${container}) failed: ${detail}`);
  }
  return { outcome: 'done' };
}
