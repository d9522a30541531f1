/**
 * Real helm against the FAKE Kubernetes API: a started fake, a kubeconfig file for it (0600, as
 * helm wants), an isolated helm environment, and test charts whose pods the fake brings to a phase.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HelmCli, type HelmCliOptions, type ProcessRunner } from '../../actions/lib/helm/index.js';
import { runProcess } from '../../actions/lib/process.js';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';
import { helmEnv, installHelm, type InstalledHelm } from './helm.js';

export interface HelmCluster {
  api: FakeArmadaKubeApi;
  helm: InstalledHelm;
  dir: string;
  kubeconfig: string;
  env: Record<string, string>;
  /** A HelmCli for this helm and cluster. */
  client(options?: HelmCliOptions): HelmCli;
  close(): Promise<void>;
}

export async function startHelmCluster(major: 3 | 4): Promise<HelmCluster> {
  const helm = installHelm(major);
  const api = await FakeArmadaKubeApi.start();
  const dir = mkdtempSync(path.join(os.tmpdir(), `helm${major}-cluster-`));
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, api.kubeconfig());
  chmodSync(kubeconfig, 0o600);
  const env = helmEnv(dir);
  return {
    api,
    helm,
    dir,
    kubeconfig,
    env,
    client: (options = {}) => new HelmCli({ binary: helm.helm, kubeconfig, env, ...options }),
    async close() {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestChartSpec {
  name: string;
  version?: string;
  appVersion?: string;
  /** Adds a long-running pod (`<release>-server`), which `--wait` waits for. */
  server?: boolean;
  /** Adds a `helm test` hook pod (`<release>-test`). */
  testHook?: boolean;
  /** Values the chart's ConfigMap renders. */
  values?: Record<string, string>;
}

/** A small chart: a ConfigMap from its values, optionally a server pod and a test hook pod. */
export function writeTestChart(parent: string, spec: TestChartSpec): string {
  const dir = path.join(parent, spec.name);
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  writeFileSync(
    path.join(dir, 'Chart.yaml'),
    `apiVersion: v2\nname: ${spec.name}\nversion: ${spec.version ?? '0.1.0'}\nappVersion: "${spec.appVersion ?? '2024.1'}"\n`,
  );
  const values = spec.values ?? { greeting: 'hello' };
  writeFileSync(
    path.join(dir, 'values.yaml'),
    Object.entries(values)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`)
      .join(''),
  );
  const data = Object.keys(values)
    .map((k) => `  ${k}: {{ .Values.${k} | quote }}\n`)
    .join('');
  writeFileSync(
    path.join(dir, 'templates', 'configmap.yaml'),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n${data}`,
  );
  if (spec.server)
    writeFileSync(
      path.join(dir, 'templates', 'server.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-server\n  labels: {release_group: {{ .Release.Name }}}\n' +
        'spec:\n  containers: [{name: server, image: "registry.example/server:1"}]\n',
    );
  if (spec.testHook)
    writeFileSync(
      path.join(dir, 'templates', 'test.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations: {helm.sh/hook: test}\n' +
        'spec:\n  restartPolicy: Never\n  containers: [{name: test, image: "registry.example/test:1"}]\n',
    );
  return dir;
}

export interface RecordedHelmCall {
  /** helm's argv (without the binary). */
  argv: string[];
  /** Positions on a clock shared by every call of this recorder: when it started and ended. */
  startedAt: number;
  finishedAt?: number;
}

export interface HelmCallRecorder {
  /** Runs helm for real (runProcess) and records the call; give it to HelmCli as `runner`. */
  runner: ProcessRunner;
  calls: RecordedHelmCall[];
  /** Release names of the calls of one helm command (`upgrade`, `test`, …), in start order. */
  releasesOf(command: string): string[];
  /** The most `helm upgrade` processes that ran at the same time. */
  maxConcurrentUpgrades(): number;
}

/** Records every helm process a HelmCli starts: its argv and its place in time among the others. */
export function recordHelmCalls(): HelmCallRecorder {
  const calls: RecordedHelmCall[] = [];
  let clock = 0;
  let upgrades = 0;
  let maxUpgrades = 0;
  const runner: ProcessRunner = async (file, args, options) => {
    const call: RecordedHelmCall = { argv: [...args], startedAt: ++clock };
    calls.push(call);
    const upgrade = args[0] === 'upgrade';
    if (upgrade) maxUpgrades = Math.max(maxUpgrades, ++upgrades);
    try {
      return await runProcess(file, args, options);
    } finally {
      if (upgrade) upgrades--;
      call.finishedAt = ++clock;
    }
  };
  return {
    runner,
    calls,
    releasesOf: (command) => calls.filter((c) => c.argv[0] === command).map((c) => c.argv[1]),
    maxConcurrentUpgrades: () => maxUpgrades,
  };
}

/**
 * A release revision as helm stored it in the cluster: the Secret `sh.helm.release.v1.<name>.v<n>`
 * holds the release JSON gzipped and base64-encoded (and base64 again as Secret data).
 */
export function storedRelease(api: FakeArmadaKubeApi, namespace: string, name: string, revision: number) {
  const secret = api
    .list('secrets', namespace)
    .find((s) => s.metadata.name === `sh.helm.release.v1.${name}.v${revision}`);
  if (!secret) throw new Error(`no revision ${revision} of release ${name} in namespace ${namespace}`);
  const gzipped = Buffer.from(Buffer.from(secret.data.release, 'base64').toString('utf8'), 'base64');
  return JSON.parse(gunzipSync(gzipped).toString('utf8')) as {
    config?: Record<string, unknown>;
    info: { status: string };
    version: number;
  };
}
