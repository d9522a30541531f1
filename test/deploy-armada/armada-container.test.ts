/**
 * A cancelled Armada-image run stops its container (issue 17, finding 7). Killing `podman run`
 * leaves the container running; the run names it and removes it. Real rootful podman in a
 * sandbox (test/support/podman.ts) with a busybox image whose `armada` only sleeps.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runArmada } from '../../actions/deploy-armada/armada-run.js';
import { loadManifest } from '../../actions/lib/armada/index.js';
import { buildBusyboxRootfsTar } from '../support/busybox-image.js';
import { podmanAvailable, startPodman, type TestPodman } from '../support/podman.js';
import { chartDoc, groupDoc, manifestDoc, tempDir, writeFile } from './support.js';

const IMAGE = 'localhost/fake-armada:1';
// A git source: nothing local to mount (the fake armada never reads it).
const MANIFEST = [
  chartDoc({
    name: 'keystone',
    data: {
      dependencies: [],
      source: { type: 'git', location: 'https://git.example/osh.git', subpath: 'keystone' },
    },
  }),
  groupDoc('services', ['keystone'], true),
  manifestDoc('armada-manifest', ['services']),
].join('');

describe.skipIf(!podmanAvailable())('armada image run (real podman)', () => {
  let podman: TestPodman;
  const env = () => ({ ...process.env, ...podman.env }) as Record<string, string>;
  const containers = () =>
    execFileSync('podman', ['ps', '--all', '--format', '{{.Names}}'], { env: env(), encoding: 'utf8' })
      .split('\n')
      .filter((name) => name.startsWith('taco-armada-'));

  beforeAll(() => {
    podman = startPodman();
    writeFileSync(podman.env.REGISTRY_AUTH_FILE, '{}');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-armada-'));
    try {
      buildBusyboxRootfsTar(dir);
      const armada = path.join(dir, 'rootfs', 'bin', 'armada');
      writeFileSync(armada, '#!/bin/sh\nexec sleep 600\n');
      chmodSync(armada, 0o755);
      const tar = path.join(dir, 'image.tar');
      execFileSync('tar', ['-C', path.join(dir, 'rootfs'), '-cf', tar, '.']);
      execFileSync('podman', ['import', tar, IMAGE], { env: env(), stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await podman?.stop();
  });

  it('names the container and stops it when the run is cancelled', async () => {
    const dir = tempDir();
    const { model } = loadManifest({ files: [writeFile(dir, 'm.yaml', MANIFEST)] });
    const controller = new AbortController();
    const log: string[] = [];
    const running = runArmada({
      model: model!,
      rendered: MANIFEST,
      workDir: dir,
      valuesFiles: [],
      set: [],
      image: IMAGE,
      containerEngine: 'podman',
      env: env(),
      secrets: [],
      signal: controller.signal,
      log: (line) => log.push(line),
    });
    const deadline = Date.now() + 20_000;
    while (containers().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const [name] = containers();
    if (!name) controller.abort();
    expect(name, log.join('\n')).toBeDefined();
    expect(name).toMatch(/^taco-armada-[0-9a-f]{12}$/);
    controller.abort();
    const report = await running;
    expect(report.results.map((r) => r.outcome)).toEqual(['cancelled']);
    expect(containers()).toEqual([]);
    expect(log).toContain(`Stopped and removed the Armada container ${name}`);
    expect(spawnSync('podman', ['container', 'exists', name], { env: env() }).status).not.toBe(0);
  }, 120_000);
});
