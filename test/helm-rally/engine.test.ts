/**
 * The helm part of helm-rally: deploy, helm test, cleanup, through HelmCli with the real helm on the
 * fake Kubernetes API (Helm 3 and Helm 4 for the argv they get). No Rally here (see rally-run / cli
 * tests).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type Dependencies,
  STATE_DEPLOYED,
  cleanupHelmRally,
  runHelmRally,
} from '../../actions/helm-rally/engine.js';
import { readInputs } from '../../actions/helm-rally/inputs.js';
import { type NamespaceClient, kubeNamespaceClient } from '../../actions/helm-rally/namespace.js';
import { dnsLabel, releaseFromChart, resolveSettings } from '../../actions/helm-rally/settings.js';
import { JobFailure, UserError } from '../../actions/lib/errors.js';
import { HelmCli } from '../../actions/lib/helm/index.js';
import { runProcess } from '../../actions/lib/process.js';
import type { ProcessRunner } from '../../actions/lib/helm/index.js';
import { loadProfile } from '../../actions/lib/profile/load.js';
import { parseJUnitXml } from '../support/junit-xml.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { defaultHelmMajor, installHelm } from '../support/helm.js';
import {
  recordHelmCalls,
  startHelmCluster,
  storedRelease,
  writeTestChart,
  type HelmCluster,
} from '../support/helm-cluster.js';
import { freePort } from '../support/ports.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function workspace(profileYaml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'helm-rally-engine-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'profile.yaml'), profileYaml);
  writeFileSync(
    path.join(dir, 'extra-values.yaml'),
    'conf: {keystone: {DEFAULT: {debug: true}}}\npod: {replicas: {api: 3}}\n',
  );
  return dir;
}

const PROFILE = `name: engine-test
rally:
  helm:
    chart: openstack-helm/keystone
    namespace-prefix: taco-unit
    values: {pod: {replicas: {api: 1}}, images: {tags: {db_init: "docker.io/openstackhelm/heat:2024.1"}}}
    values-files: [extra-values.yaml]
    image-tags: {keystone_api: "127.0.0.1:5000/taco/keystone:profile"}
    timeout: 2m
`;

class RecordingNamespaces implements NamespaceClient {
  deleted: string[] = [];
  async delete(namespace: string) {
    this.deleted.push(namespace);
    return 'deleted' as const;
  }
}

function setup(
  inputs: Record<string, string>,
  profileYaml = PROFILE,
  env: Record<string, string> = { GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '2' },
) {
  const dir = workspace(profileYaml);
  const controller = new AbortController();
  const log: string[] = [];
  const ctx = terminalContext({
    // Repository charts cannot be published (see publish*.test.ts for publishing).
    inputs: { profile: path.join(dir, 'profile.yaml'), publish: 'false', ...inputs },
    env,
    signal: controller.signal,
    write: (text) => log.push(text),
    workspace: dir,
    tempDir: dir,
  });
  const namespaces = new RecordingNamespaces();
  const settings = () => resolveSettings(readInputs(ctx), loadProfile(ctx.getInput('profile'), dir), ctx);
  return { dir, ctx, namespaces, settings, controller, log };
}

describe.each([3, 4] as const)('helm-test mode with the real Helm %i on the fake Kubernetes API', (major) => {
  // What goes through the flags that differ per major (install, --wait) runs on both helms, the
  // rest on the default one only.
  const helmIndependent = it.runIf(major === defaultHelmMajor());
  let cluster: HelmCluster;
  beforeEach(async () => {
    cluster = await startHelmCluster(major);
  });
  afterEach(() => cluster.close());

  /** A workspace whose chart input is a small chart with a server pod and a `helm test` pod. */
  function helmTest(inputs: Record<string, string>, profileYaml = PROFILE) {
    const chart = writeTestChart(cluster.dir, { name: 'keystone', server: true, testHook: true });
    const s = setup({ mode: 'helm-test', chart, ...inputs }, profileYaml);
    const recorder = recordHelmCalls();
    const helm = cluster.client({ runner: recorder.runner });
    const deps: Dependencies = { helm: () => helm, namespaces: () => s.namespaces };
    return { ...s, chart, helm, recorder, deps };
  }
  /** Pods that never get ready (`--wait` runs into its timeout), or test pods that fail. */
  const podsEnd = (outcome: 'Pending' | 'Failed', which: (name: string) => boolean) => {
    const before = cluster.api.podOutcome;
    cluster.api.podOutcome = (pod) => (which(pod.metadata.name) ? outcome : before(pod));
  };
  const releaseSecrets = (namespace: string) =>
    cluster.api.list('secrets', namespace).filter((secret) => secret.type === 'helm.sh/release.v1');

  it('deploys into a per-run namespace with profile values, image tags and values files, then cleans up', async () => {
    const s = helmTest({
      'image-tags': '{keystone_api: "127.0.0.1:5000/taco/keystone:candidate"}',
      values: '',
    });
    await runHelmRally(s.ctx, s.settings(), s.deps);

    const argv = s.recorder.calls.find((c) => c.argv[0] === 'upgrade')!.argv;
    expect(argv.slice(0, 6)).toEqual([
      'upgrade',
      'keystone',
      s.chart,
      '--install',
      '--namespace',
      'taco-unit-4242-2',
    ]);
    expect(argv).toEqual(expect.arrayContaining(['--create-namespace', '--timeout', '120s']));
    expect(argv).toContain(major === 4 ? '--wait=legacy' : '--wait');
    // Generated values first (profile values + image tags, the input winning), then the files:
    // helm merged them in that order, so the values file's replica count wins.
    const { config } = storedRelease(cluster.api, 'taco-unit-4242-2', 'keystone', 1);
    expect(config).toMatchObject({
      images: {
        tags: {
          keystone_api: '127.0.0.1:5000/taco/keystone:candidate',
          db_init: 'docker.io/openstackhelm/heat:2024.1',
        },
      },
      pod: { replicas: { api: 3 } },
      conf: { keystone: { DEFAULT: { debug: true } } },
    });
    expect(s.ctx.outputs).toMatchObject({
      'sla-passed': 'true',
      release: 'keystone',
      namespace: 'taco-unit-4242-2',
      'report-json': '',
    });
    const junit = parseJUnitXml(readFileSync(s.ctx.outputs.junit, 'utf8'));
    expect(junit[0].cases).toEqual([expect.objectContaining({ name: 'keystone-test', status: 'passed' })]);
    expect(s.ctx.summary.join('\n')).toContain('helm test keystone: passed');

    await cleanupHelmRally(s.ctx, s.deps);
    expect(s.recorder.releasesOf('uninstall')).toEqual(['keystone']);
    expect(releaseSecrets('taco-unit-4242-2')).toEqual([]);
    expect(s.namespaces.deleted).toEqual(['taco-unit-4242-2']);
  });

  helmIndependent('a failing test pod fails the job with the pod named, and still cleans up', async () => {
    const s = helmTest({ release: 'osh-keystone' });
    podsEnd('Failed', (name) => name === 'osh-keystone-test');
    await expect(runHelmRally(s.ctx, s.settings(), s.deps)).rejects.toThrow(
      new JobFailure('helm test osh-keystone failed: osh-keystone-test'),
    );
    expect(s.ctx.outputs['sla-passed']).toBe('false');
    expect(s.log.join('')).toContain('error: test pod osh-keystone-test ended as Failed');
    await cleanupHelmRally(s.ctx, s.deps);
    expect(releaseSecrets('taco-unit-4242-2')).toEqual([]);
    expect(s.namespaces.deleted).toEqual(['taco-unit-4242-2']);
  });

  it('a chart that does not deploy is a job failure; the post step removes what is left', async () => {
    const s = helmTest({}, PROFILE.replace('timeout: 2m', 'timeout: 1s'));
    podsEnd('Pending', (name) => name === 'keystone-server');
    const error = await runHelmRally(s.ctx, s.settings(), s.deps).catch((err: unknown) => err);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Deploying ${s.chart} as release keystone in namespace taco-unit-4242-2 did not become ready within 1 s:\\n`,
      ),
    );
    expect((error as Error).message).toContain('context deadline exceeded');
    expect(releaseSecrets('taco-unit-4242-2').map((r) => r.metadata.labels.status)).toEqual(['failed']);
    await cleanupHelmRally(s.ctx, s.deps);
    expect(s.recorder.releasesOf('uninstall')).toEqual(['keystone']);
    expect(releaseSecrets('taco-unit-4242-2')).toEqual([]);
    expect(s.namespaces.deleted).toEqual(['taco-unit-4242-2']);
  });

  helmIndependent('cancel during the install: the state was saved first, so cleanup still runs', async () => {
    const s = helmTest({});
    podsEnd('Pending', (name) => name === 'keystone-server');
    const running = runHelmRally(s.ctx, s.settings(), s.deps);
    // Cancelled while helm waits for the server pod.
    const watching = setInterval(() => {
      if (cluster.api.list('pods').some((p) => p.metadata.name === 'keystone-server')) s.controller.abort();
    }, 20);
    const error = await running.catch((err: unknown) => err).finally(() => clearInterval(watching));
    expect(error).toBeInstanceOf(JobFailure);
    expect((error as Error).message).toMatch(
      /^Cancelled: helm upgrade --install keystone: `.*` was cancelled/,
    );
    expect(JSON.parse(s.ctx.getState(STATE_DEPLOYED))).toMatchObject({
      release: 'keystone',
      namespace: 'taco-unit-4242-2',
      perRunNamespace: true,
    });
    await cleanupHelmRally(s.ctx, s.deps);
    expect(s.recorder.releasesOf('uninstall')).toEqual(['keystone']);
    expect(releaseSecrets('taco-unit-4242-2')).toEqual([]);
    expect(s.namespaces.deleted).toEqual(['taco-unit-4242-2']);
  });

  helmIndependent('keep: true leaves release and namespace; a given namespace is never deleted', async () => {
    const kept = helmTest({ keep: 'true' });
    await runHelmRally(kept.ctx, kept.settings(), kept.deps);
    await cleanupHelmRally(kept.ctx, kept.deps);
    expect(kept.recorder.releasesOf('uninstall')).toEqual([]);
    expect(releaseSecrets('taco-unit-4242-2')).toHaveLength(1);
    expect(kept.log.join('')).toContain(
      'notice: Keeping release keystone in namespace taco-unit-4242-2 (keep: true)',
    );

    const shared = helmTest({ namespace: 'openstack' });
    await runHelmRally(shared.ctx, shared.settings(), shared.deps);
    // A namespace the caller named exists with its Pod Security labels: Helm is not asked to create it.
    expect(shared.recorder.calls.find((c) => c.argv[0] === 'upgrade')!.argv).not.toContain(
      '--create-namespace',
    );
    await cleanupHelmRally(shared.ctx, shared.deps);
    expect(shared.recorder.releasesOf('uninstall')).toEqual(['keystone']);
    expect(releaseSecrets('openstack')).toEqual([]);
    expect(shared.namespaces.deleted).toEqual([]);
  });

  helmIndependent("takes the profile's helm binary and refuses it outside the pinned version", async () => {
    const helm4 = installHelm(4).helm;
    const pinned = (version: string) =>
      PROFILE.replace(
        '    timeout: 2m\n',
        `    timeout: 2m\n    binary: ${helm4}\n    version: "${version}"\n`,
      );
    // The helm as helm-rally's main builds it: binary and pin from the state the profile filled.
    const deps = (s: ReturnType<typeof setup>): Dependencies => ({
      helm: (state) =>
        new HelmCli({
          binary: state.helmBinary,
          version: state.helmVersion,
          kubeconfig: cluster.kubeconfig,
          env: cluster.env,
        }),
      namespaces: () => s.namespaces,
    });
    const chart = writeTestChart(cluster.dir, { name: 'keystone', server: true, testHook: true });
    const refused = setup({ mode: 'helm-test', chart }, pinned('3.17.x'));
    const error = await runHelmRally(refused.ctx, refused.settings(), deps(refused)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`${helm4} is helm 4.1.4, but the profile pins helm version 3.17.x`);
    expect(releaseSecrets('taco-unit-4242-2')).toEqual([]);

    const allowed = setup({ mode: 'helm-test', chart }, pinned('>=4.1 <5'));
    const helm = deps(allowed).helm({ helmBinary: helm4, helmVersion: '>=4.1 <5' });
    await runHelmRally(allowed.ctx, allowed.settings(), deps(allowed));
    // Helm 4 installed it (server-side apply), whichever helm this block runs.
    expect(await helm.status('keystone', 'taco-unit-4242-2')).toMatchObject({
      status: 'deployed',
      applyMethod: 'ssa',
    });
    await cleanupHelmRally(allowed.ctx, deps(allowed));
    expect(releaseSecrets('taco-unit-4242-2')).toEqual([]);
  });

  helmIndependent(
    'cleanup reports problems as warnings and goes on; a release already gone is fine',
    async () => {
      const s = helmTest({});
      s.ctx.saveState(
        STATE_DEPLOYED,
        JSON.stringify({
          release: 'gone',
          namespace: 'taco-unit-1-1',
          perRunNamespace: true,
          keep: false,
          helmBinary: 'helm',
        }),
      );
      const failing: NamespaceClient = {
        delete: async () =>
          Promise.reject(new Error('Could not delete namespace taco-unit-1-1: 403 Forbidden')),
      };
      await cleanupHelmRally(s.ctx, { helm: () => s.helm, namespaces: () => failing });
      const out = s.log.join('');
      expect(out).toContain('Release gone: was not installed; namespace taco-unit-1-1: failed.');
      expect(out).toContain('warning: Could not delete namespace taco-unit-1-1: 403 Forbidden');
      expect(s.recorder.releasesOf('uninstall')).toEqual(['gone']);
    },
  );
});

describe.each([3, 4] as const)('helm-test mode through HelmCli with the real Helm %i', (major) => {
  let cluster: HelmCluster;
  beforeAll(async () => {
    cluster = await startHelmCluster(major);
  });
  afterAll(() => cluster.close());

  it('passes argv with the kubeconfig file (never its content) and reads the test result', async () => {
    const kubeconfig = cluster.api.kubeconfig();
    const chart = writeTestChart(cluster.dir, { name: 'mariadb', server: true, testHook: true });
    const s = setup({ mode: 'helm-test', chart, release: 'osh-mariadb', kubeconfig });
    cluster.api.logs['taco-unit-4242-2/osh-mariadb-test/test'] = 'Task config is valid\n';
    const calls: string[][] = [];
    const recording: ProcessRunner = (file, args, options) => {
      calls.push([file, ...args]);
      return runProcess(file, args, options);
    };
    const deps: Dependencies = {
      helm: (state) =>
        new HelmCli({
          binary: cluster.helm.helm,
          env: cluster.env,
          ...(state.kubeconfig ? { kubeconfig: state.kubeconfig } : {}),
          runner: recording,
        }),
      namespaces: () => s.namespaces,
    };
    await runHelmRally(s.ctx, s.settings(), deps);
    const upgrade = calls.find((c) => c[1] === 'upgrade')!;
    expect(upgrade.slice(0, 4)).toEqual([cluster.helm.helm, 'upgrade', 'osh-mariadb', chart]);
    const kubeconfigFile = upgrade[upgrade.indexOf('--kubeconfig') + 1];
    expect(readFileSync(kubeconfigFile, 'utf8')).toBe(kubeconfig.trim());
    expect(calls.flat().join(' ')).not.toContain('fake-token-for-tests');
    expect(calls.find((c) => c[1] === 'test')).toEqual(
      expect.arrayContaining(['--logs', '--namespace', 'taco-unit-4242-2']),
    );
    expect(s.ctx.outputs['sla-passed']).toBe('true');
    expect(readFileSync(s.ctx.outputs.junit, 'utf8')).toContain('osh-mariadb-test');
    await cleanupHelmRally(s.ctx, deps);
    expect(calls.at(-1)!.slice(1, 3)).toEqual(['uninstall', 'osh-mariadb']);
    expect(cluster.api.list('secrets', 'taco-unit-4242-2')).toEqual([]);
    // The kubeconfig written from content is removed by the post step.
    expect(() => readFileSync(kubeconfigFile)).toThrow();
  });
});

describe('settings', () => {
  it('names the input or the profile key that is wrong', () => {
    expect(() => setup({ mode: 'helm-test' }, 'name: x\n').settings()).toThrow(
      new UserError(
        "Input 'chart': mode helm-test deploys a chart and runs its tests, but no chart was given (input or profile rally.helm.chart)",
      ),
    );
    expect(() => setup({ mode: 'rally' }, 'name: x\n').settings()).toThrow(
      /Input 'task': mode rally needs a Rally task file/,
    );
    expect(() => setup({ mode: 'rally', task: 'missing.yaml' }, 'name: x\n').settings()).toThrow(
      /Input 'task': file missing.yaml does not exist/,
    );
    expect(() => setup({ mode: 'report' }, 'name: x\n').settings()).toThrow(
      /Input 'rally-report': mode report reads an existing Rally JSON report, but none was given/,
    );
    expect(() =>
      setup(
        { mode: 'rally', task: 'profile.yaml' },
        'name: x\nrally:\n  deployment: {from-env: true}\n',
        {},
      ).settings(),
    ).toThrow(/profile.yaml:3:26 rally.deployment.from-env: OS_AUTH_URL is not set/);
    expect(() =>
      setup(
        { mode: 'rally', task: 'profile.yaml' },
        'name: x\nrally:\n  deployment:\n    spec: {openstack: {admin: {password: {env: NOPE_PW}}}}\n',
        {},
      ).settings(),
    ).toThrow(/rally.deployment.spec.openstack.admin.password: environment variable NOPE_PW is not set/);
    expect(() => setup({ 'image-tags': '[a, b]' }).settings()).toThrow(
      /Input 'image-tags': expected a YAML or JSON mapping/,
    );
  });

  it('resolves secrets inside the Rally env spec and masks them', () => {
    const s = setup(
      { mode: 'rally', task: 'profile.yaml' },
      'name: x\nrally:\n  deployment:\n    name: dev\n    spec: {openstack: {auth_url: "http://127.0.0.1:5000/v3", admin: {username: admin, project_name: admin, password: {env: PW}}}}\n',
      { PW: 'hunter2' },
    );
    const settings = s.settings();
    expect(settings.deployment).toEqual({
      name: 'dev',
      spec: {
        openstack: {
          auth_url: 'http://127.0.0.1:5000/v3',
          admin: { username: 'admin', project_name: 'admin', password: 'hunter2' },
        },
      },
    });
    expect(
      setup(
        { mode: 'rally', task: 'profile.yaml' },
        'name: x\nrally:\n  task-args: {user: demo, password: {env: PW}}\n',
        { PW: 'hunter2' },
      ).settings().taskArgs,
    ).toEqual({ user: 'demo', password: 'hunter2' });
    s.ctx.info('password is hunter2');
    expect(s.log.join('')).toContain('password is ***');
    expect(settings.deploy).toBeUndefined();
  });

  it('makes DNS-safe names', () => {
    expect(releaseFromChart('./charts/Keystone/')).toBe('keystone');
    expect(releaseFromChart('dist/nova-0.3.12.tgz')).toBe('nova');
    expect(dnsLabel(`taco_CI-${'x'.repeat(80)}`)).toMatch(/^taco-ci-x+$/);
    expect(dnsLabel(`taco_CI-${'x'.repeat(80)}`)).toHaveLength(63);
  });
});

describe('kubeNamespaceClient', () => {
  let server: http.Server | undefined;
  afterEach(() => server?.close());

  it('deletes through the Kubernetes API and treats 404 as already gone', async () => {
    const seen: string[] = [];
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const name = decodeURIComponent(req.url!.split('/').pop()!.split('?')[0]);
      res.setHeader('content-type', 'application/json');
      if (name === 'taco-ci-1-1') {
        res.end(
          JSON.stringify({
            kind: 'Namespace',
            apiVersion: 'v1',
            metadata: { name },
            status: { phase: 'Terminating' },
          }),
        );
      } else {
        res.statusCode = 404;
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: `namespaces "${name}" not found`,
            reason: 'NotFound',
            code: 404,
          }),
        );
      }
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    const dir = workspace('name: x\n');
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters: [{name: t, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\ncontexts: [{name: t, context: {cluster: t, user: t}}]\nusers: [{name: t, user: {token: abc}}]\n`,
    );
    const client = kubeNamespaceClient({ kubeconfig, env: {} });
    expect(await client.delete('taco-ci-1-1')).toBe('deleted');
    expect(await client.delete('taco-ci-2-1')).toBe('absent');
    expect(seen[0]).toMatch(/^DELETE \/api\/v1\/namespaces\/taco-ci-1-1/);
  });
});

describe('plan', () => {
  it('shows deploy, Rally and cleanup from the profile, touching nothing', async () => {
    const { plan } = await import('../../actions/helm-rally/plan.js');
    const dir = workspace(PROFILE.replace('rally:\n  helm:', 'rally:\n  task: rally/smoke.yaml\n  helm:'));
    const node = plan(loadProfile(path.join(dir, 'profile.yaml'), dir));
    const text = JSON.stringify(node);
    expect(node.children!.map((c) => c.title)).toEqual([
      'deploy openstack-helm/keystone with helm upgrade --install --wait (timeout 2m)',
      'rally task start rally/smoke.yaml (timeout 30m)',
      'publish: openstack-helm/keystone is a repository chart, which cannot be packaged as tested: the run fails before deploying unless publish is false (or input chart names a directory)',
      'post: helm uninstall and delete the per-run namespace (also on cancel)',
    ]);
    expect(text).toContain('image keystone_api = 127.0.0.1:5000/taco/keystone:profile');
    expect(text).toContain('namespace: taco-unit-<run id>-<attempt> (per run)');
  });
});
