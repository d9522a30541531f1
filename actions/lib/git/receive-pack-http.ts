import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ExternalError } from '../errors.js';
import { headerValue, HttpTransport } from '../http/index.js';
import { canReachInProcess } from './ls-refs-http.js';
import { headerFromLine, pktLine, readPktLines } from './pkt-line.js';
import { gitProgress } from './progress.js';
import type { PushRefResult } from './push.js';

/**
 * The first push into an empty mirror, sent as git's own receive-pack request from this process:
 * the create commands, then the cache's one pack file as it lies on disk (gitprotocol-pack(5)
 * "Reference Update Request and Packfile Transfer", over smart HTTP per gitprotocol-http(5)).
 *
 * `git push` would build that pack again: walk the whole history to list every object, then
 * write each one out (on a first sync of 60,000 commits, two seconds of a seven-second sync). When
 * the cache holds exactly one pack (a fresh clone) and its refs are exactly the refs to create, that
 * pack is what git push would send, object for object. Each command's old value is the zero id,
 * which receive-pack applies only while the ref does not exist: the lease of a create.
 *
 * Returns undefined, having sent nothing, whenever that does not hold (the mirror has refs, the
 * cache has loose objects or several packs, other refs, a proxy to honour, an answer that is not a
 * clean advertisement): the caller then runs `git push`.
 */
export interface PackPushOptions {
  /** `Authorization: Basic …` as git sends it, if any. */
  authorization?: string;
  env?: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  /** How long the mirror may take to answer once the pack is sent (it indexes it first). */
  timeoutMs?: number;
  progress?: (line: string) => void;
}

export interface Create {
  ref: string;
  value: string;
}

const AGENT = 'git/taco-mirror-sync';

export async function pushClonedPack(
  repo: string,
  url: string,
  creates: readonly Create[],
  /** The refs of `repo` (asked for only once its objects are one pack). */
  refsOfRepo: () => Promise<ReadonlyMap<string, string>>,
  options: PackPushOptions = {},
): Promise<PushRefResult[] | undefined> {
  if (creates.length === 0 || !canReachInProcess(url, options.env)) return undefined;
  const pack = await soleCompletePack(repo);
  if (!pack || !sameRefs(creates, await refsOfRepo())) return undefined;
  const base = url.replace(/\/+$/, '');
  const transport = new HttpTransport({
    env: options.env,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 60 * 60_000,
    retry: { retries: 0 },
    maxConnections: 1,
  });
  try {
    const capabilities = await emptyRepositoryCapabilities(transport, base, options.authorization);
    if (!capabilities) return undefined;
    return await sendPack(transport, base, creates, pack, capabilities, options);
  } finally {
    transport.close();
  }
}

function sameRefs(creates: readonly Create[], refs: ReadonlyMap<string, string>): boolean {
  return creates.length === refs.size && creates.every((c) => refs.get(c.ref) === c.value);
}

/** The path and size of the repository's only pack, when it has no loose objects and nothing kept. */
async function soleCompletePack(repo: string): Promise<{ file: string; size: number } | undefined> {
  const objects = path.join(repo, 'objects');
  const entries = await readdir(objects);
  if (entries.some((e) => /^[0-9a-f]{2}$/.test(e))) return undefined;
  if (await hasAlternates(objects)) return undefined;
  const packDir = await readdir(path.join(objects, 'pack'));
  const packs = packDir.filter((f) => f.endsWith('.pack'));
  if (packs.length !== 1) return undefined;
  const name = packs[0].slice(0, -'.pack'.length);
  if (packDir.some((f) => f.startsWith(`${name}.`) && /\.(keep|promisor|mtimes)$/.test(f))) return undefined;
  const file = path.join(objects, 'pack', packs[0]);
  return { file, size: (await stat(file)).size };
}

async function hasAlternates(objects: string): Promise<boolean> {
  try {
    return (await readFile(path.join(objects, 'info', 'alternates'), 'utf8')).trim() !== '';
  } catch {
    return false;
  }
}

/**
 * The capabilities receive-pack advertises, when the repository has no ref at all (its one
 * advertised line is `capabilities^{}`) and it can take this push; undefined otherwise.
 */
async function emptyRepositoryCapabilities(
  transport: HttpTransport,
  base: string,
  authorization: string | undefined,
): Promise<Set<string> | undefined> {
  let response;
  try {
    response = await transport.send({
      method: 'GET',
      url: `${base}/info/refs?service=git-receive-pack`,
      headers: { 'User-Agent': AGENT, ...headerFromLine(authorization) },
    });
  } catch {
    return undefined;
  }
  const type = headerValue(response, 'content-type') ?? '';
  if (response.status !== 200 || type !== 'application/x-git-receive-pack-advertisement') return undefined;
  const lines = readPktLines(response.body);
  if (!lines || lines[0]?.toString('utf8') !== '# service=git-receive-pack\n' || lines[1] !== null)
    return undefined;
  const advertised = lines.slice(2);
  if (advertised.length !== 2 || advertised[1] !== null || advertised[0] === null) return undefined;
  const [refPart, capabilityPart = ''] = advertised[0].toString('utf8').replace(/\n$/, '').split('\0');
  if (!/^0{40}(0{24})? capabilities\^\{\}$/.test(refPart)) return undefined;
  const capabilities = new Set(capabilityPart.split(' ').filter(Boolean));
  if (!capabilities.has('report-status') || !capabilities.has('ofs-delta')) return undefined;
  return capabilities;
}

async function sendPack(
  transport: HttpTransport,
  base: string,
  creates: readonly Create[],
  pack: { file: string; size: number },
  advertised: Set<string>,
  options: PackPushOptions,
): Promise<PushRefResult[]> {
  const zero = '0'.repeat(creates[0].value.length);
  const format = [...advertised].find((c) => c.startsWith('object-format='));
  const wanted = ['report-status', `agent=${AGENT}`];
  if (advertised.has('side-band-64k')) wanted.push('side-band-64k');
  if (format) wanted.push(format);
  const commands = Buffer.concat([
    ...creates.map((c, i) =>
      pktLine(`${zero} ${c.value} ${c.ref}${i === 0 ? `\0${wanted.join(' ')}` : ''}\n`),
    ),
    Buffer.from('0000'),
  ]);
  const body = Readable.from(
    (async function* () {
      yield commands;
      yield* createReadStream(pack.file, { highWaterMark: 1 << 20 });
    })(),
  );
  options.progress?.(`Sending the cache's pack (${pack.size} bytes) with ${creates.length} ref(s)`);
  const response = await transport.send({
    method: 'POST',
    url: `${base}/git-receive-pack`,
    headers: {
      'Content-Type': 'application/x-git-receive-pack-request',
      Accept: 'application/x-git-receive-pack-result',
      'Content-Length': String(commands.length + pack.size),
      'User-Agent': AGENT,
      ...headerFromLine(options.authorization),
    },
    body,
    retryable: false,
  });
  if (response.status !== 200)
    throw new ExternalError('git', `${base}/git-receive-pack answered HTTP ${response.status} to the push`);
  const progress = options.progress ? gitProgress((line) => options.progress!(`remote: ${line}`)) : undefined;
  const report = advertised.has('side-band-64k') ? demultiplex(response.body, progress) : response.body;
  return readReport(report, creates, base);
}

/** Band 1 of a side-band-64k answer; band 2 (progress text) goes to `progress`, band 3 is an error. */
function demultiplex(data: Buffer, progress?: (text: string) => void): Buffer {
  const lines = readPktLines(data);
  if (!lines) throw new ExternalError('git', 'the mirror sent a malformed answer to the push');
  const payload: Buffer[] = [];
  for (const line of lines) {
    if (line === null || line.length === 0) continue;
    const band = line[0];
    const content = line.subarray(1);
    if (band === 1) payload.push(content);
    else if (band === 2) progress?.(content.toString('utf8'));
    else if (band === 3)
      throw new ExternalError('git', `the mirror refused the push: ${content.toString('utf8').trim()}`);
  }
  return Buffer.concat(payload);
}

/** report-status: `unpack ok`, then `ok <ref>` or `ng <ref> <reason>` per command. */
function readReport(data: Buffer, creates: readonly Create[], base: string): PushRefResult[] {
  const lines = readPktLines(data)?.filter((l): l is Buffer => l !== null);
  if (!lines || lines.length === 0)
    throw new ExternalError('git', `${base}/git-receive-pack sent no report of the push`);
  const unpack = lines[0].toString('utf8').trim();
  if (unpack !== 'unpack ok')
    throw new ExternalError('git', `the mirror could not take the pushed objects (${unpack})`);
  const byRef = new Map<string, PushRefResult>();
  for (const line of lines.slice(1)) {
    const text = line.toString('utf8').replace(/\n$/, '');
    const match = /^(ok|ng) (\S+)(?: (.*))?$/.exec(text);
    if (!match) continue;
    const [, verdict, ref, reason] = match;
    byRef.set(
      ref,
      verdict === 'ok'
        ? { ref, status: 'ok', summary: '[new reference]', flag: '*' }
        : {
            ref,
            status: 'remote-rejected',
            summary: `[remote rejected] (${reason ?? 'no reason'})`,
            flag: '!',
          },
    );
  }
  return creates.map(
    (c) =>
      byRef.get(c.ref) ?? {
        ref: c.ref,
        status: 'error',
        summary: 'the mirror reported nothing for this ref',
        flag: '!',
      },
  );
}
