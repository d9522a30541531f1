/**
 * One fake Kubernetes API address in front of two fakes, for a workflow whose jobs share one
 * kubeconfig: whatever helm asks for (its releases and the resources it applies), batch jobs, events and container logs (what deploy-armada's waits and diagnostics
 * read) go to the Armada fake, everything else (workloads, pods, watches, evictions) to the
 * workload fake. Requests and responses are piped through unchanged.
 */
import http, { type Server } from 'node:http';
import { fakeKubeconfig } from './kube-api.js';

export class RoutedKubeApi {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(routes: { armada: string; workloads: string }): Promise<RoutedKubeApi> {
    const server = http.createServer((req, res) => {
      const path = req.url ?? '/';
      // Helm (its user agent names it) keeps its releases and resources in the Armada fake.
      const byHelm = /^helm\//i.test(req.headers['user-agent'] ?? '');
      const toArmada = byHelm || /^\/apis\/batch\/|\/events(\?|$)|\/log(\?|$)/.test(path.split('?')[0] + '?');
      const target = new URL(path, toArmada ? routes.armada : routes.workloads);
      const upstream = http.request(target, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.flushHeaders();
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return new RoutedKubeApi(server, `http://127.0.0.1:${port}`);
  }

  kubeconfig(): string {
    return fakeKubeconfig(this.url, { user: 'ci', token: 'fake-token-for-tests' });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
