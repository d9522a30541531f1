/** A small deployment world for the action tests: chart folders, a manifest, a profile, the fake helm on PATH. */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chartDoc, groupDoc, manifestDoc, tempDir } from './support.js';

export const FAKE_HELM = path.resolve(import.meta.dirname, '..', 'fakes', 'helm-cli.mjs');

export interface World {
  dir: string;
  manifest: string;
  profile: string;
  binDir: string;
  helmState: string;
  env: Record<string, string>;
  calls(): string[][];
}

export function makeWorld(): World {
  const dir = tempDir('deploy-armada-world-');
  const charts = path.join(dir, 'openstack-helm');
  for (const chart of ['helm-toolkit', 'mariadb', 'memcached', 'keystone', 'glance']) {
    mkdirSync(path.join(charts, chart, 'templates'), { recursive: true });
    writeFileSync(path.join(charts, chart, 'Chart.yaml'), `apiVersion: v2\nname: ${chart}\nversion: 0.1.0\n`);
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
  const binDir = path.join(dir, 'bin');
  mkdirSync(binDir);
  symlinkSync(FAKE_HELM, path.join(binDir, 'helm'));
  const helmState = path.join(dir, 'helm-state');
  mkdirSync(helmState);
  return {
    dir,
    manifest,
    profile,
    binDir,
    helmState,
    env: {
      PATH: `${binDir}:${process.env.PATH}`,
      FAKE_HELM_STATE: helmState,
      SITE_MARIADB_PASSWORD: 'db-Secret-42',
    },
    calls: () => {
      const file = path.join(helmState, 'calls.jsonl');
      return existsSync(file)
        ? readFileSync(file, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as string[])
        : [];
    },
  };
}
