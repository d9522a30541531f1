/**
 * The shipped ARC runner scale sets, runner image and RBAC (deploy/runners), checked against the
 * chart's keys, the profiles' runs-on labels, the Armada manifests and least privilege.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { perRunNamespace } from '../../actions/helm-rally/settings.js';
import { loadProfile, type Profile } from '../../actions/lib/profile/load.js';
import { repoRoot } from '../harness/run-action.js';
import {
  checkKubeObjects,
  checkRbac,
  checkRunnerDockerfile,
  checkScaleSetValues,
  expandRule,
  loadYamlDocuments,
  MIN_RUNNER_VERSION,
  parseRunnerDockerfile,
  runnerContainer,
  servesRunsOn,
  type KubeObject,
  type RbacDocument,
  type RbacPolicy,
  type ScaleSetValues,
} from './checks.js';

const runnersDir = path.join(repoRoot, 'deploy', 'runners');
const ENVIRONMENTS = ['local', 'dev', 'staging', 'production'] as const;
const STAGES = ['deploy-armada', 'cookiemonster', 'helm-rally'] as const;
const RUNNER_NAMESPACE = 'arc-runners';
const FORBIDDEN_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];
const rel = (file: string) => path.relative(repoRoot, file);

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return yamlFilesUnder(full);
    return /\.ya?ml$/.test(name) ? [full] : [];
  });
}

interface ScaleSet {
  file: string;
  env: string;
  /** undefined for the general-purpose set of the environment. */
  stage?: string;
  values: ScaleSetValues;
}

function scaleSetsOf(env: string): ScaleSet[] {
  const base: ScaleSet = { file: path.join(runnersDir, `values-${env}.yaml`), env, values: {} };
  const stageDir = path.join(runnersDir, 'stages', env);
  const stages = readdirSync(stageDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f): ScaleSet => ({
      file: path.join(stageDir, f),
      env,
      stage: f.replace(/\.yaml$/, ''),
      values: {},
    }));
  for (const set of [base, ...stages]) {
    const [doc, ...more] = loadYamlDocuments<ScaleSetValues>(set.file);
    if (more.length) throw new Error(`${rel(set.file)}: a values file holds one document`);
    set.values = doc.value;
  }
  return [base, ...stages];
}

const profiles = new Map<string, Profile>(ENVIRONMENTS.map((env) => [env, loadProfile(env, repoRoot)]));
const allScaleSets = ENVIRONMENTS.flatMap(scaleSetsOf);
const rbacDocs: RbacDocument[] = readdirSync(path.join(runnersDir, 'rbac'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => loadYamlDocuments<KubeObject>(path.join(runnersDir, 'rbac', f)));

/** Namespaces the Armada manifests of all profiles release into (Manifest → ChartGroups → Charts). */
function openstackNamespaces(): string[] {
  const manifests = new Set(
    [...profiles.values()]
      .map((p) => p.section<{ manifest?: string }>('armada')?.manifest)
      .filter(Boolean) as string[],
  );
  expect(manifests.size).toBeGreaterThan(0);
  const namespaces = new Set<string>();
  for (const manifest of manifests) {
    const docs = loadYamlDocuments<{
      schema?: string;
      metadata?: { name?: string };
      data?: Record<string, unknown>;
    }>(path.join(repoRoot, manifest)).map((d) => d.value);
    const byName = (schema: string, name: string) =>
      docs.find((d) => d.schema?.startsWith(schema) && d.metadata?.name === name);
    for (const doc of docs.filter((d) => d.schema?.startsWith('armada/Manifest/'))) {
      for (const group of (doc.data?.chart_groups as string[]) ?? []) {
        for (const chart of (byName('armada/ChartGroup/', group)?.data?.chart_group as string[]) ?? []) {
          const namespace = byName('armada/Chart/', chart)?.data?.namespace;
          if (typeof namespace !== 'string') throw new Error(`${manifest}: chart ${chart} has no namespace`);
          namespaces.add(namespace);
        }
      }
    }
  }
  return [...namespaces].sort();
}

const COOKIEMONSTER_PERMISSIONS = [
  ...['deployments', 'statefulsets', 'daemonsets', 'replicasets'].flatMap((r) =>
    ['get', 'list', 'watch'].map((v) => `apps/${r}:${v}`),
  ),
  ...['get', 'list', 'watch', 'delete'].map((v) => `core/pods:${v}`),
  'core/pods/eviction:create',
];

function rbacPolicy(): RbacPolicy {
  const openstack = openstackNamespaces();
  return {
    forbiddenNamespaces: FORBIDDEN_NAMESPACES,
    perNamespaceClusterRoles: ['taco-helm-rally-release'],
    serviceAccounts: {
      [`${RUNNER_NAMESPACE}/taco-runner`]: { namespaces: [] },
      [`${RUNNER_NAMESPACE}/taco-deploy-armada`]: {
        namespaces: openstack,
        clusterRoles: ['taco-deploy-armada-namespaces'],
      },
      [`${RUNNER_NAMESPACE}/taco-cookiemonster`]: {
        namespaces: openstack,
        exactPermissions: COOKIEMONSTER_PERMISSIONS,
      },
      [`${RUNNER_NAMESPACE}/taco-helm-rally`]: {
        namespaces: [],
        clusterRoles: ['taco-helm-rally-namespaces'],
      },
    },
  };
}

function findDoc(kind: string, name: string, namespace?: string): KubeObject {
  const doc = rbacDocs.find(
    (d) =>
      d.value.kind === kind && d.value.metadata?.name === name && d.value.metadata?.namespace === namespace,
  );
  if (!doc) throw new Error(`deploy/runners/rbac: no ${kind} ${namespace ? `${namespace}/` : ''}${name}`);
  return doc.value;
}

describe('deploy/runners files', () => {
  it('every YAML file parses, every document of it', () => {
    const files = yamlFilesUnder(runnersDir);
    expect(files.length).toBeGreaterThanOrEqual(ENVIRONMENTS.length * 3);
    for (const file of files) expect(loadYamlDocuments(file).length, rel(file)).toBeGreaterThan(0);
  });

  it('every Kubernetes object has a known kind, its API version and only fields of its API model', () => {
    const objects = ['rbac', 'kubeconfig'].flatMap((dir) =>
      readdirSync(path.join(runnersDir, dir))
        .filter((f) => f.endsWith('.yaml'))
        .flatMap((f) => loadYamlDocuments<KubeObject>(path.join(runnersDir, dir, f))),
    );
    expect(objects.length).toBeGreaterThan(10);
    expect(checkKubeObjects(objects)).toEqual([]);
  });

  it('has a general scale set and the stage scale sets for every environment', () => {
    for (const env of ENVIRONMENTS) {
      const sets = allScaleSets.filter((s) => s.env === env);
      expect(
        sets.filter((s) => !s.stage),
        env,
      ).toHaveLength(1);
      expect(
        sets
          .map((s) => s.stage)
          .filter(Boolean)
          .sort(),
        env,
      ).toEqual([...STAGES].sort());
    }
  });

  it('every scale set values file has the keys the chart needs, sensibly set', () => {
    expect(allScaleSets.flatMap((s) => checkScaleSetValues(s.values, rel(s.file)))).toEqual([]);
  });

  it('scale set names are unique and say their environment and stage', () => {
    const names = allScaleSets.map((s) => s.values.runnerScaleSetName);
    expect(new Set(names).size).toBe(names.length);
    for (const set of allScaleSets) {
      expect(set.values.runnerScaleSetName, rel(set.file)).toBe(
        set.stage ? `taco-${set.env}-${set.stage}` : `taco-${set.env}`,
      );
      expect(set.values.runnerGroup, rel(set.file)).toBe(`taco-${set.env}`);
    }
  });

  it('runs the runner image of runner-image/Dockerfile, from the environment registry', () => {
    const { version } = parseRunnerDockerfile(
      readFileSync(path.join(runnersDir, 'runner-image', 'Dockerfile'), 'utf8'),
      'Dockerfile',
    );
    for (const set of allScaleSets) {
      const image = String(runnerContainer(set.values)?.image);
      expect(image, rel(set.file)).toMatch(
        new RegExp(`/ci-runner:${version.replace(/\./g, '\\.')}-[\\w.]+$`),
      );
      const registry = profiles.get(set.env)?.section<{ url?: string }>('registry')?.url;
      expect(registry, `profiles/${set.env}.yaml registry.url`).toBeTruthy();
      expect(image.startsWith(`${registry}/`), `${rel(set.file)}: ${image} is not in ${registry}`).toBe(true);
    }
  });
});

describe('runs-on labels and the profiles', () => {
  it('ARC chart 0.14 keys: labels come from runnerScaleSetName and scaleSetLabels only', () => {
    for (const set of allScaleSets) {
      const keys = Object.keys(set.values);
      expect(
        keys.filter((k) => /label/i.test(k) && k !== 'scaleSetLabels'),
        rel(set.file),
      ).toEqual([]);
    }
  });

  for (const env of ENVIRONMENTS) {
    it(`every runners entry of profiles/${env}.yaml lands on exactly one scale set, the general one`, () => {
      const runners = profiles.get(env)?.section<Record<string, string[]>>('runners');
      expect(
        runners && Object.keys(runners).length,
        `profiles/${env}.yaml has no runners section`,
      ).toBeTruthy();
      const sets = allScaleSets.filter((s) => s.env === env);
      for (const [key, labels] of Object.entries(runners ?? {})) {
        const matching = sets.filter((s) => servesRunsOn(s.values, labels));
        expect(
          matching.map((s) => rel(s.file)),
          `runners.${key} ${JSON.stringify(labels)}`,
        ).toHaveLength(1);
        const expectedStage = (STAGES as readonly string[]).includes(key) ? key : undefined;
        expect(matching[0].stage, `runners.${key}`).toBe(expectedStage);
      }
    });
  }

  it('a stage scale set is reached only by its own name', () => {
    for (const set of allScaleSets.filter((s) => s.stage)) {
      expect(set.values.scaleSetLabels ?? [], rel(set.file)).toEqual([]);
      expect(servesRunsOn(set.values, [`taco-${set.env}-${set.stage}`])).toBe(true);
      expect(servesRunsOn(set.values, ['self-hosted', 'taco', set.env])).toBe(false);
    }
  });
});

describe('runner image', () => {
  const file = path.join(runnersDir, 'runner-image', 'Dockerfile');
  const text = readFileSync(file, 'utf8');

  it(`is GitHub's runner image at ${MIN_RUNNER_VERSION} or newer with every tool pinned and installed`, () => {
    expect(checkRunnerDockerfile(text, rel(file))).toEqual([]);
    const { version } = parseRunnerDockerfile(text, rel(file));
    expect(semver.gte(version, MIN_RUNNER_VERSION)).toBe(true);
  });
});

describe('service accounts and kubeconfig of the scale sets', () => {
  it('the general set has no API token; each stage set runs as its own service account', () => {
    for (const set of allScaleSets) {
      const spec = set.values.template?.spec;
      expect(spec?.serviceAccountName, rel(set.file)).toBe(set.stage ? `taco-${set.stage}` : 'taco-runner');
      expect(spec?.automountServiceAccountToken, rel(set.file)).toBe(Boolean(set.stage));
      findDoc('ServiceAccount', String(spec?.serviceAccountName), RUNNER_NAMESPACE);
    }
    expect(findDoc('ServiceAccount', 'taco-runner', RUNNER_NAMESPACE).automountServiceAccountToken).toBe(
      false,
    );
  });

  it('stage runners mount a kubeconfig whose context is the profile kube-context, authenticated by the pod token', () => {
    for (const env of ENVIRONMENTS) {
      const file = path.join(runnersDir, 'kubeconfig', `${env}.yaml`);
      const [configMap] = loadYamlDocuments<KubeObject>(file);
      expect(configMap.value.kind).toBe('ConfigMap');
      expect(configMap.value.metadata?.namespace).toBe(RUNNER_NAMESPACE);
      const kubeconfig = parseYaml(String((configMap.value.data as Record<string, string>).config)) as {
        contexts: { name: string; context: { user: string } }[];
        users: { name: string; user: Record<string, string> }[];
        'current-context': string;
      };
      const kubeContext = profiles.get(env)?.section<{ 'kube-context'?: string }>('armada')?.['kube-context'];
      if (kubeContext)
        expect(kubeconfig['current-context'], `${rel(file)} vs profiles/${env}.yaml`).toBe(kubeContext);
      const context = kubeconfig.contexts.find((c) => c.name === kubeconfig['current-context']);
      const user = kubeconfig.users.find((u) => u.name === context?.context.user)?.user;
      expect(user?.tokenFile).toBe('/var/run/secrets/kubernetes.io/serviceaccount/token');
      expect(user?.['token-file']).toBe(user?.tokenFile);

      for (const set of allScaleSets.filter((s) => s.env === env && s.stage)) {
        const spec = set.values.template?.spec as {
          volumes?: { name: string; configMap?: { name: string } }[];
          containers?: {
            name?: unknown;
            env?: { name: string; value?: string }[];
            volumeMounts?: { name: string; mountPath: string }[];
          }[];
        };
        const runner = spec.containers?.find((c) => c.name === 'runner');
        const mount = runner?.volumeMounts?.find(
          (m) =>
            spec.volumes?.find((v) => v.name === m.name)?.configMap?.name === configMap.value.metadata?.name,
        );
        expect(mount, `${rel(set.file)} mounts ${configMap.value.metadata?.name}`).toBeTruthy();
        expect(runner?.env?.find((e) => e.name === 'KUBECONFIG')?.value).toBe(`${mount?.mountPath}/config`);
      }
    }
  });

  it('cookiemonster runners provide the kubeconfig variable their profile names', () => {
    for (const env of ENVIRONMENTS) {
      const ref = profiles.get(env)?.section<{ kubeconfig?: unknown }>('cookiemonster')?.kubeconfig;
      if (!ref || typeof ref !== 'object') continue;
      const name = (ref as { env: string }).env;
      const set = allScaleSets.find((s) => s.env === env && s.stage === 'cookiemonster');
      const runner = set?.values.template?.spec?.containers?.find((c) => c.name === 'runner') as {
        env?: { name: string; value?: string }[];
      };
      expect(runner.env?.find((e) => e.name === name)?.value, `${set && rel(set.file)} env ${name}`).toBe(
        '/etc/taco/kubeconfig/config',
      );
    }
  });
});

describe('RBAC', () => {
  const policy = rbacPolicy();

  it('grants each stage only what the policy allows (namespaces, pods, cluster-wide rights, cookiemonster verbs)', () => {
    expect(checkRbac(rbacDocs, policy)).toEqual([]);
  });

  it('the OpenStack namespaces come from the Armada manifests and never include kube-system', () => {
    const namespaces = openstackNamespaces();
    expect(namespaces).toContain('openstack');
    for (const forbidden of FORBIDDEN_NAMESPACES) expect(namespaces).not.toContain(forbidden);
  });

  it('deploy-armada can keep Helm release records and manage workloads in every OpenStack namespace', () => {
    for (const namespace of openstackNamespaces()) {
      const role = findDoc('Role', 'taco-deploy-armada', namespace);
      const granted = new Set((role.rules ?? []).flatMap(expandRule));
      for (const verb of ['get', 'list', 'create', 'update', 'delete'])
        expect(granted.has(`core/secrets:${verb}`), `secrets:${verb}`).toBe(true);
      for (const resource of [
        'apps/deployments',
        'apps/statefulsets',
        'apps/daemonsets',
        'batch/jobs',
        'core/services',
        'core/configmaps',
      ]) {
        expect(granted.has(`${resource}:create`) && granted.has(`${resource}:patch`), resource).toBe(true);
      }
      expect(granted.has('core/pods/log:get')).toBe(true);
      expect(granted.has('core/events:list')).toBe(true);
      findDoc('RoleBinding', 'taco-deploy-armada', namespace);
    }
  });

  it('deploy-armada may create no namespace but the OpenStack ones (helm --create-namespace), and nothing else cluster-wide', () => {
    const clusterRole = findDoc('ClusterRole', 'taco-deploy-armada-namespaces');
    expect((clusterRole.rules ?? []).flatMap(expandRule)).toEqual(['core/namespaces:create']);
    const policyDoc = findDoc('ValidatingAdmissionPolicy', 'taco-deploy-armada-namespaces') as KubeObject & {
      spec: {
        failurePolicy: string;
        matchConditions: { expression: string }[];
        validations: { expression: string }[];
      };
    };
    expect(policyDoc.spec.failurePolicy).toBe('Fail');
    expect(policyDoc.spec.matchConditions.map((c) => c.expression).join(' ')).toContain(
      `system:serviceaccount:${RUNNER_NAMESPACE}:taco-deploy-armada`,
    );
    const listed = /^request\.name in \[(.*)\]$/.exec(policyDoc.spec.validations[0].expression);
    expect(listed, 'the validation is `request.name in [...]`').toBeTruthy();
    const allowed = [...listed![1].matchAll(/'([^']*)'/g)].map((m) => m[1]).sort();
    expect(allowed).toEqual(openstackNamespaces());
    const binding = findDoc(
      'ValidatingAdmissionPolicyBinding',
      'taco-deploy-armada-namespaces',
    ) as KubeObject & { spec: { policyName: string; validationActions: string[] } };
    expect(binding.spec).toEqual({
      policyName: 'taco-deploy-armada-namespaces',
      validationActions: ['Deny'],
    });
    for (const namespace of openstackNamespaces()) findDoc('Namespace', namespace);
  });

  it('cookiemonster is granted every namespace its profiles list', () => {
    const granted = rbacDocs
      .filter((d) => d.value.kind === 'RoleBinding' && d.value.metadata?.name === 'taco-cookiemonster')
      .map((d) => d.value.metadata?.namespace);
    for (const [env, profile] of profiles) {
      for (const namespace of profile.section<{ namespaces?: string[] }>('cookiemonster')?.namespaces ?? []) {
        expect(granted, `profiles/${env}.yaml cookiemonster.namespaces`).toContain(namespace);
      }
    }
  });

  it('helm-rally writes only in per-run namespaces named by the profiles', () => {
    const policyDoc = findDoc(
      'ValidatingAdmissionPolicy',
      'taco-helm-rally-per-run-namespaces',
    ) as KubeObject & {
      spec: {
        failurePolicy: string;
        matchConditions: { expression: string }[];
        validations: { expression: string }[];
      };
    };
    expect(policyDoc.spec.failurePolicy).toBe('Fail');
    expect(policyDoc.spec.matchConditions.map((c) => c.expression).join(' ')).toContain(
      `system:serviceaccount:${RUNNER_NAMESPACE}:taco-helm-rally`,
    );
    const binding = findDoc(
      'ValidatingAdmissionPolicyBinding',
      'taco-helm-rally-per-run-namespaces',
    ) as KubeObject & {
      spec: { policyName: string; validationActions: string[] };
    };
    expect(binding.spec.policyName).toBe(policyDoc.metadata?.name);
    expect(binding.spec.validationActions).toContain('Deny');

    const match = /\.matches\('([^']+)'\)/.exec(policyDoc.spec.validations[0].expression);
    expect(match, 'the validation checks the namespace with matches(...)').toBeTruthy();
    const pattern = new RegExp(match![1]);
    for (const [env, profile] of profiles) {
      const prefix =
        profile.section<{ helm?: { 'namespace-prefix'?: string } }>('rally')?.helm?.['namespace-prefix'] ??
        'taco-ci';
      const namespace = perRunNamespace(prefix, { GITHUB_RUN_ID: '12345678901', GITHUB_RUN_ATTEMPT: '2' });
      expect(pattern.test(namespace), `profiles/${env}.yaml per-run namespace ${namespace}`).toBe(true);
    }
    for (const other of ['', 'kube-system', 'openstack', RUNNER_NAMESPACE, 'default', 'taco-unitx-1'])
      expect(pattern.test(other), other).toBe(false);

    const namespaces = findDoc('ClusterRole', 'taco-helm-rally-namespaces');
    const bind = namespaces.rules?.find((r) => r.verbs?.includes('bind'));
    expect(bind?.resourceNames).toEqual(['taco-helm-rally-release']);
    const release = new Set(
      (findDoc('ClusterRole', 'taco-helm-rally-release').rules ?? []).flatMap(expandRule),
    );
    for (const triple of [
      'core/secrets:create',
      'core/pods:create',
      'core/pods/log:get',
      'apps/deployments:create',
    ])
      expect(release.has(triple), triple).toBe(true);
  });

  it('tempest and the other general stages run with no Kubernetes rights at all', () => {
    const bound = rbacDocs.filter(
      (d) => /Binding$/.test(String(d.value.kind)) && d.value.subjects?.some((s) => s.name === 'taco-runner'),
    );
    expect(bound.map((d) => `${d.file}#${d.index}`)).toEqual([]);
  });
});
