/**
 * What the helm engine asks of the cluster besides helm itself: Armada's label-based waits,
 * `upgrade.pre.delete`, and a diagnosis of a failed release. The engine only sees this interface;
 * KubeCluster implements it with @kubernetes/client-node (actions/lib/kube), tests use a fake.
 */
import { BatchV1Api, type V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../lib/kube/client.js';
import { describeApiError, sleep } from '../lib/kube/retry.js';
import type { WaitResource } from '../lib/armada/index.js';

export interface WaitRequest {
  namespace: string;
  labels: Record<string, string>;
  resources: WaitResource[];
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface WaitOutcome {
  ready: boolean;
  /** What is still not ready (`deployment keystone-api: 1/2 ready`), empty when ready. */
  pending: string[];
}

export interface DeleteRequest {
  namespace: string;
  type: string;
  name?: string;
  labels?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ContainerDiagnosis {
  name: string;
  ready: boolean;
  restartCount: number;
  /** `running`, `waiting: CrashLoopBackOff`, `terminated: Error (exit 1)` */
  state: string;
}

export interface PodDiagnosis {
  name: string;
  phase: string;
  ready: boolean;
  containers: ContainerDiagnosis[];
}

export interface EventRecord {
  object: string;
  type: string;
  reason: string;
  message: string;
  count?: number;
}

export interface ContainerLog {
  pod: string;
  container: string;
  previous: boolean;
  text: string;
}

export interface Diagnosis {
  pods: PodDiagnosis[];
  events: EventRecord[];
  logs: ContainerLog[];
  /** Parts that could not be collected, and why. */
  errors: string[];
}

export interface ClusterOps {
  waitForReady(request: WaitRequest): Promise<WaitOutcome>;
  /** Deletes matching resources; resolves to the names deleted. */
  deleteResources(request: DeleteRequest): Promise<string[]>;
  /** Pods of the release that are not Ready, recent events about them, crash-looping containers' logs. */
  diagnose(namespace: string, labels: Record<string, string>, logLines: number): Promise<Diagnosis>;
}

/** Armada's default wait: every pod (except jobs' and tests') and every job with the chart's labels. */
export const DEFAULT_WAIT_RESOURCES: WaitResource[] = [{ type: 'pod' }, { type: 'job' }];

export function selector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** `min_ready` (a count or "20%") → pods needed out of `desired`. */
export function minReadyCount(minReady: number | string | undefined, desired: number): number {
  if (minReady === undefined) return desired;
  if (typeof minReady === 'number') return Math.min(minReady, desired);
  const percent = /^(\d+)%$/.exec(minReady);
  if (percent) return Math.ceil((desired * Number(percent[1])) / 100);
  return Math.min(Number(minReady), desired);
}

function isTestPod(pod: V1Pod): boolean {
  const hook = pod.metadata?.annotations?.['helm.sh/hook'] ?? '';
  return hook.split(',').some((h) => h.trim() === 'test' || h.trim() === 'test-success');
}

function ownedByJob(pod: V1Pod): boolean {
  return (pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Job');
}

function podReady(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Succeeded' ||
    (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false)
  );
}

function containerState(
  status: NonNullable<NonNullable<V1Pod['status']>['containerStatuses']>[number],
): string {
  const state = status.state;
  if (state?.waiting) return `waiting: ${state.waiting.reason ?? 'unknown'}`;
  if (state?.terminated)
    return `terminated: ${state.terminated.reason ?? 'unknown'} (exit ${state.terminated.exitCode})`;
  return state?.running ? 'running' : 'unknown';
}

export class KubeCluster implements ClusterOps {
  private readonly batch: BatchV1Api;

  constructor(
    private readonly client: KubeClient,
    private readonly pollMs = 2000,
  ) {
    this.batch = client.config.makeApiClient(BatchV1Api);
  }

  /** One look at every resource type the wait covers; what is not ready yet. */
  async pendingResources(request: Omit<WaitRequest, 'timeoutMs' | 'signal'>): Promise<string[]> {
    const resources = request.resources.length ? request.resources : DEFAULT_WAIT_RESOURCES;
    const pending: string[] = [];
    for (const resource of resources) {
      const labelSelector = selector({ ...request.labels, ...resource.labels });
      const namespace = request.namespace;
      switch (resource.type.toLowerCase()) {
        case 'pod': {
          const pods = (await this.client.core.listNamespacedPod({ namespace, labelSelector })).items;
          for (const pod of pods.filter(
            (p) => !ownedByJob(p) && !isTestPod(p) && !p.metadata?.deletionTimestamp,
          )) {
            if (!podReady(pod))
              pending.push(`pod ${pod.metadata?.name}: ${pod.status?.phase ?? 'Unknown'}, not Ready`);
          }
          break;
        }
        case 'job': {
          for (const job of (await this.batch.listNamespacedJob({ namespace, labelSelector })).items) {
            const wanted = job.spec?.completions ?? 1;
            if ((job.status?.succeeded ?? 0) < wanted)
              pending.push(`job ${job.metadata?.name}: ${job.status?.succeeded ?? 0}/${wanted} succeeded`);
          }
          break;
        }
        case 'deployment':
          for (const d of (await this.client.apps.listNamespacedDeployment({ namespace, labelSelector }))
            .items) {
            const desired = d.spec?.replicas ?? 1;
            const ready = d.status?.readyReplicas ?? 0;
            if (ready < minReadyCount(resource.minReady, desired))
              pending.push(`deployment ${d.metadata?.name}: ${ready}/${desired} ready`);
          }
          break;
        case 'statefulset':
          for (const s of (await this.client.apps.listNamespacedStatefulSet({ namespace, labelSelector }))
            .items) {
            const desired = s.spec?.replicas ?? 1;
            const ready = s.status?.readyReplicas ?? 0;
            if (ready < minReadyCount(resource.minReady, desired))
              pending.push(`statefulset ${s.metadata?.name}: ${ready}/${desired} ready`);
          }
          break;
        case 'daemonset':
          for (const s of (await this.client.apps.listNamespacedDaemonSet({ namespace, labelSelector }))
            .items) {
            const desired = s.status?.desiredNumberScheduled ?? 0;
            const ready = s.status?.numberReady ?? 0;
            if (ready < minReadyCount(resource.minReady, desired))
              pending.push(`daemonset ${s.metadata?.name}: ${ready}/${desired} ready`);
          }
          break;
        default:
          throw new Error(
            `wait.resources type ${JSON.stringify(resource.type)} is not one deploy-armada can wait for (pod, job, deployment, statefulset, daemonset)`,
          );
      }
    }
    return pending;
  }

  async waitForReady(request: WaitRequest): Promise<WaitOutcome> {
    const deadline = Date.now() + request.timeoutMs;
    for (;;) {
      const pending = await this.pendingResources(request);
      if (pending.length === 0) return { ready: true, pending };
      if (Date.now() >= deadline || request.signal?.aborted) return { ready: false, pending };
      await sleep(Math.min(this.pollMs, Math.max(0, deadline - Date.now())), request.signal).catch(
        () => undefined,
      );
    }
  }

  async deleteResources(request: DeleteRequest): Promise<string[]> {
    const { namespace } = request;
    const labelSelector = request.labels ? selector(request.labels) : undefined;
    const matches = (name: string | undefined) => !request.name || name === request.name;
    const deleted: string[] = [];
    switch (request.type.toLowerCase()) {
      case 'job':
        for (const job of (await this.batch.listNamespacedJob({ namespace, labelSelector })).items.filter(
          (j) => matches(j.metadata?.name),
        )) {
          await this.batch.deleteNamespacedJob({
            name: job.metadata!.name!,
            namespace,
            propagationPolicy: 'Background',
          });
          deleted.push(`job/${job.metadata!.name}`);
        }
        break;
      case 'cronjob':
        for (const cron of (
          await this.batch.listNamespacedCronJob({ namespace, labelSelector })
        ).items.filter((j) => matches(j.metadata?.name))) {
          await this.batch.deleteNamespacedCronJob({
            name: cron.metadata!.name!,
            namespace,
            propagationPolicy: 'Background',
          });
          deleted.push(`cronjob/${cron.metadata!.name}`);
        }
        break;
      case 'pod':
        for (const pod of (
          await this.client.core.listNamespacedPod({ namespace, labelSelector })
        ).items.filter((p) => matches(p.metadata?.name))) {
          await this.client.core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace });
          deleted.push(`pod/${pod.metadata!.name}`);
        }
        break;
      default:
        throw new Error(
          `upgrade.pre.delete type ${JSON.stringify(request.type)} is not supported (job, cronjob, pod)`,
        );
    }
    return deleted;
  }

  async diagnose(namespace: string, labels: Record<string, string>, logLines: number): Promise<Diagnosis> {
    const diagnosis: Diagnosis = { pods: [], events: [], logs: [], errors: [] };
    let pods: V1Pod[] = [];
    try {
      pods = (await this.client.core.listNamespacedPod({ namespace, labelSelector: selector(labels) })).items;
    } catch (err) {
      diagnosis.errors.push(`pods: ${describeApiError(err)}`);
    }
    const unhealthy = pods.filter((p) => !podReady(p));
    for (const pod of unhealthy) {
      diagnosis.pods.push({
        name: pod.metadata?.name ?? '',
        phase: pod.status?.phase ?? 'Unknown',
        ready: false,
        containers: (pod.status?.containerStatuses ?? []).map((c) => ({
          name: c.name,
          ready: c.ready,
          restartCount: c.restartCount,
          state: containerState(c),
        })),
      });
    }
    const names = new Set(unhealthy.map((p) => p.metadata?.name));
    try {
      const events = (await this.client.core.listNamespacedEvent({ namespace })).items;
      diagnosis.events = events
        // Events of the unready pods; with none unready, the namespace's warnings.
        .filter((e) => (names.size ? names.has(e.involvedObject?.name) : e.type === 'Warning'))
        .slice(-50)
        .map((e) => ({
          object: `${e.involvedObject?.kind?.toLowerCase() ?? 'object'}/${e.involvedObject?.name ?? '?'}`,
          type: e.type ?? '',
          reason: e.reason ?? '',
          message: e.message ?? '',
          count: e.count,
        }));
    } catch (err) {
      diagnosis.errors.push(`events: ${describeApiError(err)}`);
    }
    for (const pod of unhealthy) {
      for (const status of pod.status?.containerStatuses ?? []) {
        const crashing = status.restartCount > 0 || status.state?.waiting?.reason === 'CrashLoopBackOff';
        if (!crashing) continue;
        const name = pod.metadata!.name!;
        try {
          const text = await this.client.core.readNamespacedPodLog({
            name,
            namespace,
            container: status.name,
            previous: status.restartCount > 0,
            tailLines: logLines,
          });
          diagnosis.logs.push({
            pod: name,
            container: status.name,
            previous: status.restartCount > 0,
            text: String(text),
          });
        } catch (err) {
          diagnosis.errors.push(`logs of ${name}/${status.name}: ${describeApiError(err)}`);
        }
      }
    }
    return diagnosis;
  }
}
