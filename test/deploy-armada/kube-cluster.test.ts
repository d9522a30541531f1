import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeCluster, minReadyCount } from '../../actions/deploy-armada/cluster.js';
import { createKubeClient } from '../../actions/lib/kube/client.js';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';

const ns = 'openstack';
const ready = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
const notReady = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] };

function pod(name: string, labels: Record<string, string>, status: object, extra: object = {}) {
  return { metadata: { name, namespace: ns, labels, ...extra }, status };
}

describe('KubeCluster against a fake API server', () => {
  let api: FakeArmadaKubeApi;
  let cluster: KubeCluster;

  beforeAll(async () => {
    api = await FakeArmadaKubeApi.start();
    cluster = new KubeCluster(createKubeClient({ kubeconfig: api.kubeconfig(), env: {} }), 20);
  });
  afterAll(async () => {
    await api.close();
  });

  it('converts min_ready', () => {
    expect(minReadyCount(undefined, 3)).toBe(3);
    expect(minReadyCount(1, 3)).toBe(1);
    expect(minReadyCount('50%', 3)).toBe(2);
    expect(minReadyCount(5, 3)).toBe(3);
  });

  it("waits by labels for pods and jobs (Armada's default), ignoring job and test pods", async () => {
    const labels = { release_group: 'osh-keystone' };
    api.state.pods = [
      pod('keystone-api-0', labels, ready),
      pod(
        'keystone-db-sync-x',
        labels,
        { phase: 'Running' },
        { ownerReferences: [{ kind: 'Job', name: 'keystone-db-sync', apiVersion: 'batch/v1', uid: '1' }] },
      ),
      pod('keystone-test', labels, { phase: 'Failed' }, { annotations: { 'helm.sh/hook': 'test' } }),
      pod('glance-api-0', { release_group: 'osh-glance' }, notReady),
    ];
    api.state.jobs = [
      {
        metadata: { name: 'keystone-db-sync', namespace: ns, labels },
        spec: { completions: 1 },
        status: { succeeded: 1 },
      },
    ];
    expect(await cluster.waitForReady({ namespace: ns, labels, resources: [], timeoutMs: 1000 })).toEqual({
      ready: true,
      pending: [],
    });
    const glance = await cluster.waitForReady({
      namespace: ns,
      labels: { release_group: 'osh-glance' },
      resources: [],
      timeoutMs: 60,
    });
    expect(glance).toEqual({ ready: false, pending: ['pod glance-api-0: Running, not Ready'] });
    expect(
      api.calls.some(
        (c) =>
          c.path === `/apis/batch/v1/namespaces/${ns}/jobs` &&
          c.query.labelSelector === 'release_group=osh-keystone',
      ),
    ).toBe(true);
  });

  it('waits for workloads with min_ready', async () => {
    const labels = { release_group: 'osh-mariadb' };
    api.state.statefulsets = [
      {
        metadata: { name: 'mariadb-server', namespace: ns, labels },
        spec: { replicas: 3 },
        status: { readyReplicas: 2 },
      },
    ];
    const strict = await cluster.waitForReady({
      namespace: ns,
      labels,
      resources: [{ type: 'statefulset' }],
      timeoutMs: 50,
    });
    expect(strict.pending).toEqual(['statefulset mariadb-server: 2/3 ready']);
    expect(
      (
        await cluster.waitForReady({
          namespace: ns,
          labels,
          resources: [{ type: 'statefulset', minReady: 2 }],
          timeoutMs: 50,
        })
      ).ready,
    ).toBe(true);
    await expect(
      cluster.waitForReady({ namespace: ns, labels, resources: [{ type: 'replicaset' }], timeoutMs: 50 }),
    ).rejects.toThrow(/not one deploy-armada can wait for/);
  });

  it('deletes jobs by labels for upgrade.pre.delete', async () => {
    const labels = { release_group: 'osh-nova' };
    api.state.jobs = [
      { metadata: { name: 'nova-db-sync', namespace: ns, labels }, status: {} },
      { metadata: { name: 'nova-bootstrap', namespace: ns, labels }, status: {} },
      {
        metadata: { name: 'glance-db-sync', namespace: ns, labels: { release_group: 'osh-glance' } },
        status: {},
      },
    ];
    expect(await cluster.deleteResources({ namespace: ns, type: 'job', labels })).toEqual([
      'job/nova-db-sync',
      'job/nova-bootstrap',
    ]);
    expect(api.state.jobs.map((j) => j.metadata.name)).toEqual(['glance-db-sync']);
    expect(api.calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toContain(
      `/apis/batch/v1/namespaces/${ns}/jobs/nova-db-sync`,
    );
  });

  it('diagnoses unready pods, their events and the previous logs of crash-looping containers', async () => {
    const labels = { release_group: 'osh-neutron' };
    api.state.pods = [
      pod('neutron-server-7c9f-abcde', labels, {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          {
            name: 'neutron-server',
            ready: false,
            restartCount: 6,
            image: 'x',
            imageID: 'y',
            state: { waiting: { reason: 'CrashLoopBackOff' } },
          },
        ],
      }),
      pod('neutron-dhcp-agent-xyz', labels, ready),
    ];
    api.state.events = [
      {
        metadata: { name: 'e1', namespace: ns },
        involvedObject: { kind: 'Pod', name: 'neutron-server-7c9f-abcde' },
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container',
        count: 12,
      },
      {
        metadata: { name: 'e2', namespace: ns },
        involvedObject: { kind: 'Pod', name: 'neutron-dhcp-agent-xyz' },
        type: 'Normal',
        reason: 'Started',
        message: 'Started container',
      },
    ];
    api.state.logs[`${ns}/neutron-server-7c9f-abcde/neutron-server`] = Array.from(
      { length: 300 },
      (_, i) => `line ${i + 1}`,
    ).join('\n');
    const diagnosis = await cluster.diagnose(ns, labels, 100);
    expect(diagnosis.pods).toEqual([
      {
        name: 'neutron-server-7c9f-abcde',
        phase: 'Running',
        ready: false,
        containers: [
          { name: 'neutron-server', ready: false, restartCount: 6, state: 'waiting: CrashLoopBackOff' },
        ],
      },
    ]);
    expect(diagnosis.events).toEqual([
      {
        object: 'pod/neutron-server-7c9f-abcde',
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container',
        count: 12,
      },
    ]);
    expect(diagnosis.logs).toHaveLength(1);
    expect(diagnosis.logs[0]).toMatchObject({
      pod: 'neutron-server-7c9f-abcde',
      container: 'neutron-server',
      previous: true,
    });
    expect(diagnosis.logs[0].text.split('\n')).toHaveLength(100);
    const logCall = api.calls.find((c) => c.path.endsWith('/log'))!;
    expect(logCall.query).toMatchObject({ container: 'neutron-server', previous: 'true', tailLines: '100' });
    expect(diagnosis.errors).toEqual([]);
  });
});
