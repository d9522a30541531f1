/** How a deployed release shows in the plan (tree and JSON) and the job summary. */
import type { PlanNode } from '../lib/plan.js';
import { escapeMarkdown, markdownTable } from '../lib/reports/markdown.js';
import type { VerifiedRelease } from './release.js';

/** `host/repo:tag@sha256:…` (or the reference as given when it already has the digest). */
export function pinnedReleaseRef(release: Pick<VerifiedRelease, 'ref' | 'digest'>): string {
  return release.ref.includes('@') ? release.ref : `${release.ref}@${release.digest}`;
}

export function releasePlanNode(release: VerifiedRelease): PlanNode {
  const { bom } = release;
  return {
    title: `release ${release.ref} (${release.digest}), verified`,
    details: [
      `bill of materials: release ${bom.release}, candidate ${bom.candidate}, rendered from ${bom.manifest.file}${bom.manifest.target ? ` (${bom.manifest.target})` : ''}`,
      ...release.charts.map(
        (c) =>
          `chart ${c.name} ${c.version} ${c.digest} (package ${c.contentDigest}) → ${c.documents.join(', ')}`,
      ),
      ...release.images.map((i) => `image ${i.name} ${i.ref} ${i.digest}`),
    ],
  };
}

export function releaseJson(release: VerifiedRelease): object {
  return {
    ref: release.ref,
    digest: release.digest,
    pinned: pinnedReleaseRef(release),
    release: release.bom.release,
    candidate: release.bom.candidate,
    charts: release.charts.map((c) => ({
      name: c.name,
      version: c.version,
      ref: c.ref,
      digest: c.digest,
      contentDigest: c.contentDigest,
      documents: c.documents,
    })),
    images: release.images.map((i) => ({ name: i.name, ref: i.ref, digest: i.digest })),
  };
}

export function releaseMarkdown(release: VerifiedRelease): string {
  const code = (text: string) => `\`${text}\``;
  const charts = markdownTable(
    ['chart', 'version', 'digest', 'package', 'documents'],
    release.charts.map((c) => [
      escapeMarkdown(c.name),
      escapeMarkdown(c.version),
      code(c.digest),
      code(c.contentDigest),
      escapeMarkdown(c.documents.join(', ')),
    ]),
  );
  const images = markdownTable(
    ['image', 'reference', 'digest'],
    release.images.map((i) => [escapeMarkdown(i.name), code(i.ref), code(i.digest)]),
  );
  return [
    `### Release ${code(release.ref)}`,
    '',
    `Digest ${code(release.digest)} — release ${escapeMarkdown(release.bom.release)} of candidate ${escapeMarkdown(release.bom.candidate)}; every chart and image below was verified against the registry before deploying.`,
    '',
    charts,
    '',
    images,
    '',
  ].join('\n');
}
