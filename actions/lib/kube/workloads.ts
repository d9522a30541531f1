import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { KubeClient } from './client.js';
import { withRetry, httpStatus, type BackoffOptions } from './retry.js';
import { selectorToString } from './selector.js';

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** The parts of a Deployment, StatefulSet or DaemonSet that chaos and its guard need. */
export interface Workload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  /** The pod selector as a labelSelector query string. */
  selector: string;
  /** Pods it wants: spec.replicas, or status.desiredNumberScheduled for a DaemonSet. */
  desired: number;
  /** Pods Ready as the controller reports them. */
  ready: number;
}

/** `deployment`, `StatefulSets`, `ds`, … → the canonical kind; undefined when unknown. */
export function normalizeKind(text: string): WorkloadKind | undefined {
  const word = text.trim().toLowerCase().replace(/s$/, '');
  const aliases: Record<string, WorkloadKind> = {
    deployment: 'Deployment',
    deploy: 'Deployment',
    statefulset: 'StatefulSet',
    st: 'StatefulSet',
    sts: 'StatefulSet',
    daemonset: 'DaemonSet',
    d: 'DaemonSet',
    ds: 'DaemonSet',
  };
  return aliases[word] ?? aliases[text.trim().toLowerCase()];
}

type AnyWorkload = V1Deployment | V1StatefulSet | V1DaemonSet;

export function toWorkload(kind: WorkloadKind, object: AnyWorkload): Workload {
  const meta = object.metadata ?? {};
  const base = {
    kind,
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    labels: meta.labels ?? {},
    selector: selectorToString(object.spec?.selector),
  };
  if (kind === 'DaemonSet') {
    const status = (object as V1DaemonSet).status;
    return { ...base, desired: status?.desiredNumberScheduled ?? 0, ready: status?.numberReady ?? 0 };
  }
  const spec = (object as V1Deployment | V1StatefulSet).spec;
  const status = (object as V1Deployment | V1StatefulSet).status;
  return { ...base, desired: spec?.replicas ?? 1, ready: status?.readyReplicas ?? 0 };
}

export async function listWorkloads(
  client: KubeClient,
  kind: WorkloadKind,
  namespace: string,
  labelSelector?: string,
  retry: BackoffOptions = {},
): Promise<Workload[]> {
  const query = { namespace, labelSelector: labelSelector || undefined };
  const list = await withRetry(async () => {
    switch (kind) {
      case 'Deployment':
        return (await client.apps.listNamespacedDeployment(query)).items as AnyWorkload[];
      case 'StatefulSet':
        return (await client.apps.listNamespacedStatefulSet(query)).items as AnyWorkload[];
      case 'DaemonSet':
        return (await client.apps.listNamespacedDaemonSet(query)).items as AnyWorkload[];
    }
  }, retry);
  return list.map((item) => toWorkload(kind, item));
}

/** The workload now, or undefined when it no longer exists. */
export async function readWorkload(
  client: KubeClient,
  kind: WorkloadKind,
  namespace: string,
  name: string,
  retry: BackoffOptions = {},
): Promise<Workload | undefined> {
  try {
    const object = await withRetry(async (): Promise<AnyWorkload> => {
      switch (kind) {
        case 'Deployment':
          return client.apps.readNamespacedDeployment({ name, namespace });
        case 'StatefulSet':
          return client.apps.readNamespacedStatefulSet({ name, namespace });
        case 'DaemonSet':
          return client.apps.readNamespacedDaemonSet({ name, namespace });
      }
    }, retry);
    return toWorkload(kind, object);
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}
