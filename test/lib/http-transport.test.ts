/**
 * The shared HTTP stack (actions/lib/http): proxies from the job's environment through a real
 * CONNECT proxy on loopback, NO_PROXY, the loopback rule and the one backoff and sleep.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay, HttpTransport, isLoopbackHost, sleep } from '../../actions/lib/http/index.js';
import { RegistryClient } from '../../actions/lib/registry/client.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

describe('proxies', () => {
  let registry: TestRegistry;
  let proxy: ConnectProxy;
  beforeAll(async () => {
    [registry, proxy] = await Promise.all([startRegistry(), startConnectProxy()]);
  });
  afterAll(async () => {
    await Promise.all([registry?.stop(), proxy?.stop()]);
  });

  it('goes through HTTP_PROXY by CONNECT, keeping the tunnel alive for the next requests', async () => {
    const before = proxy.tunnels.length;
    const client = new RegistryClient({
      host: registry.host,
      env: { HTTP_PROXY: proxy.url },
      maxConnections: 1,
    });
    try {
      await client.ping();
      expect(await client.listTags('taco/none')).toEqual([]);
      expect(await client.headManifest('taco/none', '1.0.0')).toBeUndefined();
    } finally {
      client.close();
    }
    expect(proxy.tunnels.slice(before)).toEqual([registry.host]);
  });

  it('takes the lower-case variables too, and https_proxy for https URLs only', async () => {
    const before = proxy.tunnels.length;
    const direct = new HttpTransport({ env: { https_proxy: 'http://127.0.0.1:9' } });
    const viaProxy = new HttpTransport({ env: { http_proxy: proxy.url } });
    try {
      expect((await direct.send({ method: 'GET', url: `${registry.url}/v2/` })).status).toBe(200);
      expect(proxy.tunnels.length).toBe(before);
      expect((await viaProxy.send({ method: 'GET', url: `${registry.url}/v2/` })).status).toBe(200);
      expect(proxy.tunnels.slice(before)).toEqual([registry.host]);
    } finally {
      direct.close();
      viaProxy.close();
    }
  });

  it('honours NO_PROXY (host, host:port, a suffix of another host, *)', async () => {
    const port = registry.host.split(':')[1];
    const before = proxy.tunnels.length;
    for (const noProxy of ['127.0.0.1', `127.0.0.1:${port}`, 'example.com,127.0.0.1', '*']) {
      const client = new RegistryClient({
        host: registry.host,
        env: { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: noProxy },
      });
      try {
        await client.ping();
      } finally {
        client.close();
      }
    }
    expect(proxy.tunnels.length).toBe(before);
    // Another port of the same host is not exempt.
    const other = new HttpTransport({ env: { HTTP_PROXY: proxy.url, no_proxy: '127.0.0.1:1' } });
    try {
      expect((await other.send({ method: 'GET', url: `${registry.url}/v2/` })).status).toBe(200);
    } finally {
      other.close();
    }
    expect(proxy.tunnels.slice(before)).toEqual([registry.host]);
  });

  it('a proxy that cannot be reached is a network failure naming the request, after the retries', async () => {
    const transport = new HttpTransport({
      env: { HTTP_PROXY: 'http://127.0.0.1:9' },
      retry: { retries: 1, baseDelayMs: 1 },
    });
    try {
      await expect(transport.send({ method: 'GET', url: `${registry.url}/v2/` })).rejects.toMatchObject({
        name: 'HttpError',
        message: expect.stringContaining(`GET ${registry.url}/v2/:`),
        details: { network: true },
      });
    } finally {
      transport.close();
    }
  });
});

describe('redirects', () => {
  it('are followed only when asked (tool downloads), through the proxy too', async () => {
    const [registry, proxy] = await Promise.all([startRegistry(), startConnectProxy()]);
    const server = http.createServer((req, res) => {
      res.writeHead(302, { location: `${registry.url}/v2/` });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/download`;
    const plain = new HttpTransport();
    const following = new HttpTransport({ maxRedirections: 2, env: { HTTP_PROXY: proxy.url } });
    try {
      expect((await plain.send({ method: 'GET', url })).status).toBe(302);
      const followed = await following.send({ method: 'GET', url });
      expect(followed.status).toBe(200);
      expect(JSON.parse(followed.body.toString())).toEqual({});
      expect(proxy.tunnels).toEqual([new URL(url).host, registry.host]);
    } finally {
      plain.close();
      following.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all([registry.stop(), proxy.stop()]);
    }
  });
});

describe('one loopback rule, one backoff, one sleep', () => {
  it('loopback: localhost, 127/8 and ::1, with or without port and brackets', () => {
    for (const host of [
      'localhost',
      'localhost:5000',
      '127.0.0.1',
      '127.1.2.3:80',
      '::1',
      '[::1]',
      '[::1]:5000',
    ])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['registry.example', '10.0.0.1:5000', '[::2]:5000', '128.0.0.1', 'localhost.example'])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('backoff doubles with jitter in [half, full], capped, and Retry-After wins', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, policy, undefined, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, undefined, () => 1)).toBe(100);
    expect(backoffDelay(2, policy, undefined, () => 0.5)).toBe(300);
    expect(backoffDelay(10, policy, undefined, () => 1)).toBe(1000);
    expect(backoffDelay(0, policy, 5000)).toBe(1000);
    expect(backoffDelay(3, policy, 0)).toBe(0);
  });

  it('a cancelled sleep rejects with the signal reason, at once', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    await expect(sleep(1, controller.signal)).rejects.toThrow('cancelled');
    await expect(sleep(1)).resolves.toBeUndefined();
  });
});
