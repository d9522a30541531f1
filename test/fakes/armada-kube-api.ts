/**
 * A FAKE Kubernetes API server with the reads and deletes deploy-armada's KubeCluster makes (no
 * real API server can run here): pods (list, delete, log), events, jobs and cronjobs (list,
 * delete), and deployments/statefulsets/daemonsets (list). Plain Node http on 127.0.0.1; objects
 * are whatever the test puts in `state`; label selectors are equality-based (`a=b,c=d`). Namespaces,
 * RoleBindings and discovery for kubectl come from ./namespace-api.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { FakeNamespaces } from './namespace-api.js';

type Json = Record<string, unknown> & {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
};

export interface FakeKubeState {
  pods: Json[];
  events: Json[];
  jobs: Json[];
  cronjobs: Json[];
  deployments: Json[];
  statefulsets: Json[];
  daemonsets: Json[];
  /** `namespace/pod/container` → log text. */
  logs: Record<string, string>;
}

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
}

function matches(selector: string | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((part) => {
    const [key, value] = part.split('=');
    return (labels ?? {})[key] === value;
  });
}

export class FakeArmadaKubeApi {
  readonly state: FakeKubeState = {
    pods: [],
    events: [],
    jobs: [],
    cronjobs: [],
    deployments: [],
    statefulsets: [],
    daemonsets: [],
    logs: {},
  };
  readonly calls: RecordedCall[] = [];
  /** Namespaces and RoleBindings, and the discovery documents kubectl reads first. */
  readonly namespaces = new FakeNamespaces();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeArmadaKubeApi> {
    const holder: { api?: FakeArmadaKubeApi } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        holder.api!.handle(req.method ?? 'GET', req.url ?? '/', res, Buffer.concat(chunks)),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    holder.api = new FakeArmadaKubeApi(server, `http://127.0.0.1:${port}`);
    return holder.api;
  }

  /** A kubeconfig for this server (the client refuses plain http without insecure-skip-tls-verify). */
  kubeconfig(): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'ci', user: { token: 'fake-token-for-tests' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'ci' } }],
      'current-context': 'fake',
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(method: string, url: string, res: import('node:http').ServerResponse, body: Buffer): void {
    const parsed = new URL(url, 'http://fake');
    const query = Object.fromEntries(parsed.searchParams);
    this.calls.push({ method, path: parsed.pathname, query });
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const notFound = () =>
      send(404, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
        message: `${parsed.pathname} not found`,
      });
    const answer = this.namespaces.handle(method, parsed.pathname, body);
    if (answer) return send(answer.status, answer.body);
    const m =
      /^\/api\/v1\/namespaces\/([^/]+)\/(pods|events)(?:\/([^/]+))?(\/log)?$/.exec(parsed.pathname) ??
      /^\/apis\/(?:batch|apps)\/v1\/namespaces\/([^/]+)\/(jobs|cronjobs|deployments|statefulsets|daemonsets)(?:\/([^/]+))?()$/.exec(
        parsed.pathname,
      );
    if (!m) return notFound();
    const [, namespace, kind, name, log] = m;
    const list = this.state[kind as Exclude<keyof FakeKubeState, 'logs'>];
    if (log) {
      const text = this.state.logs[`${namespace}/${name}/${query.container}`];
      if (text === undefined) return notFound();
      const lines = text.split('\n');
      return send(
        200,
        query.tailLines ? lines.slice(-Number(query.tailLines)).join('\n') : text,
        'text/plain',
      );
    }
    if (method === 'GET' && !name) {
      const items = list.filter(
        (o) => o.metadata.namespace === namespace && matches(query.labelSelector, o.metadata.labels),
      );
      return send(200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });
    }
    if (method === 'DELETE' && name) {
      const index = list.findIndex((o) => o.metadata.namespace === namespace && o.metadata.name === name);
      if (index < 0) return notFound();
      const [removed] = list.splice(index, 1);
      return send(200, removed);
    }
    return notFound();
  }
}
