/**
 * A real git smart-HTTP server for tests: `git http-backend` (CGI) behind a Node http server on
 * 127.0.0.1, serving every bare repository under `root`, with optional token auth (HTTP Basic,
 * any user name, the token as password). Pushing is enabled. It records each request so tests can
 * tell an ls-remote from a fetch (protocol v2 `command=ls-refs` / `command=fetch`).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface GitRequest {
  method: string;
  /** Repository path and service, e.g. `/upstream.git/git-upload-pack`. */
  path: string;
  query: string;
  /** `git-upload-pack` (fetch, ls-remote) or `git-receive-pack` (push). */
  service?: string;
  /** The protocol v2 command of a POST (`ls-refs`, `fetch`), when the client speaks v2. */
  command?: string;
  status: number;
  /** The Authorization header as received (tests check it is never logged elsewhere). */
  authorization?: string;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:PORT` — append `/<repo>.git`. */
  url: string;
  requests: GitRequest[];
  /** Changes the accepted token (undefined: no auth). */
  setToken(token: string | undefined): void;
  stop(): Promise<void>;
}

export async function startGitHttpServer(options: {
  root: string;
  token?: string;
  username?: string;
}): Promise<GitHttpServer> {
  let token = options.token;
  const requests: GitRequest[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: GitRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.slice(1),
      service: url.searchParams.get('service') ?? /\/(git-[a-z-]+)$/.exec(url.pathname)?.[1],
      status: 0,
      authorization: req.headers.authorization,
    };
    requests.push(record);
    if (token !== undefined && !authorized(req.headers.authorization, token, options.username)) {
      record.status = 401;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
      res.end('Authentication required\n');
      return;
    }
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk));
    req.on('end', () => {
      const input = Buffer.concat(body);
      if (record.method === 'POST') record.command = v2Command(input, req.headers['content-encoding']);
      serveCgi(options.root, req, url, input, res, record);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setToken: (value) => {
      token = value;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function authorized(header: string | undefined, token: string, username?: string): boolean {
  const match = /^basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  return (
    decoded.slice(colon + 1) === token && (username === undefined || decoded.slice(0, colon) === username)
  );
}

function v2Command(body: Buffer, encoding: string | string[] | undefined): string | undefined {
  let text: string;
  try {
    text = (encoding === 'gzip' ? gunzipSync(body) : body).subarray(0, 64).toString('latin1');
  } catch {
    return undefined;
  }
  return /^[0-9a-f]{4}command=([a-z-]+)/.exec(text)?.[1];
}

function serveCgi(
  root: string,
  req: http.IncomingMessage,
  url: URL,
  input: Buffer,
  res: http.ServerResponse,
  record: GitRequest,
): void {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    CONTENT_LENGTH: String(input.length),
    REMOTE_USER: 'git',
    REMOTE_ADDR: '127.0.0.1',
    GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
    // Pushing over HTTP is off unless enabled; set it here so the test repos need no config.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'true',
  };
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding']);
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  child.stderr.resume();

  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf('\r\n\r\n');
    const lf = head.indexOf('\n\n');
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
    if (end < 0) return;
    const separator = end === crlf ? 4 : 2;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
      else headers[name] = value;
    }
    record.status = status;
    res.writeHead(status, headers);
    headersSent = true;
    res.write(head.subarray(end + separator));
  });
  child.on('close', () => {
    if (!headersSent) {
      record.status = 502;
      res.writeHead(502, { 'Content-Type': 'text/plain' });
    }
    res.end();
  });
}
