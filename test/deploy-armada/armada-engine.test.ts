import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  armadaApplyArgs,
  armadaCommand,
  localSourceDirs,
} from '../../actions/deploy-armada/armada-engine.js';
import { parseArmadaActions, runArmada } from '../../actions/deploy-armada/armada-run.js';
import { loadManifest } from '../../actions/lib/armada/index.js';
import { chartDoc, groupDoc, HELM_TOOLKIT, manifestDoc, tempDir, writeFile } from './support.js';

const MANIFEST = [
  HELM_TOOLKIT,
  chartDoc({ name: 'keystone' }),
  chartDoc({ name: 'glance' }),
  groupDoc('services', ['keystone', 'glance'], true),
  manifestDoc('armada-manifest', ['services']),
].join('');

describe('armada engine command line', () => {
  it('passes the target manifest, values files and overrides as armada apply flags', () => {
    expect(
      armadaApplyArgs({
        manifestFile: '/w/armada-manifest.yaml',
        targetManifest: 'armada-manifest',
        valuesFiles: ['/ws/site/keystone.yaml', '/ws/site/glance.yaml'],
        set: ['chart:keystone:values.pod.replicas.api=3', 'chart:ceph-config:values.pools=a,b'],
        timeoutS: 1800,
        debug: true,
      }),
    ).toEqual([
      'apply',
      '/w/armada-manifest.yaml',
      '--target-manifest',
      'armada-manifest',
      '--values',
      '/ws/site/keystone.yaml',
      '--values',
      '/ws/site/glance.yaml',
      '--set',
      'chart:keystone:values.pod.replicas.api=3',
      '--set',
      'chart:ceph-config:values.pools=a,b',
      '--timeout',
      '1800',
      '--debug',
    ]);
  });

  it('runs the binary with KUBECONFIG, or the image with everything it reads mounted read-only', () => {
    const base = {
      manifestFile: '/w/m.yaml',
      valuesFiles: ['/ws/v.yaml'],
      set: [],
      env: { PATH: '/usr/bin' },
      kubeconfig: '/tmp/k/config',
    };
    expect(armadaCommand({ ...base, binary: '/opt/armada/bin/armada' })).toEqual({
      file: '/opt/armada/bin/armada',
      args: ['apply', '/w/m.yaml', '--values', '/ws/v.yaml'],
      env: { PATH: '/usr/bin', KUBECONFIG: '/tmp/k/config' },
    });
    const container = armadaCommand({
      ...base,
      image: 'quay.io/airshipit/armada:latest-ubuntu_focal',
      containerEngine: 'podman',
      localSources: ['/opt/openstack-helm'],
    });
    expect(container.file).toBe('podman');
    expect(container.args).toEqual([
      'run',
      '--rm',
      '--network',
      'host',
      '--volume',
      '/opt/openstack-helm:/opt/openstack-helm:ro',
      '--volume',
      '/w:/w:ro',
      '--volume',
      '/ws:/ws:ro',
      '--volume',
      '/tmp/k/config:/armada/.kube/config:ro',
      '--env',
      'KUBECONFIG=/armada/.kube/config',
      'quay.io/airshipit/armada:latest-ubuntu_focal',
      'armada',
      'apply',
      '/w/m.yaml',
      '--values',
      '/ws/v.yaml',
    ]);
  });

  it('finds the local chart sources to mount, dependencies included', () => {
    const { model } = loadManifest({ files: [writeFile(tempDir(), 'm.yaml', MANIFEST)] });
    expect(localSourceDirs(model)).toEqual(['/srv/osh', '/srv/osh-infra']);
  });

  it('reads the actions Armada took from its log', () => {
    const log = [
      '2026-11-25 02:14:07.123 1 INFO armada.handlers.armada [-] Chart deploy [keystone] took action: install',
      '2026-11-25 02:20:01.456 1 INFO armada.cli [-] Chart osh-glance took action: upgrade',
      '2026-11-25 02:20:02.000 1 INFO armada.cli [-] Chart osh-mariadb took action: protected and requires operator attention.',
    ].join('\n');
    expect([...parseArmadaActions(log)]).toEqual([
      ['keystone', 'install'],
      ['osh-glance', 'upgrade'],
      ['osh-mariadb', 'protected'],
    ]);
  });
});

describe('armada engine run (with a fake armada executable)', () => {
  function fakeArmada(dir: string, exitCode: number): string {
    // Records its argv and environment, prints Armada's log lines, exits as told.
    const file = writeFile(
      dir,
      'armada',
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\necho "$KUBECONFIG" > "${dir}/kubeconfig"\ncp "$2" "${dir}/seen-manifest.yaml"\n` +
        `echo "INFO armada.cli [-] Chart osh-keystone took action: install"\n` +
        (exitCode
          ? `echo "ERROR armada.handlers.wait [-] Timed out waiting for pods (namespace=openstack, labels=(release_group=osh-glance))" >&2\n`
          : `echo "INFO armada.cli [-] Chart osh-glance took action: upgrade"\n`) +
        `exit ${exitCode}\n`,
    );
    chmodSync(file, 0o755);
    return file;
  }

  async function run(exitCode: number) {
    const dir = tempDir();
    const { model } = loadManifest({ files: [writeFile(dir, 'm.yaml', MANIFEST)] });
    const log: string[] = [];
    const report = await runArmada({
      model,
      rendered: MANIFEST,
      workDir: dir,
      targetManifest: 'armada-manifest',
      valuesFiles: [],
      set: ['chart:keystone:values.pod.replicas.api=3'],
      kubeconfig: path.join(dir, 'kubeconfig'),
      binary: fakeArmada(dir, exitCode),
      env: { PATH: process.env.PATH },
      secrets: [],
      log: (line) => log.push(line),
    });
    return { dir, report, log };
  }

  it('hands Armada the rendered manifest and reports what it did', async () => {
    const { dir, report, log } = await run(0);
    expect(readFileSync(path.join(dir, 'argv'), 'utf8').trim().split('\n')).toEqual([
      'apply',
      path.join(dir, 'armada-manifest.yaml'),
      '--target-manifest',
      'armada-manifest',
      '--set',
      'chart:keystone:values.pod.replicas.api=3',
    ]);
    expect(readFileSync(path.join(dir, 'kubeconfig'), 'utf8').trim()).toBe(path.join(dir, 'kubeconfig'));
    expect(readFileSync(path.join(dir, 'seen-manifest.yaml'), 'utf8')).toBe(MANIFEST);
    expect(report.results.map((r) => [r.release, r.action, r.outcome])).toEqual([
      ['osh-keystone', 'install', 'deployed'],
      ['osh-glance', 'upgrade', 'deployed'],
    ]);
    expect(log.some((l) => l.includes('took action: install'))).toBe(true);
  });

  it('fails every release it cannot vouch for when armada apply fails', async () => {
    const { report } = await run(1);
    expect(report.failedGroup).toBe('armada apply');
    expect(report.results.map((r) => [r.release, r.outcome, r.message])).toEqual([
      ['osh-keystone', 'failed', 'armada apply exited with 1'],
      ['osh-glance', 'failed', 'armada apply exited with 1'],
    ]);
  });
});
