import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../actions/lib/errors.js';
import { hasFailures, syncMirror } from '../../actions/mirror-sync/sync.js';
import { type GitHttpServer, startGitHttpServer } from '../support/git-http-server.js';
import { git, recordingEnvironment, Repos } from './repos.js';

const UPSTREAM_TOKEN = 'ghp_upstreamToken0123456789';
const MIRROR_TOKEN = 'glpat-mirrorToken9876543210';
const forms = (token: string) => [token, Buffer.from(`x-access-token:${token}`).toString('base64')];

let repos: Repos;
let upstreamServer: GitHttpServer;
let mirrorServer: GitHttpServer;

beforeEach(async () => {
  repos = new Repos();
  // Two servers with different tokens: a token sent to the wrong side would be refused.
  upstreamServer = await startGitHttpServer({ root: repos.dir, token: UPSTREAM_TOKEN });
  mirrorServer = await startGitHttpServer({ root: repos.dir, token: MIRROR_TOKEN });
  repos.commit('master');
  git(repos.work, 'tag', '-a', 'v1', '-m', 'v1');
  repos.commit('stable/2024.1');
  repos.pushUpstream('master', 'stable/2024.1', 'v1');
});
afterEach(async () => {
  await upstreamServer.stop();
  await mirrorServer.stop();
  repos.remove();
});

function httpConfig(overrides: Parameters<Repos['config']>[0] = {}) {
  return repos.config({
    upstream: `${upstreamServer.url}/upstream.git`,
    mirror: `${mirrorServer.url}/mirror.git`,
    upstreamToken: UPSTREAM_TOKEN,
    mirrorToken: MIRROR_TOKEN,
    ...overrides,
  });
}

function environment() {
  const dir = path.join(repos.dir, `tmp-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  return recordingEnvironment(dir);
}

describe('syncMirror over HTTP with token auth (git http-backend)', () => {
  it('syncs, then a no-change run costs one ls-refs per side and no object transfer', async () => {
    const first = await syncMirror(httpConfig(), environment());
    expect(hasFailures(first)).toBe(false);
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
    expect(upstreamServer.requests.some((r) => r.command === 'fetch')).toBe(true);
    expect(mirrorServer.requests.some((r) => r.service === 'git-receive-pack' && r.method === 'POST')).toBe(
      true,
    );

    upstreamServer.requests.length = 0;
    mirrorServer.requests.length = 0;
    const again = await syncMirror(httpConfig(), environment());
    expect(again.changed).toBe(false);
    // One request per side, made in process: no git process, no capability advertisement.
    for (const server of [upstreamServer, mirrorServer]) {
      expect(server.requests.map((r) => `${r.method} ${r.service} ${r.command}`)).toEqual([
        'POST git-upload-pack ls-refs',
      ]);
      expect(server.requests.every((r) => r.status === 200)).toBe(true);
    }
  });

  it('sends each token only to its own side, never in URLs, argv or logs', async () => {
    const env = environment();
    repos.commit('master');
    repos.pushUpstream('master');
    const report = await syncMirror(httpConfig({ gate: 'env; ls -a' }), env);
    expect(hasFailures(report)).toBe(false);
    const upstreamAuth = new Set(upstreamServer.requests.map((r) => r.authorization).filter(Boolean));
    const mirrorAuth = new Set(mirrorServer.requests.map((r) => r.authorization).filter(Boolean));
    expect([...upstreamAuth]).toEqual([`Basic ${forms(UPSTREAM_TOKEN)[1]}`]);
    expect([...mirrorAuth]).toEqual([`Basic ${forms(MIRROR_TOKEN)[1]}`]);
    // Every command line was logged (debug) and the gate printed its whole environment.
    const log = env.lines.join('\n');
    expect(log).toContain(`ls-refs ${upstreamServer.url}/upstream.git`);
    // The first sync fills the empty cache with a clone that carries the upstream's token.
    expect(log).toMatch(/\$ git .* clone --bare --progress /);
    // …and sends the clone's pack to the empty mirror in process (receive-pack-http.ts); a later
    // update goes through git push, whose command line carries no token either.
    expect(log).toContain("Sending the cache's pack");
    repos.commit('master');
    repos.pushUpstream('master');
    const later = await syncMirror(httpConfig({ gate: 'env; ls -a' }), env);
    expect(hasFailures(later)).toBe(false);
    expect(env.lines.join('\n')).toMatch(/\$ git .* -c push\.followTags=false -c push\.gpgSign=false push/);
    expect(log).toContain('MIRROR_SYNC_COMMIT=');
    for (const secret of [...forms(UPSTREAM_TOKEN), ...forms(MIRROR_TOKEN)])
      expect(env.lines.join('\n')).not.toContain(secret);
    expect(JSON.stringify(report)).not.toContain(UPSTREAM_TOKEN);
  });

  it('fills an empty cache with one clone of the branches and tags, then fetches incrementally', async () => {
    const env = environment();
    const first = await syncMirror(httpConfig(), env);
    expect(hasFailures(first)).toBe(false);
    expect(env.lines.filter((l) => / clone --bare /.test(l))).toHaveLength(1);
    expect(env.lines.some((l) => / fetch --progress /.test(l))).toBe(false);
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
    // Counted in the cache the clone filled: master has 1 commit, stable/2024.1 one more.
    expect(first.refs.map((r) => [r.ref, r.action, r.commits])).toEqual([
      ['refs/heads/master', 'created', 1],
      ['refs/heads/stable/2024.1', 'created', 2],
      ['refs/tags/v1', 'created', 1],
    ]);

    repos.commit('master');
    repos.pushUpstream('master');
    const next = environment();
    const second = await syncMirror(httpConfig(), next);
    expect(hasFailures(second)).toBe(false);
    expect(next.lines.some((l) => / clone /.test(l))).toBe(false);
    expect(next.lines.filter((l) => / fetch --progress /.test(l))).toHaveLength(1);
    expect(second.refs.find((r) => r.ref === 'refs/heads/master')).toMatchObject({
      action: 'updated',
      commits: 1,
    });
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
  });

  it('fetches only the selected refs into an empty cache when the selection is narrower than all branches and tags', async () => {
    const env = environment();
    const report = await syncMirror(httpConfig({ refs: ['master'] }), env);
    expect(hasFailures(report)).toBe(false);
    expect(env.lines.some((l) => / clone /.test(l))).toBe(false);
    expect(Object.keys(repos.refs(repos.mirror))).toEqual(['refs/heads/master']);
    expect(Object.keys(repos.refs(report.cache.dir))).toEqual(['refs/heads/master']);
  });

  it('a wrong token fails clearly, naming the input, without printing the token', async () => {
    const env = environment();
    const wrong = 'ghp_wrongToken_ABCDEFGHIJ';
    const error = await syncMirror(httpConfig({ upstreamToken: wrong }), env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /Cannot access the upstream http:\/\/127\.0\.0\.1:\d+\/upstream\.git: the upstream rejected the token given in 'upstream-token'/,
    );
    for (const secret of forms(wrong)) {
      expect(message).not.toContain(secret);
      expect(env.lines.join('\n')).not.toContain(secret);
    }
    expect(repos.refs(repos.mirror)).toEqual({});
  });

  it('a missing token says which input to set', async () => {
    const error = await syncMirror(httpConfig({ mirrorToken: undefined }), environment()).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/the mirror requires credentials: set 'mirror-token'/);
  });
});

describe('the first push into an empty mirror (the cache pack sent in process)', () => {
  const receivePackRequests = () =>
    mirrorServer.requests.filter((r) => r.service === 'git-receive-pack').map((r) => r.method);
  const has = (repo: string, oid: string) => {
    try {
      git(repo, 'cat-file', '-e', oid);
      return true;
    } catch {
      return false;
    }
  };

  it('sends the clone’s pack with every create in one request, and the mirror is whole', async () => {
    const env = environment();
    const report = await syncMirror(httpConfig(), env);
    expect(hasFailures(report)).toBe(false);
    expect(report.refs.map((r) => r.action)).toEqual(['created', 'created', 'created']);
    expect(receivePackRequests()).toEqual(['GET', 'POST']);
    expect(env.lines.some((l) => /\$ git .* push /.test(l))).toBe(false);
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
    git(repos.mirror, 'fsck', '--strict', '--no-dangling');
  });

  it('uses git push, and sends none of its objects, when a gate holds a ref back', async () => {
    const held = repos.refs(repos.upstream)['refs/heads/stable/2024.1'];
    const env = environment();
    const gate = 'case "$MIRROR_SYNC_REFS" in *stable*) exit 1;; esac';
    const report = await syncMirror(httpConfig({ gate }), env);
    expect(report.refs.find((r) => r.ref === 'refs/heads/stable/2024.1')?.action).not.toBe('created');
    expect(env.lines.some((l) => /\$ git .* push /.test(l))).toBe(true);
    expect(Object.keys(repos.refs(repos.mirror))).toEqual(['refs/heads/master', 'refs/tags/v1']);
    expect(has(repos.mirror, held)).toBe(false);
  });

  it('uses git push when the mirror already has a ref', async () => {
    git(repos.work, 'push', '--quiet', repos.mirror, 'master:refs/heads/elsewhere');
    const env = environment();
    const report = await syncMirror(httpConfig(), env);
    expect(hasFailures(report)).toBe(false);
    expect(receivePackRequests().filter((m) => m === 'POST')).toHaveLength(1);
    expect(env.lines.some((l) => /\$ git .* push /.test(l))).toBe(true);
    expect(repos.refs(repos.mirror)['refs/heads/stable/2024.1']).toBe(
      repos.refs(repos.upstream)['refs/heads/stable/2024.1'],
    );
  });
});

describe('the mirror refusing the in-process first push', () => {
  it('reports each refused ref as git push would, and the next run starts over', async () => {
    const hook = path.join(repos.mirror, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "mirror is read-only today" >&2\nexit 1\n', { mode: 0o755 });
    const env = environment();
    const refused = await syncMirror(httpConfig(), env);
    expect(hasFailures(refused)).toBe(true);
    expect(refused.refs.map((r) => [r.action, r.reason])).toEqual(
      Array(3).fill(['push-failed', '[remote rejected] (pre-receive hook declined)']),
    );
    expect(repos.refs(repos.mirror)).toEqual({});
    rmSync(hook);
    const again = await syncMirror(httpConfig(), environment());
    expect(hasFailures(again)).toBe(false);
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
  });
});
