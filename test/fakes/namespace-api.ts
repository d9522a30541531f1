/**
 * The FAKE Kubernetes API's namespaces and RoleBindings (no real API server can run here), with the
 * discovery documents real kubectl reads before it creates anything: what unit-helm.yml's per-run
 * namespace steps (`kubectl create -f -`, `kubectl create rolebinding`, `kubectl delete namespace`)
 * and helm-rally's namespace cleanup call. Answers as the real API does: 201 with the stored
 * object, 409 AlreadyExists, 404 NotFound (also for a RoleBinding in a namespace that does not exist).
 */
import { randomUUID } from 'node:crypto';
import { decodeKubeProtobuf, protoMessages, protoString } from './kube-protobuf.js';

type Json = Record<string, unknown> & {
  metadata: { name: string; namespace?: string; [key: string]: unknown };
};

export interface FakeAnswer {
  status: number;
  body: unknown;
}

const RBAC = 'rbac.authorization.k8s.io';
const VERBS = ['create', 'delete', 'get', 'list'];

function resource(name: string, kind: string, namespaced: boolean) {
  return { name, singularName: kind.toLowerCase(), namespaced, kind, verbs: VERBS };
}

/** Legacy discovery (kubectl falls back to it when the answer is not the aggregated format). */
const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/apis': {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: ['apps', 'batch', RBAC].map((name) => ({
      name,
      versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
    })),
  },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      resource('namespaces', 'Namespace', false),
      resource('pods', 'Pod', true),
      resource('events', 'Event', true),
    ],
  },
  [`/apis/${RBAC}/v1`]: {
    kind: 'APIResourceList',
    groupVersion: `${RBAC}/v1`,
    resources: [resource('rolebindings', 'RoleBinding', true)],
  },
  '/apis/apps/v1': {
    kind: 'APIResourceList',
    groupVersion: 'apps/v1',
    resources: ['Deployment', 'StatefulSet', 'DaemonSet'].map((k) =>
      resource(`${k.toLowerCase()}s`, k, true),
    ),
  },
  '/apis/batch/v1': {
    kind: 'APIResourceList',
    groupVersion: 'batch/v1',
    resources: [resource('jobs', 'Job', true), resource('cronjobs', 'CronJob', true)],
  },
  '/version': { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' },
};

/**
 * OpenAPI v3, only as far as kubectl reads it: kubectl --validate=strict (its default) looks for the
 * PATCH operation tagged with the object's kind (x-kubernetes-group-version-kind) and its
 * `fieldValidation` query parameter; found, the server validates fields and kubectl needs no schema.
 */
function openApi(group: string, plural: string, kind: string, namespaced: boolean) {
  const prefix = group ? `/apis/${group}/v1` : '/api/v1';
  const item = `${prefix}${namespaced ? '/namespaces/{namespace}' : ''}/${plural}/{name}`;
  const patch = {
    operationId: `patch${kind}`,
    parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }],
    'x-kubernetes-action': 'patch',
    'x-kubernetes-group-version-kind': { group, version: 'v1', kind },
  };
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (fake)', version: 'v1.32.0' },
    paths: { [item]: { patch } },
    components: { schemas: {} },
  };
}
const OPENAPI: Record<string, unknown> = {
  '/openapi/v3/api/v1': openApi('', 'namespaces', 'Namespace', false),
  [`/openapi/v3/apis/${RBAC}/v1`]: openApi(RBAC, 'rolebindings', 'RoleBinding', true),
};
DISCOVERY['/openapi/v3'] = {
  paths: Object.fromEntries(
    Object.keys(OPENAPI).map((p) => [
      p.slice('/openapi/v3/'.length),
      { serverRelativeURL: `${p}?hash=fake` },
    ]),
  ),
};
Object.assign(DISCOVERY, OPENAPI);

function status(code: number, reason: string, message: string): FakeAnswer {
  return {
    status: code,
    body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message },
  };
}

/** A RoleBinding from kubectl's protobuf (ObjectMeta = 1 {name = 1}, subjects = 2, roleRef = 3), or JSON. */
function roleBinding(body: Buffer): Json {
  if (body[0] === 0x7b) return JSON.parse(body.toString()) as Json;
  const { object } = decodeKubeProtobuf(body);
  const [meta] = protoMessages(object, 1);
  const [ref] = protoMessages(object, 3);
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: protoString(meta, 1) ?? '' },
    subjects: protoMessages(object, 2).map((s) => ({
      kind: protoString(s, 1),
      apiGroup: protoString(s, 2) ?? '',
      name: protoString(s, 3),
      namespace: protoString(s, 4),
    })),
    roleRef: { apiGroup: protoString(ref, 1), kind: protoString(ref, 2), name: protoString(ref, 3) },
  };
}

export class FakeNamespaces {
  readonly namespaces: Json[] = [];
  readonly rolebindings: Json[] = [];
  /** Every namespace and RoleBinding created, deleted or not, in order. */
  readonly created: Json[] = [];

  /** The answer for a request this part of the fake serves; undefined for any other path. */
  handle(method: string, pathname: string, body: Buffer): FakeAnswer | undefined {
    if (method === 'GET' && pathname in DISCOVERY) return { status: 200, body: DISCOVERY[pathname] };
    let m = /^\/api\/v1\/namespaces(?:\/([^/]+))?$/.exec(pathname);
    if (m) return this.namespace(method, m[1], body);
    m = new RegExp(`^/apis/${RBAC}/v1/namespaces/([^/]+)/rolebindings(?:/([^/]+))?$`).exec(pathname);
    if (m) return this.rolebinding(method, m[1], m[2], body);
    return undefined;
  }

  private namespace(method: string, name: string | undefined, body: Buffer): FakeAnswer {
    if (method === 'GET' && !name)
      return { status: 200, body: { kind: 'NamespaceList', items: this.namespaces } };
    if (method === 'POST' && !name) {
      const object = JSON.parse(body.toString()) as Json;
      if (this.find(this.namespaces, object.metadata.name))
        return status(409, 'AlreadyExists', `namespaces "${object.metadata.name}" already exists`);
      const stored = { ...object, metadata: this.stamped(object.metadata), status: { phase: 'Active' } };
      this.namespaces.push(stored);
      this.created.push(stored);
      return { status: 201, body: stored };
    }
    const existing = name ? this.find(this.namespaces, name) : undefined;
    if (!existing) return status(404, 'NotFound', `namespaces "${name}" not found`);
    if (method === 'GET') return { status: 200, body: existing };
    if (method === 'DELETE') {
      this.namespaces.splice(this.namespaces.indexOf(existing), 1);
      this.rolebindings.splice(
        0,
        this.rolebindings.length,
        ...this.rolebindings.filter((b) => b.metadata.namespace !== name),
      );
      return { status: 200, body: { ...existing, status: { phase: 'Terminating' } } };
    }
    return status(405, 'MethodNotAllowed', `${method} is not supported on namespaces by this fake`);
  }

  private rolebinding(method: string, namespace: string, name: string | undefined, body: Buffer): FakeAnswer {
    const inNamespace = this.rolebindings.filter((b) => b.metadata.namespace === namespace);
    if (method === 'GET' && !name)
      return { status: 200, body: { kind: 'RoleBindingList', items: inNamespace } };
    if (method === 'POST' && !name) {
      if (!this.find(this.namespaces, namespace))
        return status(404, 'NotFound', `namespaces "${namespace}" not found`);
      const object = roleBinding(body);
      if (this.find(inNamespace, object.metadata.name))
        return status(409, 'AlreadyExists', `rolebindings.${RBAC} "${object.metadata.name}" already exists`);
      const stored = { ...object, metadata: this.stamped({ ...object.metadata, namespace }) };
      this.rolebindings.push(stored);
      this.created.push(stored);
      return { status: 201, body: stored };
    }
    const existing = name ? this.find(inNamespace, name) : undefined;
    if (!existing) return status(404, 'NotFound', `rolebindings.${RBAC} "${name}" not found`);
    if (method === 'GET') return { status: 200, body: existing };
    return status(405, 'MethodNotAllowed', `${method} is not supported on rolebindings by this fake`);
  }

  private find(list: Json[], name: string): Json | undefined {
    return list.find((o) => o.metadata.name === name);
  }

  private stamped(metadata: Json['metadata']): Json['metadata'] {
    return {
      ...metadata,
      uid: randomUUID(),
      resourceVersion: '1',
      creationTimestamp: new Date().toISOString(),
    };
  }
}
