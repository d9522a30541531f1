import { which } from '@actions/io';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ActionContext } from './context.js';
import { ExternalError, UserError } from './errors.js';
import { HttpTransport } from './http/index.js';
import { runProcess } from './process.js';

/** A pinned external CLI (helm, kubectl, bats-core…) and where to get it. */
export interface ToolSpec {
  /** Command name, as looked up on PATH and as the tool-cache folder name. */
  name: string;
  /** Exact version, e.g. `1.13.0`. */
  version: string;
  url: string;
  /** SHA-256 of the file at `url`, hex. */
  sha256: string;
  archive: 'tar.gz' | 'zip' | 'binary';
  /** The executable's path inside the unpacked archive (`bats-core-1.13.0/bin/bats`), or its file name for `binary`. */
  binPath: string;
  /** Arguments that print the version (`--version`); without them a binary on PATH is never trusted. */
  versionArgs?: string[];
  /** Extracts the version from that output; by default the first `\d+.\d+.\d+`. */
  versionPattern?: RegExp;
}

/** Where to log, the job's cancellation and (for the proxy variables) its environment. */
type Log = Pick<ActionContext, 'info' | 'debug' | 'signal'> & Partial<Pick<ActionContext, 'env'>>;

/** Refused beyond this: no pinned tool comes near it. */
const MAX_TOOL_BYTES = 512 * 1024 * 1024;

/**
 * Returns the absolute path of the tool's executable: a matching one already on PATH, else the
 * tool cache, else a verified download (a checksum mismatch is refused and nothing is cached).
 */
export async function ensureTool(ctx: Log, spec: ToolSpec): Promise<string> {
  const onPath = await matchingOnPath(ctx, spec);
  if (onPath) {
    ctx.debug(`${spec.name} ${spec.version} found on PATH at ${onPath}`);
    return onPath;
  }
  // Loaded only past the PATH check: @actions/tool-cache brings @actions/http-client and all of
  // undici, about 50 ms of start for a job whose runner has the tool already.
  const toolCache = await import('@actions/tool-cache');
  const cached = toolCache.find(spec.name, spec.version);
  if (cached) {
    ctx.debug(`${spec.name} ${spec.version} found in the tool cache`);
    return path.join(cached, spec.binPath);
  }
  ctx.info(`Installing ${spec.name} ${spec.version} from ${spec.url}`);
  const file = await download(ctx, spec.url);
  try {
    const actual = await sha256File(file);
    if (actual !== spec.sha256.toLowerCase()) {
      throw new ExternalError(
        'download',
        `${spec.name} ${spec.version}: the download from ${spec.url} has SHA-256 ${actual}, expected ${spec.sha256}; refusing to install it`,
      );
    }
    let dir: string;
    if (spec.archive === 'binary') {
      dir = await toolCache.cacheFile(file, spec.binPath, spec.name, spec.version);
    } else {
      const unpacked =
        spec.archive === 'zip' ? await toolCache.extractZip(file) : await toolCache.extractTar(file);
      await mustExist(path.join(unpacked, spec.binPath), spec);
      dir = await toolCache.cacheDir(unpacked, spec.name, spec.version);
    }
    const binary = path.join(dir, spec.binPath);
    await chmod(binary, 0o755);
    return binary;
  } finally {
    await rm(path.dirname(file), { recursive: true, force: true });
  }
}

/** The file at `url` in a new temp dir, through the shared HTTP stack (proxies, retries, redirects). */
async function download(ctx: Log, url: string): Promise<string> {
  const transport = new HttpTransport({ env: ctx.env, signal: ctx.signal, maxRedirections: 5 });
  try {
    const response = await transport.send({ method: 'GET', url, maxBytes: MAX_TOOL_BYTES });
    if (response.status !== 200) throw new Error(`download of ${url} failed with HTTP ${response.status}`);
    const file = path.join(
      await mkdtemp(path.join(os.tmpdir(), 'taco-tool-')),
      path.basename(new URL(url).pathname),
    );
    await writeFile(file, response.body);
    return file;
  } finally {
    transport.close();
  }
}

async function mustExist(binary: string, spec: ToolSpec): Promise<void> {
  try {
    await stat(binary);
  } catch {
    throw new UserError(`${spec.name} ${spec.version}: the archive from ${spec.url} has no ${spec.binPath}`);
  }
}

async function matchingOnPath(ctx: Log, spec: ToolSpec): Promise<string | undefined> {
  if (!spec.versionArgs) return undefined;
  const found = await which(spec.name, false);
  if (!found) return undefined;
  const result = await runProcess(found, spec.versionArgs, { timeoutMs: 30_000, signal: ctx.signal });
  const output = `${result.stdout}\n${result.stderr}`;
  const version = (spec.versionPattern ?? /(\d+\.\d+\.\d+)/).exec(output)?.[1];
  if (version === spec.version) return found;
  ctx.debug(`${spec.name} on PATH (${found}) is version ${version ?? 'unknown'}, not ${spec.version}`);
  return undefined;
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}
