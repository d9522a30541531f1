/**
 * What the FAKE Kubernetes API (armada-kube-api.ts) knows about resource types, and the patch
 * formats it applies. Discovery documents follow the shapes of a real API server (`APIVersions`,
 * `APIGroupList`, `APIResourceList`), so that real helm and kubectl map kinds to paths through them.
 */
import { parse as parseYaml } from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function types(group: string, version: string, list: [string, string, boolean][]): ResourceType[] {
  return list.map(([plural, kind, namespaced]) => ({ group, version, plural, kind, namespaced }));
}

export const RESOURCE_TYPES: ResourceType[] = [
  ...types('', 'v1', [
    ['pods', 'Pod', true],
    ['services', 'Service', true],
    ['configmaps', 'ConfigMap', true],
    ['secrets', 'Secret', true],
    ['serviceaccounts', 'ServiceAccount', true],
    ['persistentvolumeclaims', 'PersistentVolumeClaim', true],
    ['endpoints', 'Endpoints', true],
    ['events', 'Event', true],
    ['namespaces', 'Namespace', false],
    ['nodes', 'Node', false],
  ]),
  ...types('apps', 'v1', [
    ['deployments', 'Deployment', true],
    ['statefulsets', 'StatefulSet', true],
    ['daemonsets', 'DaemonSet', true],
    ['replicasets', 'ReplicaSet', true],
  ]),
  ...types('batch', 'v1', [
    ['jobs', 'Job', true],
    ['cronjobs', 'CronJob', true],
  ]),
  ...types('policy', 'v1', [['poddisruptionbudgets', 'PodDisruptionBudget', true]]),
  ...types('rbac.authorization.k8s.io', 'v1', [
    ['roles', 'Role', true],
    ['rolebindings', 'RoleBinding', true],
    ['clusterroles', 'ClusterRole', false],
    ['clusterrolebindings', 'ClusterRoleBinding', false],
  ]),
  ...types('networking.k8s.io', 'v1', [['ingresses', 'Ingress', true]]),
  ...types('apiextensions.k8s.io', 'v1', [['customresourcedefinitions', 'CustomResourceDefinition', false]]),
];

export function groupVersion(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export function findType(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

/** `/api`, `/apis`, `/api/v1` and `/apis/<group>/<version>`; undefined for any other path. */
export function discovery(path: string): Json | undefined {
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (path === '/apis') {
    const groups = [...new Set(RESOURCE_TYPES.filter((t) => t.group).map(groupVersion))].map((gv) => {
      const version = { groupVersion: gv, version: gv.split('/')[1] };
      return { name: gv.split('/')[0], versions: [version], preferredVersion: version };
    });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (!m) return undefined;
  const gv = m[1] ?? `${m[2]}/${m[3]}`;
  const resources = RESOURCE_TYPES.filter((t) => groupVersion(t) === gv).flatMap((t) => {
    const singularName = t.kind.toLowerCase();
    const main = { name: t.plural, singularName, namespaced: t.namespaced, kind: t.kind, verbs: VERBS };
    const status = { name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind };
    return t.plural === 'pods'
      ? [
          main,
          { ...status, verbs: ['get', 'patch', 'update'] },
          { ...status, name: 'pods/log', kind: 'Pod', verbs: ['get'] },
        ]
      : [main, { ...status, verbs: ['get', 'patch', 'update'] }];
  });
  return resources.length
    ? { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources }
    : undefined;
}

function apiPath(type: ResourceType): string {
  return type.group ? `apis/${type.group}/${type.version}` : `api/${type.version}`;
}

/**
 * The OpenAPI v3 index and one document per group-version. They hold no schemas, only each type's
 * PATCH operation with its `fieldValidation` parameter: that tells kubectl's validation (inside
 * Helm 3) that the server validates fields itself, as real servers since 1.27 do, so the client
 * does not ask for the protobuf OpenAPI v2 document.
 */
export function openApiV3(path: string): Json | undefined {
  const gvs = [...new Set(RESOURCE_TYPES.map(apiPath))];
  if (path === '/openapi/v3')
    return {
      paths: Object.fromEntries(gvs.map((gv) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=fake` }])),
    };
  const gv = path.slice('/openapi/v3/'.length);
  if (!gvs.includes(gv)) return undefined;
  const paths = Object.fromEntries(
    RESOURCE_TYPES.filter((t) => apiPath(t) === gv).map((t) => [
      `/${gv}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`,
      {
        patch: {
          'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
          parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string' } }],
          responses: {},
        },
      },
    ]),
  );
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: VERSION_INFO.gitVersion }, paths };
}

export const VERSION_INFO = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386 JSON merge patch. Strategic merge patches are applied as merge patches too. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue; // strategic-merge directives ($patch, $setElementOrder/…)
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function pointer(path: string): string[] {
  return path
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 JSON patch: add, remove, replace and test. */
export function jsonPatch(target: Json, ops: Json[]): Json {
  const doc = structuredClone(target);
  for (const op of ops) {
    const keys = pointer(op.path);
    const last = keys.pop()!;
    let parent = doc;
    for (const key of keys) parent = parent?.[key];
    if (parent === undefined) throw new Error(`json patch: no parent for ${op.path}`);
    if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value))
        throw new Error(`json patch: test ${op.path} failed`);
    } else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (op.op === 'add' && Array.isArray(parent)) {
      parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
    } else if (op.op === 'add' || op.op === 'replace') parent[last] = op.value;
    else throw new Error(`json patch: unsupported op ${op.op}`);
  }
  return doc;
}

/** A patch body by its content type; the result is the patched object (or, for apply, the applied one). */
export function applyPatch(contentType: string, existing: Json | undefined, body: string): Json {
  if (contentType.startsWith('application/apply-patch+yaml')) {
    // Server-side apply with one field manager, reduced to a merge of the applied configuration:
    // what the server set (status, defaults such as a Service's clusterIP) stays; fields dropped
    // from the configuration are not removed.
    const applied = parseYaml(body);
    return existing ? mergePatch(existing, applied) : applied;
  }
  const patch = JSON.parse(body);
  if (contentType.startsWith('application/json-patch+json')) return jsonPatch(existing, patch);
  return mergePatch(existing, patch);
}

/** What the API server fills in on create: a Service's cluster IP (helm's readiness check wants one). */
export function defaults(kind: string, object: Json, serial: number): void {
  if (kind !== 'Service') return;
  object.spec ??= {};
  object.spec.type ??= 'ClusterIP';
  if (object.spec.type !== 'ExternalName' && object.spec.clusterIP === undefined) {
    object.spec.clusterIP = `10.96.${(serial >> 8) & 255}.${serial & 255}`;
    object.spec.clusterIPs = [object.spec.clusterIP];
  }
}

/** An RFC 1123 subdomain, which the API server requires of most object names. */
export function invalidName(name: string): string | undefined {
  if (name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name))
    return undefined;
  return `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`;
}
