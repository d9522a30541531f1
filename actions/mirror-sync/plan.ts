import { formatDuration, parseDuration } from '../lib/duration.js';
import type { PlanNode } from '../lib/plan.js';
import type { Profile } from '../lib/profile/load.js';
import { DEFAULT_GATE_TIMEOUT_MS, type MirrorOptions, type MirrorsSection } from './config.js';
import { DEFAULT_REFS, normalizePattern } from './ref-patterns.js';

/** `taco-ci plan`: one node per mirrored repository, with the settings a run would use. */
export function plan(profile: Profile): PlanNode {
  const section = profile.section<MirrorsSection>('mirrors');
  const repos = Object.entries(section?.repos ?? {});
  if (repos.length === 0)
    return { title: 'no mirrors configured', details: ['(the profile has no mirrors.repos)'] };
  const defaults = section?.defaults ?? {};
  return {
    title: `sync ${repos.length} mirror(s), one matrix job each`,
    details: section?.['cache-dir']
      ? [`cache: ${section['cache-dir']}`]
      : ['cache: $RUNNER_TOOL_CACHE/taco-mirror-sync'],
    children: repos.map(([name, entry]) => {
      const pick = <K extends keyof MirrorOptions>(key: K): MirrorOptions[K] => entry[key] ?? defaults[key];
      const refs = (pick('refs') ?? DEFAULT_REFS).map(normalizePattern);
      const exclude = (pick('exclude-refs') ?? []).map(normalizePattern);
      const force = pick('allow-force');
      const timeout = pick('gate-timeout');
      const gate = pick('gate');
      return {
        title: `${name}: ${entry.upstream} → ${entry.mirror}`,
        details: [
          `refs: ${refs.join(', ')}${exclude.length ? ` (except ${exclude.join(', ')})` : ''}`,
          gate
            ? `gate: ${gate} (timeout ${formatDuration(timeout === undefined ? DEFAULT_GATE_TIMEOUT_MS : (parseDuration(String(timeout)) ?? DEFAULT_GATE_TIMEOUT_MS))}${pick('fail-fast') ? ', fail-fast' : ''})`
            : 'gate: none',
          `force updates: ${force === true ? 'allowed on every ref' : Array.isArray(force) && force.length ? force.join(', ') : 'refused'}`,
          `prune: ${pick('prune') ? 'deletes refs this sync created that vanished upstream' : 'off'}`,
          `credentials: ${[pick('upstream-token') && `upstream token from $${pick('upstream-token')!.env}`, pick('mirror-token') && `mirror token from $${pick('mirror-token')!.env}`, pick('ssh-key') && `SSH key from $${pick('ssh-key')!.env}`].filter(Boolean).join(', ') || 'none'}`,
        ],
      };
    }),
  };
}
