/**
 * A FAKE Kubernetes API server (no real API server can run here) that real helm (3 and 4), kubectl
 * and deploy-armada's KubeCluster talk to. Plain Node http on 127.0.0.1 with:
 * - discovery (`/api`, `/apis`, `/version`, an empty OpenAPI v3 index) for the types in
 *   kube-resources.ts;
 * - generic create/get/list/watch/update/patch/delete of any of them (merge and strategic-merge
 *   patches as merge patches, JSON patches, server-side apply with one field manager), label and
 *   `metadata.name` field selectors, resourceVersions and watch events;
 * - Secrets as stored objects (Helm's release storage);
 * - pods that reach a phase: `podOutcome` decides, a moment after creation, whether a pod turns
 *   Running and Ready, Succeeded or Failed (by default pods that never restart succeed, others run).
 * Controllers are reduced to status: a Deployment (with its ReplicaSet) or StatefulSet reports all
 * its replicas ready a moment after each change, without pods, when `podOutcome` says its template's
 * pod gets Ready; Jobs get no status. `state` lets a
 * test put or read objects of the kinds KubeCluster looks at directly.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeKubeconfig } from './kube-api.js';
import { selectorMatcher, statusBody } from './kube-api.js';
import { decodeKubeProtobuf } from './kube-protobuf.js';
import {
  applyPatch,
  defaults,
  discovery,
  findType,
  groupVersion,
  invalidName,
  openApiV3,
  RESOURCE_TYPES,
  VERSION_INFO,
  type Json,
  type ResourceType,
} from './kube-resources.js';

const STATE_KINDS = [
  'pods',
  'events',
  'jobs',
  'cronjobs',
  'deployments',
  'statefulsets',
  'daemonsets',
] as const;
type StateKind = (typeof STATE_KINDS)[number];

export type FakeKubeState = Record<StateKind, Json[]> & {
  /** `namespace/pod/container` → log text. */
  logs: Record<string, string>;
};

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
}

/** What becomes of a pod: Running and Ready, Succeeded, Failed, or left Pending (never ready). */
export type PodOutcome = 'Ready' | 'Succeeded' | 'Failed' | 'Pending';

interface Watcher {
  type: ResourceType;
  namespace?: string;
  matches: (object: Json) => boolean;
  res: ServerResponse;
}

interface StoredEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: ResourceType;
  object: Json;
}

export class FakeArmadaKubeApi {
  readonly calls: RecordedCall[] = [];
  readonly logs: Record<string, string> = {};
  /** Decides each new pod's fate (a test may replace it). */
  podOutcome: (pod: Json) => PodOutcome = (pod) =>
    ['Never', 'OnFailure'].includes(pod.spec?.restartPolicy) ? 'Succeeded' : 'Ready';
  /** Milliseconds from a pod's creation to its outcome. */
  podDelayMs = 20;
  private readonly objects = new Map<string, { type: ResourceType; object: Json }>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private rv = 100;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeArmadaKubeApi> {
    const holder: { api?: FakeArmadaKubeApi } = {};
    const server = createServer((req, res) => holder.api!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    holder.api = new FakeArmadaKubeApi(server, `http://127.0.0.1:${port}`);
    return holder.api;
  }

  /** A kubeconfig for this server (the client refuses plain http without insecure-skip-tls-verify). */
  kubeconfig(): string {
    return fakeKubeconfig(this.url, { user: 'ci', token: 'fake-token-for-tests', namespace: 'default' });
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const w of this.watchers) w.res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Objects of the kinds KubeCluster reads; assigning a list replaces every object of that kind. */
  get state(): FakeKubeState {
    const state = { logs: this.logs } as FakeKubeState;
    for (const plural of STATE_KINDS) {
      const type = RESOURCE_TYPES.find((t) => t.plural === plural)!;
      Object.defineProperty(state, plural, {
        get: () => this.list(type),
        set: (items: Json[]) => {
          for (const object of this.list(type)) this.objects.delete(objectKey(type, object.metadata));
          for (const item of items) this.put(type, structuredClone(item), 'ADDED');
        },
      });
    }
    return state;
  }

  /** Stored objects of a type (any namespace), e.g. `list('secrets')` for Helm's releases. */
  list(type: ResourceType | string, namespace?: string): Json[] {
    const t = typeof type === 'string' ? RESOURCE_TYPES.find((r) => r.plural === type)! : type;
    return [...this.objects.values()]
      .filter((o) => o.type === t && (!namespace || o.object.metadata.namespace === namespace))
      .map((o) => o.object);
  }

  /** Every object of a type that was ever created, as created (deleted ones too), in order. */
  created(type: string): Json[] {
    return this.history.filter((e) => e.type === 'ADDED' && e.resource.plural === type).map((e) => e.object);
  }

  private put(type: ResourceType, object: Json, event: StoredEvent['type']): Json {
    object.apiVersion ??= groupVersion(type);
    object.kind ??= type.kind;
    object.metadata.resourceVersion = String(++this.rv);
    this.objects.set(objectKey(type, object.metadata), { type, object });
    this.emit(type, event, object);
    return object;
  }

  private emit(type: ResourceType, eventType: StoredEvent['type'], object: Json): void {
    const event = { rv: this.rv, type: eventType, resource: type, object: structuredClone(object) };
    this.history.push(event);
    for (const w of this.watchers) if (watches(w, event)) writeEvent(w.res, event);
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────────────────────────

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    const contentType = req.headers['content-type'];
    this.calls.push({ method, path: url.pathname, query, ...(contentType ? { contentType } : {}) });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        this.route(method, url.pathname, query, contentType ?? '', Buffer.concat(chunks), res);
      } catch (err) {
        send(res, 500, statusBody(500, 'InternalError', (err as Error).message));
      }
    });
  }

  private route(
    method: string,
    p: string,
    query: Record<string, string>,
    contentType: string,
    body: Buffer,
    res: ServerResponse,
  ): void {
    const object = () =>
      contentType.startsWith('application/vnd.kubernetes.protobuf')
        ? decodeKubeProtobuf(body)
        : JSON.parse(body.toString('utf8'));
    if (p === '/version') return send(res, 200, VERSION_INFO);
    const doc = discovery(p) ?? openApiV3(p);
    if (doc) return send(res, 200, doc);
    const m =
      /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/(status|log))?$/.exec(
        p,
      );
    const type = m && findType(m[2] ?? '', m[1] ?? m[3], m[5]);
    if (!m || !type)
      return send(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
    const [, , , , namespace, , name, sub] = m;
    const where = { type, namespace: type.namespaced ? namespace : undefined, name };
    if (sub === 'log') return this.podLog(where, query, res);
    if (!name) {
      if (method === 'GET' && query.watch === 'true') return this.watch(where, query, res);
      if (method === 'GET') return send(res, 200, this.listBody(where, query));
      if (method === 'POST') return this.create(where, object(), query, res);
    } else {
      if (method === 'GET') return this.get(where, res);
      if (method === 'PUT') return this.update(where, object(), query, res);
      if (method === 'PATCH') return this.patch(where, contentType, body.toString('utf8'), query, res);
      if (method === 'DELETE') return this.remove(where, res);
    }
    send(res, 405, statusBody(405, 'MethodNotAllowed', `${method} is not supported on ${p}`));
  }

  private find(where: Where): Json | undefined {
    return this.objects.get(objectKey(where.type, { namespace: where.namespace, name: where.name! }))?.object;
  }

  private notFound(where: Where, res: ServerResponse): void {
    const group = where.type.group ? `.${where.type.group}` : '';
    send(res, 404, statusBody(404, 'NotFound', `${where.type.plural}${group} "${where.name}" not found`));
  }

  private listBody(where: Where, query: Record<string, string>): Json {
    const matches = objectMatcher(query);
    const items = this.list(where.type, where.namespace).filter(matches);
    return {
      apiVersion: groupVersion(where.type),
      kind: `${where.type.kind}List`,
      metadata: { resourceVersion: String(this.rv) },
      items,
    };
  }

  private get(where: Where, res: ServerResponse): void {
    const object = this.find(where);
    if (!object) return this.notFound(where, res);
    send(res, 200, object);
  }

  private create(where: Where, object: Json, query: Record<string, string>, res: ServerResponse): void {
    object.metadata ??= {};
    if (!object.metadata.name && object.metadata.generateName)
      object.metadata.name = `${object.metadata.generateName}${randomUUID().slice(0, 5)}`;
    const name = object.metadata.name ?? '';
    const invalid = invalidName(name);
    const kindName = `${where.type.kind} "${name}"`;
    if (invalid) return send(res, 422, statusBody(422, 'Invalid', `${kindName} is invalid: ${invalid}`));
    if (where.namespace) object.metadata.namespace = where.namespace;
    if (this.find({ ...where, name })) {
      const group = where.type.group ? `.${where.type.group}` : '';
      return send(
        res,
        409,
        statusBody(409, 'AlreadyExists', `${where.type.plural}${group} "${name}" already exists`),
      );
    }
    if (query.dryRun) return send(res, 201, object);
    defaults(where.type.kind, object, this.rv);
    Object.assign(object.metadata, {
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+/, ''),
      generation: 1,
    });
    send(res, 201, this.put(where.type, object, 'ADDED'));
    if (where.type.plural === 'pods') this.startPod(object);
    else this.reconcile(where.type, object);
  }

  private update(where: Where, object: Json, query: Record<string, string>, res: ServerResponse): void {
    const existing = this.find(where);
    if (!existing) return this.notFound(where, res);
    const sent = object.metadata?.resourceVersion;
    if (sent && sent !== existing.metadata.resourceVersion)
      return send(
        res,
        409,
        statusBody(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${where.type.plural} "${where.name}": the object has been modified; please apply your changes to the latest version and try again`,
        ),
      );
    // As on a real server, an update of the object leaves its status (a subresource) alone.
    const updated = {
      ...object,
      metadata: {
        ...object.metadata,
        ...systemMetadata(existing),
        generation: existing.metadata.generation + 1,
      },
      status: existing.status,
    };
    if (query.dryRun) return send(res, 200, updated);
    send(res, 200, this.put(where.type, updated, 'MODIFIED'));
    this.reconcile(where.type, updated);
  }

  private patch(
    where: Where,
    contentType: string,
    body: string,
    query: Record<string, string>,
    res: ServerResponse,
  ): void {
    const existing = this.find(where);
    const apply = contentType.startsWith('application/apply-patch');
    if (!existing && !apply) return this.notFound(where, res);
    const patched = applyPatch(contentType, existing && structuredClone(existing), body);
    patched.metadata ??= {};
    patched.metadata.name = where.name;
    if (where.namespace) patched.metadata.namespace = where.namespace;
    if (!existing) return this.create(where, patched, query, res);
    patched.metadata = { ...patched.metadata, ...systemMetadata(existing) };
    patched.metadata.generation = existing.metadata.generation + 1;
    if (query.dryRun) return send(res, 200, patched);
    send(res, 200, this.put(where.type, patched, 'MODIFIED'));
    this.reconcile(where.type, patched);
  }

  private remove(where: Where, res: ServerResponse): void {
    const existing = this.find(where);
    if (!existing) return this.notFound(where, res);
    this.objects.delete(objectKey(where.type, existing.metadata));
    existing.metadata.resourceVersion = String(++this.rv);
    this.emit(where.type, 'DELETED', existing);
    send(res, 200, existing);
  }

  /** A pod's log: what the test put in `logs` for the container, else empty (a quiet container). */
  private podLog(where: Where, query: Record<string, string>, res: ServerResponse): void {
    const pod = this.find(where);
    if (!pod) return this.notFound(where, res);
    const container = query.container ?? pod.spec?.containers?.[0]?.name ?? '';
    const text = this.logs[`${where.namespace}/${where.name}/${container}`] ?? '';
    const lines = text.split('\n');
    const tail = query.tailLines ? lines.slice(-Number(query.tailLines)).join('\n') : text;
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(tail);
  }

  private watch(where: Where, query: Record<string, string>, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const watcher: Watcher = {
      type: where.type,
      namespace: where.namespace,
      matches: objectMatcher(query),
      res,
    };
    if (query.sendInitialEvents === 'true') {
      // A streaming list (client-go's WatchList): every current object, then a bookmark that ends it.
      for (const object of this.list(where.type, where.namespace).filter(watcher.matches))
        writeEvent(res, { rv: this.rv, type: 'ADDED', resource: where.type, object });
      const metadata = {
        resourceVersion: String(this.rv),
        annotations: { 'k8s.io/initial-events-end': 'true' },
      };
      const bookmark = { kind: where.type.kind, apiVersion: groupVersion(where.type), metadata };
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object: bookmark })}\n`);
    } else {
      const from = Number(query.resourceVersion || this.rv);
      for (const event of this.history)
        if (event.rv > from && watches(watcher, event)) writeEvent(res, event);
    }
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
  }

  /**
   * The status a Deployment's or StatefulSet's controller would report once its pods are ready (no
   * pods are made): a Deployment gets its current ReplicaSet, which Helm 3's readiness check looks
   * for by owner and pod template.
   */
  private reconcile(type: ResourceType, object: Json): void {
    if (type.kind !== 'Deployment' && type.kind !== 'StatefulSet') return;
    if (type.kind === 'StatefulSet') object.spec.updateStrategy ??= { type: 'RollingUpdate' };
    this.later(() => {
      const current = this.objects.get(objectKey(type, object.metadata))?.object;
      if (current?.metadata.uid !== object.metadata.uid) return;
      // Its pods fare as podOutcome says of a pod made from the template.
      if (this.podOutcome({ ...current.spec.template, kind: 'Pod' }) !== 'Ready') return;
      const replicas = current.spec.replicas ?? 1;
      const counts = {
        replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        updatedReplicas: replicas,
      };
      const observedGeneration = current.metadata.generation;
      if (type.kind === 'Deployment') {
        this.putReplicaSet(current, counts);
        const available = { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' };
        current.status = { observedGeneration, ...counts, conditions: [available] };
      } else {
        const revision = `${current.metadata.name}-${current.metadata.generation}`;
        current.status = {
          observedGeneration,
          ...counts,
          currentReplicas: replicas,
          currentRevision: revision,
          updateRevision: revision,
        };
      }
      this.put(type, current, 'MODIFIED');
    });
  }

  private putReplicaSet(deployment: Json, counts: Json): void {
    const type = RESOURCE_TYPES.find((t) => t.kind === 'ReplicaSet')!;
    const { name, namespace, uid, generation } = deployment.metadata;
    const owner = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name,
      uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    const rs = {
      metadata: {
        name: `${name}-${generation}`,
        namespace,
        uid: randomUUID(),
        labels: deployment.spec.template?.metadata?.labels ?? {},
        ownerReferences: [owner],
        generation: 1,
      },
      spec: {
        replicas: counts.replicas,
        selector: deployment.spec.selector,
        template: deployment.spec.template,
      },
      status: { observedGeneration: 1, ...counts },
    };
    this.put(type, rs, 'ADDED');
  }

  private later(fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.podDelayMs);
    this.timers.add(timer);
  }

  /** Pods reach their phase a moment after creation, as the kubelet would report it. */
  private startPod(pod: Json): void {
    const key = objectKey(RESOURCE_TYPES[0], pod.metadata);
    pod.status = { phase: 'Pending', conditions: [] };
    this.later(() => {
      const current = this.objects.get(key)?.object;
      if (current?.metadata.uid !== pod.metadata.uid) return;
      const outcome = this.podOutcome(current);
      if (outcome === 'Pending') return;
      current.status = podStatus(current, outcome);
      this.put(RESOURCE_TYPES[0], current, 'MODIFIED');
    });
  }
}

interface Where {
  type: ResourceType;
  namespace?: string;
  name?: string;
}

function objectKey(type: ResourceType, metadata: { namespace?: string; name: string }): string {
  return `${groupVersion(type)}/${type.plural}/${type.namespaced ? (metadata.namespace ?? '') : ''}/${metadata.name}`;
}

function systemMetadata(existing: Json): Json {
  const { uid, creationTimestamp, namespace, name } = existing.metadata;
  return { uid, creationTimestamp, namespace, name };
}

function objectMatcher(query: Record<string, string>): (object: Json) => boolean {
  const labels = selectorMatcher(query.labelSelector);
  const fields = (query.fieldSelector ?? '')
    .split(',')
    .filter(Boolean)
    .map((term) => /^metadata\.(name|namespace)(!?=)=?(.*)$/.exec(term)!);
  return (object) =>
    labels(object.metadata.labels ?? {}) &&
    fields.every(([, field, op, value]) => (object.metadata[field] === value) === (op === '='));
}

function watches(w: Watcher, event: StoredEvent): boolean {
  return (
    event.resource === w.type &&
    (!w.namespace || event.object.metadata.namespace === w.namespace) &&
    w.matches(event.object)
  );
}

function podStatus(pod: Json, outcome: Exclude<PodOutcome, 'Pending'>): Json {
  const now = new Date().toISOString().replace(/\.\d+/, '');
  const ready = outcome === 'Ready' ? 'True' : 'False';
  const containers = (pod.spec?.containers ?? []).map((c: Json) => ({
    name: c.name,
    image: c.image,
    imageID: '',
    ready: outcome === 'Ready',
    restartCount: 0,
    started: outcome === 'Ready',
    state:
      outcome === 'Ready'
        ? { running: { startedAt: now } }
        : {
            terminated: {
              exitCode: outcome === 'Succeeded' ? 0 : 1,
              reason: outcome === 'Succeeded' ? 'Completed' : 'Error',
              startedAt: now,
              finishedAt: now,
            },
          },
  }));
  return {
    phase: outcome === 'Ready' ? 'Running' : outcome,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      { type: 'ContainersReady', status: ready, lastTransitionTime: now },
      { type: 'Ready', status: ready, lastTransitionTime: now },
    ],
    containerStatuses: containers,
    startTime: now,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function writeEvent(res: ServerResponse, event: StoredEvent): void {
  res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
}
