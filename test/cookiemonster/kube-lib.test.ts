import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubeClient, type KubeClient } from '../../actions/lib/kube/client.js';
import { deletePod, evictPod, execKillPid1 } from '../../actions/lib/kube/disrupt.js';
import { PodInformer } from '../../actions/lib/kube/informer.js';
import { isServing, listPods } from '../../actions/lib/kube/pods.js';
import { listWorkloads, readWorkload } from '../../actions/lib/kube/workloads.js';
import { FakeKubeApi } from '../fakes/kube-api.js';

let api: FakeKubeApi;
let client: KubeClient;

beforeEach(async () => {
  api = await FakeKubeApi.start();
  client = createKubeClient({ kubeconfig: api.kubeconfig });
});
afterEach(async () => {
  await api.close();
});

const servingOf = (pods: object[]) => pods.filter((p) => isServing(p as never)).length;

describe('lib/kube against the fake API server', () => {
  it('reads workloads of every kind with their selectors and Ready counts', async () => {
    api.addWorkload({ kind: 'Deployment', namespace: 'openstack', name: 'keystone-api', replicas: 2 });
    api.addWorkload({ kind: 'StatefulSet', namespace: 'openstack', name: 'mariadb-server', replicas: 3 });
    api.addWorkload({ kind: 'DaemonSet', namespace: 'openstack', name: 'openvswitch' });
    const deployments = await listWorkloads(client, 'Deployment', 'openstack');
    expect(deployments.map((w) => [w.name, w.desired, w.ready, w.selector])).toEqual([
      ['keystone-api', 2, 2, 'app=keystone-api'],
    ]);
    const ds = await readWorkload(client, 'DaemonSet', 'openstack', 'openvswitch');
    expect([ds?.desired, ds?.ready]).toEqual([3, 3]);
    expect(await readWorkload(client, 'StatefulSet', 'openstack', 'nope')).toBeUndefined();
    const pods = await listPods(client, 'openstack', 'app=mariadb-server');
    expect(pods.map((p) => p.metadata?.name).sort()).toEqual([
      'mariadb-server-0',
      'mariadb-server-1',
      'mariadb-server-2',
    ]);
  });

  it('an informer follows a delete through Terminating to a Ready replacement and reconnects after a dropped watch', async () => {
    api.addWorkload({
      kind: 'StatefulSet',
      namespace: 'openstack',
      name: 'rabbitmq',
      replicas: 3,
      readyDelayMs: 100,
    });
    const informer = new PodInformer(client, { namespace: 'openstack', baseBackoffMs: 20 });
    await informer.start();
    try {
      expect(servingOf(informer.pods())).toBe(3);
      expect(api.dropWatches()).toBe(1);
      await expect.poll(() => informer.reconnects).toBeGreaterThan(0);
      const victim = informer.pods().find((p) => p.metadata?.name === 'rabbitmq-1')!;
      expect(
        (
          await deletePod(
            client,
            { namespace: 'openstack', name: 'rabbitmq-1', uid: victim.metadata?.uid },
            1,
          )
        ).outcome,
      ).toBe('done');
      expect(await informer.waitUntil((pods) => servingOf(pods) === 2, 5000)).toBe(true);
      expect(
        await informer.waitUntil(
          (pods) =>
            servingOf(pods) === 3 &&
            pods.some((p) => p.metadata?.name === 'rabbitmq-1' && p.metadata.uid !== victim.metadata?.uid),
          5000,
        ),
      ).toBe(true);
      // The same incarnation again: the uid precondition makes it "gone", never a second kill.
      expect(
        (
          await deletePod(
            client,
            { namespace: 'openstack', name: 'rabbitmq-1', uid: victim.metadata?.uid },
            1,
          )
        ).outcome,
      ).toBe('gone');
    } finally {
      await informer.stop();
    }
  });

  it('an informer whose resourceVersion expired (410 Gone) relists and catches up', async () => {
    api.addWorkload({
      kind: 'Deployment',
      namespace: 'openstack',
      name: 'neutron-server',
      replicas: 2,
      readyDelayMs: 50,
    });
    const logs: string[] = [];
    const informer = new PodInformer(client, {
      namespace: 'openstack',
      baseBackoffMs: 20,
      log: (m) => logs.push(m),
    });
    await informer.start();
    try {
      const [victim] = api.listPods('openstack');
      // The API server compacts its history: the open watch gets a 410 ERROR event and ends.
      api.compactHistory();
      await deletePod(client, { namespace: 'openstack', name: victim.metadata.name }, 0);
      const replaced = (pods: { metadata?: { uid?: string } }[]) =>
        servingOf(pods) === 2 && !pods.some((p) => p.metadata?.uid === victim.metadata.uid);
      expect(await informer.waitUntil(replaced, 10_000)).toBe(true);
      // Resuming from the old resourceVersion is impossible now: only a relist can have caught up.
      expect(informer.reconnects).toBeGreaterThan(0);
      expect(informer.reconnects).toBeGreaterThan(0);
    } finally {
      await informer.stop();
    }
  });

  it('retries a delete through 500s and 429s, and reports a PDB refusal of an eviction without deleting', async () => {
    api.addWorkload({ kind: 'Deployment', namespace: 'openstack', name: 'glance-api', replicas: 2 });
    api.addPdb({ namespace: 'openstack', name: 'glance', selector: { app: 'glance-api' }, minAvailable: 2 });
    const [first, second] = api.listPods('openstack');
    api.injectFault({ status: 500, count: 1, method: 'POST' });
    api.injectFault({ status: 429, count: 1, method: 'POST' });
    const refused = await evictPod(client, { namespace: 'openstack', name: first.metadata.name }, 1, {
      baseMs: 5,
    });
    // The 500 was retried; the 429 (fault or PDB alike) is a refusal and never retried.
    expect(refused.outcome).toBe('refused');
    const again = await evictPod(client, { namespace: 'openstack', name: first.metadata.name }, 1, {
      baseMs: 5,
    });
    expect(again).toMatchObject({ outcome: 'refused', detail: expect.stringContaining('disruption budget') });
    expect(api.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    api.injectFault({ status: 503, count: 2, method: 'DELETE' });
    expect(
      (await deletePod(client, { namespace: 'openstack', name: second.metadata.name }, 0, { baseMs: 5 }))
        .outcome,
    ).toBe('done');
    expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('an eviction whose answer was lost is not mistaken for a refusal when the retry meets the budget', async () => {
    api.addWorkload({
      kind: 'Deployment',
      namespace: 'openstack',
      name: 'cinder-api',
      replicas: 3,
      terminatingMs: 5000,
    });
    api.addPdb({ namespace: 'openstack', name: 'cinder', selector: { app: 'cinder-api' }, minAvailable: 2 });
    const [victim] = api.listPods('openstack');
    api.injectFault({ status: 500, count: 1, method: 'POST', afterEffect: true });
    const result = await evictPod(
      client,
      { namespace: 'openstack', name: victim.metadata.name, uid: victim.metadata.uid },
      30,
      { baseMs: 5 },
    );
    expect(result.outcome).toBe('done');
    // The retry was refused by the budget: the first attempt had evicted the pod.
    expect(api.requests.filter((r) => r.path.endsWith('/eviction')).map((r) => r.status)).toEqual([500, 429]);
    expect(
      api
        .listPods('openstack')
        .filter((p) => p.metadata.deletionTimestamp)
        .map((p) => p.metadata.uid),
    ).toEqual([victim.metadata.uid]);
    expect(api.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it('kills PID 1 through exec; the container restarts in place', async () => {
    api.addWorkload({
      kind: 'Deployment',
      namespace: 'openstack',
      name: 'nova-api',
      replicas: 1,
      readyDelayMs: 50,
    });
    const [pod] = api.listPods('openstack');
    const result = await execKillPid1(client, { namespace: 'openstack', name: pod.metadata.name }, 'main');
    expect(result.outcome).toBe('done');
    expect(api.execs).toEqual([
      { namespace: 'openstack', pod: pod.metadata.name, container: 'main', command: ['kill', '1'] },
    ]);
    expect(api.listPods('openstack')[0].status.containerStatuses[0].restartCount).toBe(1);
    await expect.poll(() => api.servingCount('Deployment', 'openstack', 'nova-api')).toBe(1);
  });
});
