/**
 * A private Docker daemon per test run: its own data and exec roots in a temp dir, a unix socket,
 * the vfs storage driver and no iptables/bridge changes, so it touches nothing on the host.
 * Use `env` (DOCKER_HOST) for every docker command; `stop()` kills it by PID and unmounts its netns.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './ports.js';

export interface TestDockerd {
  dir: string;
  socket: string;
  pid: number;
  /** Environment that points the docker CLI at this daemon (DOCKER_HOST, a private DOCKER_CONFIG). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startDockerd(): Promise<TestDockerd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dockerd-'));
  const socket = path.join(dir, 'docker.sock');
  const execRoot = path.join(dir, 'exec');
  const child = spawn(
    'dockerd',
    [
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      execRoot,
      '--pidfile',
      path.join(dir, 'pid'),
      '--host',
      `unix://${socket}`,
      '--storage-driver=vfs',
      '--iptables=false',
      '--ip-masq=false',
      '--bridge=none',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  });
  const env = { DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: path.join(dir, 'client-config') };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await closed;
      clearTimeout(timer);
    }
    const netns = path.join(execRoot, 'netns', 'default');
    if (existsSync(netns) && readFileSync('/proc/self/mounts', 'utf8').includes(netns))
      spawnSync('umount', [netns]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'dockerd',
      async () => {
        if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}: ${log}`);
        return (
          spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
            env: { ...process.env, ...env },
          }).status === 0
        );
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, socket, pid: child.pid!, env, stop };
}
