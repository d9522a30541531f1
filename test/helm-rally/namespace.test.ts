/**
 * helm-rally's namespace cleanup: one REST request with the kubeconfig's credentials (no
 * @kubernetes/client-node), against the fake Kubernetes API. A loopback front door before the fake
 * records what authenticated each request (the Authorization header, the TLS client certificate)
 * and can answer a chosen status, the way a real API server's apiserver would fail.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { stringify as toYaml } from 'yaml';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeNamespaceClient } from '../../actions/helm-rally/namespace.js';
import { UserError } from '../../actions/lib/errors.js';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'helm-rally-ns-'));
  dirs.push(dir);
  return dir;
}

interface Seen {
  method: string;
  path: string;
  authorization?: string;
  clientCertCN?: string;
}

interface FrontDoor {
  url: string;
  seen: Seen[];
  /** Answers the next requests with these statuses before passing requests on. */
  failNext(...statuses: number[]): void;
  close(): Promise<void>;
}

async function frontDoor(
  upstream: string,
  tls?: { key: Buffer; cert: Buffer; ca: Buffer },
): Promise<FrontDoor> {
  const seen: Seen[] = [];
  const failures: number[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const peer = tls ? (req.socket as TLSSocket).getPeerCertificate() : undefined;
    seen.push({
      method: req.method!,
      path: req.url!,
      authorization: req.headers.authorization,
      clientCertCN: peer?.subject?.CN?.toString(),
    });
    const failure = failures.shift();
    if (failure) {
      res.writeHead(failure, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ kind: 'Status', status: 'Failure', code: failure, message: `injected ${failure}` }),
      );
      return;
    }
    const upstreamReq = http.request(
      new URL(req.url!, upstream),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstreamReq);
  };
  const server = tls
    ? https.createServer({ ...tls, requestCert: true, rejectUnauthorized: true }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    failNext: (...statuses) => failures.push(...statuses),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function kubeconfig(server: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  });
}

let api: FakeArmadaKubeApi;
let door: FrontDoor;
beforeEach(async () => {
  api = await FakeArmadaKubeApi.start();
  door = await frontDoor(api.url);
});
afterEach(async () => {
  await door.close();
  await api.close();
});

async function createNamespace(name: string): Promise<void> {
  const res = await fetch(`${api.url}/api/v1/namespaces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
  });
  expect(res.status).toBe(201);
}

const namespaceStatus = async (name: string) => (await fetch(`${api.url}/api/v1/namespaces/${name}`)).status;

describe('kubeNamespaceClient on the fake Kubernetes API', () => {
  it('deletes the namespace with the bearer token, then reports a second delete as absent (404)', async () => {
    await createNamespace('taco-ci-7-1');
    const dir = tempDir();
    const file = path.join(dir, 'kubeconfig');
    writeFileSync(file, kubeconfig(door.url, {}, { token: 'tok-123' }), { mode: 0o600 });
    const client = kubeNamespaceClient({ kubeconfig: file, env: {} });

    expect(await client.delete('taco-ci-7-1')).toBe('deleted');
    expect(await namespaceStatus('taco-ci-7-1')).toBe(404);
    expect(await client.delete('taco-ci-7-1')).toBe('absent');
    expect(door.seen).toEqual([
      { method: 'DELETE', path: '/api/v1/namespaces/taco-ci-7-1', authorization: 'Bearer tok-123' },
      { method: 'DELETE', path: '/api/v1/namespaces/taco-ci-7-1', authorization: 'Bearer tok-123' },
    ]);
  });

  it('rides out 503 and 429 answers with retries, as before', async () => {
    await createNamespace('busy');
    door.failNext(503, 429);
    const client = kubeNamespaceClient({ kubeconfig: kubeconfig(door.url, {}, { token: 't' }), env: {} });
    expect(await client.delete('busy')).toBe('deleted');
    expect(door.seen.map((s) => s.method)).toEqual(['DELETE', 'DELETE', 'DELETE']);
    expect(await namespaceStatus('busy')).toBe(404);
  });

  it('names the namespace, the server and the API message on a refusal, without the token', async () => {
    await createNamespace('guarded');
    door.failNext(403);
    const client = kubeNamespaceClient({
      kubeconfig: kubeconfig(door.url, {}, { token: 'secret-tok' }),
      env: {},
    });
    const err = await client.delete('guarded').catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `Kubernetes API: could not delete namespace guarded on ${door.url}: HTTP 403: injected 403`,
    );
    expect((err as Error).message).not.toContain('secret-tok');
    expect(door.seen).toHaveLength(1);
    expect(await namespaceStatus('guarded')).toBe(200);
  });

  it('reads tokenFile relative to the kubeconfig, and KUBECONFIG when no kubeconfig is given', async () => {
    await createNamespace('from-env');
    const dir = tempDir();
    writeFileSync(path.join(dir, 'sa-token'), 'projected-token\n');
    writeFileSync(path.join(dir, 'config'), kubeconfig(door.url, {}, { tokenFile: 'sa-token' }));
    const client = kubeNamespaceClient({ env: { KUBECONFIG: path.join(dir, 'config') } });
    expect(await client.delete('from-env')).toBe('deleted');
    expect(door.seen[0].authorization).toBe('Bearer projected-token');
  });

  it('runs an exec credential plugin with its env and KUBERNETES_EXEC_INFO, and sends its token', async () => {
    await createNamespace('exec-ns');
    const dir = tempDir();
    const plugin = path.join(dir, 'plugin.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\nprintf '%s' "$KUBERNETES_EXEC_INFO" > "${dir}/exec-info.json"\n` +
        `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s-%s"}}' "$PLUGIN_PREFIX" "$1"\n`,
      { mode: 0o755 },
    );
    const config = kubeconfig(
      door.url,
      {},
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: './plugin.sh',
          args: ['ci'],
          env: [{ name: 'PLUGIN_PREFIX', value: 'exec' }],
          provideClusterInfo: true,
          interactiveMode: 'Never',
        },
      },
    );
    writeFileSync(path.join(dir, 'kubeconfig'), config);
    const client = kubeNamespaceClient({
      kubeconfig: path.join(dir, 'kubeconfig'),
      env: { PATH: process.env.PATH },
    });
    expect(await client.delete('exec-ns')).toBe('deleted');
    expect(door.seen[0].authorization).toBe('Bearer exec-ci');
    expect(JSON.parse(readFileSync(path.join(dir, 'exec-info.json'), 'utf8'))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false, cluster: { server: door.url } },
    });
  });

  it('runs the exec plugin once for a request that is retried, and again once its credential expired', async () => {
    await createNamespace('exec-retry');
    await createNamespace('exec-expired');
    const dir = tempDir();
    const plugin = path.join(dir, 'plugin.sh');
    const runs = path.join(dir, 'runs');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho run >> "${runs}"\n` +
        `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"%s"}}' "$1"\n`,
      { mode: 0o755 },
    );
    const withExpiry = (expires: string) =>
      kubeconfig(
        door.url,
        {},
        { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, args: [expires] } },
      );
    const env = { PATH: process.env.PATH };
    door.failNext(503);
    const later = kubeNamespaceClient({ kubeconfig: withExpiry('2999-01-01T00:00:00Z'), env });
    expect(await later.delete('exec-retry')).toBe('deleted');
    expect(door.seen.map((s) => s.method)).toEqual(['DELETE', 'DELETE']);
    expect(readFileSync(runs, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    door.failNext(503);
    const expired = kubeNamespaceClient({ kubeconfig: withExpiry('2000-01-01T00:00:00Z'), env });
    expect(await expired.delete('exec-expired')).toBe('deleted');
    expect(readFileSync(runs, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('refuses a legacy auth-provider with the exec plugin to use instead', () => {
    const client = kubeNamespaceClient({
      kubeconfig: kubeconfig(door.url, {}, { 'auth-provider': { name: 'gcp', config: {} } }),
      env: {},
    });
    return expect(client.delete('x')).rejects.toThrow(
      new UserError(
        'inline kubeconfig: user u uses the legacy auth-provider "gcp", which kubectl dropped; use an exec credential plugin instead (gke-gcloud-auth-plugin, kubelogin)',
      ),
    );
  });
});

describe('kubeNamespaceClient over TLS with client certificates', () => {
  const pki = makePki();
  let tlsDoor: FrontDoor;
  beforeEach(async () => {
    tlsDoor = await frontDoor(api.url, { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert });
  });
  afterEach(() => tlsDoor.close());

  it('verifies the server against certificate-authority and presents the client certificate (files and -data)', async () => {
    await createNamespace('tls-a');
    await createNamespace('tls-b');
    const fromFiles = path.join(pki.dir, 'kubeconfig');
    writeFileSync(
      fromFiles,
      kubeconfig(
        tlsDoor.url,
        { 'certificate-authority': 'ca.crt' },
        { 'client-certificate': 'client.crt', 'client-key': 'client.key' },
      ),
    );
    expect(await kubeNamespaceClient({ kubeconfig: fromFiles, env: {} }).delete('tls-a')).toBe('deleted');
    const inline = kubeconfig(
      tlsDoor.url,
      { 'certificate-authority-data': pki.caCert.toString('base64') },
      {
        'client-certificate-data': pki.clientCert.toString('base64'),
        'client-key-data': pki.clientKey.toString('base64'),
      },
    );
    expect(await kubeNamespaceClient({ kubeconfig: inline, env: {} }).delete('tls-b')).toBe('deleted');
    expect(tlsDoor.seen.map((s) => [s.path, s.clientCertCN, s.authorization])).toEqual([
      ['/api/v1/namespaces/tls-a', 'ci-user', undefined],
      ['/api/v1/namespaces/tls-b', 'ci-user', undefined],
    ]);
  });

  it('takes the client certificate from an exec plugin', async () => {
    await createNamespace('tls-exec');
    const plugin = path.join(pki.dir, 'cert-plugin.mjs');
    writeFileSync(
      plugin,
      `#!/usr/bin/env node\nimport { readFileSync } from 'node:fs';\n` +
        `const read = (f) => readFileSync(new URL(f, import.meta.url), 'utf8');\n` +
        `console.log(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { clientCertificateData: read('client.crt'), clientKeyData: read('client.key') } }));\n`,
      { mode: 0o755 },
    );
    const config = kubeconfig(
      tlsDoor.url,
      { 'certificate-authority-data': pki.caCert.toString('base64') },
      { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: plugin } },
    );
    const client = kubeNamespaceClient({
      kubeconfig: config,
      env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` },
    });
    expect(await client.delete('tls-exec')).toBe('deleted');
    expect(tlsDoor.seen.map((s) => s.clientCertCN)).toEqual(['ci-user']);
  });

  it("goes through the cluster's proxy-url: CONNECT with the client certificate inside, absolute URL to http", async () => {
    await createNamespace('via-proxy');
    const proxy = await startProxy();
    try {
      const config = kubeconfig(
        tlsDoor.url,
        { 'certificate-authority-data': pki.caCert.toString('base64'), 'proxy-url': proxy.url },
        {
          'client-certificate-data': pki.clientCert.toString('base64'),
          'client-key-data': pki.clientKey.toString('base64'),
        },
      );
      expect(await kubeNamespaceClient({ kubeconfig: config, env: {} }).delete('via-proxy')).toBe('deleted');
      expect(proxy.seen).toEqual([`CONNECT ${new URL(tlsDoor.url).host}`]);
      expect(tlsDoor.seen.map((s) => [s.path, s.clientCertCN])).toEqual([
        ['/api/v1/namespaces/via-proxy', 'ci-user'],
      ]);
      expect(await namespaceStatus('via-proxy')).toBe(404);

      await createNamespace('plain-via-proxy');
      const plain = kubeconfig(door.url, { 'proxy-url': proxy.url }, { token: 'plain' });
      expect(await kubeNamespaceClient({ kubeconfig: plain, env: {} }).delete('plain-via-proxy')).toBe(
        'deleted',
      );
      expect(proxy.seen.at(-1)).toBe(`DELETE ${door.url}/api/v1/namespaces/plain-via-proxy`);
      expect(door.seen.map((s) => [s.path, s.authorization])).toEqual([
        ['/api/v1/namespaces/plain-via-proxy', 'Bearer plain'],
      ]);
    } finally {
      await proxy.close();
    }
  });

  it('refuses a SOCKS proxy-url with a clear error', async () => {
    const socks = kubeconfig(tlsDoor.url, { 'proxy-url': 'socks5://127.0.0.1:1080' }, { token: 't' });
    await expect(kubeNamespaceClient({ kubeconfig: socks, env: {} }).delete('x')).rejects.toThrow(
      'inline kubeconfig: cluster "c": proxy-url "socks5://127.0.0.1:1080" is not an http:// proxy (SOCKS and TLS to the proxy are not supported here)',
    );
  });

  it('refuses a server its certificate-authority does not vouch for', async () => {
    const config = kubeconfig(tlsDoor.url, {}, { token: 't' });
    const err = await kubeNamespaceClient({ kubeconfig: config, env: {} })
      .delete('x')
      .catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /^Kubernetes API: could not delete namespace x on https:\/\/127\.0\.0\.1:\d+: .*certificate/i,
    );
    expect(tlsDoor.seen).toEqual([]);
  });
});

/** An HTTP proxy on loopback: CONNECT tunnels and absolute-URL requests, each recorded. */
async function startProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const upstream = http.request(req.url!, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  const tunnels = new Set<Duplex>();
  server.on('connect', (req: http.IncomingMessage, client: Duplex) => {
    seen.push(`CONNECT ${req.url}`);
    tunnels.add(client);
    const [host, port] = req.url!.split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => {
      // A tunnel is no longer an HTTP connection of the server: closeAllConnections leaves it open.
      for (const tunnel of tunnels) tunnel.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate (CN ci-user). */
function makePki() {
  const dir = tempDir();
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=test-ca', '-days', '2');
  for (const [name, subject, ext] of [
    ['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
    ['client', '/CN=ci-user', 'extendedKeyUsage=clientAuth'],
  ]) {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  }
  const read = (file: string) => readFileSync(path.join(dir, file));
  return {
    dir,
    caCert: read('ca.crt'),
    serverKey: read('server.key'),
    serverCert: read('server.crt'),
    clientKey: read('client.key'),
    clientCert: read('client.crt'),
  };
}
