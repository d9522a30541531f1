import { loadProfile } from '../lib/profile/load.js';
import { registryClients, resolveRegistryAccess } from '../lib/registry/access.js';
import {
  diffReleases,
  formatBomMarkdown,
  formatBomText,
  parseReleaseRef,
  type PulledRelease,
  pullRelease,
  releaseDiffMarkdown,
  releaseDiffRows,
} from '../lib/release/index.js';
import { textTable } from '../lib/reports/text-table.js';
import type { CliHost } from './host.js';

export type ReleaseFormat = 'table' | 'markdown' | 'json';

export interface ReleaseCommandOptions {
  /** Profile whose registry (host, namespace, credentials) is used for bare tags. */
  profile: string;
  format: ReleaseFormat;
  env: CliHost['env'];
  cwd: CliHost['cwd'];
}

/**
 * Reads releases named by full reference (`host/ns/taco-release:1.0.0`, `…@sha256:…`) or, with the
 * profile's registry, by tag alone (`1.0.0`).
 */
async function withReleases<T>(
  refs: string[],
  options: ReleaseCommandOptions,
  use: (releases: PulledRelease[]) => T,
): Promise<T> {
  const profile = loadProfile(options.profile, options.cwd);
  const ctx = { env: options.env, setSecret: () => undefined };
  const inputNames = { registry: 'registry', username: 'registry-username', password: 'registry-password' };
  const access = resolveRegistryAccess(ctx, { inputNames, profile });
  const clients = registryClients(access, { env: ctx.env });
  try {
    const releases = await Promise.all(
      refs.map((text, i) => {
        const what = `release ${i + 1} (${JSON.stringify(text)})`;
        const ref = parseReleaseRef(text, what, access?.location);
        return pullRelease(clients.forHost(ref.host), ref.repository, ref.reference);
      }),
    );
    return use(releases);
  } finally {
    clients.close();
  }
}

/** `taco-ci release show <ref>`: the bill of materials. */
export function showRelease(ref: string, options: ReleaseCommandOptions): Promise<string> {
  return withReleases([ref], options, ([release]) => {
    if (options.format === 'json')
      return `${JSON.stringify({ ref: release.ref, digest: release.digest, bom: release.bom }, null, 2)}\n`;
    return options.format === 'markdown' ? formatBomMarkdown(release) : formatBomText(release);
  });
}

/** `taco-ci release diff <a> <b>`: images, charts and source commits that changed from a to b. */
export function diffReleaseRefs(a: string, b: string, options: ReleaseCommandOptions): Promise<string> {
  return withReleases([a, b], options, ([from, to]) => {
    const diff = diffReleases(from.bom, to.bom);
    if (options.format === 'json') return `${JSON.stringify(diff, null, 2)}\n`;
    if (options.format === 'markdown') return releaseDiffMarkdown(diff);
    const rows = releaseDiffRows(diff);
    const title = `${from.ref} → ${to.ref}: ${diff.artifacts.length} image(s)/chart(s) changed, ${diff.unchanged} unchanged\n`;
    return rows.length
      ? `${title}\n${textTable(['kind', 'name', 'change', diff.from, diff.to], rows)}`
      : `${title}Nothing changed.\n`;
  });
}
