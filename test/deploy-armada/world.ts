/**
 * A small deployment world for the action tests: chart folders, a manifest, a profile, and the real
 * helm on PATH (Helm 3 unless TACO_TEST_HELM=4 or the test asks for a major), recording its argv.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { realHelmOnPath } from '../support/helm.js';
import { chartDoc, groupDoc, manifestDoc, tempDir } from './support.js';

/** Templates of the world's charts: a ConfigMap each; keystone adds a db-sync hook and a test. */
export function writeWorldTemplates(chartDir: string, chart: string): void {
  if (chart === 'helm-toolkit') return;
  const templates = path.join(chartDir, 'templates');
  writeFileSync(
    path.join(templates, 'configmap.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-etc\n' +
      'data:\n  release_uuid: {{ .Values.release_uuid | default "none" | quote }}\n',
  );
  if (chart !== 'keystone') return;
  const pod = (name: string, hook: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-${name}\n` +
    `  annotations: {helm.sh/hook: "${hook}", helm.sh/hook-delete-policy: before-hook-creation}\n` +
    `spec:\n  restartPolicy: Never\n  containers: [{name: ${name}, image: "docker.io/openstackhelm/keystone:2024.1"}]\n`;
  writeFileSync(path.join(templates, 'db-sync.yaml'), pod('db-sync', 'pre-install,pre-upgrade'));
  writeFileSync(path.join(templates, 'test.yaml'), pod('test', 'test'));
}

export interface World {
  dir: string;
  manifest: string;
  profile: string;
  env: Record<string, string>;
  calls(): string[][];
}

export function makeWorld(helmMajor?: 3 | 4): World {
  const dir = tempDir('deploy-armada-world-');
  const charts = path.join(dir, 'openstack-helm');
  for (const chart of ['helm-toolkit', 'mariadb', 'memcached', 'keystone', 'glance']) {
    mkdirSync(path.join(charts, chart, 'templates'), { recursive: true });
    writeFileSync(path.join(charts, chart, 'Chart.yaml'), `apiVersion: v2\nname: ${chart}\nversion: 0.1.0\n`);
    writeWorldTemplates(path.join(charts, chart), chart);
  }
  const local = (name: string, extra: Record<string, unknown> = {}) =>
    chartDoc({
      name,
      data: {
        source: { type: 'local', location: '${OSH_PATH}', subpath: name },
        values: { release_uuid: '${RELEASE_UUID}' },
        ...extra,
      },
    });
  const manifest = path.join(dir, 'site-manifest.yaml');
  writeFileSync(
    manifest,
    [
      chartDoc({
        name: 'helm-toolkit',
        namespace: 'helm-toolkit',
        data: {
          source: { type: 'local', location: '${OSH_PATH}', subpath: 'helm-toolkit' },
          dependencies: [],
        },
      }),
      local('mariadb', {
        test: false,
        values: { endpoints: { oslo_db: { auth: { admin: { password: '${MARIADB_ADMIN_PASSWORD}' } } } } },
      }),
      local('memcached', { test: false }),
      local('keystone', {
        test: { enabled: true, timeout: 60 },
        values: { images: { tags: { keystone_api: 'docker.io/openstackhelm/keystone:2024.1' } } },
      }),
      local('glance', { test: false }),
      groupDoc('infra', ['mariadb', 'memcached'], false),
      groupDoc('services', ['keystone', 'glance'], true),
      manifestDoc('site', ['infra', 'services'], 'taco'),
    ].join(''),
  );
  const profile = path.join(dir, 'site.yaml');
  writeFileSync(
    profile,
    [
      'name: site',
      'armada:',
      `  manifest: ${manifest}`,
      '  helm: { concurrency: 2 }',
      '  variables:',
      `    OSH_PATH: ${charts}`,
      '    RELEASE_UUID: nightly-1',
      '    MARIADB_ADMIN_PASSWORD: { env: SITE_MARIADB_PASSWORD }',
      '',
    ].join('\n'),
  );
  const helm = realHelmOnPath(dir, helmMajor);
  return {
    dir,
    manifest,
    profile,
    env: { ...helm.env, SITE_MARIADB_PASSWORD: 'db-Secret-42' },
    calls: helm.calls,
  };
}
