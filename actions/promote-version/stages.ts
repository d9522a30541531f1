/**
 * The nightly's stage results (GitHub job results or plain verdicts) and the verdict they give.
 * The decision lives here, not in workflow shell, so nightly.yml and taco-ci record the same.
 */
import { UserError } from '../lib/errors.js';
import { STAGES, type Stage, type StageVerdict, type StageVerdicts } from '../lib/history/entry.js';
import { DEFAULT_REQUIRED_STAGES } from '../lib/history/promotable.js';

const RESULTS: Record<string, StageVerdict> = {
  success: 'passed',
  passed: 'passed',
  true: 'passed',
  failure: 'failed',
  failed: 'failed',
  false: 'failed',
  cancelled: 'failed',
  skipped: 'skipped',
  '': 'skipped',
};

/** `success`, `failure`, `cancelled`, `skipped` (a job's result), `passed`/`failed`, true/false; '' = skipped. */
export function parseStageResult(text: string, what: string): StageVerdict {
  const verdict = RESULTS[text.trim().toLowerCase()];
  if (!verdict)
    throw new UserError(
      `${what}: expected a job result (success, failure, cancelled, skipped) or passed/failed, got ${JSON.stringify(text)}`,
    );
  return verdict;
}

/**
 * A nightly passes when it deployed and Tempest passed and nothing failed. Chaos may be skipped (a
 * run with `chaos: false`): the entry then says so, and require-nightly's stages decide whether it
 * can promote.
 */
export function nightlyVerdict(stages: StageVerdicts): 'passed' | 'failed' {
  const failed = STAGES.some((s) => stages[s] === 'failed');
  return !failed && stages.deploy === 'passed' && stages.tempest === 'passed' ? 'passed' : 'failed';
}

export function describeStages(stages: StageVerdicts): string {
  return STAGES.map((s) => `${s} ${stages[s]}`).join(', ');
}

/**
 * require-nightly: `false`/'' (off), `true` (the profile's promote.nightly-stages, else every
 * stage) or a list of stages that must have passed (`deploy, tempest`).
 */
export function parseRequiredStages(
  text: string,
  profileStages: readonly string[] | undefined,
  what: string,
  profileWhat: string,
): Stage[] | undefined {
  const value = text.trim().toLowerCase();
  if (value === '' || value === 'false') return undefined;
  if (value === 'true')
    return profileStages ? stageList(profileStages, profileWhat) : [...DEFAULT_REQUIRED_STAGES];
  return stageList(value.split(/[\s,]+/).filter(Boolean), what);
}

function stageList(items: readonly string[], what: string): Stage[] {
  for (const item of items)
    if (!(STAGES as readonly string[]).includes(item))
      throw new UserError(
        `${what}: expected true, false or stages among ${STAGES.join(', ')}, got ${JSON.stringify(item)}`,
      );
  return STAGES.filter((s) => items.includes(s));
}
