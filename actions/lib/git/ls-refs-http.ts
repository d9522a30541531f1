import { headerValue, HttpTransport, type HttpResponse } from '../http/index.js';
import { headerFromLine, pktLine, readPktLines } from './pkt-line.js';
import { OBJECT_ID } from './refs.js';

/**
 * The refs of a smart-HTTP remote from one protocol v2 `ls-refs` request made in this process:
 * the same answer as `git ls-remote --refs`, without starting git, git-remote-http and the
 * capability-advertisement request. The request is exactly what git sends after that
 * advertisement (gitprotocol-v2(5) "ls-refs", pkt-lines per gitprotocol-common(5)); servers
 * answer it without the advertisement because every v2 request over HTTP is stateless.
 *
 * It returns undefined whenever the answer is not a clean v2 ref listing (no v2, a redirect, an
 * auth challenge, TLS or network trouble, a proxy to honour): the caller then runs
 * `git ls-remote`, which applies the user's git configuration and words errors the usual way.
 */
export interface LsRefsHttpOptions {
  /** `Authorization` header line as git sends it (`Authorization: Basic …`), if any. */
  authorization?: string;
  /** Ask only for refs/heads/ and/or refs/tags/ (undefined: every ref). */
  only?: { heads?: boolean; tags?: boolean };
  /** The environment git would run in: a proxy variable there means git, not us. */
  env?: Readonly<Record<string, string | undefined>>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'all_proxy'];
/** A listing of a million refs is about 80 MB; more is not a ref listing. */
const MAX_LS_REFS_BYTES = 128 * 1024 * 1024;

/** True when an in-process request could reach `url` the way git would. */
export function canReachInProcess(url: string, env: LsRefsHttpOptions['env'] = {}): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  if (parsed.username || parsed.password || parsed.search || parsed.hash) return false;
  return !Object.keys(env).some((key) => PROXY_VARIABLES.includes(key.toLowerCase()) && env[key]);
}

export async function lsRefsHttp(
  url: string,
  options: LsRefsHttpOptions = {},
): Promise<Map<string, string> | undefined> {
  if (!canReachInProcess(url, options.env)) return undefined;
  const prefixes: string[] = [];
  if (options.only?.heads) prefixes.push('refs/heads/');
  if (options.only?.tags) prefixes.push('refs/tags/');
  const body = Buffer.concat([
    pktLine('command=ls-refs\n'),
    pktLine('agent=git/taco-mirror-sync\n'),
    Buffer.from('0001'),
    ...prefixes.map((prefix) => pktLine(`ref-prefix ${prefix}\n`)),
    Buffer.from('0000'),
  ]);
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-git-upload-pack-request',
    Accept: 'application/x-git-upload-pack-result',
    'Git-Protocol': 'version=2',
    'User-Agent': 'git/taco-mirror-sync',
    ...headerFromLine(options.authorization),
  };
  // The shared HTTP stack, without retries: any trouble is git's to retry and word.
  const transport = new HttpTransport({
    env: options.env,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 60_000,
    retry: { retries: 0 },
    maxConnections: 1,
  });
  let response: HttpResponse;
  try {
    response = await transport.send({
      method: 'POST',
      url: `${url.replace(/\/+$/, '')}/git-upload-pack`,
      headers,
      body,
      maxBytes: MAX_LS_REFS_BYTES,
    });
  } catch {
    if (options.signal?.aborted) throw options.signal.reason;
    return undefined;
  } finally {
    transport.close();
  }
  // A redirect is an answer here (not followed), and not a ref listing.
  const type = headerValue(response, 'content-type') ?? '';
  if (response.status !== 200 || !type.startsWith('application/x-git-upload-pack-result')) return undefined;
  const refs = parseLsRefs(response.body);
  if (!refs) return undefined;
  // Servers may ignore ref-prefix (it is a hint): filter like `ls-remote --heads --tags` does.
  if (prefixes.length > 0)
    for (const ref of refs.keys()) if (!prefixes.some((p) => ref.startsWith(p))) refs.delete(ref);
  return refs;
}

/**
 * Parses an ls-refs answer: pkt-lines `<oid> <refname>[ <attribute>…]` ended by a flush packet.
 * Returns undefined for anything else (an `ERR` packet, a truncated answer, a v0 advertisement);
 * symbolic HEAD and peeled values are left out, as `ls-remote --refs` does.
 */
export function parseLsRefs(data: Buffer): Map<string, string> | undefined {
  const lines = readPktLines(data);
  // One flush packet, at the very end.
  if (!lines || lines.length === 0 || lines.indexOf(null) !== lines.length - 1) return undefined;
  const refs = new Map<string, string>();
  for (const payload of lines.slice(0, -1) as Buffer[]) {
    const [oid, name] = payload.toString('utf8').replace(/\n$/, '').split(' ', 2);
    if (!OBJECT_ID.test(oid) || !name) return undefined;
    if (name.startsWith('refs/') && !name.endsWith('^{}')) refs.set(name, oid);
  }
  return refs;
}
