import type { PlanNode } from '../lib/plan.js';
import type { Profile } from '../lib/profile/load.js';
import type { PromoteSection, RegistrySection } from './settings.js';

/** What `promote-version` would do for a profile (`taco-ci plan`); touches nothing. */
export function plan(profile: Profile): PlanNode {
  const registry = profile.section<RegistrySection>('registry');
  const promote = profile.section<PromoteSection>('promote') ?? {};
  const source = [registry?.url, registry?.['candidate-namespace']].filter(Boolean).join('/');
  const prefix = promote['target-prefix'] ?? registry?.['release-namespace'];
  const copy = prefix
    ? `copy manifests byte for byte to ${[registry?.url, prefix].filter(Boolean).join('/')}/<image>:<version>, mounting blobs across repositories`
    : `tag <version> in each candidate's own repository (the manifest bytes, unchanged)`;
  const images = promote.images?.length
    ? promote.images.join(', ')
    : '(from the images input: names or kolla-bats JSON)';
  const children: PlanNode[] = [
    { title: `verify every candidate in ${source || '(registry input)'}: ${images}` },
    {
      title: `version: ${promote.version ?? 'next-major'} (next N.0.0 from release tags; a re-run resumes the same version)`,
    },
    {
      title: copy,
    },
  ];
  const manifest =
    promote.manifest ??
    (promote.charts?.length ? profile.section<{ manifest?: string }>('armada')?.manifest : undefined);
  if (promote.charts?.length)
    children.push({
      title: `re-version charts to <version> (only Chart.yaml's version changes) and push them to ${[registry?.url, 'charts'].filter(Boolean).join('/')}/<chart>:<version>`,
      details: promote.charts.map((c) => `${c}${c.includes(':') ? '' : ' (the tag <version>-<candidate>)'}`),
    });
  if (manifest)
    children.push({
      title: `write the release artifact ${[registry?.url, 'taco-release'].filter(Boolean).join('/')}:<version>: bill of materials + ${manifest} rendered (charts pinned by digest, images at <version>)`,
      details: [
        'mode candidate-release: the same artifact for the candidate, taco-release:<candidate>, for the nightly to deploy',
      ],
    });
  if (promote['git-repos']?.length)
    children.push({ title: 'annotated git tags <version>', details: promote['git-repos'] });
  if (promote['github-release']) {
    children.push({
      title: `GitHub release in ${promote['github-release'] === true ? 'this repository' : promote['github-release']}`,
    });
  }
  if (promote.history) {
    children.push({
      title: `append to the artifact ledger ${promote.history}`,
      details: [
        'mode record-nightly: only a nightly entry (passed/failed, digests, run URL) is appended there',
        'require-nightly: the candidate needs a passing nightly there, with the same digests, before anything changes',
      ],
    });
  }
  return {
    title: 'promote a tested candidate to a release N.0.0',
    details: [`concurrency ${promote.concurrency ?? 8}, retries ${promote.retries ?? 4}`],
    children,
  };
}
