/** Shared test setup: candidate images in a real registry, promotion runs through run(), registry reads. */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { terminalContext } from '../../../actions/lib/terminal-context.js';
import { MANIFEST_ACCEPT } from '../../../actions/lib/registry/media-types.js';
import { run } from '../../../actions/promote-version/main.js';
import { OciLayout, skopeoPush, uniqueLayers, writeDockerArchive } from './oci-images.js';

export interface Candidates {
  /** digest per `<image>:<tag>`, e.g. `a:nightly-1`. */
  digests: Record<string, string>;
}

/**
 * Pushes candidates `<namespace>/candidates/{a,b,multi}:<tag>` for each tag: `a` from an OCI
 * layout (3 layers), `b` from a docker-archive (docker v2 manifest), `multi` a two-platform OCI index.
 */
export async function pushCandidates(
  host: string,
  namespace: string,
  tags: string[],
  options: { creds?: string; images?: ('a' | 'b' | 'multi')[] } = {},
): Promise<Candidates> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'promote-images-'));
  const images = options.images ?? ['a', 'b', 'multi'];
  const jobs: (() => Promise<[string, string]>)[] = [];
  for (const tag of tags) {
    const layout = new OciLayout(path.join(dir, `oci-${tag}`));
    for (const image of images) {
      const dest = `${host}/${namespace}/candidates/${image}:${tag}`;
      if (image === 'a') {
        layout.addImage({ layers: uniqueLayers(`a-${tag}`, 3), ref: `a` });
        jobs.push(async () => [
          `a:${tag}`,
          await skopeoPush(`oci:${layout.dir}:a`, dest, { creds: options.creds }),
        ]);
      } else if (image === 'b') {
        const archive = path.join(dir, `b-${tag}.tar`);
        writeDockerArchive(archive, { repoTag: `b:${tag}`, layers: uniqueLayers(`b-${tag}`, 3) });
        jobs.push(async () => [
          `b:${tag}`,
          await skopeoPush(`docker-archive:${archive}`, dest, { creds: options.creds }),
        ]);
      } else {
        const amd = layout.addImage({ layers: uniqueLayers(`m-amd-${tag}`, 2) });
        const arm = layout.addImage({ layers: uniqueLayers(`m-arm-${tag}`, 2), architecture: 'arm64' });
        layout.addIndex([amd, arm], 'multi');
        jobs.push(async () => [
          `multi:${tag}`,
          await skopeoPush(`oci:${layout.dir}:multi`, dest, { creds: options.creds, all: true }),
        ]);
      }
    }
  }
  const digests: Record<string, string> = {};
  // Two at a time: the machine has two cores.
  for (let i = 0; i < jobs.length; i += 2) {
    for (const [key, digest] of await Promise.all(jobs.slice(i, i + 2).map((job) => job())))
      digests[key] = digest;
  }
  return { digests };
}

/** The digest a registry serves for a reference, computed from the bytes (independent of our client). */
export async function servedDigest(
  host: string,
  repository: string,
  reference: string,
  basic?: string,
): Promise<string | undefined> {
  const res = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`, {
    headers: {
      accept: MANIFEST_ACCEPT,
      ...(basic ? { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } : {}),
    },
  });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${repository}:${reference}: HTTP ${res.status}`);
  return `sha256:${createHash('sha256')
    .update(Buffer.from(await res.arrayBuffer()))
    .digest('hex')}`;
}

export async function tagsOf(host: string, repository: string, basic?: string): Promise<string[]> {
  const res = await fetch(`http://${host}/v2/${repository}/tags/list`, {
    headers: basic ? { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } : {},
  });
  if (res.status === 404) return [];
  return (((await res.json()) as { tags: string[] | null }).tags ?? []).sort();
}

export interface PromoteRun {
  error?: Error;
  outputs: Record<string, string>;
  /** Everything printed. */
  log: string;
  summary: string;
}

/** Runs the action's run() in-process with a terminal context, as taco-ci does. */
export async function promoteRun(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  workspace?: string,
): Promise<PromoteRun> {
  let log = '';
  const ctx = terminalContext({
    inputs,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    signal: new AbortController().signal,
    write: (text) => (log += text),
    workspace: workspace ?? mkdtempSync(path.join(os.tmpdir(), 'promote-ws-')),
    tempDir: os.tmpdir(),
  });
  let error: Error | undefined;
  try {
    await run(ctx);
  } catch (err) {
    error = err as Error;
    log += `\nERROR ${error.message}\n`;
  }
  return { error, outputs: ctx.outputs, log, summary: ctx.summary.join('\n') };
}

/** A profile file for tests: the registry plus a promote section. */
export function writeProfile(dir: string, registry: string, promote: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'profile.yaml');
  writeFileSync(file, `name: test\nregistry:\n  url: ${registry}\npromote: ${JSON.stringify(promote)}\n`);
  return file;
}
