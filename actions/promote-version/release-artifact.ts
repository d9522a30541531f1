/**
 * The release artifact `<registry>/taco-release:<tag>`: the bill of materials and the Armada
 * manifest rendered against it, planned (and compared with what the tag already holds) before
 * anything is written.
 */
import {
  type BillOfMaterials,
  type BomChart,
  type BomCommit,
  type BomImage,
  pullRelease,
  releaseArtifact,
  releaseRepository,
  renderReleaseManifest,
} from '../lib/release/index.js';
import { buildArtifactManifest, type RegistryClient, type RegistryLocation } from '../lib/registry/index.js';

/** The Armada manifest a release is rendered from. */
export interface ManifestSource {
  /** File name recorded in the BOM (`openstack.yaml`). */
  file: string;
  /** Where it was read from, for messages. */
  path: string;
  text: string;
  /** metadata.name of the armada/Manifest/v1 document to deploy. */
  target?: string;
}

export type ReleaseState =
  | { kind: 'absent' }
  | { kind: 'same'; digest: string }
  | { kind: 'other'; digest: string; differences: string[] };

export interface ReleasePlan {
  tag: string;
  repository: string;
  /** `host/<ns>/taco-release:<tag>` */
  ref: string;
  bom: BillOfMaterials;
  manifestYaml: string;
  /** The artifact's manifest digest (the BOM is canonical: the same release has the same digest). */
  digest: string;
  state: ReleaseState;
}

export interface ReleaseContent {
  tag: string;
  candidate: string;
  images: BomImage[];
  charts: BomChart[];
  commits: BomCommit[];
  nightly?: BillOfMaterials['nightly'];
  manifest: ManifestSource;
}

/** `http` or `https`: how the rendered manifest reaches the registry's chart blobs. */
export function registryScheme(client: RegistryClient): 'http' | 'https' {
  return client.baseUrl.startsWith('https:') ? 'https' : 'http';
}

/** The BOM and rendered manifest for `content`, and what the tag holds now. */
export async function planRelease(
  client: RegistryClient,
  registry: RegistryLocation,
  content: ReleaseContent,
): Promise<ReleasePlan> {
  const bom: BillOfMaterials = {
    schema: 1,
    release: content.tag,
    candidate: content.candidate,
    images: [...content.images].sort((a, b) => a.name.localeCompare(b.name)),
    charts: [...content.charts].sort((a, b) => a.name.localeCompare(b.name)),
    commits: content.commits,
    ...(content.nightly ? { nightly: content.nightly } : {}),
    manifest: {
      file: content.manifest.file,
      ...(content.manifest.target ? { target: content.manifest.target } : {}),
    },
  };
  const manifestYaml = renderReleaseManifest(
    content.manifest.text,
    content.manifest.path,
    { charts: bom.charts, images: bom.images },
    { scheme: registryScheme(client), target: content.manifest.target },
  );
  const repository = releaseRepository(registry);
  const digest = buildArtifactManifest(releaseArtifact({ bom, manifestYaml })).digest;
  const head = await client.headManifest(repository, content.tag);
  let state: ReleaseState = { kind: 'absent' };
  if (head?.digest === digest) state = { kind: 'same', digest };
  else if (head) {
    const existing = await pullRelease(client, repository, head.digest);
    const differences = releaseDifferences(existing, { bom, manifestYaml });
    state = differences.length
      ? { kind: 'other', digest: existing.digest, differences }
      : { kind: 'same', digest: existing.digest };
  }
  return {
    tag: content.tag,
    repository,
    ref: `${client.host}/${repository}:${content.tag}`,
    bom,
    manifestYaml,
    digest,
    state,
  };
}

/**
 * What makes two release artifacts different releases: the images and charts they name (by
 * digest), the source commits and the rendered manifest. The candidate label and the nightly run
 * are the record of how it was made, not what it is: an artifact that differs only there is the
 * same release (kept as it is).
 */
export function releaseDifferences(
  existing: { bom: BillOfMaterials; manifestYaml: string },
  planned: { bom: BillOfMaterials; manifestYaml: string },
): string[] {
  const differences: string[] = [];
  const compare = <T>(
    kind: string,
    a: readonly T[],
    b: readonly T[],
    key: (item: T) => string,
    value: (item: T) => string,
  ) => {
    const before = new Map(a.map((item) => [key(item), value(item)]));
    const after = new Map(b.map((item) => [key(item), value(item)]));
    for (const [name, v] of after) {
      const old = before.get(name);
      if (old === undefined) differences.push(`${kind} ${name} is not in it`);
      else if (old !== v) differences.push(`${kind} ${name}: it has ${old}, this release ${v}`);
    }
    for (const name of before.keys())
      if (!after.has(name)) differences.push(`${kind} ${name} is in it but not in this release`);
  };
  compare(
    'image',
    existing.bom.images,
    planned.bom.images,
    (i) => i.name,
    (i) => `${i.ref}@${i.digest}`,
  );
  compare(
    'chart',
    existing.bom.charts,
    planned.bom.charts,
    (c) => c.name,
    (c) => `${c.ref}@${c.digest} (content ${c.contentDigest})`,
  );
  compare(
    'commit of',
    existing.bom.commits,
    planned.bom.commits,
    (c) => c.repository,
    (c) => c.commit,
  );
  if (existing.manifestYaml !== planned.manifestYaml)
    differences.push('the rendered Armada manifest differs');
  return differences;
}
