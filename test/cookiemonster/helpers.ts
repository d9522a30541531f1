import { createKubeClient } from '../../actions/lib/kube/client.js';
import {
  runChaos,
  type ChaosOptions,
  type ChaosResult,
  type KillRecord,
} from '../../actions/cookiemonster/chaos.js';
import { parseTargets } from '../../actions/cookiemonster/targets.js';
import type { FakeKubeApi } from '../fakes/kube-api.js';

export const quiet = { info: () => undefined, warning: () => undefined, debug: () => undefined };

export const targetsOf = (list: unknown[]) =>
  parseTargets(list, (i, k) => `targets[${i}]${k ? `.${k}` : ''}`);

/** A short chaos run against the fake: seconds, not minutes. */
export function chaosAgainst(
  api: FakeKubeApi,
  overrides: Partial<ChaosOptions> & { targets: ChaosOptions['targets'] },
): Promise<ChaosResult> {
  return runChaos({
    client: createKubeClient({ kubeconfig: api.kubeconfig }),
    namespaces: ['openstack'],
    durationMs: 800,
    intervalMs: 150,
    jitter: 0,
    seed: 'test',
    maxConcurrentKills: 10,
    killMode: 'delete',
    gracePeriodSeconds: 1,
    recoveryTimeoutMs: 3000,
    dryRun: false,
    log: quiet,
    retry: { baseMs: 5, maxMs: 50 },
    ...overrides,
  });
}

/** The most kills that were unrecovered at the same moment. */
export function peakConcurrentKills(kills: KillRecord[], end: number): number {
  const disruptive = kills.filter(
    (k) => k.outcome === 'killed' || k.outcome === 'gone' || k.outcome === 'error',
  );
  return Math.max(
    0,
    ...disruptive.map((k) => disruptive.filter((o) => o.at <= k.at && (o.recoveredAt ?? end) > k.at).length),
  );
}

export const killSignature = (kills: KillRecord[]) =>
  kills.map((k) => `${k.tick} ${k.workload} ${k.pod} ${k.outcome}`);
