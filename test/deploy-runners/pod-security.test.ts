/**
 * Issue 17, finding 3: a PR chart in helm-rally must not get root on a node, and the privileged
 * dind sidecar stays on its own node pool. The admission policies of rbac/helm-rally.yaml are
 * evaluated as the API server would (their CEL, with a CEL evaluator, against admission requests
 * of attacking objects); the scale sets and namespaces are checked as written.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { evaluate } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/run-action.js';
import { loadYamlDocuments } from './checks.js';

const runnersDir = path.join(repoRoot, 'deploy', 'runners');
const HELM_RALLY = 'system:serviceaccount:arc-runners:taco-helm-rally';

interface Policy {
  metadata: { name: string };
  spec: {
    matchConditions?: { expression: string }[];
    variables?: { name: string; expression: string }[];
    validations: { expression: string; message?: string }[];
  };
}
interface Binding {
  spec: {
    policyName: string;
    matchResources?: { namespaceSelector?: { matchLabels?: Record<string, string> } };
  };
}

const rbac = loadYamlDocuments<{ kind: string; metadata: { name: string; labels?: Record<string, string> } }>(
  path.join(runnersDir, 'rbac', 'helm-rally.yaml'),
).map((d) => d.value);
const policy = (name: string) =>
  rbac.find((d) => d.kind === 'ValidatingAdmissionPolicy' && d.metadata.name === name) as unknown as Policy;
const binding = (name: string) =>
  rbac.find(
    (d) => d.kind === 'ValidatingAdmissionPolicyBinding' && d.metadata.name === name,
  ) as unknown as Binding;

/** The messages of the validations that deny the request (none: admitted), as the API server runs a policy. */
function denials(p: Policy, request: Record<string, unknown>): string[] {
  const context: Record<string, unknown> = { ...request, variables: {} };
  if (!(p.spec.matchConditions ?? []).every((c) => evaluate(c.expression, context) === true)) return [];
  const variables: Record<string, unknown> = {};
  for (const v of p.spec.variables ?? []) {
    variables[v.name] = evaluate(v.expression, { ...context, variables });
  }
  return p.spec.validations
    .filter((v) => evaluate(v.expression, { ...context, variables }) !== true)
    .map((v) => v.message ?? v.expression);
}

const admission = (
  operation: string,
  object: unknown,
  oldObject: unknown = null,
  username = 'system:serviceaccount:kube-system:replicaset-controller',
) => ({
  request: { operation, userInfo: { username } },
  object,
  oldObject,
});

const podSpec = (extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  containers: [{ name: 'app', image: 'x', ...container }],
  ...extra,
});
const ATTACKS: [string, unknown, RegExp][] = [
  [
    'a privileged pod',
    { kind: 'Pod', spec: podSpec({}, { securityContext: { privileged: true } }) },
    /privileged/,
  ],
  [
    'a Deployment mounting the node root (hostPath)',
    {
      kind: 'Deployment',
      spec: { template: { spec: podSpec({ volumes: [{ name: 'root', hostPath: { path: '/' } }] }) } },
    },
    /hostPath/,
  ],
  [
    'a DaemonSet on the host network',
    { kind: 'DaemonSet', spec: { template: { spec: podSpec({ hostNetwork: true }) } } },
    /hostNetwork/,
  ],
  [
    'a CronJob in the host PID namespace',
    { kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: podSpec({ hostPID: true }) } } } } },
    /hostPID/,
  ],
  [
    'a Job with a privileged init container',
    {
      kind: 'Job',
      spec: {
        template: {
          spec: {
            ...podSpec(),
            initContainers: [{ name: 'i', image: 'x', securityContext: { privileged: true } }],
          },
        },
      },
    },
    /privileged/,
  ],
];

describe('helm-rally namespaces: no host access for a PR chart', () => {
  const noHost = policy('taco-helm-rally-no-host-access');

  it.each(ATTACKS)('denies %s, whoever creates it', (_name, object, why) => {
    expect(denials(noHost, admission('CREATE', object))).toEqual([expect.stringMatching(why)]);
    expect(denials(noHost, admission('CREATE', object, null, HELM_RALLY))).toEqual([
      expect.stringMatching(why),
    ]);
  });

  it('admits an ordinary chart (a Deployment with an emptyDir and a non-privileged container)', () => {
    const ok = {
      kind: 'Deployment',
      spec: {
        template: {
          spec: podSpec(
            { volumes: [{ name: 'tmp', emptyDir: {} }] },
            { securityContext: { privileged: false, runAsNonRoot: true } },
          ),
        },
      },
    };
    expect(denials(noHost, admission('CREATE', ok))).toEqual([]);
  });

  it('applies in exactly the namespaces labelled as helm-rally per-run namespaces', () => {
    expect(
      binding('taco-helm-rally-no-host-access').spec.matchResources?.namespaceSelector?.matchLabels,
    ).toEqual({
      'taco.example/per-run-namespace': 'helm-rally',
    });
  });
});

describe('helm-rally namespaces carry Pod Security labels it cannot change', () => {
  const labels = policy('taco-helm-rally-namespace-labels');
  const ns = (l: Record<string, string>) => ({
    kind: 'Namespace',
    metadata: { name: 'taco-unit-1-1-0', labels: l },
  });
  const good = {
    'pod-security.kubernetes.io/enforce': 'baseline',
    'pod-security.kubernetes.io/warn': 'restricted',
    'taco.example/per-run-namespace': 'helm-rally',
  };

  it('a namespace without the labels (or with enforce: privileged) is refused', () => {
    expect(
      denials(
        labels,
        admission('CREATE', { kind: 'Namespace', metadata: { name: 'taco-unit-1' } }, null, HELM_RALLY),
      ),
    ).toHaveLength(2);
    expect(
      denials(
        labels,
        admission(
          'CREATE',
          ns({ ...good, 'pod-security.kubernetes.io/enforce': 'privileged' }),
          null,
          HELM_RALLY,
        ),
      ),
    ).toEqual([expect.stringMatching(/restricted or baseline/)]);
    expect(denials(labels, admission('CREATE', ns(good), null, HELM_RALLY))).toEqual([]);
  });

  it('relabelling to privileged, or dropping a label, is refused; other labels may change', () => {
    const relabel = (to: Record<string, string>) =>
      denials(labels, admission('UPDATE', ns(to), ns(good), HELM_RALLY));
    expect(relabel({ ...good, 'pod-security.kubernetes.io/enforce': 'privileged' })).toEqual([
      expect.stringMatching(/may not change the Pod Security labels/),
    ]);
    const { 'taco.example/per-run-namespace': _dropped, ...withoutSelector } = good;
    expect(relabel(withoutSelector)).toHaveLength(1);
    expect(relabel({ ...good, 'pod-security.kubernetes.io/audit': 'privileged' })).toHaveLength(1);
    expect(relabel({ ...good, team: 'x' })).toEqual([]);
  });

  it('the workflow creates its namespaces with exactly those labels', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(path.join(repoRoot, '.github/workflows/unit-helm.yml'), 'utf8');
    for (const [key, value] of Object.entries(good)) expect(text).toContain(`${key}=${value}`);
  });
});

describe('namespaces and the privileged dind sidecar', () => {
  type Container = {
    name: string;
    securityContext?: {
      privileged?: boolean;
      allowPrivilegeEscalation?: boolean;
      capabilities?: { drop?: string[] };
    };
  };
  type Values = {
    template: {
      spec: {
        nodeSelector?: Record<string, string>;
        tolerations?: { key?: string; effect?: string }[];
        securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
        containers: Container[];
        initContainers?: Container[];
      };
    };
  };
  const valuesFiles = [
    ...readdirSync(runnersDir)
      .filter((f) => /^values-.*\.yaml$/.test(f))
      .map((f) => path.join(runnersDir, f)),
    ...readdirSync(path.join(runnersDir, 'stages')).flatMap((env) =>
      readdirSync(path.join(runnersDir, 'stages', env)).map((f) => path.join(runnersDir, 'stages', env, f)),
    ),
  ];
  const values = valuesFiles.map((file) => ({
    file: path.relative(repoRoot, file),
    spec: loadYamlDocuments<Values>(file)[0].value.template.spec,
  }));
  const privileged = (spec: Values['template']['spec']) =>
    [...spec.containers, ...(spec.initContainers ?? [])].some((c) => c.securityContext?.privileged === true);
  const tolerates = (spec: Values['template']['spec']) =>
    (spec.tolerations ?? []).some((t) => t.key === 'taco.example/ci-build');

  it('a scale set with a privileged container runs only on the tainted ci-build pool', () => {
    const withDind = values.filter((v) => privileged(v.spec));
    expect(withDind.length).toBeGreaterThan(0);
    for (const { file, spec } of withDind) {
      expect(spec.nodeSelector, file).toEqual({ 'taco.example/node-pool': 'ci-build' });
      expect(tolerates(spec), file).toBe(true);
    }
  });

  it('stage scale sets meet Pod Security restricted and never tolerate the ci-build taint', () => {
    for (const { file, spec } of values.filter((v) => v.file.includes('/stages/'))) {
      expect(privileged(spec), file).toBe(false);
      expect(tolerates(spec), file).toBe(false);
      expect(spec.securityContext?.runAsNonRoot, file).toBe(true);
      expect(spec.securityContext?.seccompProfile?.type, file).toBe('RuntimeDefault');
      for (const c of spec.containers) {
        expect(c.securityContext?.allowPrivilegeEscalation, `${file} ${c.name}`).toBe(false);
        expect(c.securityContext?.capabilities?.drop, `${file} ${c.name}`).toEqual(['ALL']);
      }
    }
  });

  it('every namespace the manifests create states its Pod Security level', () => {
    const namespaces = readdirSync(path.join(runnersDir, 'rbac'))
      .flatMap((f) =>
        loadYamlDocuments<{ kind: string; metadata: { name: string; labels?: Record<string, string> } }>(
          path.join(runnersDir, 'rbac', f),
        ),
      )
      .map((d) => d.value)
      .filter((d) => d.kind === 'Namespace');
    expect(
      Object.fromEntries(
        namespaces.map((n) => [n.metadata.name, n.metadata.labels?.['pod-security.kubernetes.io/enforce']]),
      ),
    ).toEqual({
      'arc-runners': 'privileged',
      openstack: 'privileged',
    });
    for (const n of namespaces)
      expect(n.metadata.labels?.['pod-security.kubernetes.io/audit'], n.metadata.name).toMatch(
        /^(restricted|baseline)$/,
      );
  });
});
