import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../lib/kube/client.js';
import { deletePod, evictPod, execKillPid1, type DisruptionResult } from '../lib/kube/disrupt.js';
import { PodInformer } from '../lib/kube/informer.js';
import { isServing, isVictimCandidate, listPods, readPod } from '../lib/kube/pods.js';
import { describeApiError, sleep, type BackoffOptions } from '../lib/kube/retry.js';
import { parseLabelSelector } from '../lib/kube/selector.js';
import { listWorkloads, readWorkload, type Workload } from '../lib/kube/workloads.js';
import { mayKill } from './guard.js';
import { Prng } from './prng.js';
import { PROTECTED_NAMESPACES, type TargetSpec } from './targets.js';

export const KILL_MODES = ['delete', 'hard', 'evict', 'exec'] as const;
export type KillMode = (typeof KILL_MODES)[number];

export interface ChaosLog {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
}

export interface ChaosOptions {
  client: KubeClient;
  targets: TargetSpec[];
  /** The only namespaces anything may be done in. */
  namespaces: string[];
  durationMs: number;
  intervalMs: number;
  /** Each interval varies by up to ± this fraction (0–1), drawn from the seed. */
  jitter: number;
  seed: string;
  /** Disruptions not yet recovered, across all targets, never exceed this. */
  maxConcurrentKills: number;
  killMode: KillMode;
  /** Grace period for delete/evict (hard is always 0); undefined = the pod's own. */
  gracePeriodSeconds?: number;
  /** After the chaos window, how long to wait for everything to be Ready again. */
  recoveryTimeoutMs: number;
  /** On cancellation wait at most this long for recovery (the runner kills the step soon after). */
  cancelRecoveryMs?: number;
  dryRun: boolean;
  signal?: AbortSignal;
  log: ChaosLog;
  retry?: BackoffOptions;
  /** Called after every kill attempt (tests and progress output). */
  onKill?: (kill: KillRecord) => void;
}

/**
 * killed/gone: the pod went down (gone: it was already going); refused: a PodDisruptionBudget said
 * no; error: the request failed and the pod's state is unknown, so it counts as down; failed: the
 * request failed and the pod was verified untouched; dry-run: only planned.
 */
export type KillOutcome = 'killed' | 'gone' | 'refused' | 'dry-run' | 'error' | 'failed';

/** Outcomes that took (or may have taken) a pod down. */
export const DISRUPTIVE: readonly KillOutcome[] = ['killed', 'gone', 'error'];

export interface KillRecord {
  id: number;
  tick: number;
  /** The configured target it came from (`targets[0]`, `config namespace[0].resource[1]`). */
  target: string;
  /** `StatefulSet openstack/mariadb-server`. */
  workload: string;
  namespace: string;
  pod: string;
  podUid: string;
  node?: string;
  mode: KillMode;
  outcome: KillOutcome;
  detail?: string;
  /** Epoch ms of the kill. */
  at: number;
  desired: number;
  /** Ready pods (not counting earlier unrecovered victims) just before the kill. */
  availableBefore: number;
  floor: number;
  /** Epoch ms when the workload was fully Ready again. */
  recoveredAt?: number;
  recoveryMs?: number;
}

export interface SkipRecord {
  tick: number;
  target: string;
  workload?: string;
  reason: string;
  at: number;
}

export interface WorkloadResult {
  workload: string;
  kind: Workload['kind'];
  namespace: string;
  name: string;
  desired: number;
  kills: number;
  refused: number;
  meanRecoveryMs?: number;
  maxRecoveryMs?: number;
  /** Time-weighted share of desired pods that were Ready during the run, in percent. */
  availabilityPercent: number;
  /** The fewest Ready pods seen. */
  minReady: number;
  /** Fully Ready at the end. */
  recovered: boolean;
  finalReady: number;
}

export interface ChaosResult {
  seed: string;
  dryRun: boolean;
  cancelled: boolean;
  startedAt: number;
  chaosEndedAt: number;
  finishedAt: number;
  ticks: number;
  kills: KillRecord[];
  skips: SkipRecord[];
  workloads: WorkloadResult[];
  /** Kills whose workload did not get back to full Ready in time. */
  unrecoveredKills: number[];
  /** Targets (by source) that matched at least one workload in some tick. */
  matchedTargets: string[];
  watchReconnects: number;
}

interface Tracked {
  workload: Workload;
  matches: (labels: Record<string, string> | undefined) => boolean;
  samples: { at: number; ready: number }[];
}

/** The pod chosen to take down, and the workload's state it was chosen from. */
interface VictimChoice {
  victim: V1Pod;
  namespace: string;
  desired: number;
  available: number;
  floor: number;
}

interface PendingKill {
  record: KillRecord;
  restartsBefore: number;
  settled: boolean;
}

export const workloadKey = (w: Pick<Workload, 'kind' | 'namespace' | 'name'>) =>
  `${w.kind} ${w.namespace}/${w.name}`;

const restarts = (pod: V1Pod) =>
  (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0);

/**
 * The chaos loop. Every interval (± jitter) it visits each target, resolves its workloads fresh,
 * and for each pod it may kill re-reads the workload and its pods from the API, counts this run's
 * unrecovered victims as down, asks the guard and the global cap, picks a victim with a PRNG
 * derived from (seed, tick, target, workload) and disrupts it. Pod informers (list + watch) time
 * every recovery and the availability of every workload. Cancellation stops the killing at once;
 * recovery is still awaited and reported.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  return new ChaosRun(options).run();
}

class ChaosRun {
  private readonly kills: KillRecord[] = [];
  private readonly skips: SkipRecord[] = [];
  private readonly pending: PendingKill[] = [];
  private readonly tracked = new Map<string, Tracked>();
  private readonly informers = new Map<string, PodInformer>();
  private readonly giveUp = new AbortController();
  private readonly recoveries: Promise<void>[] = [];
  private readonly warned = new Set<string>();
  private readonly matched = new Set<string>();
  private startedAt = Date.now();

  constructor(private readonly o: ChaosOptions) {}

  async run(): Promise<ChaosResult> {
    const o = this.o;
    const namespaces = [
      ...new Set(o.targets.flatMap((t) => (t.namespace ? [t.namespace] : o.namespaces))),
    ].filter((ns) => this.allowed(ns));
    try {
      for (const namespace of namespaces) {
        const informer = new PodInformer(o.client, {
          namespace,
          log: (m) => o.log.debug(m),
          onEvent: (_t, pod) => this.sample(namespace, pod),
        });
        await informer.start();
        this.informers.set(namespace, informer);
      }
      this.startedAt = Date.now();
      const deadline = this.startedAt + o.durationMs;
      let tick = 0;
      while (!o.signal?.aborted) {
        await this.runTick(tick);
        tick++;
        if (o.dryRun) for (const p of this.pending) p.settled = true;
        const wait = this.jittered(tick);
        if (o.signal?.aborted || Date.now() + wait >= deadline) break;
        // Cancelled: the loop ends and the report below says so.
        await sleep(wait, o.signal).catch(() => undefined);
      }
      const chaosEndedAt = Date.now();
      const cancelled = Boolean(o.signal?.aborted);
      if (cancelled) o.log.warning(`Cancelled after ${tick} tick(s): no more kills; waiting for recovery.`);
      const finalWait = o.dryRun
        ? 0
        : cancelled
          ? Math.min(o.recoveryTimeoutMs, o.cancelRecoveryMs ?? 6000)
          : o.recoveryTimeoutMs;
      const finalDeadline = chaosEndedAt + finalWait;
      const final = await this.awaitRecovery(finalDeadline);
      return {
        seed: o.seed,
        dryRun: o.dryRun,
        cancelled,
        startedAt: this.startedAt,
        chaosEndedAt,
        finishedAt: Date.now(),
        ticks: tick,
        kills: this.kills,
        skips: this.skips,
        workloads: this.results(final),
        unrecoveredKills: this.pending
          .filter((p) => !p.settled && p.record.outcome !== 'dry-run')
          .map((p) => p.record.id),
        watchReconnects: [...this.informers.values()].reduce((sum, i) => sum + i.reconnects, 0),
        matchedTargets: [...this.matched],
      };
    } finally {
      this.giveUp.abort();
      await Promise.all([...this.informers.values()].map((i) => i.stop()));
    }
  }

  private allowed(namespace: string): boolean {
    return (
      this.o.namespaces.includes(namespace) &&
      !(PROTECTED_NAMESPACES as readonly string[]).includes(namespace)
    );
  }

  private jittered(tick: number): number {
    const { intervalMs, jitter, seed } = this.o;
    const factor = 1 + (Prng.derive(seed, 'interval', tick).next() * 2 - 1) * jitter;
    return Math.max(0, Math.round(intervalMs * factor));
  }

  private warnOnce(key: string, message: string) {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.o.log.warning(message);
  }

  private skip(tick: number, target: TargetSpec, reason: string, workload?: string) {
    this.skips.push({ tick, target: target.source, workload, reason, at: Date.now() });
    this.o.log.info(`  skip ${workload ?? target.source}: ${reason}`);
  }

  private async runTick(tick: number) {
    const o = this.o;
    o.log.info(`tick ${tick}${o.dryRun ? ' (dry run)' : ''}`);
    for (const [index, target] of o.targets.entries()) {
      for (const namespace of target.namespace ? [target.namespace] : o.namespaces) {
        if (o.signal?.aborted) return;
        if (!this.allowed(namespace)) continue;
        let workloads: Workload[];
        try {
          workloads = await this.resolve(target, namespace);
        } catch (err) {
          o.log.warning(
            `${target.source}: cannot list ${target.kind}s in ${namespace} (${describeApiError(err)}); skipped this tick`,
          );
          continue;
        }
        if (workloads.length === 0) {
          this.warnOnce(
            `none:${index}:${namespace}`,
            `${target.source}: no ${target.kind}${target.name ? ` named ${target.name}` : target.selector ? ` matching ${target.selector}` : ''} in ${namespace}`,
          );
          continue;
        }
        this.matched.add(target.source);
        if (target.pickOne) workloads = [Prng.derive(o.seed, 'pick', tick, index, namespace).pick(workloads)];
        for (const workload of workloads) {
          this.track(workload);
          const prng = Prng.derive(o.seed, 'victim', tick, index, workloadKey(workload));
          for (let i = 0; i < target.podsPerTick; i++) {
            if (o.signal?.aborted) return;
            await this.killOne(tick, target, workload, prng);
          }
        }
      }
    }
  }

  /** The target's workloads in one namespace, sorted by name so that a seed picks the same ones. */
  private async resolve(target: TargetSpec, namespace: string): Promise<Workload[]> {
    const { client, retry } = this.o;
    let found: Workload[];
    if (target.name) {
      const one = await readWorkload(client, target.kind, namespace, target.name, retry);
      found = one ? [one] : [];
    } else {
      found = await listWorkloads(client, target.kind, namespace, target.selector, retry);
    }
    return found
      .filter((w) => !target.exclude.includes(w.name) && w.selector !== '')
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private track(workload: Workload) {
    const key = workloadKey(workload);
    const existing = this.tracked.get(key);
    if (existing) {
      existing.workload = workload;
      return;
    }
    const tracked: Tracked = { workload, matches: parseLabelSelector(workload.selector), samples: [] };
    this.tracked.set(key, tracked);
    tracked.samples.push({ at: Date.now(), ready: this.servingNow(tracked) });
  }

  private podsOf(tracked: Tracked): V1Pod[] {
    return (this.informers.get(tracked.workload.namespace)?.pods() ?? []).filter((p) =>
      tracked.matches(p.metadata?.labels),
    );
  }

  private servingNow(tracked: Tracked): number {
    return this.podsOf(tracked).filter(isServing).length;
  }

  private sample(namespace: string, pod: V1Pod) {
    for (const tracked of this.tracked.values()) {
      if (tracked.workload.namespace !== namespace || !tracked.matches(pod.metadata?.labels)) continue;
      const ready = this.servingNow(tracked);
      const last = tracked.samples.at(-1);
      if (last?.ready !== ready) tracked.samples.push({ at: Date.now(), ready });
    }
  }

  private unrecovered(key: string): PendingKill[] {
    return this.pending.filter((p) => !p.settled && p.record.workload === key);
  }

  private async killOne(tick: number, target: TargetSpec, workload: Workload, prng: Prng) {
    const o = this.o;
    const key = workloadKey(workload);
    if (!this.allowed(workload.namespace))
      throw new Error(`refusing to touch namespace ${workload.namespace}`);
    const choice = await this.chooseVictim(target, workload, prng);
    if ('skip' in choice) return this.skip(tick, target, choice.skip, key);
    const record = this.recordKill(tick, target, key, choice);
    const pendingKill: PendingKill = { record, restartsBefore: restarts(choice.victim), settled: false };
    const state = `${key}: ${choice.available}/${choice.desired} Ready, floor ${choice.floor}`;
    if (o.dryRun) {
      this.pending.push(pendingKill);
      o.log.info(`  would ${o.killMode} ${record.namespace}/${record.pod} (${state})`);
      o.onKill?.(record);
      return;
    }
    const result = await this.disruptOrAssume(record, choice.victim, pendingKill.restartsBefore);
    record.outcome = result.outcome;
    if (result.detail) record.detail = result.detail;
    o.log.info(
      `  ${record.outcome === 'refused' ? 'refused' : o.killMode} ${record.namespace}/${record.pod} (${state})${result.detail ? `: ${result.detail}` : ''}`,
    );
    if (record.outcome === 'error' || record.outcome === 'failed')
      o.log.warning(
        `${o.killMode} of ${record.namespace}/${record.pod} failed: ${record.detail}${record.outcome === 'error' ? '; counted as a disruption' : ''}`,
      );
    if (DISRUPTIVE.includes(record.outcome)) {
      this.pending.push(pendingKill);
      this.recoveries.push(this.watchRecovery(pendingKill));
    }
    o.onKill?.(record);
  }

  /**
   * The pod to take down, from the workload's state right now (its desired count and its pods),
   * or why none may be: the guard's floor, too many kills not yet recovered, no Running pod.
   */
  private async chooseVictim(
    target: TargetSpec,
    workload: Workload,
    prng: Prng,
  ): Promise<VictimChoice | { skip: string }> {
    const o = this.o;
    const key = workloadKey(workload);
    let current: Workload | undefined;
    let pods: V1Pod[];
    try {
      current = await readWorkload(o.client, workload.kind, workload.namespace, workload.name, o.retry);
      pods = current ? await listPods(o.client, workload.namespace, current.selector, o.retry) : [];
    } catch (err) {
      return { skip: `cannot read its state (${describeApiError(err)})` };
    }
    if (!current) return { skip: 'workload no longer exists' };
    const down = new Set(this.unrecovered(key).map((p) => p.record.podUid));
    const available = pods.filter((p) => isServing(p) && !down.has(p.metadata?.uid ?? '')).length;
    const decision = mayKill(target, current.desired, available);
    if (!decision.allowed) return { skip: `guard: ${decision.reason}` };
    const inFlight = this.pending.filter((p) => !p.settled).length;
    if (inFlight >= o.maxConcurrentKills)
      return { skip: `${inFlight} kill(s) not yet recovered (max-concurrent-kills ${o.maxConcurrentKills})` };
    const candidates = pods
      .filter((p) => isVictimCandidate(p) && !down.has(p.metadata?.uid ?? ''))
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    if (candidates.length === 0) return { skip: 'no Running pod to take down' };
    return {
      victim: prng.pick(candidates),
      namespace: workload.namespace,
      desired: current.desired,
      available,
      floor: decision.floor,
    };
  }

  /** A new kill in the record, as a dry run until the disruption says otherwise. */
  private recordKill(tick: number, target: TargetSpec, key: string, choice: VictimChoice): KillRecord {
    const { victim } = choice;
    const record: KillRecord = {
      id: this.kills.length + 1,
      tick,
      target: target.source,
      workload: key,
      namespace: choice.namespace,
      pod: victim.metadata?.name ?? '',
      podUid: victim.metadata?.uid ?? '',
      node: victim.spec?.nodeName,
      mode: this.o.killMode,
      outcome: 'dry-run',
      at: Date.now(),
      desired: choice.desired,
      availableBefore: choice.available,
      floor: choice.floor,
    };
    this.kills.push(record);
    return record;
  }

  /** The disruption's outcome; a request that failed still counts as a kill unless the pod is seen untouched. */
  private async disruptOrAssume(
    record: KillRecord,
    victim: V1Pod,
    restartsBefore: number,
  ): Promise<{ outcome: KillOutcome; detail?: string }> {
    try {
      const result: DisruptionResult = await this.disrupt(record, victim);
      return { outcome: result.outcome === 'done' ? 'killed' : result.outcome, detail: result.detail };
    } catch (err) {
      // The request may still have reached the API server: unless the pod is seen untouched, count
      // it as down, to stay within budget.
      const untouched = await this.victimUntouched(record, restartsBefore);
      return {
        outcome: untouched ? 'failed' : 'error',
        detail: `request failed: ${describeApiError(err)}${untouched ? '; the pod is untouched' : ''}`,
      };
    }
  }

  /** True only when the victim is seen as it was: same incarnation, not terminating, no restart. */
  private async victimUntouched(record: KillRecord, restartsBefore: number): Promise<boolean> {
    try {
      const pod = await readPod(
        this.o.client,
        { namespace: record.namespace, name: record.pod },
        this.o.retry,
      );
      return Boolean(
        pod &&
        pod.metadata?.uid === record.podUid &&
        !pod.metadata?.deletionTimestamp &&
        restarts(pod) === restartsBefore,
      );
    } catch {
      return false;
    }
  }

  private disrupt(record: KillRecord, victim: V1Pod): Promise<DisruptionResult> {
    const { client, retry, gracePeriodSeconds } = this.o;
    const ref = { namespace: record.namespace, name: record.pod, uid: record.podUid };
    switch (record.mode) {
      case 'delete':
        return deletePod(client, ref, gracePeriodSeconds, retry);
      case 'hard':
        return deletePod(client, ref, 0, retry);
      case 'evict':
        return evictPod(client, ref, gracePeriodSeconds, retry);
      case 'exec': {
        const container = victim.spec?.containers?.[0]?.name ?? '';
        return execKillPid1(client, ref, container);
      }
    }
  }

  /** Resolves when the workload is fully Ready again without the victim's old incarnation. */
  private watchRecovery(pending: PendingKill): Promise<void> {
    const tracked = this.tracked.get(pending.record.workload);
    const informer = this.informers.get(pending.record.namespace);
    if (!tracked || !informer) return Promise.resolve();
    const { record } = pending;
    const recovered = (pods: V1Pod[]) =>
      pods.filter(
        (p) =>
          tracked.matches(p.metadata?.labels) &&
          isServing(p) &&
          (p.metadata?.uid !== record.podUid ||
            (record.mode === 'exec' && restarts(p) > pending.restartsBefore)),
      ).length >= record.desired;
    return informer.waitUntil(recovered, 2 ** 31 - 1, this.giveUp.signal).then((ok) => {
      if (!ok) return;
      pending.settled = true;
      record.recoveredAt = Date.now();
      record.recoveryMs = record.recoveredAt - record.at;
      informer.recheck();
      this.o.log.info(
        `  recovered ${record.workload} after ${(record.recoveryMs / 1000).toFixed(2)}s (kill #${record.id})`,
      );
    });
  }

  /** Waits until every tracked workload is fully Ready and every kill recovered, or the deadline. */
  private async awaitRecovery(deadline: number): Promise<Map<string, number>> {
    const finalReady = new Map<string, number>();
    await Promise.all(
      [...this.tracked.entries()].map(async ([key, tracked]) => {
        const informer = this.informers.get(tracked.workload.namespace);
        if (!informer) return;
        if (!this.o.dryRun) {
          await informer.waitUntil(
            () => this.servingNow(tracked) >= tracked.workload.desired && this.unrecovered(key).length === 0,
            deadline - Date.now(),
          );
        }
        finalReady.set(key, this.servingNow(tracked));
      }),
    );
    this.giveUp.abort();
    await Promise.all(this.recoveries);
    return finalReady;
  }

  private results(finalReady: Map<string, number>): WorkloadResult[] {
    const end = Date.now();
    return [...this.tracked.entries()]
      .map(([key, tracked]) => {
        const { workload } = tracked;
        const mine = this.kills.filter((k) => k.workload === key);
        const disruptive = mine.filter((k) => DISRUPTIVE.includes(k.outcome));
        const times = disruptive.map((k) => k.recoveryMs).filter((t): t is number => t !== undefined);
        const ready = finalReady.get(key) ?? 0;
        return {
          workload: key,
          kind: workload.kind,
          namespace: workload.namespace,
          name: workload.name,
          desired: workload.desired,
          kills: this.o.dryRun ? mine.length : disruptive.length,
          refused: mine.filter((k) => k.outcome === 'refused').length,
          meanRecoveryMs: times.length ? times.reduce((a, b) => a + b, 0) / times.length : undefined,
          maxRecoveryMs: times.length ? Math.max(...times) : undefined,
          availabilityPercent: availability(tracked.samples, workload.desired, this.startedAt, end),
          minReady: Math.min(...tracked.samples.map((s) => s.ready)),
          recovered: this.o.dryRun || (ready >= workload.desired && this.unrecovered(key).length === 0),
          finalReady: ready,
        };
      })
      .sort((a, b) => a.workload.localeCompare(b.workload));
  }
}

/** Time-weighted mean of min(ready, desired)/desired over [from, to], in percent. */
export function availability(
  samples: { at: number; ready: number }[],
  desired: number,
  from: number,
  to: number,
): number {
  if (desired <= 0 || to <= from || samples.length === 0) return 100;
  let weighted = 0;
  for (let i = 0; i < samples.length; i++) {
    const start = Math.max(from, samples[i].at);
    const stop = Math.min(to, samples[i + 1]?.at ?? to);
    if (stop > start) weighted += (Math.min(samples[i].ready, desired) / desired) * (stop - start);
  }
  const covered = to - Math.max(from, samples[0].at);
  return covered > 0 ? (weighted / covered) * 100 : 100;
}
