/**
 * Checks for the files under deploy/runners: the gha-runner-scale-set values, the RBAC manifests
 * and the runner image's Dockerfile. Each check returns a list of problems (empty = fine), each
 * naming the file and what was expected, so the tests can show every problem at once.
 */
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import semver from 'semver';
import { parseAllDocuments } from 'yaml';

/** Any Kubernetes object, as far as these checks look into it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  rules?: PolicyRule[];
  roleRef?: { apiGroup?: string; kind?: string; name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[];
  [key: string]: unknown;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface LoadedDocument<T = unknown> {
  file: string;
  /** 1-based position of the document in its file. */
  index: number;
  value: T;
}

/** Every document of a (multi-document) YAML file; empty documents are skipped. Throws on syntax errors. */
export function loadYamlDocuments<T = unknown>(
  file: string,
  text = readFileSync(file, 'utf8'),
): LoadedDocument<T>[] {
  const documents = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const loaded: LoadedDocument<T>[] = [];
  documents.forEach((document, i) => {
    if (document.errors.length) {
      throw new Error(`${file} (document ${i + 1}): ${document.errors.map((e) => e.message).join('; ')}`);
    }
    const value = document.toJS() as T;
    if (value !== null && value !== undefined) loaded.push({ file, index: i + 1, value });
  });
  return loaded;
}

// ---------------------------------------------------------------- Kubernetes object shapes

interface AttributeType {
  baseName: string;
  type: string;
}
type ModelClass = { getAttributeTypeMap(): AttributeType[] };

function modelClass(name: string): ModelClass | undefined {
  const candidate = (k8s as unknown as Record<string, unknown>)[name] as Partial<ModelClass> | undefined;
  return typeof candidate?.getAttributeTypeMap === 'function' ? (candidate as ModelClass) : undefined;
}

/**
 * Fields that the Kubernetes API model (the OpenAPI-generated classes of @kubernetes/client-node)
 * does not have, and values of the wrong primitive type. The API server would drop an unknown field
 * silently (a typo in automountServiceAccountToken would leave the token mounted) or refuse the type.
 */
export function modelProblems(value: unknown, type: string, at: string): string[] {
  if (value === null || value === undefined || type === 'any' || type === 'Date') return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) return [`${at}: expected a list, got ${JSON.stringify(value)}`];
    return value.flatMap((item, i) => modelProblems(item, array[1], `${at}[${i}]`));
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== 'object' || Array.isArray(value))
      return [`${at}: expected a map, got ${JSON.stringify(value)}`];
    return Object.entries(value).flatMap(([key, item]) => modelProblems(item, map[1], `${at}.${key}`));
  }
  if (type === 'string' || type === 'number' || type === 'boolean') {
    return typeof value === type ? [] : [`${at}: expected a ${type}, got ${JSON.stringify(value)}`];
  }
  if (type === 'IntOrString') {
    return typeof value === 'string' || typeof value === 'number'
      ? []
      : [`${at}: expected a number or string, got ${JSON.stringify(value)}`];
  }
  const model = modelClass(type);
  if (!model) return [];
  if (typeof value !== 'object' || Array.isArray(value))
    return [`${at}: expected an object (${type}), got ${JSON.stringify(value)}`];
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([key, item]) => {
    const fieldType = fields.get(key);
    if (!fieldType) return [`${at}.${key}: not a field of ${type.replace(/^V1/, '')}`];
    return modelProblems(item, fieldType, `${at}.${key}`);
  });
}

/** The API version and model of each kind these files may contain. */
export const KINDS: Record<string, { apiVersion: string; model: string }> = {
  Namespace: { apiVersion: 'v1', model: 'V1Namespace' },
  ServiceAccount: { apiVersion: 'v1', model: 'V1ServiceAccount' },
  ConfigMap: { apiVersion: 'v1', model: 'V1ConfigMap' },
  Role: { apiVersion: 'rbac.authorization.k8s.io/v1', model: 'V1Role' },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', model: 'V1RoleBinding' },
  ClusterRole: { apiVersion: 'rbac.authorization.k8s.io/v1', model: 'V1ClusterRole' },
  ClusterRoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', model: 'V1ClusterRoleBinding' },
  ValidatingAdmissionPolicy: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    model: 'V1ValidatingAdmissionPolicy',
  },
  ValidatingAdmissionPolicyBinding: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    model: 'V1ValidatingAdmissionPolicyBinding',
  },
};

/** Problems with the shape of Kubernetes objects: known kind, its API version, fields of its model, a name. */
export function checkKubeObjects(docs: LoadedDocument<KubeObject>[]): string[] {
  return docs.flatMap((doc) => {
    const at = `${doc.file} (document ${doc.index})`;
    const kind = KINDS[String(doc.value.kind)];
    if (!kind) return [`${at}: kind ${doc.value.kind} is not one of ${Object.keys(KINDS).join(', ')}`];
    const problems = modelProblems(doc.value, kind.model, at);
    if (doc.value.apiVersion !== kind.apiVersion)
      problems.push(
        `${at}: apiVersion of a ${doc.value.kind}: expected ${kind.apiVersion}, got ${doc.value.apiVersion}`,
      );
    if (!doc.value.metadata?.name) problems.push(`${at}: metadata.name is missing`);
    return problems;
  });
}

// ---------------------------------------------------------------- runner scale set values

export interface ScaleSetValues {
  githubConfigUrl?: unknown;
  githubConfigSecret?: unknown;
  runnerScaleSetName?: unknown;
  scaleSetLabels?: unknown;
  runnerGroup?: unknown;
  minRunners?: unknown;
  maxRunners?: unknown;
  containerMode?: unknown;
  template?: {
    spec?: {
      serviceAccountName?: unknown;
      automountServiceAccountToken?: unknown;
      containers?: { name?: unknown; image?: unknown; command?: unknown }[];
    };
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** The runner container of a scale set's pod template (ARC finds it by the name `runner`). */
export function runnerContainer(
  values: ScaleSetValues,
): { name?: unknown; image?: unknown; command?: unknown } | undefined {
  const containers = values.template?.spec?.containers;
  return Array.isArray(containers) ? containers.find((c) => c?.name === 'runner') : undefined;
}

/** Problems with one values file for the gha-runner-scale-set chart (0.14 keys). */
export function checkScaleSetValues(values: ScaleSetValues, file: string): string[] {
  const problems: string[] = [];
  const bad = (key: string, expected: string, got: unknown) =>
    problems.push(`${file}: ${key}: expected ${expected}, got ${JSON.stringify(got)}`);

  if (
    !isNonEmptyString(values.githubConfigUrl) ||
    !/^https:\/\/[^/\s]+\/[^/\s]+/.test(values.githubConfigUrl)
  ) {
    bad(
      'githubConfigUrl',
      'an https URL of a GitHub enterprise, organization or repository',
      values.githubConfigUrl,
    );
  }
  if (!isNonEmptyString(values.githubConfigSecret)) {
    bad(
      'githubConfigSecret',
      'the name of a pre-created Secret (credentials never belong in a values file)',
      typeof values.githubConfigSecret === 'object' && values.githubConfigSecret !== null
        ? '<inline credentials>'
        : values.githubConfigSecret,
    );
  }
  if (!isNonEmptyString(values.runnerScaleSetName) || !DNS_LABEL.test(values.runnerScaleSetName)) {
    bad(
      'runnerScaleSetName',
      'a lower-case name of letters, digits and dashes (it is also the runs-on label)',
      values.runnerScaleSetName,
    );
  } else if (values.runnerScaleSetName.length > 45) {
    bad(
      'runnerScaleSetName',
      'at most 45 characters (the chart refuses longer names)',
      values.runnerScaleSetName,
    );
  }
  if (values.scaleSetLabels !== undefined) {
    const labels = values.scaleSetLabels;
    if (!Array.isArray(labels) || labels.some((l) => !isNonEmptyString(l) || l.length >= 256)) {
      bad('scaleSetLabels', 'a list of non-empty labels shorter than 256 characters', labels);
    } else if (new Set(labels.map((l: string) => l.toLowerCase())).size !== labels.length) {
      bad('scaleSetLabels', 'labels without duplicates', labels);
    }
  }
  if (values.runnerGroup !== undefined && !isNonEmptyString(values.runnerGroup))
    bad('runnerGroup', 'a runner group name', values.runnerGroup);
  if (!isCount(values.minRunners)) bad('minRunners', 'an integer of 0 or more', values.minRunners);
  if (!isCount(values.maxRunners) || values.maxRunners < 1)
    bad('maxRunners', 'an integer of 1 or more', values.maxRunners);
  if (isCount(values.minRunners) && isCount(values.maxRunners) && values.minRunners > values.maxRunners) {
    problems.push(
      `${file}: minRunners (${values.minRunners}) must not exceed maxRunners (${values.maxRunners})`,
    );
  }
  if (values.containerMode !== undefined) {
    bad(
      'containerMode',
      'no containerMode (the chart ignores template customizations under a container mode)',
      values.containerMode,
    );
  }
  const spec = values.template?.spec;
  if (!spec || !Array.isArray(spec.containers)) {
    bad('template.spec.containers', 'a list of containers with the runner container', spec?.containers);
  } else {
    const runner = runnerContainer(values);
    if (!runner) {
      bad(
        'template.spec.containers',
        'a container named "runner"',
        spec.containers.map((c) => c?.name),
      );
    } else {
      if (
        !isNonEmptyString(runner.image) ||
        /:latest$/.test(runner.image) ||
        !/:[\w.-]+$|@sha256:[0-9a-f]{64}$/.test(runner.image)
      ) {
        bad(
          'template.spec.containers[runner].image',
          'an image pinned by tag or digest (not latest)',
          runner.image,
        );
      }
      if (!Array.isArray(runner.command) || runner.command[0] !== '/home/runner/run.sh') {
        bad('template.spec.containers[runner].command', '["/home/runner/run.sh"]', runner.command);
      }
    }
  }
  if (values.template !== undefined)
    problems.push(...modelProblems(values.template, 'V1PodTemplateSpec', `${file}: template`));
  if (!isNonEmptyString(spec?.serviceAccountName)) {
    bad(
      'template.spec.serviceAccountName',
      'the service account of this stage (deploy/runners/rbac)',
      spec?.serviceAccountName,
    );
  }
  return problems;
}

/** The labels a job's runs-on can use for this scale set: its name plus scaleSetLabels. */
export function scaleSetLabelsOf(values: ScaleSetValues): string[] {
  const labels = Array.isArray(values.scaleSetLabels) ? (values.scaleSetLabels as string[]) : [];
  return [String(values.runnerScaleSetName), ...labels];
}

/** True when a job with these runs-on labels can be assigned to the scale set (labels compare case-insensitively). */
export function servesRunsOn(values: ScaleSetValues, runsOn: readonly string[]): boolean {
  const labels = new Set(scaleSetLabelsOf(values).map((l) => l.toLowerCase()));
  return runsOn.length > 0 && runsOn.every((label) => labels.has(label.toLowerCase()));
}

// ---------------------------------------------------------------- runner image

export interface RunnerBase {
  image: string;
  /** The runner version from the base image tag. */
  version: string;
  /** ARG defaults, global and in the final stage. */
  args: Record<string, string>;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(text: string): string[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

function expandArgs(text: string, args: Record<string, string>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare) as string;
      return name in args ? args[name] : whole;
    },
  );
}

/** Reads the last FROM (the image that ships) and the runner version in its tag. */
export function parseRunnerDockerfile(text: string, file: string): RunnerBase {
  const args: Record<string, string> = {};
  let from: string | undefined;
  for (const line of instructions(text)) {
    const [keyword, ...rest] = line.split(/\s+/);
    const body = rest.join(' ');
    if (/^ARG$/i.test(keyword)) {
      const m = /^(\w+)(?:=(.*))?$/.exec(body);
      if (m && m[2] !== undefined) args[m[1]] = m[2].replace(/^["']|["']$/g, '');
    } else if (/^FROM$/i.test(keyword)) {
      from = expandArgs(body.replace(/^--platform=\S+\s+/, '').split(/\s+/)[0], args);
    }
  }
  if (!from) throw new Error(`${file}: no FROM instruction`);
  const m = /^([^@]+?)(?::([\w.-]+))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(from);
  if (!m) throw new Error(`${file}: cannot read the base image reference ${JSON.stringify(from)}`);
  const [, image, tag, digest] = m;
  if (!tag)
    throw new Error(
      `${file}: base image ${from} has no version tag${digest ? ' (a digest alone does not say the runner version)' : ''}`,
    );
  return { image, version: tag, args };
}

export const MIN_RUNNER_VERSION = '2.327.1';
export const RUNNER_BASE_IMAGE = 'ghcr.io/actions/actions-runner';

/** Debian packages, pip requirements and downloaded binaries the actions call. */
export const REQUIRED_APT_PACKAGES = ['bats', 'podman', 'skopeo', 'python3-subunit'];
export const REQUIRED_PIP_PACKAGES = ['tempest', 'stestr', 'python-subunit', 'rally', 'rally-openstack'];
export const REQUIRED_DOWNLOADS: Record<string, RegExp> = {
  kubectl: /^https:\/\/dl\.k8s\.io\/release\/\$\{KUBECTL_VERSION\}\/.*\/kubectl$/,
  helm: /^https:\/\/get\.helm\.sh\/helm-\$\{HELM_VERSION\}-linux-.*\.tar\.gz$/,
};

/** What the RUN steps install: apt packages, pip requirement specs and curl download URLs. */
export function installedBy(runSteps: string[]): { apt: string[]; pip: string[]; downloads: string[] } {
  const apt: string[] = [];
  const pip: string[] = [];
  const downloads: string[] = [];
  for (const step of runSteps) {
    for (const command of step.split(/&&|;|\|\|/)) {
      const words = command
        .trim()
        .split(/\s+/)
        .map((w) => w.replace(/^["']|["']$/g, ''));
      const install = words.indexOf('install');
      if (/(^|\/)apt(-get)?$/.test(words[0] ?? '') && install > 0)
        apt.push(...words.slice(install + 1).filter((w) => w && !w.startsWith('-')));
      if (/(^|\/)pip3?$/.test(words[0] ?? '') && install > 0)
        pip.push(...words.slice(install + 1).filter((w) => w && !w.startsWith('-')));
      if (words[0] === 'curl') downloads.push(...words.filter((w) => /^https:\/\//.test(w)));
    }
  }
  return { apt, pip, downloads };
}

/** Problems with the runner image: base, minimum runner version, pinned tool versions, tools present. */
export function checkRunnerDockerfile(text: string, file: string): string[] {
  let base: RunnerBase;
  try {
    base = parseRunnerDockerfile(text, file);
  } catch (err) {
    return [(err as Error).message];
  }
  const problems: string[] = [];
  if (base.image !== RUNNER_BASE_IMAGE)
    problems.push(`${file}: FROM: expected ${RUNNER_BASE_IMAGE}, got ${base.image}`);
  const version = semver.valid(base.version);
  if (!version)
    problems.push(
      `${file}: FROM: the tag ${JSON.stringify(base.version)} is not a runner version such as ${MIN_RUNNER_VERSION}`,
    );
  else if (semver.lt(version, MIN_RUNNER_VERSION)) {
    problems.push(
      `${file}: FROM: runner ${version} is older than ${MIN_RUNNER_VERSION}, the first that runs node24 actions`,
    );
  }
  for (const name of [
    'KUBECTL_VERSION',
    'HELM_VERSION',
    'TEMPEST_VERSION',
    'STESTR_VERSION',
    'RALLY_VERSION',
    'RALLY_OPENSTACK_VERSION',
  ]) {
    const value = base.args[name];
    if (!value || !/^v?\d+\.\d+\.\d+$/.test(value))
      problems.push(
        `${file}: ARG ${name}: expected a pinned version such as 1.2.3, got ${JSON.stringify(value)}`,
      );
  }
  if (base.args.HELM_VERSION && !/^v3\./.test(base.args.HELM_VERSION)) {
    problems.push(
      `${file}: ARG HELM_VERSION: the actions drive the Helm 3 CLI, got ${base.args.HELM_VERSION}`,
    );
  }
  const users = instructions(text).filter((line) => /^USER\s/i.test(line));
  const finalUser = users.at(-1)?.replace(/^USER\s+/i, '');
  if (finalUser !== 'runner') {
    problems.push(
      `${file}: the image must end with USER runner (the scale sets run it as uid 1001, non-root), got ${finalUser ?? 'no USER'}`,
    );
  }
  const runSteps = instructions(text)
    .filter((line) => /^RUN\s/i.test(line))
    .map((line) => line.replace(/^RUN\s+/i, ''));
  const installed = installedBy(runSteps);
  for (const name of REQUIRED_APT_PACKAGES) {
    if (!installed.apt.includes(name))
      problems.push(`${file}: no RUN step installs ${name} (apt-get install)`);
  }
  for (const name of REQUIRED_PIP_PACKAGES) {
    const spec = installed.pip.find((p) => p.split('==')[0] === name);
    if (!spec) problems.push(`${file}: no RUN step installs ${name} (pip install)`);
    else if (!/==\S+$/.test(spec))
      problems.push(`${file}: pip requirement ${spec}: expected a pinned version (${name}==…)`);
  }
  for (const [name, pattern] of Object.entries(REQUIRED_DOWNLOADS)) {
    if (!installed.downloads.some((url) => pattern.test(url)))
      problems.push(`${file}: no RUN step downloads ${name}`);
  }
  return problems;
}

// ---------------------------------------------------------------- RBAC

export const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection', '*'];

export interface ServiceAccountPolicy {
  /** Namespaces where RoleBindings may grant this account anything. */
  namespaces: string[];
  /** ClusterRoles it may be bound to cluster-wide (ClusterRoleBinding); none by default. */
  clusterRoles?: string[];
  /** When set, the account's rights must be exactly these `group/resource:verb` triples, in each of its namespaces. */
  exactPermissions?: string[];
}

export interface RbacPolicy {
  /** Service accounts by `namespace/name`; any other subject is a problem. */
  serviceAccounts: Record<string, ServiceAccountPolicy>;
  /** Namespaces nothing may live in or be granted on. */
  forbiddenNamespaces: string[];
  /** ClusterRoles meant to be bound per namespace by RoleBindings only; they may grant pod writes. */
  perNamespaceClusterRoles?: string[];
}

export type RbacDocument = LoadedDocument<KubeObject>;

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function where(doc: RbacDocument): string {
  const meta = doc.value.metadata ?? {};
  return `${doc.file} (document ${doc.index}, ${doc.value.kind} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name ?? '?'})`;
}

/** `group/resource:verb` triples a rule grants; the core group is written as `core`. */
export function expandRule(rule: PolicyRule): string[] {
  const triples: string[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs ?? [])
        triples.push(`${group === '' ? 'core' : group}/${resource}:${verb}`);
    }
  }
  return triples;
}

function grantsPodWrite(rules: PolicyRule[] = []): string[] {
  return rules.flatMap(expandRule).filter((triple) => {
    const [resource, verb] = triple.split(':');
    const [group, name] = resource.split('/');
    return (
      (group === 'core' || group === '*') &&
      (name === 'pods' || name === '*' || name.startsWith('pods/')) &&
      WRITE_VERBS.includes(verb)
    );
  });
}

/**
 * The Kubernetes resources these RBAC files may name, by API group ('' = core), with their scope.
 * A resource in the wrong group, a singular name or a typo is accepted by the API server and then
 * silently grants nothing; this catalog catches that.
 */
export const KNOWN_RESOURCES: Record<string, Record<string, 'namespaced' | 'cluster'>> = {
  '': {
    pods: 'namespaced',
    'pods/log': 'namespaced',
    'pods/eviction': 'namespaced',
    'pods/exec': 'namespaced',
    secrets: 'namespaced',
    configmaps: 'namespaced',
    services: 'namespaced',
    serviceaccounts: 'namespaced',
    persistentvolumeclaims: 'namespaced',
    events: 'namespaced',
    endpoints: 'namespaced',
    namespaces: 'cluster',
  },
  apps: {
    deployments: 'namespaced',
    statefulsets: 'namespaced',
    daemonsets: 'namespaced',
    replicasets: 'namespaced',
  },
  batch: { jobs: 'namespaced', cronjobs: 'namespaced' },
  policy: { poddisruptionbudgets: 'namespaced' },
  'networking.k8s.io': { ingresses: 'namespaced', networkpolicies: 'namespaced' },
  autoscaling: { horizontalpodautoscalers: 'namespaced' },
  'rbac.authorization.k8s.io': {
    roles: 'namespaced',
    rolebindings: 'namespaced',
    clusterroles: 'cluster',
    clusterrolebindings: 'cluster',
  },
};

export const KNOWN_VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'bind',
  'escalate',
  'impersonate',
];

/** Rule targets that grant nothing: unknown group/resource, unknown verb, or a cluster-scoped resource in a Role. */
export function ineffectiveTargets(rule: PolicyRule, inRole: boolean): string[] {
  const found: string[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      if (group === '*' || resource === '*') continue;
      const scope = KNOWN_RESOURCES[group]?.[resource];
      if (!scope)
        found.push(
          `${group === '' ? 'core' : group}/${resource} is not a known resource (typo or wrong API group?)`,
        );
      else if (inRole && scope === 'cluster')
        found.push(`${resource} is cluster-scoped; a Role cannot grant it`);
    }
  }
  for (const verb of rule.verbs ?? [])
    if (verb !== '*' && !KNOWN_VERBS.includes(verb)) found.push(`verb ${verb} does not exist`);
  return found;
}

function hasWildcard(rule: PolicyRule): boolean {
  return [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.verbs ?? [])].includes('*');
}

/** Problems with a set of RBAC documents against the policy. */
export function checkRbac(docs: RbacDocument[], policy: RbacPolicy): string[] {
  const problems: string[] = [];
  const forbidden = new Set(policy.forbiddenNamespaces);
  const perNamespace = new Set(policy.perNamespaceClusterRoles ?? []);
  const roles = new Map<string, RbacDocument>();
  const clusterRoles = new Map<string, RbacDocument>();
  for (const doc of docs) {
    const { kind, metadata } = doc.value;
    if (kind === 'Role') roles.set(`${metadata?.namespace}/${metadata?.name}`, doc);
    if (kind === 'ClusterRole') clusterRoles.set(metadata?.name ?? '', doc);
  }
  const clusterBound = new Set(
    docs.filter((d) => d.value.kind === 'ClusterRoleBinding').map((d) => d.value.roleRef?.name ?? ''),
  );
  const allowedRoleNamespaces = new Set(Object.values(policy.serviceAccounts).flatMap((sa) => sa.namespaces));
  /** `sa` → namespace → granted triples. */
  const granted = new Map<string, Map<string, Set<string>>>();

  for (const doc of docs) {
    const { kind, metadata = {} } = doc.value;
    const namespace = metadata.namespace;
    if (namespace && forbidden.has(namespace))
      problems.push(`${where(doc)}: must not be in namespace ${namespace}`);
    if (kind === 'Namespace' && forbidden.has(metadata.name ?? ''))
      problems.push(`${where(doc)}: must not declare namespace ${metadata.name}`);
    for (const rule of doc.value.rules ?? []) {
      if (hasWildcard(rule))
        problems.push(
          `${where(doc)}: wildcard in a rule (${JSON.stringify(rule)}); name groups, resources and verbs`,
        );
      for (const target of ineffectiveTargets(rule, kind === 'Role'))
        problems.push(`${where(doc)}: grants nothing: ${target}`);
      if (rule.nonResourceURLs?.length)
        problems.push(`${where(doc)}: grants non-resource URLs ${rule.nonResourceURLs.join(', ')}`);
    }

    if (kind === 'Role') {
      if (!namespace) problems.push(`${where(doc)}: a Role needs a namespace`);
      else if (!allowedRoleNamespaces.has(namespace)) {
        problems.push(
          `${where(doc)}: namespace ${namespace} is not one of the allowed namespaces (${[...allowedRoleNamespaces].join(', ')})`,
        );
      }
    }

    if (kind === 'ClusterRole') {
      const podWrites = grantsPodWrite(doc.value.rules);
      if (podWrites.length && !perNamespace.has(metadata.name ?? '')) {
        problems.push(`${where(doc)}: a ClusterRole must not grant writes on pods (${podWrites.join(', ')})`);
      }
      if (perNamespace.has(metadata.name ?? '') && clusterBound.has(metadata.name ?? '')) {
        problems.push(
          `${where(doc)}: is meant for per-namespace RoleBindings, but a ClusterRoleBinding references it`,
        );
      }
    }

    if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
      const ref = doc.value.roleRef ?? {};
      let rules: PolicyRule[] | undefined;
      if (ref.apiGroup !== RBAC_GROUP) problems.push(`${where(doc)}: roleRef.apiGroup must be ${RBAC_GROUP}`);
      if (ref.kind === 'Role' && kind === 'RoleBinding')
        rules = roles.get(`${namespace}/${ref.name}`)?.value.rules;
      else if (ref.kind === 'ClusterRole') rules = clusterRoles.get(ref.name ?? '')?.value.rules;
      else problems.push(`${where(doc)}: roleRef.kind ${ref.kind} cannot be used by a ${kind}`);
      if (!rules) {
        problems.push(`${where(doc)}: roleRef ${ref.kind} ${ref.name} is not defined in these files`);
        rules = [];
      }
      if (kind === 'ClusterRoleBinding') {
        const podWrites = grantsPodWrite(rules);
        if (podWrites.length)
          problems.push(`${where(doc)}: grants writes on pods in every namespace (${podWrites.join(', ')})`);
      }
      for (const subject of doc.value.subjects ?? []) {
        const id = `${subject.namespace}/${subject.name}`;
        const sa = subject.kind === 'ServiceAccount' ? policy.serviceAccounts[id] : undefined;
        if (!sa) {
          problems.push(
            `${where(doc)}: subject ${subject.kind} ${id} is not one of the runner service accounts`,
          );
          continue;
        }
        if (subject.namespace && forbidden.has(subject.namespace))
          problems.push(`${where(doc)}: subject in namespace ${subject.namespace}`);
        if (kind === 'RoleBinding' && !sa.namespaces.includes(namespace ?? '')) {
          problems.push(
            `${where(doc)}: grants ${id} rights in namespace ${namespace}; it may only have rights in ${sa.namespaces.join(', ') || 'no namespace'}`,
          );
        }
        if (kind === 'ClusterRoleBinding' && !(sa.clusterRoles ?? []).includes(ref.name ?? '')) {
          problems.push(
            `${where(doc)}: grants ${id} the ClusterRole ${ref.name} in every namespace; it may have only namespaced rights`,
          );
        }
        if (kind === 'RoleBinding') {
          const perSa = granted.get(id) ?? new Map<string, Set<string>>();
          const set = perSa.get(namespace ?? '') ?? new Set<string>();
          for (const triple of rules.flatMap(expandRule)) set.add(triple);
          perSa.set(namespace ?? '', set);
          granted.set(id, perSa);
        }
      }
    }
  }

  for (const [id, sa] of Object.entries(policy.serviceAccounts)) {
    if (!sa.exactPermissions) continue;
    const expected = new Set(sa.exactPermissions);
    for (const namespace of sa.namespaces) {
      const actual = granted.get(id)?.get(namespace) ?? new Set<string>();
      const extra = [...actual].filter((t) => !expected.has(t)).sort();
      const missing = [...expected].filter((t) => !actual.has(t)).sort();
      if (extra.length) problems.push(`${id} in ${namespace}: grants more than allowed: ${extra.join(', ')}`);
      if (missing.length) problems.push(`${id} in ${namespace}: lacks ${missing.join(', ')}`);
    }
  }
  return problems;
}
