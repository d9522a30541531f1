/** A temp workspace holding a copy of the example images and bats suites (test/fixtures/kolla-bats/images). */
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const FIXTURE_IMAGES = path.resolve(import.meta.dirname, '..', 'fixtures', 'kolla-bats', 'images');

export function makeWorkspace(): string {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'kolla-bats-ws-'));
  cpSync(FIXTURE_IMAGES, path.join(workspace, 'images'), { recursive: true });
  return workspace;
}

export async function registryTags(
  registryUrl: string,
  repository: string,
  auth: string,
): Promise<{ status: number; tags: string[] }> {
  const res = await fetch(`${registryUrl}/v2/${repository}/tags/list`, { headers: { Authorization: auth } });
  const body = (await res.json()) as { tags?: string[] | null };
  return { status: res.status, tags: body.tags ?? [] };
}

export const MANIFEST_ACCEPT =
  'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json';

export async function registryDigest(
  registryUrl: string,
  repository: string,
  tag: string,
  auth: string,
): Promise<string | null> {
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Authorization: auth, Accept: MANIFEST_ACCEPT },
  });
  return res.headers.get('docker-content-digest');
}
