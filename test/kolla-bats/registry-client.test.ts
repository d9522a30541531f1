/**
 * RegistryClient against an in-process FAKE registry that uses the distribution spec's bearer
 * token flow (401 + `WWW-Authenticate: Bearer realm=…` → token endpoint with basic credentials).
 * The basic-auth path is covered with the real docker-registry in docker-stage.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MANIFEST_ACCEPT,
  RegistryClient,
  imageReference,
  parseRegistryLocation,
} from '../../actions/kolla-bats/registry.js';
import { ExternalError, UserError } from '../../actions/lib/errors.js';
import { freePort } from '../support/ports.js';

const DIGEST = 'sha256:' + 'ab'.repeat(32);
let server: http.Server;
let host: string;
const seen: { url: string; auth?: string; accept?: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url!, auth: req.headers.authorization, accept: req.headers.accept });
    if (req.url!.startsWith('/token')) {
      const ok = req.headers.authorization === `Basic ${Buffer.from('bot:pw').toString('base64')}`;
      res
        .writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' })
        .end(ok ? JSON.stringify({ token: 'T0KEN' }) : '{}');
      return;
    }
    if (req.headers.authorization !== 'Bearer T0KEN') {
      res
        .writeHead(401, {
          'WWW-Authenticate': `Bearer realm="http://${host}/token",service="fake-registry"`,
          'Content-Type': 'application/json',
        })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    if (req.url === '/v2/taco/keystone/manifests/t1')
      return void res.writeHead(200, { 'Docker-Content-Digest': DIGEST }).end();
    res
      .writeHead(404, { 'Content-Type': 'application/json' })
      .end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('RegistryClient', () => {
  it('gets a bearer token with the basic credentials and asks for the digest with the full Accept header', async () => {
    const client = new RegistryClient({
      host,
      namespace: 'taco',
      insecure: true,
      username: 'bot',
      password: 'pw',
    });
    await client.check();
    expect(await client.manifestDigest('taco/keystone', 't1')).toBe(DIGEST);
    const manifestRequest = seen.filter((r) => r.url === '/v2/taco/keystone/manifests/t1').at(-1)!;
    expect(manifestRequest.accept).toBe(MANIFEST_ACCEPT);
    expect(seen.find((r) => r.url.startsWith('/token'))!.url).toMatch(/service=fake-registry&scope=/);
    await expect(client.manifestDigest('taco/keystone', 'missing')).rejects.toThrow(
      /HTTP 404 MANIFEST_UNKNOWN/,
    );
  });

  it('says which of reachability and credentials failed', async () => {
    await expect(
      new RegistryClient({ host, namespace: '', insecure: true, username: 'bot', password: 'bad' }).check(),
    ).rejects.toThrow(/rejected the credentials of user "bot"/);
    await expect(new RegistryClient({ host, namespace: '', insecure: true }).check()).rejects.toThrow(
      /requires credentials/,
    );
    const closed = await freePort();
    const error = await new RegistryClient({ host: `127.0.0.1:${closed}`, namespace: '', insecure: true })
      .check()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toMatch(
      new RegExp(`^Registry http://127\\.0\\.0\\.1:${closed} is unreachable: .*ECONNREFUSED`),
    );
  });

  it('parses host[:port][/namespace] and forms <registry>/<image>:<tag>', () => {
    expect(parseRegistryLocation('registry.example:5000/taco/candidates', 'registry')).toEqual({
      host: 'registry.example:5000',
      namespace: 'taco/candidates',
    });
    expect(imageReference(parseRegistryLocation('localhost:5000', 'r'), 'keystone', 'v1')).toBe(
      'localhost:5000/keystone:v1',
    );
    expect(() => parseRegistryLocation('registry.example/Upper', 'registry')).toThrow(UserError);
  });
});
