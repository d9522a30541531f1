/**
 * Chart sources as Armada fetches them — a local directory, a git repository at a reference, or a
 * tarball — and dependencies packaged as Armada does: each dependency chart is copied into the
 * chart's `charts/` directory (recursively), in a work copy so the source tree is never touched.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { UserError } from '../lib/errors.js';
import { HttpError, HttpTransport, isLoopbackHost, type ProxyEnvironment } from '../lib/http/index.js';
import { formatSize } from '../lib/size-limit.js';
import { runChecked } from '../lib/process.js';
import {
  localChartPath,
  type ChartDependency,
  type ChartSource,
  type PlannedChart,
} from '../lib/armada/index.js';

export interface ChartPreparerOptions {
  /** Where fetched sources and work copies go. */
  workDir: string;
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Hosts whose `tar` sources may be fetched over plain HTTP (profile `armada.insecure-hosts`). */
  insecureHosts?: readonly string[];
  /** Largest `tar` source accepted, downloaded and decompressed each (default MAX_TAR_SOURCE_BYTES). */
  maxTarBytes?: number;
}

/** Cap on a `tar` chart source, as downloaded and as decompressed. */
export const MAX_TAR_SOURCE_BYTES = 100 * 1024 * 1024;

export function describeSource(source: ChartSource): string {
  switch (source.type) {
    case 'local':
      return `local ${localChartPath(source)}`;
    case 'git':
      return `git ${source.location}${source.reference ? `@${source.reference}` : ''}${source.subpath ? ` //${source.subpath}` : ''}`;
    case 'tar':
      return `tar ${source.location}${source.subpath ? ` //${source.subpath}` : ''}`;
  }
}

export class ChartPreparer {
  private readonly fetched = new Map<string, Promise<string>>();

  constructor(private readonly options: ChartPreparerOptions) {
    mkdirSync(options.workDir, { recursive: true });
  }

  /** The directory of the source's chart (fetched once per location and reference). */
  private async sourceDir(source: ChartSource): Promise<string> {
    if (source.type === 'local') return localChartPath(source);
    const key = `${source.type}:${source.location}@${source.reference ?? ''}`;
    let root = this.fetched.get(key);
    if (!root) {
      root = source.type === 'git' ? this.fetchGit(source, key) : this.fetchTar(source, key);
      this.fetched.set(key, root);
    }
    return source.subpath ? path.join(await root, source.subpath) : root;
  }

  private dirFor(key: string, kind: string): string {
    return path.join(
      this.options.workDir,
      'sources',
      `${kind}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`,
    );
  }

  private gitEnv(source: ChartSource): Record<string, string | undefined> {
    const env: Record<string, string | undefined> = { ...this.options.env, GIT_TERMINAL_PROMPT: '0' };
    if (source.proxyServer) {
      env.http_proxy = source.proxyServer;
      env.https_proxy = source.proxyServer;
    }
    return env;
  }

  private async fetchGit(source: ChartSource, key: string): Promise<string> {
    const dir = this.dirFor(key, 'git');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const run = (args: string[]) =>
      runChecked('git', args, {
        cwd: dir,
        env: this.gitEnv(source),
        signal: this.options.signal,
        log: this.options.log,
        timeoutMs: 600_000,
      });
    await run(['init', '--quiet']);
    // A fetch by name works for branches, tags and (where the server allows it) commit ids.
    await run(['fetch', '--quiet', '--depth', '1', source.location, source.reference || 'HEAD']);
    await run(['checkout', '--quiet', 'FETCH_HEAD']);
    return dir;
  }

  private async fetchTar(source: ChartSource, key: string): Promise<string> {
    const dir = this.dirFor(key, 'tar');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const limit = this.options.maxTarBytes ?? MAX_TAR_SOURCE_BYTES;
    let archive = source.location.startsWith('file://') ? new URL(source.location).pathname : source.location;
    if (/^https?:\/\//i.test(source.location)) {
      archive = path.join(dir, '..', `${path.basename(dir)}.tgz`);
      const env = this.gitEnv(source);
      writeFileSync(archive, await downloadTar(source.location, limit, { ...this.options, env }));
    }
    if (!existsSync(archive)) throw new UserError(`chart source ${source.location}: no such tarball`);
    if (source.sha256) checkSha256(archive, source.sha256, source.location);
    await checkDecompressedSize(archive, limit, source.location);
    await runChecked('tar', ['-xzf', archive, '-C', dir], {
      signal: this.options.signal,
      log: this.options.log,
    });
    return dir;
  }

  private async checkChartDir(dir: string, what: string): Promise<void> {
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new UserError(`${what}: chart directory ${dir} does not exist`);
    if (!existsSync(path.join(dir, 'Chart.yaml')))
      throw new UserError(`${what}: ${dir} is not a Helm chart (no Chart.yaml)`);
  }

  private async packageDependencies(
    chartDir: string,
    dependencies: ChartDependency[],
    what: string,
  ): Promise<void> {
    for (const dependency of dependencies) {
      const source = await this.sourceDir(dependency.source);
      await this.checkChartDir(source, `${what}: dependency ${dependency.document}`);
      const target = path.join(chartDir, 'charts', dependency.chartName);
      rmSync(target, { recursive: true, force: true });
      mkdirSync(path.dirname(target), { recursive: true });
      cpSync(source, target, { recursive: true, filter: (p) => path.basename(p) !== '.git' });
      await this.packageDependencies(target, dependency.dependencies, what);
    }
  }

  /** A directory helm can install: the source itself, or a work copy with its dependencies in charts/. */
  async prepare(chart: PlannedChart): Promise<string> {
    const what = `Chart ${chart.document} (${describeSource(chart.source)})`;
    const source = await this.sourceDir(chart.source);
    await this.checkChartDir(source, what);
    if (chart.dependencies.length === 0) return source;
    const work = path.join(this.options.workDir, 'charts', chart.release, chart.chartName);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(path.dirname(work), { recursive: true });
    cpSync(source, work, { recursive: true, filter: (p) => path.basename(p) !== '.git' });
    await this.packageDependencies(work, chart.dependencies, what);
    return work;
  }
}

/**
 * Downloads a `tar` source: https, or plain http on loopback or a listed host; at most `limit`
 * bytes; through the shared HTTP stack (retries, and the proxy of `env`). Redirects are refused.
 */
async function downloadTar(
  location: string,
  limit: number,
  options: Pick<ChartPreparerOptions, 'insecureHosts' | 'signal'> & { env: ProxyEnvironment },
): Promise<Buffer> {
  const url = new URL(location);
  if (url.protocol === 'http:' && !isLoopbackHost(url.host) && !options.insecureHosts?.includes(url.host)) {
    throw new UserError(
      `chart source ${location}: plain http is refused for ${url.host} (use https, or list the host in the profile's armada.insecure-hosts)`,
    );
  }
  const transport = new HttpTransport({ env: options.env, signal: options.signal, maxConnections: 1 });
  try {
    const response = await transport.send({ method: 'GET', url: url.toString(), maxBytes: limit });
    if (response.status < 200 || response.status > 299)
      throw new UserError(`chart source ${location}: download failed with HTTP ${response.status}`);
    return response.body;
  } catch (err) {
    if (err instanceof HttpError && err.details.code === 'SIZE_EXCEEDED')
      throw new UserError(
        `chart source ${location}: larger than the ${formatSize(limit)} limit for a tar source`,
      );
    throw err;
  } finally {
    transport.close();
  }
}

function checkSha256(archive: string, expected: string, location: string): void {
  const actual = createHash('sha256').update(readFileSync(archive)).digest('hex');
  if (actual !== expected.toLowerCase()) {
    throw new UserError(
      `chart source ${location}: sha256 is ${actual}, the manifest's source.sha256 says ${expected}`,
    );
  }
}

/** Gunzips the archive to nowhere, counting: a gzip bomb is found before tar writes anything. */
async function checkDecompressedSize(archive: string, limit: number, location: string): Promise<void> {
  let total = 0;
  const counter = new Writable({
    write(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      done(
        total > limit
          ? new UserError(
              `chart source ${location}: decompresses to more than the ${formatSize(limit)} limit for a tar source`,
            )
          : null,
      );
    },
  });
  try {
    await pipeline(createReadStream(archive), zlib.createGunzip(), counter);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`chart source ${location}: not a gzipped tarball (${(err as Error).message})`);
  }
}
