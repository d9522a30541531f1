import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readyFloor } from '../../actions/cookiemonster/guard.js';
import { verdict } from '../../actions/cookiemonster/report.js';
import { FakeKubeApi } from '../fakes/kube-api.js';
import { chaosAgainst, killSignature, peakConcurrentKills, targetsOf } from './helpers.js';

let api: FakeKubeApi;
beforeEach(async () => {
  api = await FakeKubeApi.start();
});
afterEach(async () => {
  await api.close();
});

describe('the availability guard against the fake cluster', () => {
  it('never takes a workload below its floor nor exceeds the kill cap, whatever the seed (with API faults)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.string({ minLength: 1, maxLength: 8 }),
          cap: fc.integer({ min: 1, max: 3 }),
          podsPerTick: fc.integer({ min: 1, max: 3 }),
          slack: fc.integer({ min: 1, max: 2 }),
          faults: fc.boolean(),
        }),
        async ({ seed, cap, podsPerTick, slack, faults }) => {
          const fake = await FakeKubeApi.start();
          try {
            fake.addWorkload({
              kind: 'Deployment',
              namespace: 'openstack',
              name: 'nova-api',
              replicas: 4,
              readyDelayMs: 120,
              terminatingMs: 40,
            });
            fake.addWorkload({
              kind: 'StatefulSet',
              namespace: 'openstack',
              name: 'mariadb-server',
              replicas: 3,
              readyDelayMs: 150,
              terminatingMs: 40,
            });
            fake.addWorkload({
              kind: 'DaemonSet',
              namespace: 'openstack',
              name: 'openvswitch',
              readyDelayMs: 100,
              terminatingMs: 40,
            });
            if (faults) {
              fake.injectFault({ status: 500, count: 2, method: 'DELETE' });
              fake.injectFault({ status: 429, count: 2, method: 'GET', watch: false, path: /\/pods$/ });
            }
            const targets = targetsOf([
              { kind: 'Deployment', name: 'nova-api', slack, 'pods-per-tick': podsPerTick },
              { kind: 'StatefulSet', name: 'mariadb-server', 'pods-per-tick': podsPerTick },
              { kind: 'DaemonSet', name: 'openvswitch', 'min-ready': 2, 'pods-per-tick': podsPerTick },
            ]);
            const result = await chaosAgainst(fake, {
              seed,
              maxConcurrentKills: cap,
              targets,
              durationMs: 500,
              intervalMs: 90,
              jitter: 0.5,
            });
            expect(result.kills.length).toBeGreaterThan(0);
            expect(fake.minServing('Deployment', 'openstack', 'nova-api')).toBeGreaterThanOrEqual(
              readyFloor({ slack }, 4),
            );
            expect(fake.minServing('StatefulSet', 'openstack', 'mariadb-server')).toBeGreaterThanOrEqual(2);
            expect(fake.minServing('DaemonSet', 'openstack', 'openvswitch')).toBeGreaterThanOrEqual(2);
            expect(peakConcurrentKills(result.kills, result.finishedAt)).toBeLessThanOrEqual(cap);
            // A delete that failed with 500 and was retried is one kill, never two.
            expect(new Set(result.kills.map((k) => k.podUid)).size).toBe(result.kills.length);
          } finally {
            await fake.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it('keeps a quorum StatefulSet above half Ready even when asked for many kills per tick', async () => {
    api.addWorkload({
      kind: 'StatefulSet',
      namespace: 'openstack',
      name: 'rabbitmq',
      replicas: 4,
      readyDelayMs: 150,
      terminatingMs: 30,
    });
    api.addWorkload({
      kind: 'StatefulSet',
      namespace: 'openstack',
      name: 'etcd',
      replicas: 5,
      readyDelayMs: 150,
      terminatingMs: 30,
    });
    const targets = targetsOf([
      { kind: 'StatefulSet', name: 'rabbitmq', quorum: true, 'pods-per-tick': 4 },
      // etcd gets quorum by name, without saying so.
      { kind: 'StatefulSet', name: 'etcd', 'pods-per-tick': 5 },
    ]);
    expect(targets[1].quorum).toBe(true);
    const result = await chaosAgainst(api, { targets, maxConcurrentKills: 20 });
    expect(result.kills.filter((k) => k.workload.includes('rabbitmq')).length).toBeGreaterThan(0);
    expect(api.minServing('StatefulSet', 'openstack', 'rabbitmq')).toBe(3);
    expect(api.minServing('StatefulSet', 'openstack', 'etcd')).toBe(3);
    expect(result.skips.some((s) => s.reason.includes('quorum'))).toBe(true);
  });

  it('touches nothing outside the listed namespaces, and never kube-system', async () => {
    for (const namespace of ['openstack', 'ceph', 'kube-system']) {
      api.addWorkload({ kind: 'Deployment', namespace, name: 'api', replicas: 3, readyDelayMs: 50 });
    }
    const targets = targetsOf([
      { kind: 'Deployment' },
      { kind: 'Deployment', namespace: 'ceph' },
      { kind: 'Deployment', namespace: 'kube-system' },
    ]);
    const result = await chaosAgainst(api, { targets, namespaces: ['openstack'] });
    expect(result.kills.length).toBeGreaterThan(0);
    expect(api.disruptions().length).toBe(result.kills.length);
    expect(api.disruptions().every((r) => r.path.startsWith('/api/v1/namespaces/openstack/'))).toBe(true);
    expect(
      api.requests.some(
        (r) => r.path.includes('/namespaces/ceph/') || r.path.includes('/namespaces/kube-system/'),
      ),
    ).toBe(false);
  });
});

describe('reproducibility', () => {
  async function killsWith(seed: string) {
    const fake = await FakeKubeApi.start();
    try {
      fake.addWorkload({
        kind: 'StatefulSet',
        namespace: 'openstack',
        name: 'mariadb-server',
        replicas: 3,
        readyDelayMs: 30,
        terminatingMs: 20,
      });
      fake.addWorkload({
        kind: 'Deployment',
        namespace: 'openstack',
        name: 'keystone-api',
        replicas: 3,
        readyDelayMs: 30,
        terminatingMs: 20,
      });
      fake.addWorkload({
        kind: 'Deployment',
        namespace: 'openstack',
        name: 'glance-api',
        replicas: 3,
        readyDelayMs: 30,
        terminatingMs: 20,
      });
      const targets = targetsOf([
        { kind: 'StatefulSet', name: 'mariadb-server' },
        { kind: 'Deployment', pick: 'random' },
      ]);
      // A fixed number of kills however slow the machine: stop (cancel) after the sixth.
      const stop = new AbortController();
      const result = await chaosAgainst(fake, {
        seed,
        targets,
        durationMs: 60_000,
        intervalMs: 600,
        jitter: 0.3,
        signal: stop.signal,
        onKill: (kill) => {
          if (kill.id >= 6) stop.abort();
        },
      });
      return killSignature(result.kills);
    } finally {
      await fake.close();
    }
  }

  it('the same seed kills the same pods in the same order; other seeds kill others', async () => {
    const first = await killsWith('nightly-42');
    const second = await killsWith('nightly-42');
    expect(first).toHaveLength(6);
    expect(second).toEqual(first);
    const others = [await killsWith('nightly-43'), await killsWith('nightly-44')];
    expect(others.some((o) => o.join('\n') !== first.join('\n'))).toBe(true);
  });
});

describe('recovery', () => {
  it('measures time to recovery per kill from the watch', async () => {
    api.addWorkload({
      kind: 'Deployment',
      namespace: 'openstack',
      name: 'keystone-api',
      replicas: 2,
      readyDelayMs: 250,
      terminatingMs: 50,
    });
    const result = await chaosAgainst(api, {
      targets: targetsOf([{ kind: 'Deployment', name: 'keystone-api' }]),
      durationMs: 100,
    });
    expect(result.kills).toHaveLength(1);
    const [kill] = result.kills;
    expect(kill.outcome).toBe('killed');
    // The replacement only turns Ready 250 ms after it is created, so recovery cannot be seen earlier.
    expect(kill.recoveryMs).toBeGreaterThanOrEqual(250);
    const [w] = result.workloads;
    expect(w).toMatchObject({
      kills: 1,
      recovered: true,
      finalReady: 2,
      minReady: 1,
      maxRecoveryMs: kill.recoveryMs,
    });
    expect(w.availabilityPercent).toBeLessThan(100);
    expect(verdict(result, undefined, 50).passed).toBe(true);
  });

  it('a workload that never recovers fails the run', async () => {
    api.addWorkload({
      kind: 'Deployment',
      namespace: 'openstack',
      name: 'heat-api',
      replicas: 2,
      readyDelayMs: 50,
    });
    api.breakWorkload('Deployment', 'openstack', 'heat-api');
    const result = await chaosAgainst(api, {
      targets: targetsOf([{ kind: 'Deployment', name: 'heat-api', 'pods-per-tick': 2 }]),
      durationMs: 400,
      recoveryTimeoutMs: 600,
    });
    expect(result.kills).toHaveLength(1);
    expect(result.kills[0].recoveredAt).toBeUndefined();
    expect(result.unrecoveredKills).toEqual([1]);
    expect(result.workloads[0]).toMatchObject({ recovered: false, finalReady: 1, desired: 2 });
    // Its one Ready pod is the floor: the guard refuses to take it down (the second kill of the tick).
    expect(result.skips.length).toBeGreaterThan(0);
    const v = verdict(result, undefined, 0);
    expect(v.passed).toBe(false);
    expect(v.reasons.join('\n')).toContain('Deployment openstack/heat-api did not recover: 1 of 2 Ready');
  });

  it('cancellation stops the killing at once but still waits for and reports recovery', async () => {
    api.addWorkload({
      kind: 'StatefulSet',
      namespace: 'openstack',
      name: 'mariadb-server',
      replicas: 3,
      readyDelayMs: 200,
    });
    api.addWorkload({
      kind: 'Deployment',
      namespace: 'openstack',
      name: 'nova-api',
      replicas: 3,
      readyDelayMs: 200,
    });
    const controller = new AbortController();
    const result = await chaosAgainst(api, {
      targets: targetsOf([
        { kind: 'StatefulSet', name: 'mariadb-server' },
        { kind: 'Deployment', name: 'nova-api' },
      ]),
      durationMs: 5000,
      signal: controller.signal,
      onKill: () => controller.abort(),
    });
    expect(result.cancelled).toBe(true);
    expect(result.kills).toHaveLength(1);
    expect(api.disruptions()).toHaveLength(1);
    expect(result.kills[0].recoveryMs).toBeGreaterThanOrEqual(200);
    expect(result.workloads.find((w) => w.name === 'mariadb-server')).toMatchObject({
      recovered: true,
      finalReady: 3,
    });
    expect(verdict(result, undefined, 0).reasons).toEqual(['the run was cancelled']);
  });

  it('keeps measuring across a dropped watch', async () => {
    api.addWorkload({
      kind: 'StatefulSet',
      namespace: 'openstack',
      name: 'rabbitmq',
      replicas: 3,
      readyDelayMs: 200,
      terminatingMs: 30,
    });
    let dropped = 0;
    const result = await chaosAgainst(api, {
      targets: targetsOf([{ kind: 'StatefulSet', name: 'rabbitmq' }]),
      durationMs: 100,
      // Cut the watch while the victim's replacement is still starting.
      onKill: () => setTimeout(() => (dropped = api.dropWatches()), 60),
    });
    expect(dropped).toBe(1);
    expect(result.watchReconnects).toBeGreaterThan(0);
    expect(result.kills[0].recoveryMs).toBeGreaterThanOrEqual(200);
    expect(result.workloads[0].recovered).toBe(true);
  });
});

describe('kill modes', () => {
  it('evict: a PodDisruptionBudget refusal (429) is reported and never turned into a delete', async () => {
    api.addWorkload({ kind: 'Deployment', namespace: 'openstack', name: 'glance-api', replicas: 2 });
    api.addPdb({
      namespace: 'openstack',
      name: 'glance-api',
      selector: { app: 'glance-api' },
      minAvailable: 2,
    });
    const before = api.listPods('openstack').map((p) => p.metadata.uid);
    const result = await chaosAgainst(api, {
      targets: targetsOf([{ kind: 'Deployment', name: 'glance-api', 'pods-per-tick': 2 }]),
      killMode: 'evict',
      durationMs: 400,
    });
    expect(result.kills.length).toBeGreaterThan(1);
    expect(
      result.kills.every((k) => k.outcome === 'refused' && k.detail?.includes('disruption budget')),
    ).toBe(true);
    expect(api.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(api.listPods('openstack').map((p) => p.metadata.uid)).toEqual(before);
    expect(result.workloads[0]).toMatchObject({ kills: 0, refused: result.kills.length, recovered: true });
  });

  it('evict: allowed by the budget, the eviction takes the pod down and recovery is timed', async () => {
    api.addWorkload({
      kind: 'Deployment',
      namespace: 'openstack',
      name: 'glance-api',
      replicas: 3,
      readyDelayMs: 100,
    });
    api.addPdb({
      namespace: 'openstack',
      name: 'glance-api',
      selector: { app: 'glance-api' },
      maxUnavailable: 1,
    });
    const result = await chaosAgainst(api, {
      targets: targetsOf([{ kind: 'Deployment', name: 'glance-api', slack: 2 }]),
      killMode: 'evict',
      durationMs: 100,
    });
    expect(result.kills.map((k) => k.outcome)).toEqual(['killed']);
    expect(api.requests.filter((r) => r.path.endsWith('/eviction')).map((r) => r.status)).toEqual([201]);
    expect(result.kills[0].recoveryMs).toBeGreaterThanOrEqual(100);
  });

  it('a delete that keeps failing counts as a disruption unless the pod is seen untouched', async () => {
    api.addWorkload({
      kind: 'Deployment',
      namespace: 'openstack',
      name: 'nova-api',
      replicas: 2,
      readyDelayMs: 80,
    });
    const targets = targetsOf([{ kind: 'Deployment', name: 'nova-api' }]);
    // Every DELETE answers 500 before doing anything: the pod is untouched.
    api.injectFault({ status: 500, count: 5, method: 'DELETE' });
    const untouched = await chaosAgainst(api, { targets, durationMs: 100 });
    expect(untouched.kills.map((k) => k.outcome)).toEqual(['failed']);
    expect(untouched.unrecoveredKills).toEqual([]);
    expect(untouched.workloads[0]).toMatchObject({ kills: 0, recovered: true });
    // Every DELETE takes effect but its answer is lost: the pod went down, its recovery is timed.
    api.injectFault({ status: 500, count: 5, method: 'DELETE', afterEffect: true });
    const lost = await chaosAgainst(api, { targets, durationMs: 100 });
    expect(lost.kills.map((k) => k.outcome)).toEqual(['error']);
    expect(lost.kills[0].recoveryMs).toBeGreaterThanOrEqual(80);
    expect(lost.workloads[0]).toMatchObject({ kills: 1, recovered: true });
  });

  it('hard deletes with grace 0; exec kills PID 1 and waits for the restart', async () => {
    api.addWorkload({
      kind: 'Deployment',
      namespace: 'openstack',
      name: 'nova-api',
      replicas: 2,
      readyDelayMs: 80,
    });
    const hard = await chaosAgainst(api, {
      targets: targetsOf([{ kind: 'Deployment', name: 'nova-api' }]),
      killMode: 'hard',
      durationMs: 100,
    });
    expect(api.requests.find((r) => r.method === 'DELETE')?.query.gracePeriodSeconds).toBe('0');
    expect(hard.kills[0].recoveredAt).toBeDefined();
    const exec = await chaosAgainst(api, {
      targets: targetsOf([{ kind: 'Deployment', name: 'nova-api' }]),
      killMode: 'exec',
      durationMs: 100,
    });
    expect(api.execs.map((e) => e.command)).toEqual([['kill', '1']]);
    expect(exec.kills[0]).toMatchObject({ outcome: 'killed' });
    expect(exec.kills[0].recoveryMs).toBeGreaterThanOrEqual(80);
  });

  it('dry run lists the kills it would make, within the budget, and disrupts nothing', async () => {
    api.addWorkload({ kind: 'StatefulSet', namespace: 'openstack', name: 'mariadb-server', replicas: 3 });
    const result = await chaosAgainst(api, {
      targets: targetsOf([{ kind: 'StatefulSet', name: 'mariadb-server', 'pods-per-tick': 3 }]),
      dryRun: true,
      durationMs: 300,
    });
    expect(api.disruptions()).toEqual([]);
    // Quorum of 3 is 2: one planned kill per tick, the next two refused by the guard.
    expect(result.kills.every((k) => k.outcome === 'dry-run')).toBe(true);
    expect(result.kills.length).toBe(result.ticks);
    expect(result.skips.length).toBe(2 * result.ticks);
  });
});
