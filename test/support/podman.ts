/**
 * Rootful podman isolated in a temp dir: the containers.conf that works on these machines
 * (no network namespace, runc, ulimits) and a storage.conf with its own graph and run roots, so
 * images never land in the host's /var/lib/containers. Pass `env` to every podman command.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestPodman {
  dir: string;
  /** CONTAINERS_CONF, CONTAINERS_STORAGE_CONF and REGISTRY_AUTH_FILE for this sandbox. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export function podmanAvailable(): boolean {
  return spawnSync('podman', ['--version']).status === 0;
}

export function startPodman(): TestPodman {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'podman-'));
  mkdirSync(path.join(dir, 'graph'));
  mkdirSync(path.join(dir, 'run'));
  writeFileSync(
    path.join(dir, 'containers.conf'),
    '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\nnetns = "none"\n[engine]\nruntime = "runc"\n',
  );
  writeFileSync(
    path.join(dir, 'storage.conf'),
    `[storage]\ndriver = "vfs"\ngraphroot = "${path.join(dir, 'graph')}"\nrunroot = "${path.join(dir, 'run')}"\n`,
  );
  const env = {
    CONTAINERS_CONF: path.join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: path.join(dir, 'storage.conf'),
    REGISTRY_AUTH_FILE: path.join(dir, 'auth.json'),
  };
  return {
    dir,
    env,
    async stop() {
      // Containers run with --rm; anything left (a killed test) is removed before the storage goes.
      spawnSync('podman', ['rm', '--all', '--force'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      const mounts = readFileSync('/proc/self/mounts', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[1])
        .filter((mount): mount is string => !!mount && mount.startsWith(dir))
        .sort((a, b) => b.length - a.length);
      for (const mount of mounts) spawnSync('umount', [mount]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
