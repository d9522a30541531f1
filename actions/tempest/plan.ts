import type { PlanNode } from '../lib/plan.js';
import type { Profile } from '../lib/profile/load.js';
import { tempestSection } from './profile.js';

export function plan(profile: Profile): PlanNode {
  const section = tempestSection(profile);
  const config = section.config;
  const details = [
    `selection: ${section.smoke ? 'smoke tests' : section.regex ? `regex ${section.regex}` : 'all tests'} (inputs regex/include-list/exclude-list may narrow it)`,
    `concurrency: ${(section.concurrency ?? 0) ? section.concurrency : 'one worker per CPU'}; timeout: ${section.timeout ?? '3h'}; rerun failed: ${section['rerun-failed'] ? 'once' : 'no'}`,
    config
      ? `tempest.conf generated: identity ${config.identity.uri}${config.identity.region ? ` (${config.identity.region})` : ''}, admin ${config.identity.username}/${config.identity.project}, password from $${config.identity.password.env}`
      : 'tempest.conf: from the `config` input (the profile has no tempest.config)',
  ];
  if (config?.services) {
    const on = Object.entries(config.services)
      .filter(([, v]) => v)
      .map(([k]) => k);
    const off = Object.entries(config.services)
      .filter(([, v]) => !v)
      .map(([k]) => k);
    details.push(
      `services available: ${on.join(', ') || 'none'}${off.length ? `; not available: ${off.join(', ')}` : ''}`,
    );
  }
  const children: PlanNode[] = [];
  const skip = section.skip ?? [];
  if (skip.length)
    children.push({
      title: `skip ${skip.length} pattern${skip.length === 1 ? '' : 's'}`,
      details: skip.map((s) => `${s.regex} — ${s.reason}`),
    });
  const known = section['known-failures'] ?? [];
  if (known.length)
    children.push({
      title: `${known.length} known failure${known.length === 1 ? '' : 's'} (do not fail the step)`,
      details: known.map((k) => `${k.regex} — ${[k.bug, k.reason].filter(Boolean).join(', ')}`),
    });
  children.push({
    title: 'report',
    details: ['JUnit, Subunit stream (raw kept), timings JSON, job summary; new failures fail the step'],
  });
  return { title: 'API tests against the cloud with Tempest', details, children };
}
