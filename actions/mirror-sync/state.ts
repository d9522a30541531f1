import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * What this action has written to a mirror, kept beside the cache: `prune` deletes a mirror ref
 * only while it still holds the value recorded here, so branches made on the mirror itself are
 * never mistaken for refs that vanished upstream. It outlives a rebuilt cache.
 */
export interface SyncState {
  version: 1;
  upstream: string;
  mirror: string;
  synced: Record<string, string>;
}

export function cacheKey(name: string, url: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60) || 'repo';
  return `${safe}-${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;
}

export function stateFile(cacheDir: string, name: string, upstream: string, mirror: string): string {
  return path.join(cacheDir, `${cacheKey(name, `${upstream}\n${mirror}`)}.state.json`);
}

export async function readState(file: string, upstream: string, mirror: string): Promise<SyncState> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as SyncState;
    if (
      data.version === 1 &&
      data.upstream === upstream &&
      data.mirror === mirror &&
      typeof data.synced === 'object'
    )
      return data;
  } catch {
    // Missing or unreadable: start afresh (prune then only removes refs pushed from now on).
  }
  return { version: 1, upstream, mirror, synced: {} };
}

export async function writeState(file: string, state: SyncState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 1)}\n`);
  await rename(temp, file);
}
