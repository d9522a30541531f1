/**
 * The current context of a kubeconfig read as kubectl reads it, for the small REST client: the API
 * server, its TLS trust, and how to authenticate (bearer token or token file, client certificate,
 * basic auth, or an exec credential plugin), through the cluster's http:// proxy-url if it has one. Legacy `auth-provider` plugins (gcp and azure are gone
 * from kubectl since 1.26) are refused with the exec plugin to use instead.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../errors.js';
import { type ExecConfig, parseExecConfig } from './exec-credential.js';
import { isInlineKubeconfig, type KubeconfigLookup, resolveKubeconfigPath } from './kubeconfig-source.js';

export interface TlsSettings {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

export type KubeAuth =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  | { kind: 'token-file'; file: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'exec'; exec: ExecConfig };

export interface KubeAccess {
  /** API server URL (for requests and logs; never contains credentials). */
  server: string;
  /** The cluster's proxy-url: an http:// proxy (CONNECT tunnels to an https server). */
  proxy?: string;
  /** Where the kubeconfig came from, for error messages. */
  source: string;
  tls: TlsSettings;
  auth: KubeAuth;
  /** The cluster entry as written, for exec plugins that ask for it (provideClusterInfo). */
  cluster: Record<string, unknown>;
}

type Entry = Record<string, unknown>;

/** Reads the kubeconfig the way createKubeClient does; every problem is a UserError naming the file. */
export function readKubeAccess(options: KubeconfigLookup & { kubeconfig?: string }): KubeAccess {
  const given = options.kubeconfig?.trim() ?? '';
  const inline = given !== '' && isInlineKubeconfig(given);
  const source = inline ? 'inline kubeconfig' : resolveKubeconfigPath(given, options);
  let config: Entry;
  try {
    config = parseYaml(inline ? given : readFileSync(source, 'utf8')) as Entry;
  } catch (err) {
    throw new UserError(`${source}: not a valid kubeconfig (${(err as Error).message.split('\n')[0]})`);
  }
  if (!config || typeof config !== 'object') throw new UserError(`${source}: not a valid kubeconfig`);
  // Relative paths in a kubeconfig file are relative to the file (kubectl's rule).
  const base = inline ? (options.cwd ?? process.cwd()) : path.dirname(source);
  const contextName = config['current-context'];
  const context = named(config, 'contexts', 'context', contextName, source, 'current-context');
  const cluster = named(
    config,
    'clusters',
    'cluster',
    context.cluster,
    source,
    `context ${contextName}: cluster`,
  );
  const user = context.user
    ? named(config, 'users', 'user', context.user, source, `context ${contextName}: user`)
    : {};
  if (typeof cluster.server !== 'string' || !cluster.server)
    throw new UserError(`${source}: cluster ${JSON.stringify(context.cluster)} has no server URL`);
  const proxy = cluster['proxy-url'];
  if (proxy !== undefined && (typeof proxy !== 'string' || !/^http:\/\//.test(proxy)))
    throw new UserError(
      `${source}: cluster ${JSON.stringify(context.cluster)}: proxy-url ${JSON.stringify(proxy)} is not an http:// proxy (SOCKS and TLS to the proxy are not supported here)`,
    );
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ...(proxy ? { proxy } : {}),
    source,
    tls: tlsSettings(cluster, user, base, source),
    auth: authOf(user, base, source, String(context.user)),
    cluster,
  };
}

function named(
  config: Entry,
  list: string,
  field: string,
  name: unknown,
  source: string,
  what: string,
): Entry {
  if (typeof name !== 'string' || !name) throw new UserError(`${source}: ${what} is not set`);
  const entries = Array.isArray(config[list]) ? (config[list] as Entry[]) : [];
  const found = entries.find((entry) => entry?.name === name);
  if (!found) throw new UserError(`${source}: ${what} ${JSON.stringify(name)} not found in ${list}`);
  return (found[field] ?? {}) as Entry;
}

/** `<key>-data` (base64) or `<key>` (a file, relative to the kubeconfig). */
function material(entry: Entry, key: string, base: string, source: string): Buffer | undefined {
  const data = entry[`${key}-data`];
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
  const file = entry[key];
  if (typeof file !== 'string' || !file) return undefined;
  try {
    return readFileSync(path.resolve(base, file));
  } catch (err) {
    throw new UserError(
      `${source}: ${key} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function tlsSettings(cluster: Entry, user: Entry, base: string, source: string): TlsSettings {
  const servername = cluster['tls-server-name'];
  return {
    ca: material(cluster, 'certificate-authority', base, source),
    cert: material(user, 'client-certificate', base, source),
    key: material(user, 'client-key', base, source),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
    ...(typeof servername === 'string' && servername ? { servername } : {}),
  };
}

function authOf(user: Entry, base: string, source: string, userName: string): KubeAuth {
  if (user['auth-provider']) {
    const provider = (user['auth-provider'] as Entry).name;
    throw new UserError(
      `${source}: user ${userName} uses the legacy auth-provider ${JSON.stringify(provider)}, which kubectl dropped; use an exec credential plugin instead (gke-gcloud-auth-plugin, kubelogin)`,
    );
  }
  if (typeof user.token === 'string' && user.token) return { kind: 'token', token: user.token };
  if (typeof user.tokenFile === 'string' && user.tokenFile)
    return { kind: 'token-file', file: path.resolve(base, user.tokenFile) };
  if (user.exec)
    return { kind: 'exec', exec: parseExecConfig(user.exec, base, `${source}: user ${userName}: exec`) };
  if (typeof user.username === 'string' && typeof user.password === 'string')
    return { kind: 'basic', username: user.username, password: user.password };
  return { kind: 'none' };
}
