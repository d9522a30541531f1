/**
 * A FAKE Kubernetes API server for tests (no real API server can run here). Plain Node `http` on
 * 127.0.0.1 speaking the REST paths @kubernetes/client-node uses: list/watch/get/delete pods,
 * evictions judged against PodDisruptionBudgets, exec (kill PID 1) over WebSocket, and apps/v1
 * Deployments, ReplicaSets, StatefulSets and DaemonSets whose status is computed from their pods.
 *
 * Controllers are simulated: a Deployment's pods are owned by its ReplicaSet and replaced at once
 * under a new generated name; a StatefulSet recreates a pod under the same name once the old one is
 * gone; a DaemonSet keeps one pod per node. A deleted pod turns Terminating (not Ready) for up to its
 * grace period, disappears, and its replacement becomes Ready after the workload's readyDelayMs —
 * or never, for a broken workload. Faults: canned 429/5xx answers and dropped watches.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { stringify as toYaml } from 'yaml';

type Labels = Record<string, string>;
type Kind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface FakeWorkloadSpec {
  kind: Kind;
  namespace: string;
  name: string;
  /** Pods wanted (ignored for a DaemonSet: one per node). Default 3. */
  replicas?: number;
  /** Labels on the workload object itself. */
  labels?: Labels;
  /** Labels of its pods, also its selector. Default {app: name}. */
  podLabels?: Labels;
  /** Time from a replacement pod's creation to Ready. Default 200 ms. */
  readyDelayMs?: number;
  /** Longest a deleted pod stays Terminating (bounded by the grace period). Default 100 ms. */
  terminatingMs?: number;
  /** Replacement pods never become Ready (CrashLoopBackOff). */
  broken?: boolean;
  containers?: string[];
}

export interface FakePdb {
  namespace: string;
  name: string;
  selector: Labels;
  minAvailable?: number;
  maxUnavailable?: number;
}

export interface FakeFault {
  status: number;
  /** How many matching requests get it. */
  count: number;
  method?: string;
  /** Matched against the path without query. */
  path?: RegExp;
  /** Only watch requests (true) or only non-watch requests (false). */
  watch?: boolean;
  /** The request takes effect and only the answer is replaced by the error (a lost response). */
  afterEffect?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  at: number;
}

interface WorkloadState {
  spec: Required<Omit<FakeWorkloadSpec, 'labels'>> & { labels: Labels };
  uid: string;
  createdAt: string;
  /** ReplicaSet name for a Deployment. */
  replicaSet?: string;
  /** Fewest serving pods seen since the workload was added. */
  minServing: number;
}

interface Watcher {
  namespace: string;
  match: (labels: Labels) => boolean;
  res: ServerResponse;
}

interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Json;
}

/**
 * A kubeconfig for a fake API on plain http (the client refuses plain http without
 * insecure-skip-tls-verify); each fake keeps its own token so tests can look for it.
 */
export function fakeKubeconfig(
  server: string,
  options: { user: string; token: string; namespace?: string },
): string {
  const context = {
    cluster: 'fake',
    user: options.user,
    ...(options.namespace ? { namespace: options.namespace } : {}),
  };
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: options.user, user: { token: options.token } }],
    contexts: [{ name: 'fake', context }],
    'current-context': 'fake',
  });
}

const wsRequire = createRequire(import.meta.url);

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly pods = new Map<string, Json>(); // key ns/name
  private readonly workloads = new Map<string, WorkloadState>(); // key kind/ns/name
  private readonly pdbs: FakePdb[] = [];
  private readonly faults: FakeFault[] = [];
  private readonly events: WatchEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private rv = 1000;
  /** Watches from a resourceVersion below this get 410 Gone (history compacted). */
  private compactedBelow = 0;
  private nameCounter = 0;
  private closed = false;
  /** Watch connections served so far (a reconnect after a drop makes it grow). */
  watchConnections = 0;
  /** Exec commands received, e.g. ['kill', '1']. */
  readonly execs: { namespace: string; pod: string; container: string; command: string[] }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly nodes: string[],
  ) {}

  static async start(options: { nodes?: string[] } = {}): Promise<FakeKubeApi> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    const api = new FakeKubeApi(
      server,
      `http://127.0.0.1:${address.port}`,
      options.nodes ?? ['node-1', 'node-2', 'node-3'],
    );
    server.on('request', (req, res) => api.handle(req, res));
    server.on('upgrade', (req, socket, head) => api.upgrade(req, socket as Duplex, head));
    return api;
  }

  /** A kubeconfig for this server. */
  get kubeconfig(): string {
    return fakeKubeconfig(this.url, { user: 'fake', token: 'fake-token' });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ── test set-up and inspection ───────────────────────────────────────────────────────────────

  addWorkload(spec: FakeWorkloadSpec): void {
    const full = {
      replicas: 3,
      labels: {},
      podLabels: { app: spec.name },
      readyDelayMs: 200,
      terminatingMs: 100,
      broken: false,
      containers: ['main'],
      ...spec,
    };
    const state: WorkloadState = {
      spec: full,
      uid: randomUUID(),
      createdAt: new Date().toISOString(),
      minServing: Number.POSITIVE_INFINITY,
    };
    if (spec.kind === 'Deployment') state.replicaSet = `${spec.name}-${hash(spec.name)}`;
    this.workloads.set(key(spec.kind, spec.namespace, spec.name), state);
    if (spec.kind === 'DaemonSet')
      for (const node of this.nodes) this.createPod(state, { node, ready: true });
    else if (spec.kind === 'StatefulSet')
      for (let i = 0; i < full.replicas; i++)
        this.createPod(state, { name: `${spec.name}-${i}`, ready: true });
    else for (let i = 0; i < full.replicas; i++) this.createPod(state, { ready: true });
    state.minServing = Number.POSITIVE_INFINITY;
    this.track(state);
  }

  addPdb(pdb: FakePdb): void {
    this.pdbs.push(pdb);
  }

  /** From now on replacement pods of this workload never become Ready. */
  breakWorkload(kind: Kind, namespace: string, name: string): void {
    this.workload(kind, namespace, name).spec.broken = true;
  }

  injectFault(fault: FakeFault): void {
    this.faults.push({ ...fault });
  }

  /** Cuts every open watch connection (as a load balancer or an API server restart does). */
  dropWatches(): number {
    const n = this.watchers.size;
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
    return n;
  }

  /** Forgets the event history, as etcd compaction does: older resourceVersions get 410 Gone. */
  compactHistory(): void {
    this.events.length = 0;
    this.compactedBelow = this.rv;
    // Open watches are told their version is gone, then closed.
    for (const w of this.watchers) {
      w.res.end(
        `${JSON.stringify({ type: 'ERROR', object: statusBody(410, 'Expired', 'too old resource version') })}\n`,
      );
    }
    this.watchers.clear();
  }

  listPods(namespace?: string): Json[] {
    return [...this.pods.values()].filter((p) => !namespace || p.metadata.namespace === namespace).map(clone);
  }

  /** Pods of a workload that are Ready and not terminating. */
  servingCount(kind: Kind, namespace: string, name: string): number {
    return this.podsOf(this.workload(kind, namespace, name)).filter(serving).length;
  }

  /** The fewest serving pods the workload ever had (its availability low point). */
  minServing(kind: Kind, namespace: string, name: string): number {
    return this.workload(kind, namespace, name).minServing;
  }

  /** Requests that disrupt pods (DELETE of a pod, POST of an eviction, exec). */
  disruptions(): RecordedRequest[] {
    return this.requests.filter(
      (r) => (r.method === 'DELETE' && /\/pods\/[^/]+$/.test(r.path)) || /\/(eviction|exec)$/.test(r.path),
    );
  }

  // ── pod lifecycle ────────────────────────────────────────────────────────────────────────────

  private workload(kind: Kind, namespace: string, name: string): WorkloadState {
    const state = this.workloads.get(key(kind, namespace, name));
    if (!state) throw new Error(`fake: no ${kind} ${namespace}/${name}`);
    return state;
  }

  private podsOf(state: WorkloadState): Json[] {
    return [...this.pods.values()].filter(
      (p) =>
        p.metadata.namespace === state.spec.namespace && p.metadata.annotations?.['fake/owner'] === state.uid,
    );
  }

  private desired(state: WorkloadState): number {
    return state.spec.kind === 'DaemonSet' ? this.nodes.length : state.spec.replicas;
  }

  private later(ms: number, fn: () => void) {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(timer);
  }

  private createPod(state: WorkloadState, options: { name?: string; node?: string; ready: boolean }) {
    const { spec } = state;
    const name = options.name ?? `${state.replicaSet ?? spec.name}-${this.generatedSuffix()}`;
    const owner =
      spec.kind === 'Deployment'
        ? {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: state.replicaSet,
            uid: `${state.uid}-rs`,
            controller: true,
          }
        : { apiVersion: 'apps/v1', kind: spec.kind, name: spec.name, uid: state.uid, controller: true };
    const node = options.node ?? this.nodes[this.nameCounter % this.nodes.length];
    const pod: Json = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: spec.namespace,
        uid: randomUUID(),
        labels: {
          ...spec.podLabels,
          ...(spec.kind === 'StatefulSet' ? { 'statefulset.kubernetes.io/pod-name': name } : {}),
        },
        annotations: { 'fake/owner': state.uid },
        ownerReferences: [owner],
        creationTimestamp: new Date().toISOString(),
      },
      spec: { nodeName: node, containers: spec.containers.map((c) => ({ name: c, image: `fake/${c}:1` })) },
      status: { phase: 'Running', conditions: [], containerStatuses: [] },
    };
    setReady(pod, options.ready, spec.containers);
    this.pods.set(`${spec.namespace}/${name}`, pod);
    this.emit('ADDED', pod);
    if (!options.ready) this.scheduleReady(state, pod.metadata.uid, spec.namespace, name);
    this.track(state);
  }

  private scheduleReady(state: WorkloadState, uid: string, namespace: string, name: string) {
    this.later(state.spec.readyDelayMs, () => {
      const pod = this.pods.get(`${namespace}/${name}`);
      if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp || state.spec.broken) {
        if (pod && pod.metadata.uid === uid && state.spec.broken) this.crashLoop(pod);
        return;
      }
      setReady(pod, true, state.spec.containers);
      this.emit('MODIFIED', pod);
      this.track(state);
    });
  }

  private crashLoop(pod: Json) {
    for (const cs of pod.status.containerStatuses) {
      cs.restartCount++;
      cs.state = { waiting: { reason: 'CrashLoopBackOff' } };
    }
    this.emit('MODIFIED', pod);
  }

  private generatedSuffix(): string {
    this.nameCounter++;
    return hash(`${this.nameCounter}`).slice(0, 5);
  }

  /** Starts a pod's deletion; returns the pod as the API answers a DELETE. */
  private deletePod(pod: Json, graceSeconds: number | undefined): Json {
    const state = this.ownerOf(pod);
    const grace = graceSeconds ?? 30;
    if (grace === 0 || pod.metadata.deletionTimestamp) {
      if (grace === 0) this.removePod(pod);
      return pod;
    }
    pod.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString();
    pod.metadata.deletionGracePeriodSeconds = grace;
    setReady(pod, false, state?.spec.containers ?? []);
    this.emit('MODIFIED', pod);
    if (state) this.track(state);
    // A ReplicaSet does not count terminating pods: its replacement starts at once.
    if (state?.spec.kind === 'Deployment') this.reconcile(state);
    const uid = pod.metadata.uid;
    this.later(Math.min(grace * 1000, state?.spec.terminatingMs ?? 100), () => {
      const current = this.pods.get(podKeyOf(pod));
      if (current?.metadata.uid === uid) this.removePod(current);
    });
    return clone(pod);
  }

  private removePod(pod: Json) {
    this.pods.delete(podKeyOf(pod));
    this.emit('DELETED', pod);
    const state = this.ownerOf(pod);
    if (state) {
      this.track(state);
      this.later(5, () => this.reconcile(state, pod));
    }
  }

  private reconcile(state: WorkloadState, removed?: Json) {
    const { spec } = state;
    const pods = this.podsOf(state);
    if (spec.kind === 'StatefulSet') {
      if (removed && !this.pods.has(podKeyOf(removed)))
        this.createPod(state, { name: removed.metadata.name, ready: false });
    } else if (spec.kind === 'DaemonSet') {
      for (const node of this.nodes) {
        if (!pods.some((p) => p.spec.nodeName === node)) this.createPod(state, { node, ready: false });
      }
    } else {
      const active = pods.filter((p) => !p.metadata.deletionTimestamp).length;
      for (let i = active; i < spec.replicas; i++) this.createPod(state, { ready: false });
    }
  }

  private ownerOf(pod: Json): WorkloadState | undefined {
    const uid = pod.metadata.annotations?.['fake/owner'];
    return [...this.workloads.values()].find((w) => w.uid === uid);
  }

  private track(state: WorkloadState) {
    state.minServing = Math.min(state.minServing, this.podsOf(state).filter(serving).length);
  }

  private emit(type: WatchEvent['type'], pod: Json) {
    pod.metadata.resourceVersion = String(++this.rv);
    const event = { rv: this.rv, type, object: clone(pod) };
    this.events.push(event);
    for (const w of this.watchers) {
      if (w.namespace === pod.metadata.namespace && w.match(pod.metadata.labels ?? {}))
        writeEvent(w.res, event);
    }
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────────────────────────

  private handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      status: 200,
      at: Date.now(),
    };
    this.requests.push(record);
    const send = (status: number, body: Json) => {
      record.status = status;
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(status === 429 ? { 'retry-after': '1' } : {}),
      });
      res.end(JSON.stringify(body));
    };
    const fault = this.takeFault(record, query.watch === 'true');
    const faultBody = (status: number) =>
      statusBody(status, status === 429 ? 'TooManyRequests' : 'InternalError', `fake fault ${status}`);
    if (fault && !fault.afterEffect) return send(fault.status, faultBody(fault.status));
    // A lost answer: the request takes effect, the client gets the error.
    const answer = fault ? () => send(fault.status, faultBody(fault.status)) : send;

    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      try {
        this.route(req.method ?? 'GET', url, query, body ? JSON.parse(body) : undefined, answer, res, record);
      } catch (err) {
        send(500, statusBody(500, 'InternalError', (err as Error).message));
      }
    });
  }

  private takeFault(record: RecordedRequest, isWatch: boolean): FakeFault | undefined {
    const fault = this.faults.find(
      (f) =>
        f.count > 0 &&
        (!f.method || f.method === record.method) &&
        (!f.path || f.path.test(record.path)) &&
        (f.watch === undefined || f.watch === isWatch),
    );
    if (!fault) return undefined;
    fault.count--;
    return fault;
  }

  private route(
    method: string,
    url: URL,
    query: Record<string, string>,
    body: Json,
    send: (s: number, b: Json) => void,
    res: ServerResponse,
    record: RecordedRequest,
  ) {
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(p)) && method === 'GET') {
      const match = selectorMatcher(query.labelSelector);
      if (query.watch === 'true') return this.watch(m[1], match, query.resourceVersion, res);
      const items = this.listPods(m[1]).filter((pod) => match(pod.metadata.labels ?? {}));
      return send(200, {
        apiVersion: 'v1',
        kind: 'PodList',
        metadata: { resourceVersion: String(this.rv) },
        items,
      });
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(p))) {
      const pod = this.pods.get(`${m[1]}/${m[2]}`);
      if (!pod) return send(404, statusBody(404, 'NotFound', `pods "${m[2]}" not found`));
      if (method === 'GET') return send(200, clone(pod));
      if (method === 'DELETE') {
        const uid = body?.preconditions?.uid;
        if (uid && uid !== pod.metadata.uid)
          return send(
            409,
            statusBody(
              409,
              'Conflict',
              `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid}`,
            ),
          );
        const grace =
          query.gracePeriodSeconds !== undefined
            ? Number(query.gracePeriodSeconds)
            : body?.gracePeriodSeconds;
        return send(200, this.deletePod(pod, grace));
      }
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(p)) && method === 'POST') {
      const pod = this.pods.get(`${m[1]}/${m[2]}`);
      if (!pod) return send(404, statusBody(404, 'NotFound', `pods "${m[2]}" not found`));
      const refusal = this.pdbRefusal(pod);
      if (refusal) {
        record.status = 429;
        return send(429, {
          ...statusBody(
            429,
            'TooManyRequests',
            "Cannot evict pod as it would violate the pod's disruption budget.",
          ),
          details: { causes: [{ reason: 'DisruptionBudget', message: refusal }] },
        });
      }
      this.deletePod(pod, body?.deleteOptions?.gracePeriodSeconds);
      return send(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    if (
      (m =
        /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(deployments|statefulsets|daemonsets|replicasets)(?:\/([^/]+))?$/.exec(
          p,
        )) &&
      method === 'GET'
    ) {
      const [, ns, plural, name] = m;
      const objects = this.appsObjects(ns, plural);
      if (name) {
        const found = objects.find((o) => o.metadata.name === name);
        return found
          ? send(200, found)
          : send(404, statusBody(404, 'NotFound', `${plural}.apps "${name}" not found`));
      }
      const match = selectorMatcher(query.labelSelector);
      const items = objects.filter((o) => match(o.metadata.labels ?? {}));
      return send(200, {
        apiVersion: 'apps/v1',
        kind: `${KIND_OF[plural]}List`,
        metadata: { resourceVersion: String(this.rv) },
        items,
      });
    }
    send(404, statusBody(404, 'NotFound', `the fake API does not serve ${method} ${p}`));
  }

  private watch(
    namespace: string,
    match: (l: Labels) => boolean,
    fromVersion: string | undefined,
    res: ServerResponse,
  ) {
    this.watchConnections++;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const from = Number(fromVersion ?? this.rv);
    if (from < this.compactedBelow) {
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: statusBody(410, 'Expired', `too old resource version: ${from}`) })}\n`,
      );
      return;
    }
    for (const event of this.events) {
      if (
        event.rv > from &&
        event.object.metadata.namespace === namespace &&
        match(event.object.metadata.labels ?? {})
      )
        writeEvent(res, event);
    }
    const watcher = { namespace, match, res };
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
  }

  private pdbRefusal(pod: Json): string | undefined {
    for (const pdb of this.pdbs) {
      if (pdb.namespace !== pod.metadata.namespace || !labelsMatch(pdb.selector, pod.metadata.labels ?? {}))
        continue;
      const covered = [...this.pods.values()].filter(
        (p) => p.metadata.namespace === pdb.namespace && labelsMatch(pdb.selector, p.metadata.labels ?? {}),
      );
      const healthy = covered.filter(serving).length;
      const expected = [...this.workloads.values()]
        .filter((w) => w.spec.namespace === pdb.namespace && labelsMatch(pdb.selector, w.spec.podLabels))
        .reduce((sum, w) => sum + this.desired(w), 0);
      const needed = pdb.minAvailable ?? expected - (pdb.maxUnavailable ?? 0);
      if (healthy - needed < 1)
        return `The disruption budget ${pdb.name} needs ${needed} healthy pods and has ${healthy} currently`;
    }
    return undefined;
  }

  private appsObjects(namespace: string, plural: string): Json[] {
    const out: Json[] = [];
    for (const state of this.workloads.values()) {
      const { spec } = state;
      if (spec.namespace !== namespace) continue;
      if (plural === 'replicasets') {
        if (state.replicaSet) out.push(this.workloadObject(state, 'ReplicaSet'));
      } else if (KIND_OF[plural] === spec.kind) out.push(this.workloadObject(state, spec.kind));
    }
    return out;
  }

  private workloadObject(state: WorkloadState, kind: string): Json {
    const { spec } = state;
    const pods = this.podsOf(state);
    const active = pods.filter((p) => !p.metadata.deletionTimestamp);
    const ready = pods.filter(serving).length;
    const metadata: Json = {
      name: kind === 'ReplicaSet' ? state.replicaSet : spec.name,
      namespace: spec.namespace,
      uid: kind === 'ReplicaSet' ? `${state.uid}-rs` : state.uid,
      labels: kind === 'ReplicaSet' ? spec.podLabels : spec.labels,
      creationTimestamp: state.createdAt,
      resourceVersion: String(this.rv),
      generation: 1,
      ...(kind === 'ReplicaSet'
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: spec.name,
                uid: state.uid,
                controller: true,
              },
            ],
          }
        : {}),
    };
    const selector = { matchLabels: spec.podLabels };
    const template = {
      metadata: { labels: spec.podLabels },
      spec: { containers: spec.containers.map((c) => ({ name: c, image: `fake/${c}:1` })) },
    };
    if (kind === 'DaemonSet') {
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata,
        spec: { selector, template },
        status: {
          desiredNumberScheduled: this.nodes.length,
          currentNumberScheduled: active.length,
          numberReady: ready,
          numberAvailable: ready,
          numberUnavailable: this.nodes.length - ready,
          observedGeneration: 1,
          numberMisscheduled: 0,
          updatedNumberScheduled: active.length,
        },
      };
    }
    return {
      apiVersion: 'apps/v1',
      kind,
      metadata,
      spec: {
        replicas: spec.replicas,
        selector,
        template,
        ...(kind === 'StatefulSet' ? { serviceName: spec.name } : {}),
      },
      status: {
        replicas: active.length,
        readyReplicas: ready,
        availableReplicas: ready,
        updatedReplicas: active.length,
        observedGeneration: 1,
        ...(kind === 'StatefulSet' ? { currentReplicas: active.length } : {}),
      },
    };
  }

  // ── exec over WebSocket (channel.k8s.io: channel 3 carries the final Status) ─────────────────

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const url = new URL(req.url ?? '/', this.url);
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 101,
      at: Date.now(),
    };
    this.requests.push(record);
    if (!m) {
      socket.destroy();
      return;
    }
    const { WebSocketServer } = wsRequire('ws') as { WebSocketServer: new (o: Json) => Json };
    const wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (protocols: Set<string>) =>
        protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : [...protocols][0],
    });
    wss.handleUpgrade(req, socket, head, (ws: Json) => {
      const pod = this.pods.get(`${m[1]}/${m[2]}`);
      const command = url.searchParams.getAll('command');
      const container = url.searchParams.get('container') ?? '';
      this.execs.push({ namespace: m[1], pod: m[2], container, command });
      let status: Json = { metadata: {}, status: 'Success' };
      if (!pod)
        status = { metadata: {}, status: 'Failure', reason: 'NotFound', message: `pods "${m[2]}" not found` };
      else if (command.join(' ') === 'kill 1') this.restartContainer(pod);
      else
        status = {
          metadata: {},
          status: 'Failure',
          reason: 'NonZeroExitCode',
          message: `fake exec only runs "kill 1", got ${command.join(' ')}`,
        };
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]), () => ws.close());
    });
  }

  /** PID 1 died: the container restarts in place, not Ready until readyDelayMs (never if broken). */
  private restartContainer(pod: Json) {
    const state = this.ownerOf(pod);
    setReady(pod, false, state?.spec.containers ?? []);
    for (const cs of pod.status.containerStatuses) cs.restartCount++;
    this.emit('MODIFIED', pod);
    if (state) {
      this.track(state);
      this.scheduleReady(state, pod.metadata.uid, pod.metadata.namespace, pod.metadata.name);
    }
  }
}

const KIND_OF: Record<string, string> = {
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  replicasets: 'ReplicaSet',
};

function key(kind: string, namespace: string, name: string) {
  return `${kind}/${namespace}/${name}`;
}

function podKeyOf(pod: Json) {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function hash(text: string): string {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(36).padStart(7, '0').slice(0, 9);
}

function serving(pod: Json): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    pod.status.conditions.some((c: Json) => c.type === 'Ready' && c.status === 'True')
  );
}

function setReady(pod: Json, ready: boolean, containers: string[]) {
  const now = new Date().toISOString();
  const status = ready ? 'True' : 'False';
  pod.status.conditions = [
    { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
    { type: 'Initialized', status: 'True', lastTransitionTime: now },
    { type: 'ContainersReady', status, lastTransitionTime: now },
    { type: 'Ready', status, lastTransitionTime: now },
  ];
  const previous = new Map<string, number>(
    (pod.status.containerStatuses ?? []).map((c: Json) => [c.name, c.restartCount]),
  );
  pod.status.containerStatuses = containers.map((name) => ({
    name,
    ready,
    restartCount: previous.get(name) ?? 0,
    image: `fake/${name}:1`,
    imageID: '',
    started: ready,
    state: ready ? { running: { startedAt: now } } : { waiting: { reason: 'ContainerCreating' } },
  }));
}

function labelsMatch(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Equality-based selectors (`a=b,c!=d`) plus `key` / `!key`: what the client sends here. */
export function selectorMatcher(text: string | undefined): (labels: Labels) => boolean {
  if (!text) return () => true;
  const terms = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return (labels) =>
    terms.every((term) => {
      let m: RegExpExecArray | null;
      if ((m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(term))) return labels[m[1]] !== m[2];
      if ((m = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(term))) return labels[m[1]] === m[2];
      if ((m = /^!(.+)$/.exec(term))) return !(m[1] in labels);
      if ((m = /^(\S+)\s+in\s+\(([^)]*)\)$/.exec(term)))
        return m[2]
          .split(',')
          .map((v) => v.trim())
          .includes(labels[m[1]]);
      return term in labels;
    });
}

export function statusBody(code: number, reason: string, message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function writeEvent(res: ServerResponse, event: WatchEvent) {
  res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
}
