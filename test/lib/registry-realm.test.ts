/**
 * Finding 4 of issue 17: where registry credentials may go for a Bearer challenge. Attack tests
 * serve a hostile 401 from a fake registry on loopback whose realm is a plain-HTTP listener on
 * another loopback host or port, and check that listener never sees a request. The allowed paths
 * run against a real docker-registry with `auth: token`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRealm } from '../../actions/lib/registry/auth.js';
import { RegistryClient } from '../../actions/lib/registry/client.js';
import { startTokenRegistry, type TokenRegistry } from '../promote-version/support/token-registry.js';

const PASSWORD = 'realm-test-secret-1';
const credentials = { username: 'ci', password: PASSWORD };

interface Listener {
  host: string;
  requests: { url: string; authorization?: string }[];
  stop(): Promise<void>;
}

/** A plain-HTTP listener that records what reaches it and answers `answer(req)`. */
async function listen(
  address: string,
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<Listener> {
  const requests: Listener['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `${address}:${port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A fake registry that answers every request with a Bearer challenge naming `realm`. */
function challenging(realm: () => string) {
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(401, {
      'www-authenticate': `Bearer realm="${realm()}",service="evil",scope="repository:a/b:pull"`,
      'content-type': 'application/json',
    });
    res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
  };
}

const tokenThief = (_req: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"token":"stolen"}');
};

describe('checkRealm', () => {
  const insecure = { registryHost: 'registry.lab:5000', plainHttp: true };
  const secure = { registryHost: 'registry.example', plainHttp: false };

  it('accepts an https realm on any host, as Docker Hub uses', () => {
    expect(checkRealm('https://auth.docker.io/token', secure).host).toBe('auth.docker.io');
    expect(checkRealm('https://auth.elsewhere:8443/t', insecure).host).toBe('auth.elsewhere:8443');
  });

  it('accepts plain http only on the registry host:port of an insecure registry, or a listed host', () => {
    expect(checkRealm('http://registry.lab:5000/token', insecure).pathname).toBe('/token');
    expect(checkRealm('http://REGISTRY.lab:5000/token', insecure).pathname).toBe('/token');
    expect(checkRealm('http://tokens.lab/t', { ...insecure, tokenRealms: ['tokens.lab'] }).host).toBe(
      'tokens.lab',
    );
    expect(checkRealm('http://tokens.lab:80/t', { ...insecure, tokenRealms: ['tokens.lab'] }).host).toBe(
      'tokens.lab',
    );
  });

  it.each([
    ['http://registry.example/token', secure, /plain http, while registry registry.example itself is https/],
    ['http://registry.lab:5001/token', insecure, /not the registry's own host.*registry\.token-realms/],
    ['http://127.0.0.2:5000/token', { registryHost: '127.0.0.1:5000', plainHttp: true }, /127\.0\.0\.2:5000/],
    ['ftp://registry.lab:5000/token', insecure, /only https/],
    ['https://user:pw@auth.example/token', secure, /carries credentials/],
    ['not a url', secure, /not a URL/],
  ])('refuses %s, naming it', (realm, policy, why) => {
    expect(() => checkRealm(realm, policy)).toThrow(why);
    expect(() => checkRealm(realm, policy)).toThrow(`token realm ${JSON.stringify(realm)}`);
  });
});

describe('attack: a registry names a plain-http token realm on another loopback host or port', () => {
  const started: Listener[] = [];
  afterAll(async () => {
    await Promise.all(started.map((l) => l.stop()));
  });

  it.each([
    ['another loopback host (127.0.0.2)', '127.0.0.2'],
    ['another port on the same host', '127.0.0.1'],
  ])('%s receives no credentials and the error names the realm', async (_name, address) => {
    const thief = await listen(address, tokenThief);
    started.push(thief);
    const realm = `http://${thief.host}/token`;
    const registry = await listen(
      '127.0.0.1',
      challenging(() => realm),
    );
    started.push(registry);
    const secrets: string[] = [];
    const client = new RegistryClient({
      host: registry.host,
      insecure: true,
      credentials,
      retry: { retries: 0 },
      setSecret: (value) => secrets.push(value),
    });
    try {
      const failure = client.getManifest('a/b', 'latest');
      await expect(failure).rejects.toThrow(`token realm ${JSON.stringify(realm)}, which is refused`);
      await expect(failure).rejects.toMatchObject({ details: { code: 'TOKEN_REALM_REFUSED' } });
      expect(thief.requests).toEqual([]);
      expect(registry.requests.every((r) => r.authorization === undefined)).toBe(true);
    } finally {
      client.close();
    }
  });
});

describe('allowed realms against a real docker-registry (auth: token)', () => {
  let own: TokenRegistry;
  let other: TokenRegistry;
  beforeAll(async () => {
    [own, other] = await Promise.all([
      startTokenRegistry({ ci: PASSWORD }),
      startTokenRegistry({ ci: PASSWORD }, { realm: 'other-port' }),
    ]);
  });
  afterAll(async () => {
    await own?.stop();
    await other?.stop();
  });

  it('the realm on the registry host gets the credentials; the Basic value and the token are masked', async () => {
    const secrets: string[] = [];
    const client = new RegistryClient({ host: own.host, credentials, setSecret: (v) => secrets.push(v) });
    try {
      await client.ping({ verifyCredentials: true });
      expect(own.tokens.requests.at(-1)).toMatchObject({ user: 'ci', status: 200 });
      expect(secrets).toContain(Buffer.from(`ci:${PASSWORD}`).toString('base64'));
      expect(secrets.some((s) => s.split('.').length === 3)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('a token server on another port is refused unless registry.token-realms lists it', async () => {
    const refused = new RegistryClient({ host: other.host, credentials, retry: { retries: 0 } });
    const listed = new RegistryClient({ host: other.host, credentials, tokenRealms: [other.realmHost] });
    try {
      await expect(refused.ping({ verifyCredentials: true })).rejects.toThrow(
        `plain http on ${other.realmHost}, which is not the registry's own host`,
      );
      expect(other.tokens.requests).toEqual([]);
      await listed.ping({ verifyCredentials: true });
      expect(other.tokens.requests).toEqual([expect.objectContaining({ user: 'ci', status: 200 })]);
    } finally {
      refused.close();
      listed.close();
    }
  });
});
