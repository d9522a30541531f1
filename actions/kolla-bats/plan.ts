import type { PlanNode } from '../lib/plan.js';
import type { Profile } from '../lib/profile/load.js';
import type { KollaSection } from './settings.js';

/** What the unit stage would do for a profile, read from its `kolla` and `registry` sections. */
export function plan(profile: Profile): PlanNode {
  const section = profile.section<KollaSection>('kolla') ?? {};
  const registry = profile.section<{ url: string; 'candidate-namespace'?: string }>('registry');
  const mode = section.mode ?? 'dockerfile';
  const target = registry
    ? [registry.url, registry['candidate-namespace']].filter(Boolean).join('/')
    : '(no registry: set one or push: false)';
  const images = section.images?.length
    ? section.images.join(', ')
    : mode === 'kolla'
      ? "kolla-build's default set"
      : 'every <image>/Dockerfile';
  const kolla = section['kolla-build'] ?? {};
  const children: PlanNode[] = [
    {
      title:
        mode === 'kolla'
          ? `Build with ${kolla.command ?? 'kolla-build'} (${section.engine ?? 'docker'})`
          : `Build <context>/<image>/Dockerfile with ${section.engine ?? 'docker'}`,
      details: [
        `context: ${section.context ?? '.'}`,
        `images: ${images}`,
        ...(mode === 'kolla'
          ? [
              `base: ${kolla.base ?? "kolla's default"}${kolla['base-tag'] ? `:${kolla['base-tag']}` : ''}`,
              ...(kolla['config-file'] ? [`config: ${kolla['config-file']}`] : []),
              ...(kolla['template-overrides']?.length
                ? [`template overrides: ${kolla['template-overrides'].join(', ')}`]
                : []),
              ...(kolla['skip-parents'] ? ['skip parents'] : []),
            ]
          : []),
      ],
    },
    {
      title: `Test each image with bats (${section.tests ?? 'tests/{image}.bats'})`,
      details: ['IMAGE and ENGINE in env; taco-image helper library on BATS_LIB_PATH'],
    },
    section.push === false
      ? { title: 'Push: off' }
      : {
          title: `Push images that passed to ${target}/<image>:<candidate tag>`,
          details: ['candidate tag: <branch>-<short sha>-<run number> unless given'],
        },
  ];
  return { title: `kolla-bats (${mode} mode)`, children };
}
