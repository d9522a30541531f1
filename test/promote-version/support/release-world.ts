/**
 * Release tests' setup: candidate images copied into a namespace of their own (so each test has
 * its own charts/ and taco-release repositories), candidate charts packaged from fixtures and
 * pushed as helm-rally does (`<Chart.yaml version>-<candidate>`), and a registry client.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageChart, pushChart, type PushedChart } from '../../../actions/lib/charts/index.js';
import { copyManifest, RegistryClient } from '../../../actions/lib/registry/index.js';
import { pullRelease } from '../../../actions/lib/release/index.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
export const MANIFEST = path.join(FIXTURES, 'promote-version/armada.yaml');
const KEYSTONE = path.join(FIXTURES, 'charts/keystone');
const GLANCE = path.join(FIXTURES, 'promote-version/charts/glance');

export function client(host: string): RegistryClient {
  return new RegistryClient({ host, retry: { retries: 0 } });
}

/** Copies `taco/candidates/<image>:<tag>` into `<namespace>/candidates/<image>:<tag>` (byte for byte). */
export async function copyCandidates(host: string, namespace: string, images: string[], tags: string[]) {
  const c = client(host);
  try {
    for (const image of images)
      for (const tag of tags)
        await copyManifest(c, {
          sourceRepository: `taco/candidates/${image}`,
          sourceReference: tag,
          targetRepository: `${namespace}/candidates/${image}`,
          targetReference: tag,
        });
  } finally {
    c.close();
  }
}

/**
 * Pushes keystone and glance as candidate `tag` into `<namespace>/charts/`: the packages helm-rally
 * would publish. `glanceWorkers` changes glance's template, so two candidates differ.
 */
export async function pushCandidateCharts(
  host: string,
  namespace: string,
  tag: string,
  glanceWorkers = 1,
): Promise<Record<string, PushedChart>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'promote-charts-'));
  // Both chart dirs side by side with helm-toolkit, so file://../helm-toolkit style paths resolve.
  cpSync(path.join(FIXTURES, 'charts'), path.join(dir, 'charts'), { recursive: true });
  const glance = path.join(dir, 'promote-version/charts/glance');
  cpSync(GLANCE, glance, { recursive: true });
  const values = path.join(glance, 'values.yaml');
  writeFileSync(values, readFileSync(values, 'utf8').replace('api: 1', `api: ${glanceWorkers}`));
  const c = client(host);
  const location = { host, namespace };
  try {
    const result: Record<string, PushedChart> = {};
    for (const [name, source] of [
      ['keystone', path.join(dir, 'charts/keystone')],
      ['glance', glance],
    ] as const) {
      const base = name === 'keystone' ? '2025.1.3' : '2025.1.7';
      const pkg = await packageChart(source, { version: `${base}-${tag}` });
      result[name] = await pushChart(c, location, pkg);
    }
    return result;
  } finally {
    c.close();
  }
}

export { KEYSTONE };

/** What deploy-armada's `release` output says of the candidate release it deployed. */
export async function deployedRelease(host: string, namespace: string, candidate: string): Promise<string> {
  const c = client(host);
  try {
    const release = await pullRelease(c, `${namespace}/taco-release`, candidate);
    return JSON.stringify({
      ref: release.ref,
      digest: release.digest,
      candidate: release.bom.candidate,
      images: release.bom.images.map(({ name, ref, digest }) => ({ name, ref, digest })),
      charts: release.bom.charts,
    });
  } finally {
    c.close();
  }
}
