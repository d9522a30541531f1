/**
 * A fake of the GitHub REST endpoints promote-version calls (get a release by tag, create a
 * release), on 127.0.0.1, with GitHub's status codes and response shapes. It checks the token.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRelease {
  id: number;
  tag_name: string;
  name: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
  html_url: string;
}

export interface FakeGitHub {
  apiUrl: string;
  releases: Map<string, FakeRelease>;
  /** `METHOD path` of every request. */
  calls: string[];
  stop(): Promise<void>;
}

export async function startFakeGitHub(options: { token: string; repository: string }): Promise<FakeGitHub> {
  const releases = new Map<string, FakeRelease>();
  const calls: string[] = [];
  let nextId = 1;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      calls.push(`${req.method} ${url.pathname}`);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      if (
        req.headers.authorization !== `token ${options.token}` &&
        req.headers.authorization !== `Bearer ${options.token}`
      ) {
        return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      }
      const base = `/repos/${options.repository}/releases`;
      const byTag = url.pathname.startsWith(`${base}/tags/`)
        ? decodeURIComponent(url.pathname.slice(`${base}/tags/`.length))
        : undefined;
      if (req.method === 'GET' && byTag !== undefined) {
        const release = releases.get(byTag);
        return release
          ? send(200, release)
          : send(404, {
              message: 'Not Found',
              documentation_url: 'https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name',
            });
      }
      if (req.method === 'POST' && url.pathname === base) {
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<FakeRelease>;
        if (!input.tag_name)
          return send(422, {
            message: 'Validation Failed',
            errors: [{ resource: 'Release', code: 'missing_field', field: 'tag_name' }],
          });
        if (releases.has(input.tag_name))
          return send(422, {
            message: 'Validation Failed',
            errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
          });
        const release: FakeRelease = {
          id: nextId++,
          tag_name: input.tag_name,
          name: input.name ?? input.tag_name,
          body: input.body ?? '',
          draft: input.draft ?? false,
          prerelease: input.prerelease ?? false,
          html_url: `https://github.example/${options.repository}/releases/tag/${input.tag_name}`,
        };
        releases.set(release.tag_name, release);
        return send(201, release);
      }
      send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    releases,
    calls,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
