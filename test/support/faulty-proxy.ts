/**
 * A loopback HTTP proxy in front of a real server (a test registry) that misbehaves on purpose for
 * chosen requests: answers 500/429 (with Retry-After) or drops the connection without an answer.
 * Everything else is passed through unchanged, including the Host header, so the registry's
 * Location URLs point back at the proxy. Stop it with `stop()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultAction =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Close the client's connection without an answer (the client sees ECONNRESET / socket hang up). */
  | { kind: 'drop' };

export interface FaultRule {
  method?: string;
  /** Matched against the path and query string. */
  path?: RegExp;
  action: FaultAction;
  /** Let this many matching requests through before misbehaving (default 0). */
  skip?: number;
  /** Misbehave this many times, then pass requests through (default: always). */
  times?: number;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  /** The status sent to the client, or 'dropped'. */
  outcome: number | 'dropped';
  faulted: boolean;
  /** Whether the request carried an Authorization header (its value is never recorded). */
  authorized: boolean;
}

export interface FaultyProxy {
  /** 127.0.0.1:port */
  host: string;
  url: string;
  requests: ProxiedRequest[];
  /** Replaces the rules (counters start again). */
  setRules(rules: FaultRule[]): void;
  stop(): Promise<void>;
}

export const status = (code: number, headers?: Record<string, string>): FaultAction => ({
  kind: 'status',
  status: code,
  headers,
  body: JSON.stringify({
    errors: [{ code: code === 429 ? 'TOOMANYREQUESTS' : 'UNKNOWN', message: `injected ${code}` }],
  }),
});
export const drop: FaultAction = { kind: 'drop' };

export async function startFaultyProxy(upstream: string, rules: FaultRule[] = []): Promise<FaultyProxy> {
  const target = new URL(upstream);
  let active = rules.map((rule) => ({ rule, seen: 0, fired: 0 }));
  const requests: ProxiedRequest[] = [];
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const authorized = req.headers.authorization !== undefined;
    const match = active.find(
      ({ rule }) => (!rule.method || rule.method === method) && (!rule.path || rule.path.test(path)),
    );
    let fault: FaultAction | undefined;
    if (match) {
      match.seen++;
      if (match.seen > (match.rule.skip ?? 0) && match.fired < (match.rule.times ?? Infinity)) {
        match.fired++;
        fault = match.rule.action;
      }
    }
    if (fault?.kind === 'drop') {
      requests.push({ method, path, outcome: 'dropped', faulted: true, authorized });
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      requests.push({ method, path, outcome: fault.status, faulted: true, authorized });
      req.resume();
      req.on('end', () => {
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(fault.body ?? '');
      });
      return;
    }
    const forward = http.request(
      { host: target.hostname, port: target.port, method, path, headers: req.headers, agent },
      (upstreamRes) => {
        requests.push({ method, path, outcome: upstreamRes.statusCode ?? 0, faulted: false, authorized });
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', () => {
      requests.push({ method, path, outcome: 502, faulted: false, authorized });
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    setRules(next) {
      active = next.map((rule) => ({ rule, seen: 0, fired: 0 }));
    },
    async stop() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
