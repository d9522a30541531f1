import type { ActionContext } from '../lib/context.js';
import {
  booleanInput,
  choiceInput,
  durationInput,
  integerInput,
  listInput,
  stringInput,
} from '../lib/inputs.js';

/** Input names exactly as in tempest/action.yml. */
export const Inputs = {
  profile: 'profile',
  mode: 'mode',
  config: 'config',
  workspace: 'workspace',
  adminPassword: 'admin-password',
  regex: 'regex',
  smoke: 'smoke',
  includeList: 'include-list',
  excludeList: 'exclude-list',
  knownFailures: 'known-failures',
  concurrency: 'concurrency',
  shardIndex: 'shard-index',
  shardCount: 'shard-count',
  timings: 'timings',
  rerunFailed: 'rerun-failed',
  allowEmpty: 'allow-empty',
  timeout: 'timeout',
  subunit: 'subunit',
  resultsDir: 'results-dir',
} as const;

/** Output names exactly as in tempest/action.yml. */
export const Outputs = {
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  newFailures: 'new-failures',
  flaky: 'flaky',
  junit: 'junit',
  subunit: 'subunit',
  timings: 'timings',
} as const;

export const MODES = ['run', 'merge', 'report'] as const;
export type Mode = (typeof MODES)[number];

/** The inputs as given; unset optional ones fall back to the profile's `tempest` section in main.ts. */
export interface TempestInputs {
  /** Profile file or built-in name (default `local`). */
  profile?: string;
  /** run: run Tempest; merge: combine shard streams; report: read existing stream(s). */
  mode: Mode;
  /** An existing tempest.conf to use instead of one generated from the profile. */
  config?: string;
  /** A tempest workspace directory (made with `tempest init` when it has no .stestr.conf). */
  workspace?: string;
  /** Admin password for a generated tempest.conf; else the profile's {env: NAME}. */
  adminPassword?: string;
  /** Python regex selecting tests. */
  regex?: string;
  /** Only tests tagged smoke. */
  smoke?: boolean;
  /** File of regexes to include (tempest --include-list). */
  includeList?: string;
  /** File of regexes to exclude (tempest --exclude-list). */
  excludeList?: string;
  /** File of known failures: one Python regex per line, `#` comments. */
  knownFailures?: string;
  /** Tempest workers (0: one per CPU). */
  concurrency?: number;
  /** This runner's shard, 0-based. */
  shardIndex: number;
  /** How many shards the selection is split into. */
  shardCount: number;
  /** Previous durations (a Subunit stream or this action's timings JSON) to balance shards. */
  timings?: string;
  /** Run failed tests once more and report those that pass as flaky. */
  rerunFailed?: boolean;
  /** A shard that gets no tests passes instead of failing (explicit: zero tests prove nothing). */
  allowEmpty?: boolean;
  /** Limit for one `tempest run`, in ms. */
  timeoutMs?: number;
  /** Stream files or directories of *.subunit files for merge/report. */
  subunit: string[];
  /** Where the stream, JUnit and timings are written. */
  resultsDir?: string;
}

export function readInputs(ctx: Pick<ActionContext, 'getInput'>): TempestInputs {
  const optional = <T>(value: T | undefined): T | undefined => value;
  const inputs: TempestInputs = {
    mode: choiceInput(ctx, Inputs.mode, MODES, { default: 'run' }),
    shardIndex: integerInput(ctx, Inputs.shardIndex, { default: 0, min: 0 }),
    shardCount: integerInput(ctx, Inputs.shardCount, { default: 1, min: 1 }),
    subunit: listInput(ctx, Inputs.subunit),
    resultsDir: stringInput(ctx, Inputs.resultsDir),
  };
  const set = <K extends keyof TempestInputs>(key: K, value: TempestInputs[K] | undefined) => {
    if (value !== undefined) inputs[key] = value;
  };
  set('profile', optional(stringInput(ctx, Inputs.profile)));
  set('config', stringInput(ctx, Inputs.config));
  set('workspace', stringInput(ctx, Inputs.workspace));
  set('adminPassword', stringInput(ctx, Inputs.adminPassword));
  set('regex', stringInput(ctx, Inputs.regex));
  set('smoke', booleanInput(ctx, Inputs.smoke));
  set('includeList', stringInput(ctx, Inputs.includeList));
  set('excludeList', stringInput(ctx, Inputs.excludeList));
  set('knownFailures', stringInput(ctx, Inputs.knownFailures));
  set('concurrency', integerInput(ctx, Inputs.concurrency, { min: 0 }));
  set('timings', stringInput(ctx, Inputs.timings));
  set('rerunFailed', booleanInput(ctx, Inputs.rerunFailed));
  set('allowEmpty', booleanInput(ctx, Inputs.allowEmpty));
  set('timeoutMs', durationInput(ctx, Inputs.timeout));
  return inputs;
}
