import { formatDuration } from '../lib/duration.js';
import type { PlanNode } from '../lib/plan.js';
import type { Profile } from '../lib/profile/load.js';
import { resolveSettings, describeTarget } from './settings.js';

/** What `taco-ci plan` shows for the resiliency stage: targets, guard, timing; nothing is contacted. */
export function plan(profile: Profile, cwd: string): PlanNode {
  if (!profile.section('cookiemonster'))
    return { title: 'no cookiemonster section in the profile (skipped)' };
  const s = resolveSettings(
    { namespaces: [], dryRun: true },
    profile,
    { env: {}, setSecret: () => undefined, workspace: cwd },
    { planOnly: true },
  );
  return {
    title: `${s.killMode} pods in ${s.namespaces.join(', ')} for ${formatDuration(s.durationMs)} every ${formatDuration(s.intervalMs)}`,
    details: [
      `seed ${s.seedGiven ? s.seed : '(random per run, reported)'}; at most ${s.maxConcurrentKills} unrecovered kill(s) at once`,
      `recovery timeout ${formatDuration(s.recoveryTimeoutMs)}; fail below ${s.minAvailabilityPercent}% availability`,
      s.rallyTask ? `Rally load: ${s.rallyTask}` : 'no Rally load',
      ...s.warnings,
    ],
    children: s.targets.map((t) => ({ title: describeTarget(t, s.namespaces) })),
  };
}
