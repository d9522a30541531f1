/**
 * A base image without pulling anything: a rootfs made of the static busybox binary (Debian's
 * busybox-static), its applets as symlinks, and minimal /etc/passwd and /etc/group, imported into
 * docker or podman as `localhost/busybox:1` (fully qualified so podman needs no search registries).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BUSYBOX_IMAGE = 'localhost/busybox:1';
const APPLETS = [
  'sh',
  'ls',
  'cat',
  'echo',
  'id',
  'test',
  '[',
  'true',
  'false',
  'sleep',
  'stat',
  'grep',
  'wget',
  'env',
  'whoami',
];

export function buildBusyboxRootfsTar(dir: string): string {
  const rootfs = path.join(dir, 'rootfs');
  for (const sub of ['bin', 'etc', 'tmp', 'root']) mkdirSync(path.join(rootfs, sub), { recursive: true });
  copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  for (const applet of APPLETS) symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  writeFileSync(
    path.join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nkolla:x:42400:42400:kolla:/tmp:/bin/sh\n',
  );
  writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nkolla:x:42400:\n');
  const tar = path.join(dir, 'rootfs.tar');
  execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
  return tar;
}

/** Imports the busybox rootfs with `engine` (docker or podman) using `env` (DOCKER_HOST, CONTAINERS_*). */
export function importBusyboxImage(
  engine: 'docker' | 'podman',
  env: Record<string, string>,
  name = BUSYBOX_IMAGE,
): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'busybox-rootfs-'));
  try {
    const tar = buildBusyboxRootfsTar(dir);
    execFileSync(engine, ['import', tar, name], { env: { ...process.env, ...env }, stdio: 'pipe' });
    return name;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
