/**
 * The chart packager against the real Helm 3.17 and Helm 4.1: `helm package` and `helm push` to a
 * real docker-registry on loopback, compared with what the suite's own packager writes.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartConfigJson, packageChart, readChartPackage } from '../../actions/lib/charts/index.js';
import { repoRoot } from '../harness/run-action.js';
import { helmEnv, installHelm } from '../support/helm.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json';

/** A v1 chart as openstack-helm once wrote them: dependencies in requirements.yaml, vendored in charts/. */
function writeV1Chart(dir: string): string {
  const toolkit = path.join(dir, 'helm-toolkit');
  mkdirSync(toolkit, { recursive: true });
  writeFileSync(path.join(toolkit, 'Chart.yaml'), 'apiVersion: v1\nname: helm-toolkit\nversion: 0.1.0\n');
  const chart = path.join(dir, 'legacy');
  mkdirSync(path.join(chart, 'templates'), { recursive: true });
  mkdirSync(path.join(chart, 'charts', 'helm-toolkit'), { recursive: true });
  writeFileSync(
    path.join(chart, 'Chart.yaml'),
    'apiVersion: v1\nname: legacy\nversion: 0.2.0\nappVersion: v1.0.0\ndescription: A v1 chart\n',
  );
  writeFileSync(
    path.join(chart, 'requirements.yaml'),
    'dependencies:\n  - name: helm-toolkit\n    repository: file://../helm-toolkit\n    version: ">= 0.1.0"\n    condition: toolkit.enabled\n',
  );
  writeFileSync(
    path.join(chart, 'templates', 'cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: legacy}\n',
  );
  writeFileSync(
    path.join(chart, 'charts', 'helm-toolkit', 'Chart.yaml'),
    'apiVersion: v1\nname: helm-toolkit\nversion: 0.1.0\n',
  );
  return chart;
}

describe.each([3, 4] as const)('the packager and real Helm %i', (major) => {
  let registry: TestRegistry;
  let dir: string;
  let helm: (...args: string[]) => string;
  beforeAll(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(path.join(os.tmpdir(), `charts-helm${major}-`));
    const binary = installHelm(major).helm;
    helm = (...args) => execFileSync(binary, args, { cwd: dir, env: helmEnv(dir), encoding: 'utf8' });
  });
  afterAll(async () => {
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function pushedConfig(tgz: string, name: string, version: string): Promise<Buffer> {
    helm('push', tgz, `oci://${registry.host}/taco/charts`, '--plain-http');
    const manifest = await fetch(`${registry.url}/v2/taco/charts/${name}/manifests/${version}`, {
      headers: { Accept: ACCEPT },
    }).then((r) => r.json() as Promise<{ config: { digest: string } }>);
    const blob = await fetch(`${registry.url}/v2/taco/charts/${name}/blobs/${manifest.config.digest}`);
    return Buffer.from(await blob.arrayBuffer());
  }

  it('writes the config blob of a v1 chart as helm push does, dependencies from requirements.yaml', async () => {
    const chart = writeV1Chart(dir);
    helm('package', chart, '--destination', path.join(dir, 'out'));
    const tgz = path.join(dir, 'out', 'legacy-0.2.0.tgz');
    const real = await pushedConfig(tgz, 'legacy', '0.2.0');
    expect(JSON.parse(real.toString()).dependencies).toEqual([
      {
        name: 'helm-toolkit',
        version: '>= 0.1.0',
        repository: 'file://../helm-toolkit',
        condition: 'toolkit.enabled',
      },
    ]);
    const ours = await packageChart(chart);
    expect(chartConfigJson(ours.metadata).toString()).toBe(real.toString());
    const read = await readChartPackage(readFileSync(tgz), 'legacy-0.2.0.tgz');
    expect(chartConfigJson(read.metadata).toString()).toBe(real.toString());
  });

  it('packages a v2 chart as helm package does, byte for byte apart from Chart.yaml', async () => {
    const source = path.join(dir, 'v2');
    cpSync(path.join(repoRoot, 'test', 'fixtures', 'charts'), source, { recursive: true });
    const chart = path.join(source, 'keystone');
    helm('dependency', 'update', chart, '--skip-refresh');
    const out = path.join(dir, 'out-v2');
    helm('package', chart, '--destination', out);
    const ours = await packageChart(chart);
    const real = await readChartPackage(
      readFileSync(path.join(out, `keystone-${ours.version}.tgz`)),
      'helm package',
    );
    const mine = await readChartPackage(ours.bytes, 'packageChart');
    const files = (pkg: typeof real) =>
      [...pkg.files]
        .filter(([name]) => path.basename(name) !== 'Chart.yaml' && !name.endsWith('.tgz'))
        .map(([n, b]) => [n, b.toString('utf8')] as const);
    expect(
      files(mine)
        .map(([n]) => n)
        .sort(),
    ).toEqual(
      files(real)
        .map(([n]) => n)
        .sort(),
    );
    for (const [name, bytes] of files(mine))
      expect([name, bytes]).toEqual([name, new Map(files(real)).get(name)]);
    expect(chartConfigJson(mine.metadata).toString()).toBe(
      (
        await pushedConfig(path.join(out, `keystone-${ours.version}.tgz`), 'keystone', ours.version)
      ).toString(),
    );
  });
});
