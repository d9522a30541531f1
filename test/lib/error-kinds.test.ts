/**
 * Every adapter's failure modes, each with the real component (git, docker-registry, helm, rally,
 * the loopback Keystone; the fake Kubernetes API), land in the right one of the three kinds: a
 * UserError (exit 2), a failed job or service (exit 1, the service named in the message), or a bug.
 * No message carries a credential the adapter was given.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeNamespaceClient } from '../../actions/helm-rally/namespace.js';
import { ExternalError, exitCodeFor, failureKind, type FailureKind } from '../../actions/lib/errors.js';
import { httpTokenEnv } from '../../actions/lib/git/auth.js';
import { Git } from '../../actions/lib/git/git.js';
import { HelmCli } from '../../actions/lib/helm/cli.js';
import { parseReleaseJson } from '../../actions/lib/helm/parse.js';
import { appendHistory, readHistory } from '../../actions/lib/history/index.js';
import { createKubeClient } from '../../actions/lib/kube/client.js';
import { execKillPid1 } from '../../actions/lib/kube/disrupt.js';
import { runChecked } from '../../actions/lib/process.js';
import { runRallyTask } from '../../actions/lib/rally/index.js';
import { RegistryClient } from '../../actions/lib/registry/client.js';
import { checkCatalog } from '../../actions/tempest/catalog.js';
import { FakeKubeApi, fakeKubeconfig } from '../fakes/kube-api.js';
import { helmEnv, installHelm } from '../support/helm.js';
import { startOpenStackCloud, type OpenStackCloud } from '../support/openstack-cloud.js';
import { freePort } from '../support/ports.js';
import { dummyTask, rallyTestEnv, type RallyTestEnv } from '../support/rally.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const SECRET = 'sekrit-token-4711-do-not-print';

let dir: string;
let closedPort: number;
let registry: TestRegistry;
let kube: FakeKubeApi;
let cloud: OpenStackCloud;
let rally: RallyTestEnv;
/** A TCP server that accepts and never answers (a hung API server). */
let silent: net.Server;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'error-kinds-'));
  closedPort = await freePort();
  [registry, kube, cloud] = await Promise.all([
    startRegistry({ username: 'ci', password: 'right-password' }),
    FakeKubeApi.start(),
    startOpenStackCloud(),
  ]);
  rally = rallyTestEnv('error-kinds-rally-');
  silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await Promise.all([registry?.stop(), kube?.close(), cloud?.stop()]);
  silent?.close();
  rally?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Row {
  adapter: string;
  mode: string;
  kind: FailureKind;
  /** The service an ExternalError names. */
  service?: string;
  fail: () => Promise<unknown>;
}

const gitUrl = () => `http://127.0.0.1:${closedPort}/ledger.git`;
const kubeconfig = (server: string) => fakeKubeconfig(server, { user: 'ci', token: SECRET });
const helm = () => {
  const home = path.join(dir, 'helm');
  mkdirSync(home, { recursive: true });
  return new HelmCli({ binary: installHelm(3).helm, env: helmEnv(home), kubeconfig: path.join(dir, 'nope') });
};
const registryClient = (host: string, password: string) =>
  new RegistryClient({ host, credentials: { username: 'ci', password }, retry: { retries: 0 } });
const tempestConfig = (uri: string, username: string) => ({
  identity: { uri, username, password: { env: 'OS_PASSWORD' }, project: 'admin' },
});

const ROWS: Row[] = [
  {
    adapter: 'git',
    mode: 'remote unreachable, with a token',
    kind: 'failure',
    service: 'git',
    fail: () =>
      new Git({ env: process.env })
        .withAuth(httpTokenEnv(SECRET, { scopeUrl: gitUrl() }))
        .run(['ls-remote', '--', gitUrl()]),
  },
  {
    adapter: 'git',
    mode: 'history ledger on an unreachable remote',
    kind: 'failure',
    service: 'git',
    fail: () =>
      appendHistory(
        { kind: 'git', url: gitUrl(), branch: 'main', path: 'h.jsonl' },
        {
          schema: 1,
          kind: 'nightly',
          time: new Date(0).toISOString(),
          status: 'complete',
          candidate: 'n-1',
          images: [],
        },
        { git: new Git({ env: process.env, token: SECRET }), tempDir: dir },
      ),
  },
  {
    adapter: 'git',
    mode: 'history ledger file that cannot be read',
    kind: 'failure',
    service: 'ledger',
    fail: () => readHistory({ kind: 'file', path: dir }),
  },
  {
    adapter: 'process',
    mode: 'tool not installed',
    kind: 'failure',
    service: 'no-such-tool',
    fail: () => runChecked('no-such-tool', ['--version'], { secrets: [SECRET] }),
  },
  {
    adapter: 'registry',
    mode: 'wrong password',
    kind: 'failure',
    service: 'registry',
    fail: () => registryClient(registry.host, SECRET).ping({ verifyCredentials: true }),
  },
  {
    adapter: 'registry',
    mode: 'nothing listening',
    kind: 'failure',
    service: 'registry',
    fail: () => registryClient(`127.0.0.1:${closedPort}`, SECRET).ping(),
  },
  {
    adapter: 'helm',
    mode: 'cluster unreachable',
    kind: 'failure',
    service: 'helm',
    fail: () => helm().list({}),
  },
  {
    adapter: 'helm',
    mode: 'output of another shape',
    kind: 'failure',
    service: 'helm',
    fail: async () => parseReleaseJson('not json at all', 'helm status x'),
  },
  {
    adapter: 'kube',
    mode: 'namespace deletion refused',
    kind: 'failure',
    service: 'Kubernetes API',
    fail: () => {
      kube.injectFault({ status: 403, count: 1, method: 'DELETE', path: /\/namespaces\/doomed$/ });
      return kubeNamespaceClient({ kubeconfig: kubeconfig(kube.url), env: {} }).delete('doomed');
    },
  },
  {
    adapter: 'kube',
    mode: 'exec kill on a hung API server',
    kind: 'failure',
    service: 'Kubernetes API',
    fail: () => {
      const port = (silent.address() as net.AddressInfo).port;
      const client = createKubeClient({ kubeconfig: kubeconfig(`http://127.0.0.1:${port}`), env: {} });
      return execKillPid1(client, { namespace: 'ns', name: 'pod' }, 'main', 300);
    },
  },
  {
    adapter: 'kube',
    mode: 'kubeconfig names a missing context',
    kind: 'user',
    fail: async () => createKubeClient({ kubeconfig: kubeconfig(kube.url), context: 'elsewhere', env: {} }),
  },
  {
    adapter: 'rally',
    mode: 'task file missing',
    kind: 'user',
    fail: () => runRallyTask({ taskFile: path.join(dir, 'no-task.yaml'), workDir: rally.workDir() }),
  },
  {
    adapter: 'rally',
    mode: 'rally not installed',
    kind: 'failure',
    service: 'rally',
    fail: () =>
      runRallyTask({
        taskFile: rally.taskFile('t.yaml', dummyTask('t', [{ scenario: 'Dummy.dummy' }])),
        workDir: rally.workDir(),
        rallyBinary: path.join(dir, 'rally'),
      }),
  },
  {
    adapter: 'rally',
    mode: 'its database cannot be created',
    kind: 'failure',
    service: 'rally',
    fail: () => {
      const work = rally.workDir();
      mkdirSync(path.join(work, 'rally.sqlite')); // a directory where the database file must go
      return runRallyTask({
        taskFile: rally.taskFile('t2.yaml', dummyTask('t2', [{ scenario: 'Dummy.dummy' }])),
        workDir: work,
      });
    },
  },
  {
    adapter: 'tempest',
    mode: 'Keystone unreachable',
    kind: 'failure',
    service: 'Keystone',
    fail: () =>
      checkCatalog(tempestConfig(`http://127.0.0.1:${closedPort}/v3`, 'admin'), SECRET, 'tempest', {
        timeoutMs: 5000,
      }),
  },
  {
    adapter: 'tempest',
    mode: 'Keystone refuses the credentials',
    kind: 'user',
    fail: () => checkCatalog(tempestConfig(cloud.authUrl, 'nobody'), SECRET, 'tempest'),
  },
];

describe('failure kinds at the adapter boundaries', () => {
  it.each(ROWS)('$adapter: $mode → $kind', async (row) => {
    const err = await row.fail().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'it must fail').toBeInstanceOf(Error);
    const error = err as Error;
    expect(failureKind(error), error.stack).toBe(row.kind);
    expect(exitCodeFor(error)).toBe(row.kind === 'user' ? 2 : 1);
    if (row.service) {
      expect(error).toBeInstanceOf(ExternalError);
      expect((error as ExternalError).service).toBe(row.service);
      expect(error.message.toLowerCase()).toContain(row.service.toLowerCase());
    }
    const basic = Buffer.from(`x-access-token:${SECRET}`).toString('base64');
    for (const text of [error.message, error.stack ?? '']) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(basic);
    }
  });
});
