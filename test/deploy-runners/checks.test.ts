/** The checkers of deploy/runners, fed with bad documents: each kind of mistake must be reported. */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/run-action.js';
import {
  checkKubeObjects,
  checkRbac,
  checkRunnerDockerfile,
  checkScaleSetValues,
  loadYamlDocuments,
  parseRunnerDockerfile,
  servesRunsOn,
  type KubeObject,
  type RbacDocument,
  type RbacPolicy,
  type ScaleSetValues,
} from './checks.js';

const runnersDir = path.join(repoRoot, 'deploy', 'runners');

function goodValues(): ScaleSetValues {
  return {
    githubConfigUrl: 'https://github.com/taco',
    githubConfigSecret: 'taco-arc-github-app',
    runnerScaleSetName: 'taco-dev',
    scaleSetLabels: ['self-hosted', 'taco', 'dev'],
    minRunners: 0,
    maxRunners: 2,
    template: {
      spec: {
        serviceAccountName: 'taco-runner',
        containers: [
          { name: 'runner', image: 'r.example/ci-runner:2.336.0-taco.1', command: ['/home/runner/run.sh'] },
        ],
      },
    },
  };
}

describe('checkScaleSetValues', () => {
  it('accepts a complete values file', () => {
    expect(checkScaleSetValues(goodValues(), 'v.yaml')).toEqual([]);
  });

  it('reports each missing or wrong key with the file and what was expected', () => {
    const values: ScaleSetValues = {
      ...goodValues(),
      githubConfigUrl: 'github.com/taco',
      githubConfigSecret: { github_token: 'ghp_x' },
      runnerScaleSetName: 'Taco Dev',
      minRunners: 3,
      maxRunners: 1,
      scaleSetLabels: ['taco', 'TACO'],
      containerMode: { type: 'dind' },
    };
    const problems = checkScaleSetValues(values, 'v.yaml').join('\n');
    expect(problems).toContain('v.yaml: githubConfigUrl: expected an https URL');
    expect(problems).toContain('githubConfigSecret: expected the name of a pre-created Secret');
    expect(problems).toContain('<inline credentials>');
    expect(problems).not.toContain('ghp_x');
    expect(problems).toContain('runnerScaleSetName: expected a lower-case name');
    expect(problems).toContain('minRunners (3) must not exceed maxRunners (1)');
    expect(problems).toContain('scaleSetLabels: expected labels without duplicates');
    expect(problems).toContain('containerMode');
    expect(
      checkScaleSetValues({ ...goodValues(), runnerScaleSetName: 'x'.repeat(46) }, 'v.yaml').join('\n'),
    ).toContain('at most 45 characters');
  });

  it('requires the runner container with a pinned image and run.sh, and a service account', () => {
    const noRunner = goodValues();
    noRunner.template = { spec: { containers: [{ name: 'sidecar', image: 'x:1' }] } };
    const problems = checkScaleSetValues(noRunner, 'v.yaml').join('\n');
    expect(problems).toContain('a container named "runner"');
    expect(problems).toContain('template.spec.serviceAccountName');

    const latest = goodValues();
    latest.template!.spec!.containers = [
      { name: 'runner', image: 'ghcr.io/actions/actions-runner:latest', command: ['/bin/sh'] },
    ];
    const latestProblems = checkScaleSetValues(latest, 'v.yaml').join('\n');
    expect(latestProblems).toContain('pinned by tag or digest (not latest)');
    expect(latestProblems).toContain('["/home/runner/run.sh"]');

    expect(checkScaleSetValues({ ...goodValues(), template: undefined }, 'v.yaml').join('\n')).toContain(
      'template.spec.containers',
    );
  });
});

describe('Kubernetes object shapes', () => {
  it('reports a misspelt pod template field and a number where the API wants a string', () => {
    const values = goodValues();
    Object.assign(values.template!.spec!, { automountServiceAcountToken: false });
    values.template!.spec!.containers![0] = {
      ...values.template!.spec!.containers![0],
      env: [{ name: 'RETRIES', value: 3 }],
    } as never;
    const problems = checkScaleSetValues(values, 'v.yaml');
    expect(problems).toContain('v.yaml: template.spec.automountServiceAcountToken: not a field of PodSpec');
    expect(problems).toContain('v.yaml: template.spec.containers[0].env[0].value: expected a string, got 3');
  });

  it('reports unknown kinds, wrong API versions, unknown fields and missing names', () => {
    const doc = (value: KubeObject) => ({ file: 'x.yaml', index: 1, value });
    expect(checkKubeObjects([doc({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } })])).toEqual([
      'x.yaml (document 1): kind Secret is not one of Namespace, ServiceAccount, ConfigMap, Role, RoleBinding, ClusterRole, ClusterRoleBinding, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding',
    ]);
    const problems = checkKubeObjects([
      doc({
        apiVersion: 'rbac.authorization.k8s.io/v1beta1',
        kind: 'Role',
        metadata: { namespace: 'openstack' },
        rules: [{ apiGroups: [''], resource: ['pods'], verbs: ['get'] } as never],
      }),
    ]);
    expect(problems).toEqual([
      'x.yaml (document 1).rules[0].resource: not a field of PolicyRule',
      'x.yaml (document 1): apiVersion of a Role: expected rbac.authorization.k8s.io/v1, got rbac.authorization.k8s.io/v1beta1',
      'x.yaml (document 1): metadata.name is missing',
    ]);
  });
});

describe('servesRunsOn', () => {
  it('matches when every runs-on label is the name or a scale set label, ignoring case', () => {
    expect(servesRunsOn(goodValues(), ['self-hosted', 'taco', 'dev'])).toBe(true);
    expect(servesRunsOn(goodValues(), ['taco-dev'])).toBe(true);
    expect(servesRunsOn(goodValues(), ['Self-Hosted', 'TACO'])).toBe(true);
    expect(servesRunsOn(goodValues(), ['self-hosted', 'taco', 'staging'])).toBe(false);
    expect(servesRunsOn(goodValues(), [])).toBe(false);
    expect(servesRunsOn({ ...goodValues(), scaleSetLabels: undefined }, ['self-hosted'])).toBe(false);
  });
});

describe('runner Dockerfile', () => {
  const real = readFileSync(path.join(runnersDir, 'runner-image', 'Dockerfile'), 'utf8');

  it('resolves the base image version through ARG defaults', () => {
    const base = parseRunnerDockerfile(
      'ARG V=2.330.0\nFROM ghcr.io/actions/actions-runner:${V}\nARG V\n',
      'D',
    );
    expect(base).toMatchObject({ image: 'ghcr.io/actions/actions-runner', version: '2.330.0' });
    expect(
      parseRunnerDockerfile(
        'FROM --platform=linux/amd64 ghcr.io/actions/actions-runner:2.331.0@sha256:' + 'a'.repeat(64),
        'D',
      ).version,
    ).toBe('2.331.0');
  });

  it('refuses an old runner, another base image, a digest without version and unpinned tools', () => {
    const old = real.replace(/^ARG RUNNER_VERSION=.*$/m, 'ARG RUNNER_VERSION=2.326.0');
    expect(checkRunnerDockerfile(old, 'D').join('\n')).toContain('runner 2.326.0 is older than 2.327.1');
    expect(
      checkRunnerDockerfile(
        real.replace('ghcr.io/actions/actions-runner', 'summerwind/actions-runner'),
        'D',
      ).join('\n'),
    ).toContain('expected ghcr.io/actions/actions-runner');
    expect(
      checkRunnerDockerfile('FROM ghcr.io/actions/actions-runner@sha256:' + 'b'.repeat(64), 'D'),
    ).toEqual([
      'D: base image ghcr.io/actions/actions-runner@sha256:' +
        'b'.repeat(64) +
        ' has no version tag (a digest alone does not say the runner version)',
    ]);
    expect(
      checkRunnerDockerfile(real.replace(/^ARG HELM_VERSION=.*$/m, 'ARG HELM_VERSION=latest'), 'D').join(
        '\n',
      ),
    ).toContain('ARG HELM_VERSION');
    expect(
      checkRunnerDockerfile(real.replace(/^ARG HELM_VERSION=.*$/m, 'ARG HELM_VERSION=v4.0.0'), 'D').join(
        '\n',
      ),
    ).toContain('Helm 3 CLI');
    expect(checkRunnerDockerfile(real.replace(/\bskopeo \\\n/, ''), 'D')).toEqual([
      'D: no RUN step installs skopeo (apt-get install)',
    ]);
    expect(checkRunnerDockerfile(real.replace('"rally==${RALLY_VERSION}"', 'rally'), 'D')).toEqual([
      'D: pip requirement rally: expected a pinned version (rally==…)',
    ]);
    expect(checkRunnerDockerfile(real.replace(/get\.helm\.sh/g, 'example.org'), 'D')).toEqual([
      'D: no RUN step downloads helm',
    ]);
    expect(checkRunnerDockerfile(real.replace(/^FROM .*$/m, '# no FROM'), 'D')).toEqual([
      'D: no FROM instruction',
    ]);
    expect(checkRunnerDockerfile(real.replace(/^USER runner$/m, ''), 'D')).toEqual([
      'D: the image must end with USER runner (the scale sets run it as uid 1001, non-root), got root',
    ]);
  });
});

describe('checkRbac', () => {
  const policy: RbacPolicy = {
    forbiddenNamespaces: ['kube-system'],
    perNamespaceClusterRoles: ['taco-helm-rally-release'],
    serviceAccounts: {
      'arc-runners/taco-deploy-armada': { namespaces: ['openstack'] },
      'arc-runners/taco-cookiemonster': {
        namespaces: ['openstack'],
        exactPermissions: ['core/pods:list', 'core/pods:delete', 'core/pods/eviction:create'],
      },
      'arc-runners/taco-helm-rally': { namespaces: [], clusterRoles: ['taco-helm-rally-namespaces'] },
    },
  };
  const docs = (...values: KubeObject[]): RbacDocument[] =>
    values.map((value, i) => ({ file: 'rbac.yaml', index: i + 1, value }));
  const role = (namespace: string, name: string, rules: KubeObject['rules']): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace },
    rules,
  });
  const binding = (
    kind: 'RoleBinding' | 'ClusterRoleBinding',
    namespace: string | undefined,
    roleKind: string,
    roleName: string,
    sa: string,
  ): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name: `${sa}-${roleName}`, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: roleName },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: 'arc-runners' }],
  });
  const cookieRules = [
    { apiGroups: [''], resources: ['pods'], verbs: ['list', 'delete'] },
    { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  ];

  it('accepts exact cookiemonster rights in an allowed namespace', () => {
    expect(
      checkRbac(
        docs(
          role('openstack', 'cm', cookieRules),
          binding('RoleBinding', 'openstack', 'Role', 'cm', 'taco-cookiemonster'),
        ),
        policy,
      ),
    ).toEqual([]);
  });

  it('reports a Role and a binding in kube-system', () => {
    const problems = checkRbac(
      docs(
        role('kube-system', 'cm', cookieRules),
        binding('RoleBinding', 'kube-system', 'Role', 'cm', 'taco-cookiemonster'),
      ),
      policy,
    ).join('\n');
    expect(problems).toContain('Role kube-system/cm): must not be in namespace kube-system');
    expect(problems).toContain('namespace kube-system is not one of the allowed namespaces (openstack)');
    expect(problems).toContain('grants arc-runners/taco-cookiemonster rights in namespace kube-system');
  });

  it('reports a cookiemonster verb beyond the allowed set, and a missing one', () => {
    const extra = [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'delete', 'patch'] }];
    const problems = checkRbac(
      docs(
        role('openstack', 'cm', extra),
        binding('RoleBinding', 'openstack', 'Role', 'cm', 'taco-cookiemonster'),
      ),
      policy,
    );
    expect(problems).toEqual([
      'arc-runners/taco-cookiemonster in openstack: grants more than allowed: core/pods:patch',
      'arc-runners/taco-cookiemonster in openstack: lacks core/pods/eviction:create',
    ]);
  });

  it('reports a ClusterRole granting pod delete, and binding it cluster-wide', () => {
    const clusterRole: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'killer' },
      rules: cookieRules,
    };
    const problems = checkRbac(
      docs(
        clusterRole,
        binding('ClusterRoleBinding', undefined, 'ClusterRole', 'killer', 'taco-cookiemonster'),
      ),
      policy,
    ).join('\n');
    expect(problems).toContain(
      'a ClusterRole must not grant writes on pods (core/pods:delete, core/pods/eviction:create)',
    );
    expect(problems).toContain('grants writes on pods in every namespace');
    expect(problems).toContain(
      'grants arc-runners/taco-cookiemonster the ClusterRole killer in every namespace',
    );
  });

  it('reports deploy-armada rights outside the OpenStack namespaces and cluster-wide', () => {
    const helmRole = role('default', 'helm', [
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create'] },
    ]);
    const reader: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    };
    const problems = checkRbac(
      docs(
        helmRole,
        binding('RoleBinding', 'default', 'Role', 'helm', 'taco-deploy-armada'),
        reader,
        binding('ClusterRoleBinding', undefined, 'ClusterRole', 'reader', 'taco-deploy-armada'),
      ),
      policy,
    ).join('\n');
    expect(problems).toContain('namespace default is not one of the allowed namespaces');
    expect(problems).toContain(
      'grants arc-runners/taco-deploy-armada rights in namespace default; it may only have rights in openstack',
    );
    expect(problems).toContain(
      'grants arc-runners/taco-deploy-armada the ClusterRole reader in every namespace',
    );
  });

  it('reports wildcards, unknown subjects, undefined roles and a per-namespace ClusterRole bound cluster-wide', () => {
    const wild = role('openstack', 'wild', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
    const stranger: KubeObject = {
      ...binding('RoleBinding', 'openstack', 'Role', 'wild', 'taco-deploy-armada'),
      subjects: [{ kind: 'User', name: 'mallory' }],
    };
    const release: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'taco-helm-rally-release' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['create'] }],
    };
    const problems = checkRbac(
      docs(
        wild,
        stranger,
        binding('RoleBinding', 'openstack', 'Role', 'missing', 'taco-deploy-armada'),
        release,
        binding('ClusterRoleBinding', undefined, 'ClusterRole', 'taco-helm-rally-release', 'taco-helm-rally'),
      ),
      policy,
    ).join('\n');
    expect(problems).toContain('wildcard in a rule');
    expect(problems).toContain('subject User undefined/mallory is not one of the runner service accounts');
    expect(problems).toContain('roleRef Role missing is not defined in these files');
    expect(problems).toContain(
      'is meant for per-namespace RoleBindings, but a ClusterRoleBinding references it',
    );
  });

  it('reports rules that grant nothing: wrong API group, singular name, unknown verb, cluster scope in a Role', () => {
    const typos = role('openstack', 'typos', [
      { apiGroups: [''], resources: ['deployments'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployment'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['kill'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
    ]);
    const problems = checkRbac(docs(typos), policy).join('\n');
    expect(problems).toContain(
      'grants nothing: core/deployments is not a known resource (typo or wrong API group?)',
    );
    expect(problems).toContain('grants nothing: apps/deployment is not a known resource');
    expect(problems).toContain('grants nothing: verb kill does not exist');
    expect(problems).toContain('grants nothing: namespaces is cluster-scoped; a Role cannot grant it');
  });

  it('catches a mutation of the shipped cookiemonster RBAC (one added verb)', () => {
    const shipped = loadYamlDocuments<KubeObject>(path.join(runnersDir, 'rbac', 'cookiemonster.yaml'));
    const shippedPolicy: RbacPolicy = {
      forbiddenNamespaces: ['kube-system'],
      serviceAccounts: {
        'arc-runners/taco-cookiemonster': {
          namespaces: ['openstack'],
          exactPermissions: [
            ...['deployments', 'statefulsets', 'daemonsets', 'replicasets'].flatMap((r) =>
              ['get', 'list', 'watch'].map((v) => `apps/${r}:${v}`),
            ),
            ...['get', 'list', 'watch', 'delete'].map((v) => `core/pods:${v}`),
            'core/pods/eviction:create',
          ],
        },
      },
    };
    expect(checkRbac(shipped, shippedPolicy)).toEqual([]);
    const mutated = structuredClone(shipped);
    const podRule = mutated
      .find((d) => d.value.kind === 'Role')!
      .value.rules!.find((r) => r.resources?.includes('pods'))!;
    podRule.verbs = [...podRule.verbs!, 'create'];
    expect(checkRbac(mutated, shippedPolicy)).toEqual([
      'arc-runners/taco-cookiemonster in openstack: grants more than allowed: core/pods:create',
    ]);
  });
});

describe('loadYamlDocuments', () => {
  it('names the file and document of a syntax error and skips empty documents', () => {
    expect(() => loadYamlDocuments('bad.yaml', 'a: 1\n---\nb: [1\n')).toThrow(/^bad\.yaml \(document 2\)/);
    expect(() => loadYamlDocuments('dup.yaml', 'a: 1\na: 2\n')).toThrow(/dup\.yaml \(document 1\)/);
    expect(loadYamlDocuments('x.yaml', '---\n# only a comment\n---\nkind: A\n').map((d) => d.index)).toEqual([
      2,
    ]);
  });
});
