import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthHeader } from '../../actions/lib/git/auth.js';
import { canReachInProcess, lsRefsHttp, parseLsRefs } from '../../actions/lib/git/ls-refs-http.js';
import { parseRefList } from '../../actions/lib/git/refs.js';
import { type GitHttpServer, startGitHttpServer } from '../support/git-http-server.js';
import { git, Repos } from './repos.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const pkt = (text: string) => `${(Buffer.byteLength(text) + 4).toString(16).padStart(4, '0')}${text}`;

describe('parseLsRefs (gitprotocol-v2 ls-refs answer in pkt-lines)', () => {
  it('reads refs with attributes, leaving out HEAD and peeled values', () => {
    const answer = [
      pkt(`${A} HEAD symref-target:refs/heads/master\n`),
      pkt(`${A} refs/heads/master\n`),
      pkt(`${B} refs/tags/v1 peeled:${A}\n`),
      pkt(`${A} refs/tags/v1^{}\n`),
      '0000',
    ].join('');
    expect(parseLsRefs(Buffer.from(answer))).toEqual(
      new Map([
        ['refs/heads/master', A],
        ['refs/tags/v1', B],
      ]),
    );
    expect(parseLsRefs(Buffer.from('0000'))).toEqual(new Map());
  });

  it('gives up on anything but a complete listing', () => {
    for (const bad of [
      pkt('ERR upload-pack: not our ref\n'), // an error packet
      pkt(`${A} refs/heads/master\n`), // no flush: truncated
      `${pkt(`${A} refs/heads/master\n`)}0000${pkt('more')}`, // data after the flush
      `${pkt('version 2\n')}0000`, // a capability advertisement
      '00zz', // not a pkt-line length
      '0010short', // length beyond the data
    ])
      expect(parseLsRefs(Buffer.from(bad)), bad).toBeUndefined();
  });

  it('is only tried where a plain HTTP request reaches the remote as git would', () => {
    expect(canReachInProcess('https://opendev.org/openstack/nova.git')).toBe(true);
    expect(canReachInProcess('http://127.0.0.1:8080/up.git', { HOME: '/root' })).toBe(true);
    expect(canReachInProcess('ssh://git@host/repo.git')).toBe(false);
    expect(canReachInProcess('git@host:repo.git')).toBe(false);
    expect(canReachInProcess('/srv/git/repo.git')).toBe(false);
    expect(canReachInProcess('https://user:pw@host/repo.git')).toBe(false);
    expect(canReachInProcess('https://host/repo.git', { HTTPS_PROXY: 'http://proxy:3128' })).toBe(false);
    expect(canReachInProcess('https://host/repo.git', { all_proxy: 'socks5://proxy' })).toBe(false);
    expect(canReachInProcess('https://host/repo.git', { https_proxy: '' })).toBe(true);
  });
});

describe('lsRefsHttp against git http-backend and against a server that is not git', () => {
  const TOKEN = 'ls-refs-token-0123456789';
  let repos: Repos;
  let server: GitHttpServer;
  let plain: http.Server;
  let plainUrl: string;
  const plainRequests: string[] = [];

  beforeAll(async () => {
    repos = new Repos();
    repos.commit('master');
    git(repos.work, 'tag', '-a', 'v1', '-m', 'v1');
    repos.commit('stable/2024.1');
    repos.pushUpstream('master', 'stable/2024.1', 'v1');
    git(repos.upstream, 'update-ref', 'refs/changes/01/1/1', 'refs/heads/master');
    server = await startGitHttpServer({ root: repos.dir, token: TOKEN });
    plain = http.createServer((req, res) => {
      plainRequests.push(`${req.method} ${req.url}`);
      if (req.url?.startsWith('/moved')) {
        res.writeHead(301, { Location: 'http://127.0.0.1:9/elsewhere.git/git-upload-pack' }).end();
        return;
      }
      // A dumb server: 200 with HTML for everything.
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>not git</html>');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server.stop();
    await new Promise((resolve) => plain.close(resolve));
    repos.remove();
  });

  it('answers exactly like git ls-remote --refs, in one request', async () => {
    const url = `${server.url}/upstream.git`;
    const expected = (...filter: string[]) =>
      parseRefList(
        execFileSync('git', ['ls-remote', '--refs', ...filter, repos.upstream], { encoding: 'utf8' }),
      );
    server.requests.length = 0;
    const all = await lsRefsHttp(url, { authorization: basicAuthHeader(TOKEN) });
    expect(all).toEqual(expected());
    expect(all?.get('refs/changes/01/1/1')).toBe(repos.rev('master'));
    expect(server.requests.map((r) => `${r.method} ${r.command}`)).toEqual(['POST ls-refs']);
    expect(
      await lsRefsHttp(`${url}/`, { authorization: basicAuthHeader(TOKEN), only: { heads: true } }),
    ).toEqual(expected('--heads'));
    expect(
      await lsRefsHttp(url, { authorization: basicAuthHeader(TOKEN), only: { heads: true, tags: true } }),
    ).toEqual(expected('--heads', '--tags'));
  });

  it('leaves wrong or missing credentials, a missing repository, redirects and non-git servers to git', async () => {
    const url = `${server.url}/upstream.git`;
    expect(await lsRefsHttp(url, { authorization: basicAuthHeader('wrong-token-xyz') })).toBeUndefined();
    expect(await lsRefsHttp(url)).toBeUndefined();
    expect(
      await lsRefsHttp(`${server.url}/absent.git`, { authorization: basicAuthHeader(TOKEN) }),
    ).toBeUndefined();
    expect(await lsRefsHttp(`${plainUrl}/repo.git`)).toBeUndefined();
    expect(
      await lsRefsHttp(`${plainUrl}/moved.git`, { authorization: basicAuthHeader(TOKEN) }),
    ).toBeUndefined();
    expect(plainRequests).toEqual(['POST /repo.git/git-upload-pack', 'POST /moved.git/git-upload-pack']);
    // A proxy in the environment: no request at all.
    expect(
      await lsRefsHttp(`${plainUrl}/repo.git`, { env: { http_proxy: 'http://127.0.0.1:9' } }),
    ).toBeUndefined();
    expect(plainRequests).toHaveLength(2);
  });

  it('stops when the job is cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled by the test'));
    await expect(lsRefsHttp(`${server.url}/upstream.git`, { signal: controller.signal })).rejects.toThrow(
      'cancelled by the test',
    );
  });
});
