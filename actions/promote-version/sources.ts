/**
 * What a run releases: the images, charts and manifest given as inputs, or those a candidate
 * release artifact names (pulled and verified: what the nightly deployed and tested).
 */
import type { RegistryClient } from '../lib/registry/index.js';
import { parseImageReference } from '../lib/registry/index.js';
import { pullRelease } from '../lib/release/index.js';
import { type Candidate, parseCandidates } from './candidates.js';
import type { ChartCandidate } from './charts.js';
import type { ManifestSource } from './release-artifact.js';
import type { PromoteSettings } from './settings.js';

export interface ReleaseSources {
  candidates: Candidate[];
  charts: ChartCandidate[];
  manifest?: ManifestSource;
  /** The candidate release artifact they came from. */
  from?: { ref: string; digest: string };
}

export async function resolveSources(
  settings: PromoteSettings,
  client: RegistryClient,
): Promise<ReleaseSources> {
  if (!settings.release)
    return { candidates: settings.candidates, charts: settings.charts, manifest: settings.manifest };
  const { repository, reference, text } = settings.release;
  const pulled = await pullRelease(client, repository, reference);
  const what = `Input 'release' (${text})`;
  const candidates = parseCandidates(
    JSON.stringify(pulled.bom.images.map(({ name, ref, digest }) => ({ name, ref, digest }))),
    `${what}: images`,
    { ...settings.candidateOptions, candidateTag: undefined },
  );
  const charts = pulled.bom.charts.map((chart, i) => ({
    name: chart.name,
    repository: parseImageReference(chart.ref, `${what}: charts[${i}].ref`).repository,
    reference: chart.digest,
    expectedDigest: chart.digest,
  }));
  return {
    candidates,
    charts,
    manifest: {
      file: pulled.bom.manifest.file,
      path: `${pulled.ref} (${pulled.bom.manifest.file})`,
      text: pulled.manifestYaml,
      target: pulled.bom.manifest.target,
    },
    from: { ref: pulled.ref, digest: pulled.digest },
  };
}
