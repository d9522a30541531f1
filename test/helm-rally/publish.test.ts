/**
 * helm-rally publishes what it proved: real Rally `Dummy.*` tasks decide, the real helm deploys onto
 * the fake Kubernetes API, and a real docker-registry on 127.0.0.1 receives the chart (or nothing). The registry is read
 * back with plain HTTP and an independent tar reader, not with the library that pushed.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type Dependencies, cleanupHelmRally, runHelmRally } from '../../actions/helm-rally/engine.js';
import { readInputs } from '../../actions/helm-rally/inputs.js';
import type { NamespaceClient } from '../../actions/helm-rally/namespace.js';
import { resolveSettings } from '../../actions/helm-rally/settings.js';
import { JobFailure, UserError } from '../../actions/lib/errors.js';
import { loadProfile } from '../../actions/lib/profile/load.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { defaultHelmMajor } from '../support/helm.js';
import { recordHelmCalls, startHelmCluster, type HelmCluster } from '../support/helm-cluster.js';
import { type TestRegistry, startRegistry } from '../support/registry.js';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures', 'helm-rally');
const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_CONTENT = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

let registry: TestRegistry;
let authRegistry: TestRegistry;
let cluster: HelmCluster;
const dirs: string[] = [];
beforeAll(async () => {
  [registry, authRegistry, cluster] = await Promise.all([
    startRegistry(),
    startRegistry({ username: 'ci', password: 'pa55-w0rd' }),
    startHelmCluster(defaultHelmMajor()),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([registry?.stop(), authRegistry?.stop(), cluster?.close()]);
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

let namespaces = 0;
interface Setup {
  dir: string;
  /** `host/namespace` this test publishes to. */
  registryUrl: string;
}

/** A workspace with the fixture charts, Rally tasks and a profile publishing to its own namespace. */
function workspace(options: { registry?: string; registryExtra?: string } = {}): Setup {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'helm-rally-publish-'));
  dirs.push(dir);
  cpSync(path.join(fixtures, 'charts'), path.join(dir, 'charts'), { recursive: true });
  cpSync(path.join(fixtures, 'dummy-pass.yaml'), path.join(dir, 'pass.yaml'));
  cpSync(path.join(fixtures, 'dummy-sla-fail.yaml'), path.join(dir, 'fail.yaml'));
  const registryUrl = `${options.registry ?? registry.host}/t${++namespaces}`;
  writeFileSync(
    path.join(dir, 'profile.yaml'),
    `name: publish-test
registry:
  url: ${registryUrl}
${options.registryExtra ?? ''}rally:
  task: pass.yaml
  task-args: {sleep: 0, times: 2}
  timeout: 5m
  deployment: {name: dummy, spec: {}}
  helm:
    namespace-prefix: taco-unit
`,
  );
  return { dir, registryUrl };
}

class RecordingNamespaces implements NamespaceClient {
  deleted: string[] = [];
  async delete(namespace: string) {
    this.deleted.push(namespace);
    return 'deleted' as const;
  }
}

function action(ws: Setup, inputs: Record<string, string>, env: Record<string, string> = {}) {
  const controller = new AbortController();
  const log: string[] = [];
  const ctx = terminalContext({
    inputs: { profile: path.join(ws.dir, 'profile.yaml'), chart: './charts/keystone', ...inputs },
    env: {
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_RUN_NUMBER: '7',
      PATH: process.env.PATH!,
      HOME: process.env.HOME!,
      ...env,
    },
    signal: controller.signal,
    write: (text) => log.push(text),
    workspace: ws.dir,
    tempDir: ws.dir,
  });
  const recorder = recordHelmCalls();
  const helm = cluster.client({ runner: recorder.runner });
  const deps: Dependencies = { helm: () => helm, namespaces: () => new RecordingNamespaces() };
  const settings = () => resolveSettings(readInputs(ctx), loadProfile(ctx.getInput('profile'), ws.dir), ctx);
  const run = async () => {
    try {
      await runHelmRally(ctx, settings(), deps);
    } finally {
      await cleanupHelmRally(ctx, deps);
    }
  };
  /** The chart helm installed, each time. */
  const installed = () => recorder.calls.filter((c) => c.argv[0] === 'upgrade').map((c) => c.argv[2]);
  return { ctx, helm, helmCalls: recorder.calls, log, settings, run, controller, installed };
}

async function http(url: string, init: RequestInit = {}, auth?: string) {
  return fetch(url, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...(auth ? { authorization: auth } : {}) },
  });
}

async function tags(host: string, repository: string, auth?: string): Promise<string[]> {
  const res = await http(`http://${host}/v2/${repository}/tags/list`, {}, auth);
  if (res.status === 404) return [];
  expect(res.status).toBe(200);
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}

interface OciManifest {
  schemaVersion: number;
  mediaType: string;
  config: { mediaType: string; digest: string; size: number };
  layers: { mediaType: string; digest: string; size: number }[];
}

/** The chart as the registry holds it: manifest, its digest, config JSON and the package's files. */
async function readChart(host: string, repository: string, tag: string, auth?: string) {
  const res = await http(
    `http://${host}/v2/${repository}/manifests/${tag}`,
    { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } },
    auth,
  );
  expect(res.status).toBe(200);
  const manifest = (await res.json()) as OciManifest;
  const blob = async (digest: string) => {
    const r = await http(`http://${host}/v2/${repository}/blobs/${digest}`, {}, auth);
    expect(r.status).toBe(200);
    return Buffer.from(await r.arrayBuffer());
  };
  const config = JSON.parse((await blob(manifest.config.digest)).toString('utf8')) as Record<string, unknown>;
  const tgz = await blob(manifest.layers[0].digest);
  return { manifest, digest: res.headers.get('docker-content-digest')!, config, files: await untar(tgz) };
}

/** Every regular file of a .tgz, read with tar-stream (not the code under test). */
async function untar(tgz: Buffer): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(gunzipSync(tgz));
  await done;
  return files;
}

describe('helm-rally publish after a real Rally run', () => {
  it('SLA passed: the deployed package is pushed as <version>-<candidate> with Helm media types; output chart', async () => {
    const ws = workspace();
    const a = action(ws, { mode: 'rally', candidate: 'c.20261124.7' });
    await a.run();
    expect(a.ctx.outputs['sla-passed']).toBe('true');

    const repository = `${ws.registryUrl.split('/')[1]}/charts/keystone`;
    expect(await tags(registry.host, repository)).toEqual(['0.3.1-c.20261124.7']);
    const chart = await readChart(registry.host, repository, '0.3.1-c.20261124.7');
    expect(chart.manifest).toMatchObject({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: HELM_CONFIG },
      layers: [{ mediaType: HELM_CONTENT }],
    });
    expect(chart.manifest.layers).toHaveLength(1);
    // The tag equals the packaged Chart.yaml version, and the config says the same.
    expect(chart.files.get('keystone/Chart.yaml')).toMatch(/^version: 0\.3\.1-c\.20261124\.7$/m);
    expect(chart.config).toMatchObject({ name: 'keystone', version: '0.3.1-c.20261124.7', apiVersion: 'v2' });
    // helm-toolkit vendored, .helmignore honoured.
    expect([...chart.files.keys()].sort()).toEqual([
      'keystone/.helmignore',
      'keystone/Chart.yaml',
      'keystone/charts/helm-toolkit/Chart.yaml',
      'keystone/charts/helm-toolkit/templates/_kubernetes_metadata_labels.tpl',
      'keystone/charts/helm-toolkit/values.yaml',
      'keystone/templates/deployment-api.yaml',
      'keystone/templates/service-api.yaml',
      'keystone/values.yaml',
    ]);

    expect(JSON.parse(a.ctx.outputs.chart)).toEqual({
      name: 'keystone',
      version: '0.3.1-c.20261124.7',
      ref: `${ws.registryUrl}/charts/keystone:0.3.1-c.20261124.7`,
      digest: chart.digest,
    });
    // What helm installed is the package that was pushed, byte for byte.
    expect(a.installed()).toEqual([expect.stringMatching(/keystone-0\.3\.1-c\.20261124\.7\.tgz$/)]);
    const layer = await http(
      `http://${registry.host}/v2/${repository}/blobs/${chart.manifest.layers[0].digest}`,
    );
    expect(Buffer.from(await layer.arrayBuffer()).equals(readFileSync(a.installed()[0]))).toBe(true);
    expect(a.ctx.summary.join('\n')).toContain(`\`${ws.registryUrl}/charts/keystone:0.3.1-c.20261124.7\``);
  }, 300_000);

  it('SLA failed: nothing is pushed and output chart is empty', async () => {
    const ws = workspace();
    const a = action(ws, { mode: 'rally', task: 'fail.yaml', candidate: 'c.20261124.8' });
    await expect(a.run()).rejects.toThrow(JobFailure);
    expect(a.ctx.outputs['sla-passed']).toBe('false');
    expect(a.ctx.outputs.chart).toBe('');
    const ns = ws.registryUrl.split('/')[1];
    expect(await tags(registry.host, `${ns}/charts/keystone`)).toEqual([]);
    // The check before the deploy wrote nothing either: the namespace holds no repository at all.
    const catalog = (await (await http(`${registry.url}/v2/_catalog`)).json()) as { repositories: string[] };
    expect(catalog.repositories.filter((r) => r.startsWith(`${ns}/`))).toEqual([]);
  }, 300_000);

  it('publish: false: the SLA passes, the chart directory is deployed as is, nothing is pushed', async () => {
    const ws = workspace();
    // Unpackaged, helm needs the file:// dependency built into charts/ first, as a user would.
    execFileSync(cluster.helm.helm, ['dependency', 'build', path.join(ws.dir, 'charts', 'keystone')], {
      env: cluster.env,
    });
    const a = action(ws, { mode: 'rally', publish: 'false' });
    await a.run();
    expect(a.ctx.outputs['sla-passed']).toBe('true');
    expect(a.ctx.outputs.chart).toBe('');
    expect(a.installed()).toEqual([path.join(ws.dir, 'charts', 'keystone')]);
    expect(await tags(registry.host, `${ws.registryUrl.split('/')[1]}/charts/keystone`)).toEqual([]);
  }, 300_000);

  it('the same chart and candidate twice: unchanged; another chart under that version: refused before deploying', async () => {
    const ws = workspace();
    const repository = `${ws.registryUrl.split('/')[1]}/charts/keystone`;
    const first = action(ws, { mode: 'rally', candidate: 'c.20261124.9' });
    await first.run();
    const again = action(ws, { mode: 'rally', candidate: 'c.20261124.9' });
    await again.run();
    expect(JSON.parse(again.ctx.outputs.chart)).toEqual(JSON.parse(first.ctx.outputs.chart));
    expect(again.log.join('')).toContain('was already published (unchanged)');
    expect(again.ctx.summary.join('\n')).toContain('already published (unchanged)');
    expect(await tags(registry.host, repository)).toEqual(['0.3.1-c.20261124.9']);

    // Same version and candidate, other content: refused up front, nothing deployed, tag kept.
    writeFileSync(
      path.join(ws.dir, 'charts', 'keystone', 'values.yaml'),
      readFileSync(path.join(ws.dir, 'charts', 'keystone', 'values.yaml'), 'utf8').replace(
        'api: 1',
        'api: 2',
      ),
    );
    const other = action(ws, { mode: 'rally', candidate: 'c.20261124.9' });
    const err = await other.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/already published with other content/);
    expect((err as Error).message).toContain(JSON.parse(first.ctx.outputs.chart).digest);
    expect(other.helmCalls).toEqual([]);
    expect(other.ctx.outputs.chart).toBe('');
    expect((await readChart(registry.host, repository, '0.3.1-c.20261124.9')).digest).toBe(
      JSON.parse(first.ctx.outputs.chart).digest,
    );
  }, 600_000);
});

describe('helm-rally publish settings (before anything runs)', () => {
  it('an invalid candidate is a UserError naming the input; nothing deployed, nothing pushed', async () => {
    const ws = workspace();
    for (const candidate of ['c.01', 'c..1', 'c_1', 'rc/1', 'c.2026 11']) {
      const a = action(ws, { mode: 'rally', candidate });
      const err = await a.run().catch((e: unknown) => e);
      expect(err, candidate).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain(
        `Input 'candidate': ${JSON.stringify(candidate)} cannot be a semver pre-release`,
      );
      expect(a.helmCalls).toEqual([]);
    }
    expect(await tags(registry.host, `${ws.registryUrl.split('/')[1]}/charts/keystone`)).toEqual([]);
    // Also with publish off: a given candidate is always checked.
    expect(() => action(ws, { mode: 'rally', publish: 'false', candidate: 'c.01' }).settings()).toThrow(
      /Input 'candidate': "c\.01"/,
    );
  });

  it('a candidate making a tag over 128 characters is refused before deploying', async () => {
    const ws = workspace();
    const a = action(ws, { mode: 'rally', candidate: `c.${'x'.repeat(130)}` });
    await expect(a.run()).rejects.toThrow(/Input 'candidate': .* not a valid semver version or OCI tag/);
    expect(a.helmCalls).toEqual([]);
  });

  it('default candidate: c.<UTC yyyymmdd>.<GITHUB_RUN_NUMBER>', () => {
    const ws = workspace();
    const before = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const settings = action(ws, { mode: 'rally' }, { GITHUB_RUN_NUMBER: '31' }).settings();
    const after = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    expect([`c.${before}.31`, `c.${after}.31`]).toContain(settings.publish!.candidate);
  });

  it('no registry anywhere: fails up front naming the input and the profile key', () => {
    const ws = workspace();
    writeFileSync(
      path.join(ws.dir, 'profile.yaml'),
      readFileSync(path.join(ws.dir, 'profile.yaml'), 'utf8').replace(/^registry:\n {2}url: .*\n/m, ''),
    );
    expect(() => action(ws, { mode: 'rally' }).settings()).toThrow(
      /Publishing is on \(input 'publish', default true\), but no registry is configured: set input 'registry' or registry\.url in profile/,
    );
    // publish: false needs none; the registry input is enough without the profile key.
    expect(action(ws, { mode: 'rally', publish: 'false' }).settings().publish).toBeUndefined();
    expect(action(ws, { mode: 'rally', registry: '127.0.0.1:5000/x' }).settings().publish!.location).toEqual({
      host: '127.0.0.1:5000',
      namespace: 'x',
    });
  });

  it('a repository chart cannot be published: clear error unless publish is false', () => {
    const ws = workspace();
    expect(() => action(ws, { mode: 'rally', chart: 'openstack-helm/keystone' }).settings()).toThrow(
      /chart "openstack-helm\/keystone" is neither a chart directory nor a packaged chart \(\.tgz\).*set publish: false/,
    );
    expect(
      action(ws, { mode: 'rally', chart: 'openstack-helm/keystone', publish: 'false' }).settings().publish,
    ).toBeUndefined();
  });

  it('nothing deployed or mode report: nothing to publish, no registry needed', () => {
    const ws = workspace();
    writeFileSync(path.join(ws.dir, 'report.json'), '{}');
    expect(action(ws, { mode: 'rally', chart: '' }).settings().publish).toBeUndefined();
    expect(action(ws, { mode: 'report', 'rally-report': 'report.json' }).settings().publish).toBeUndefined();
  });

  it('a bad registry input names the input', () => {
    const ws = workspace();
    expect(() => action(ws, { mode: 'rally', registry: 'https://Reg/Upper' }).settings()).toThrow(
      /Input 'registry': expected a registry reference host\[:port\]\[\/namespace\]/,
    );
  });
});

describe('helm-rally publish in mode helm-test', () => {
  it('a passing helm test publishes, with the profile registry credentials (basic auth)', async () => {
    const ws = workspace({
      registry: authRegistry.host,
      registryExtra: '  username: {env: REG_USER}\n  password: {env: REG_PASS}\n',
    });
    const a = action(
      ws,
      { mode: 'helm-test', candidate: 'c.20261125.1' },
      { REG_USER: 'ci', REG_PASS: 'pa55-w0rd' },
    );
    await a.run();
    const auth = `Basic ${Buffer.from('ci:pa55-w0rd').toString('base64')}`;
    const repository = `${ws.registryUrl.split('/')[1]}/charts/keystone`;
    expect(await tags(authRegistry.host, repository, auth)).toEqual(['0.3.1-c.20261125.1']);
    expect(JSON.parse(a.ctx.outputs.chart)).toMatchObject({ version: '0.3.1-c.20261125.1' });
    expect(a.log.join('')).not.toContain('pa55-w0rd');
  });

  it('a failing helm test publishes nothing', async () => {
    const ws = workspace();
    // The chart gets a test pod, which fails.
    writeFileSync(
      path.join(ws.dir, 'charts', 'keystone', 'templates', 'test-keystone.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: keystone-test\n  annotations: {helm.sh/hook: test}\n' +
        'spec:\n  restartPolicy: Never\n  containers: [{name: test, image: "registry.example/test:1"}]\n',
    );
    const before = cluster.api.podOutcome;
    cluster.api.podOutcome = (pod) => (pod.metadata.name === 'keystone-test' ? 'Failed' : before(pod));
    onTestFinished(() => {
      cluster.api.podOutcome = before;
    });
    const a = action(ws, { mode: 'helm-test', candidate: 'c.20261125.2' });
    await expect(a.run()).rejects.toThrow(/helm test keystone failed/);
    expect(a.ctx.outputs.chart).toBe('');
    expect(await tags(registry.host, `${ws.registryUrl.split('/')[1]}/charts/keystone`)).toEqual([]);
  });

  it('a packaged .tgz chart is re-versioned: only the version changes', async () => {
    const ws = workspace();
    // A first run packages the directory (as 0.3.1-base): that package is the .tgz given next.
    const first = action(ws, { mode: 'helm-test', candidate: 'base' });
    await first.run();
    const tgz = path.join(ws.dir, 'keystone-given.tgz');
    cpSync(first.installed()[0], tgz);
    const a = action(ws, { mode: 'helm-test', chart: './keystone-given.tgz', candidate: 'c.20261125.3' });
    await a.run();
    const out = JSON.parse(a.ctx.outputs.chart) as { version: string };
    expect(out.version).toBe('0.3.1-base-c.20261125.3');
    const repository = `${ws.registryUrl.split('/')[1]}/charts/keystone`;
    const given = await untar(readFileSync(tgz));
    const pushed = (await readChart(registry.host, repository, '0.3.1-base-c.20261125.3')).files;
    expect([...pushed.keys()].sort()).toEqual([...given.keys()].sort());
    for (const [name, text] of given) {
      if (name === 'keystone/Chart.yaml')
        expect(pushed.get(name)).toMatch(/^version: 0\.3\.1-base-c\.20261125\.3$/m);
      else expect(pushed.get(name), name).toBe(text);
    }
  });
});

describe('helm-rally plan', () => {
  it('shows the publish step for a chart directory, with the registry from the profile', async () => {
    const { plan } = await import('../../actions/helm-rally/plan.js');
    const ws = workspace({ registry: '127.0.0.1:5000' });
    writeFileSync(
      path.join(ws.dir, 'profile.yaml'),
      readFileSync(path.join(ws.dir, 'profile.yaml'), 'utf8').replace(
        'namespace-prefix: taco-unit',
        `namespace-prefix: taco-unit\n    chart: ${path.join(ws.dir, 'charts', 'keystone')}`,
      ),
    );
    const node = plan(loadProfile(path.join(ws.dir, 'profile.yaml'), ws.dir));
    const publish = node.children!.find((c) => c.title.includes('push the chart'))!;
    expect(publish.title).toBe(
      `on a pass (never after a failure, crash or cancel): push the chart to ${ws.registryUrl}/charts/keystone:<Chart.yaml version>-<candidate>`,
    );
    expect(publish.details!.join('\n')).toContain('default c.<UTC yyyymmdd>.<GITHUB_RUN_NUMBER>');
  });
});

describe('helm-rally publishes nothing after a crash or a cancel', () => {
  it('Rally crashed (exit 1; the fake rally on PATH): nothing pushed', async () => {
    const ws = workspace();
    const bin = path.join(ws.dir, 'bin');
    mkdirSync(bin);
    symlinkSync(path.join(import.meta.dirname, 'fakes', 'rally'), path.join(bin, 'rally'));
    const a = action(
      ws,
      { mode: 'rally', candidate: 'c.20261125.4' },
      {
        PATH: `${bin}:${process.env.PATH}`,
        FAKE_RALLY_EXIT: '1',
        FAKE_RALLY_OUTPUT: 'OperationalError: database is locked',
      },
    );
    await expect(a.run()).rejects.toThrow(/^Rally crashed \(exit code 1\), not an SLA failure/);
    expect(a.installed()).toEqual([expect.stringMatching(/\.tgz$/)]);
    expect(a.ctx.outputs.chart).toBe('');
    expect(await tags(registry.host, `${ws.registryUrl.split('/')[1]}/charts/keystone`)).toEqual([]);
  });

  it('cancelled once the test passed: nothing pushed', async () => {
    const ws = workspace();
    const a = action(ws, { mode: 'helm-test', candidate: 'c.20261125.5' });
    // The job is cancelled while helm test reports its (passing) result.
    const test = a.helm.test.bind(a.helm);
    a.helm.test = async (...args: Parameters<typeof test>) => {
      const result = await test(...args);
      a.controller.abort();
      return result;
    };
    await expect(a.run()).rejects.toThrow(/Cancelled after the pass: the chart was not published/);
    expect(a.ctx.outputs['sla-passed']).toBe('true');
    expect(a.ctx.outputs.chart).toBe('');
    expect(await tags(registry.host, `${ws.registryUrl.split('/')[1]}/charts/keystone`)).toEqual([]);
  });
});
