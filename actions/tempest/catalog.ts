/**
 * Before Tempest starts: log in to Keystone with the admin credentials of the generated
 * tempest.conf and compare the service catalog with the profile's `services`. A wrong password, or
 * a service the profile calls available that the cloud does not have, is then one clear
 * configuration error instead of a Tempest run where every class fails in setUpClass or
 * tearDownClass.
 */
import { readFileSync } from 'node:fs';
import { ExternalError, UserError } from '../lib/errors.js';
import { nodeHttp, nodeHttps } from '../lib/lazy-builtins.js';
import type { TempestConfigSection } from './config.js';

/**
 * Tempest's `[service_available]` names (tempest/config.py and the plugins') and the catalog types
 * that provide them (the OpenStack service-types authority, with the older aliases still seen).
 */
export const CATALOG_TYPES: Record<string, readonly string[]> = {
  keystone: ['identity'],
  glance: ['image'],
  nova: ['compute'],
  neutron: ['network'],
  cinder: ['block-storage', 'volumev3', 'volumev2', 'volume'],
  swift: ['object-store'],
  placement: ['placement'],
  heat: ['orchestration'],
  designate: ['dns'],
  octavia: ['load-balancer'],
  barbican: ['key-manager'],
  ironic: ['baremetal'],
  manila: ['shared-file-system', 'sharev2', 'share'],
  aodh: ['alarming'],
  gnocchi: ['metric'],
  zaqar: ['messaging'],
  mistral: ['workflowv2', 'workflow'],
  trove: ['database'],
  magnum: ['container-infra'],
  senlin: ['clustering'],
  watcher: ['infra-optim'],
  cyborg: ['accelerator'],
  masakari: ['instance-ha'],
};

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region_id?: string; region?: string }[];
}

export interface CatalogCheck {
  /** Services the profile calls available that the check confirmed. */
  confirmed: string[];
  /** Names the check cannot map to a catalog type. */
  unknown: string[];
}

/** Keystone could not be asked (down, unreachable): the caller decides; Tempest would fail the same way. */
export class KeystoneUnreachable extends ExternalError {
  override readonly name: string = 'KeystoneUnreachable';
  constructor(message: string, options?: { cause?: unknown }) {
    super('Keystone', message, options);
  }
}

async function post(
  url: URL,
  body: string,
  tls: { verify: boolean; ca?: string },
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ status: number; body: string }> {
  // Loaded here, not at import: most modes (report, merge) never ask Keystone.
  const client = url.protocol === 'https:' ? nodeHttps() : nodeHttp();
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        timeout: timeoutMs,
        ...(signal ? { signal } : {}),
        ...(url.protocol === 'https:'
          ? { rejectUnauthorized: tls.verify, ...(tls.ca ? { ca: tls.ca } : {}) }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function keystoneMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } };
    if (parsed.error?.message) return parsed.error.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.slice(0, 200);
}

/** A project-scoped token's catalog, as Keystone v3 returns it with `POST /auth/tokens`. */
async function fetchCatalog(
  config: TempestConfigSection,
  password: string,
  where: string,
  options: { timeoutMs?: number; signal?: AbortSignal },
): Promise<CatalogEntry[]> {
  const id = config.identity;
  const domain = { name: id.domain ?? 'Default' };
  const url = new URL(`${id.uri.replace(/\/+$/, '')}/auth/tokens`);
  const body = JSON.stringify({
    auth: {
      identity: { methods: ['password'], password: { user: { name: id.username, password, domain } } },
      scope: { project: { name: id.project, domain } },
    },
  });
  const tls = {
    verify: id['verify-tls'] !== false,
    ...(id['ca-file'] ? { ca: readFileSync(id['ca-file'], 'utf8') } : {}),
  };
  let res: { status: number; body: string };
  try {
    res = await post(url, body, tls, options.timeoutMs ?? 30_000, options.signal);
  } catch (err) {
    throw new KeystoneUnreachable(`Keystone at ${id.uri} did not answer: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const who = `user ${id.username} in project ${id.project} (domain ${domain.name})`;
  if (res.status === 401)
    throw new UserError(
      `${where}.identity: Keystone at ${id.uri} refused the admin credentials of ${who} (401: ${keystoneMessage(res.body)}); check the username, project, domain and password`,
    );
  if (res.status === 404)
    throw new UserError(
      `${where}.identity.uri: ${id.uri} is not a Keystone v3 API (POST /auth/tokens answered 404); expected the URL that ends in /v3`,
    );
  if (res.status !== 201)
    throw new KeystoneUnreachable(
      `Keystone at ${id.uri} answered ${res.status} to a login: ${keystoneMessage(res.body)}`,
    );
  const token = (JSON.parse(res.body) as { token?: { catalog?: CatalogEntry[] } }).token;
  return token?.catalog ?? [];
}

/**
 * Checks that every service the profile marks available has an endpoint in the catalog (in the
 * profile's region, when it names one). Throws UserError on refused credentials or a missing
 * service, KeystoneUnreachable when Keystone cannot be asked.
 */
export async function checkCatalog(
  config: TempestConfigSection,
  password: string,
  where: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<CatalogCheck> {
  const catalog = await fetchCatalog(config, password, where, options);
  const region = config.identity.region;
  const types = new Set(
    catalog
      .filter((entry) => !region || entry.endpoints.some((e) => (e.region_id ?? e.region) === region))
      .map((entry) => entry.type),
  );
  const confirmed: string[] = [];
  const unknown: string[] = [];
  const missing: string[] = [];
  for (const [service, available] of Object.entries(config.services ?? {})) {
    if (!available) continue;
    const wanted = CATALOG_TYPES[service];
    if (!wanted) unknown.push(service);
    else if (wanted.some((type) => types.has(type))) confirmed.push(service);
    else missing.push(`${service} (catalog type ${wanted.join(' or ')})`);
  }
  if (missing.length) {
    throw new UserError(
      `${where}.services: the profile calls ${missing.join(', ')} available, but the service catalog of ${config.identity.uri}${region ? ` in region ${region}` : ''} has no such service (it has: ${[...types].sort().join(', ') || 'nothing'}); set ${missing.length === 1 ? 'it' : 'them'} to false or fix the cloud`,
    );
  }
  return { confirmed, unknown };
}
