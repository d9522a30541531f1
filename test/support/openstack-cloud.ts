/**
 * A real OpenStack API on loopback for tests: Debian's Keystone (uwsgi, one worker) and Glance
 * (eventlet glance-api, one worker), SQLite in WAL mode, in a fresh temp dir on free ports.
 * Start it once per test file (`beforeAll(startOpenStackCloud, 180_000)`), stop it in `afterAll`:
 * both process groups are killed by PID and the dir is wiped. The recipe and its traps are in
 * /work/shared/TOOLS.md and docs/testing.md ("The test cloud").
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from './ports.js';

const run = promisify(execFile);
const PYTHON_TIMEOUT_MS = 300_000;
const PYTHON = '/usr/bin/python3';

export interface CloudUser {
  username: string;
  password: string;
  project_name: string;
  user_domain_name: string;
  project_domain_name: string;
}

export interface OpenStackCloud {
  dir: string;
  /** Keystone's v3 URL, e.g. http://127.0.0.1:PORT/v3 */
  authUrl: string;
  glanceUrl: string;
  region: string;
  admin: CloudUser;
  /** A user with the `member` role in its own project, for Rally's existing users. */
  member: CloudUser;
  /** A closed loopback port's URL (tempest's [image] http_image must not reach the internet). */
  closedUrl: string;
  /** A Rally env spec (rally-openstack 2.2 `existing@openstack`) for this cloud. */
  rallySpec(): Record<string, unknown>;
  stop(): Promise<void>;
}

const ADMIN_PASSWORD = 'admin-S3cret-of-the-test-cloud';
const SERVICE_PASSWORD = 'glance-S3cret';
const MEMBER_PASSWORD = 'member-S3cret';

function ini(sections: Record<string, Record<string, string | number | boolean>>): string {
  return Object.entries(sections)
    .map(([name, options]) =>
      [`[${name}]`, ...Object.entries(options).map(([k, v]) => `${k} = ${v}`), ''].join('\n'),
    )
    .join('\n');
}

function sqliteUrl(file: string): string {
  return `sqlite:///${file}?timeout=30`;
}

/** Runs a Python script with Debian's python3 (its OpenStack modules), output to a log file. */
async function python(script: string, args: string[], log: string): Promise<void> {
  try {
    await run(PYTHON, [script, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: PYTHON_TIMEOUT_MS });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    writeFileSync(log, `${e.stdout ?? ''}${e.stderr ?? ''}`);
    throw new Error(
      `${path.basename(script)} failed: ${e.message.split('\n')[0]}\n${(e.stderr ?? '').slice(-2000)}`,
    );
  }
}

/** A detached child in its own process group, output to a log file; killed as a group in stop(). */
function startDaemon(command: string, args: string[], log: string, env: NodeJS.ProcessEnv): ChildProcess {
  const out = openSync(log, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env });
  return child;
}

function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    return Promise.resolve();
  }
  return exited;
}

async function prepareKeystone(dir: string, url: string): Promise<string> {
  const conf = path.join(dir, 'keystone.conf');
  const db = path.join(dir, 'keystone.db');
  writeFileSync(
    conf,
    ini({
      DEFAULT: { log_file: path.join(dir, 'keystone.log') },
      database: { connection: sqliteUrl(db) },
      token: { provider: 'fernet' },
      fernet_tokens: { key_repository: path.join(dir, 'fernet-keys') },
      fernet_receipts: { key_repository: path.join(dir, 'fernet-keys') },
      credential: { key_repository: path.join(dir, 'credential-keys') },
      // The default bcrypt cost makes every token take ~0.4 s.
      identity: { password_hash_rounds: 4 },
    }),
  );
  // One Python process for all keystone-manage steps: each start costs 10+ s of imports.
  const prepare = path.join(dir, 'keystone-prepare.py');
  writeFileSync(
    prepare,
    [
      'import sqlite3, sys',
      'from keystone.cmd import cli',
      'conf, url, password, db = sys.argv[1:5]',
      "owner = ['--keystone-user', 'root', '--keystone-group', 'root']",
      "for args in (['db_sync'], ['fernet_setup'] + owner, ['credential_setup'] + owner,",
      "             ['bootstrap', '--bootstrap-password', password, '--bootstrap-admin-url', url,",
      "              '--bootstrap-public-url', url, '--bootstrap-internal-url', url,",
      "              '--bootstrap-region-id', 'RegionOne']):",
      '    cli.CONF.clear()',
      "    cli.main(argv=['keystone-manage', '--config-file', conf] + args)",
      "sqlite3.connect(db).execute('PRAGMA journal_mode=WAL').fetchall()",
      '',
    ].join('\n'),
  );
  await python(prepare, [conf, `${url}/v3/`, ADMIN_PASSWORD, db], path.join(dir, 'keystone-prepare.log'));
  // Foreign keys on: without them application-credential tests 409 intermittently.
  const app = path.join(dir, 'keystone-wsgi.py');
  writeFileSync(
    app,
    [
      'from keystone.common.sql import core',
      'core.enable_sqlite_foreign_key()',
      'from keystone.server import wsgi',
      'application = wsgi.initialize_public_application()',
      '',
    ].join('\n'),
  );
  // One process, one thread: more than one worker on SQLite gives "database is locked".
  const uwsgi = path.join(dir, 'keystone-uwsgi.ini');
  writeFileSync(
    uwsgi,
    ini({
      uwsgi: {
        'http-socket': url.replace('http://', ''),
        'wsgi-file': app,
        master: true,
        processes: 1,
        threads: 1,
        'die-on-term': true,
        // uwsgi's http-socket closes the connection after each response without saying so:
        // clients that reuse a pooled connection then get "Connection reset by peer".
        'add-header': 'Connection: close',
        env: `OS_KEYSTONE_CONFIG_FILES=${conf}`,
      },
    }),
  );
  return uwsgi;
}

async function prepareGlance(dir: string, port: number, keystone: string): Promise<string> {
  const conf = path.join(dir, 'glance-api.conf');
  const db = path.join(dir, 'glance.db');
  const store = (name: string) => {
    const where = path.join(dir, 'glance', name);
    mkdirSync(where, { recursive: true });
    return { filesystem_store_datadir: where };
  };
  writeFileSync(
    conf,
    ini({
      DEFAULT: {
        bind_host: '127.0.0.1',
        bind_port: port,
        workers: 1,
        log_file: path.join(dir, 'glance.log'),
        enabled_backends: 'file:file',
        enabled_import_methods: '[glance-direct]',
        image_cache_dir: path.join(dir, 'glance', 'cache'),
      },
      database: { connection: sqliteUrl(db) },
      glance_store: { default_backend: 'file' },
      file: store('images'),
      os_glance_staging_store: store('staging'),
      os_glance_tasks_store: store('tasks'),
      paste_deploy: { flavor: 'keystone', config_file: '/etc/glance/glance-api-paste.ini' },
      keystone_authtoken: {
        www_authenticate_uri: keystone,
        auth_url: keystone,
        auth_type: 'password',
        project_domain_name: 'Default',
        user_domain_name: 'Default',
        project_name: 'service',
        username: 'glance',
        password: SERVICE_PASSWORD,
      },
      oslo_concurrency: { lock_path: path.join(dir, 'glance', 'locks') },
    }),
  );
  // db_sync, WAL, and the shipped metadefs (the metadefs API tests need them), in one process.
  const prepare = path.join(dir, 'glance-prepare.py');
  writeFileSync(
    prepare,
    [
      'import sqlite3, sys',
      'from glance.cmd import manage',
      'conf, db = sys.argv[1:3]',
      "for args in (['db_sync'], ['db_load_metadefs', '/etc/glance/metadefs']):",
      '    manage.CONF.clear()',
      "    sys.argv = ['glance-manage', '--config-file', conf] + args",
      '    manage.main()',
      "    sqlite3.connect(db).execute('PRAGMA journal_mode=WAL').fetchall()",
      '',
    ].join('\n'),
  );
  await python(prepare, [conf, db], path.join(dir, 'glance-prepare.log'));
  return conf;
}

async function isUp(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  return res.status < 500;
}

/** Minimal Keystone v3 admin client: enough to register services, endpoints and users. */
class KeystoneAdmin {
  private constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  static async login(base: string, user: CloudUser): Promise<KeystoneAdmin> {
    const res = await fetch(`${base}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(authBody(user)),
    });
    if (res.status !== 201) throw new Error(`Keystone login: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    return new KeystoneAdmin(base, res.headers.get('x-subject-token')!);
  }

  async call(method: string, route: string, body?: object): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.base}${route}`, {
      method,
      headers: { 'x-auth-token': this.token, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`Keystone ${method} ${route}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  /** POST /{kind}s with {kind: fields}; returns the new resource's id. */
  async create(kind: 'project' | 'user' | 'service' | 'endpoint', fields: object): Promise<string> {
    const created = await this.call('POST', `/${kind}s`, { [kind]: fields });
    return (created[kind] as { id: string }).id;
  }

  async id(kind: 'roles' | 'projects' | 'users', name: string): Promise<string> {
    const found = await this.call('GET', `/${kind}?name=${encodeURIComponent(name)}`);
    const id = (found[kind] as { id: string }[] | undefined)?.[0]?.id;
    if (!id) throw new Error(`Keystone has no ${kind.slice(0, -1)} ${name}`);
    return id;
  }

  /** A project and a user in it with `role` (both in the Default domain). */
  async userWithRole(project: string, username: string, password: string, role: string): Promise<void> {
    const projectId = await this.create('project', { name: project, domain_id: 'default' });
    const userId = await this.create('user', {
      name: username,
      password,
      domain_id: 'default',
      default_project_id: projectId,
    });
    await this.call('PUT', `/projects/${projectId}/users/${userId}/roles/${await this.id('roles', role)}`);
  }

  async service(type: string, name: string, url: string, region: string): Promise<void> {
    const serviceId = await this.create('service', { type, name });
    for (const iface of ['public', 'internal', 'admin'])
      await this.create('endpoint', { service_id: serviceId, interface: iface, url, region_id: region });
  }
}

/** The `tempest.config` of a profile for this cloud, as a user would write it: its services only. */
export function tempestConfigFor(cloud: OpenStackCloud, services?: Record<string, boolean>): object {
  return {
    identity: {
      uri: cloud.authUrl,
      region: cloud.region,
      username: cloud.admin.username,
      password: { env: 'TEMPEST_ADMIN_PASSWORD' },
      project: cloud.admin.project_name,
    },
    services: services ?? {
      keystone: true,
      glance: true,
      nova: false,
      neutron: false,
      cinder: false,
      swift: false,
    },
    extra: {
      'identity-feature-enabled': { api_v2: false },
      'image-feature-enabled': { import_image: false, manage_locations: false },
      image: { http_image: cloud.closedUrl },
    },
  };
}

export function authBody(user: CloudUser): object {
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: { name: user.username, password: user.password, domain: { name: user.user_domain_name } },
        },
      },
      scope: { project: { name: user.project_name, domain: { name: user.project_domain_name } } },
    },
  };
}

function user(username: string, password: string, project: string): CloudUser {
  return {
    username,
    password,
    project_name: project,
    user_domain_name: 'Default',
    project_domain_name: 'Default',
  };
}

/** Starts Keystone and Glance; resolves once both answer and the catalog has both services. */
export async function startOpenStackCloud(): Promise<OpenStackCloud> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'openstack-cloud-'));
  const [keystonePort, glancePort, closedPort] = [await freePort(), await freePort(), await freePort()];
  const keystone = `http://127.0.0.1:${keystonePort}`;
  const authUrl = `${keystone}/v3`;
  const glanceUrl = `http://127.0.0.1:${glancePort}`;
  const region = 'RegionOne';
  const admin = user('admin', ADMIN_PASSWORD, 'admin');
  const member = user('rally-member', MEMBER_PASSWORD, 'rally-users');
  const env = { ...process.env, HOME: dir };
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(killGroup));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [uwsgiIni, glanceConf] = await Promise.all([
      prepareKeystone(dir, keystone),
      prepareGlance(dir, glancePort, authUrl),
    ]);
    children.push(
      startDaemon('uwsgi_python3', ['--ini', uwsgiIni], path.join(dir, 'keystone-uwsgi.log'), env),
    );
    children.push(
      startDaemon('glance-api', ['--config-file', glanceConf], path.join(dir, 'glance-api.out'), env),
    );
    await waitFor('Keystone', () => isUp(`${authUrl}/`), 120_000);
    const api = await KeystoneAdmin.login(authUrl, admin);
    await api.userWithRole('service', 'glance', SERVICE_PASSWORD, 'admin');
    await api.service('image', 'glance', glanceUrl, region);
    await api.userWithRole(member.project_name, member.username, member.password, 'member');
    await waitFor('Glance', () => isUp(`${glanceUrl}/versions`), 120_000);
  } catch (err) {
    const logs = [
      'keystone-prepare.log',
      'glance-prepare.log',
      'keystone-uwsgi.log',
      'keystone.log',
      'glance.log',
      'glance-api.out',
    ]
      .map((f) => {
        try {
          return `--- ${f}\n${readFileSync(path.join(dir, f), 'utf8').slice(-3000)}`;
        } catch {
          return '';
        }
      })
      .join('\n');
    await stop();
    throw new Error(`The test cloud did not start: ${(err as Error).message}\n${logs}`);
  }
  return {
    dir,
    authUrl,
    glanceUrl,
    region,
    admin,
    member,
    closedUrl: `http://127.0.0.1:${closedPort}/`,
    rallySpec: () => ({
      openstack: { auth_url: authUrl, region_name: region, endpoint_type: 'public', admin, users: [member] },
    }),
    stop,
  };
}
