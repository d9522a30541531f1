import { UserError } from '../errors.js';
import { pullArtifact, pushImmutable, type ArtifactSpec } from '../registry/artifact.js';
import type { RegistryClient } from '../registry/client.js';
import type { RegistryLocation } from '../registry/reference.js';
import { type BillOfMaterials, parseBom, releaseConfig, ReleaseMediaTypes, serializeBom } from './bom.js';
import { formatReleaseRef, releaseRepository } from './reference.js';

export interface ReleaseContent {
  bom: BillOfMaterials;
  /** The rendered Armada manifest. */
  manifestYaml: string;
}

export interface PushedRelease {
  ref: string;
  digest: string;
  status: 'pushed' | 'unchanged' | 'planned';
}

export interface PulledRelease extends ReleaseContent {
  ref: string;
  digest: string;
}

const TITLE = 'org.opencontainers.image.title';

/** The OCI artifact of a release: config, then the rendered manifest and the bill of materials. */
export function releaseArtifact(content: ReleaseContent): ArtifactSpec {
  return {
    config: { mediaType: ReleaseMediaTypes.config, bytes: releaseConfig(content.bom) },
    layers: [
      {
        mediaType: ReleaseMediaTypes.manifest,
        bytes: Buffer.from(content.manifestYaml),
        annotations: { [TITLE]: 'armada-manifest.yaml' },
      },
      {
        mediaType: ReleaseMediaTypes.bom,
        bytes: serializeBom(content.bom),
        annotations: { [TITLE]: 'bill-of-materials.json' },
      },
    ],
    annotations: {
      'org.opencontainers.image.version': content.bom.release,
      'vnd.taco.release.candidate': content.bom.candidate,
    },
  };
}

/**
 * Pushes `<ns>/taco-release:<bom.release>`. Immutable like every release tag: the same content is
 * left alone ('unchanged'), other content under the tag is refused.
 */
export async function pushRelease(
  client: RegistryClient,
  location: RegistryLocation,
  content: ReleaseContent,
  options: { dryRun?: boolean } = {},
): Promise<PushedRelease> {
  const repository = releaseRepository(location);
  const tag = content.bom.release;
  const pushed = await pushImmutable(client, repository, tag, releaseArtifact(content), options);
  return {
    ref: formatReleaseRef(client.host, repository, tag),
    digest: pushed.digest,
    status: pushed.status,
  };
}

/** Pulls a release by tag or digest; every blob is digest-checked and the layers must be a release's. */
export async function pullRelease(
  client: RegistryClient,
  repository: string,
  reference: string,
  options: { expectedDigest?: string } = {},
): Promise<PulledRelease> {
  const ref = `${client.host}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`;
  const artifact = await pullArtifact(client, repository, reference, options);
  if (artifact.config.mediaType !== ReleaseMediaTypes.config)
    throw new UserError(
      `${ref} is not a TACO release: its config media type is ${JSON.stringify(artifact.config.mediaType)}, expected ${ReleaseMediaTypes.config}`,
    );
  const layer = (mediaType: string) => {
    const found = artifact.layers.filter((l) => l.mediaType === mediaType);
    if (found.length !== 1)
      throw new UserError(`${ref}: expected exactly one ${mediaType} layer, found ${found.length}`);
    return found[0];
  };
  const manifestYaml = layer(ReleaseMediaTypes.manifest).bytes.toString('utf8');
  const bom = parseBom(layer(ReleaseMediaTypes.bom).bytes, `${ref} bill of materials`);
  if (!reference.includes(':') && bom.release !== reference)
    throw new UserError(`${ref}: the bill of materials names release ${bom.release}, not ${reference}`);
  return {
    ref,
    digest: artifact.manifest.digest,
    bom,
    manifestYaml,
  };
}
