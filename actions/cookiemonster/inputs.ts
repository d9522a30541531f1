import type { ActionContext } from '../lib/context.js';
import { booleanInput, integerInput, listInput, stringInput, yamlInput } from '../lib/inputs.js';
import { requireDuration } from '../lib/duration.js';
import { UserError } from '../lib/errors.js';

/** Input and output names, exactly as in cookiemonster/action.yml. */
export const Inputs = {
  profile: 'profile',
  kubeconfig: 'kubeconfig',
  namespaces: 'namespaces',
  targets: 'targets',
  duration: 'duration',
  interval: 'interval',
  seed: 'seed',
  slack: 'slack',
  maxConcurrentKills: 'max-concurrent-kills',
  killMode: 'kill-mode',
  gracePeriod: 'grace-period',
  recoveryTimeout: 'recovery-timeout',
  rallyTask: 'rally-task',
  config: 'config',
  dryRun: 'dry-run',
  minKills: 'min-kills',
} as const;

export const Outputs = {
  kills: 'kills',
  maxRecoverySeconds: 'max-recovery-seconds',
  passed: 'passed',
  report: 'report',
} as const;

/** The inputs as given; unset ones are undefined so that the profile and defaults can fill them. */
export interface CookiemonsterInputs {
  /** Profile file or built-in profile name; its `cookiemonster` section supplies defaults. */
  profile?: string;
  /** Kubeconfig path or content (content is masked in logs). */
  kubeconfig?: string;
  /** The only namespaces chaos may touch. */
  namespaces: string[];
  /** Native targets (a YAML list). */
  targets?: unknown;
  /** Chaos window in ms. */
  durationMs?: number;
  /** Time between ticks in ms. */
  intervalMs?: number;
  /** PRNG seed for victim choice and jitter. */
  seed?: string;
  /** Default per-workload max-unavailable budget. */
  slack?: number;
  /** Cap on disruptions not yet recovered, across all targets. */
  maxConcurrentKills?: number;
  /** delete, hard, evict or exec. */
  killMode?: string;
  /** Grace period for delete/evict, in ms. */
  gracePeriodMs?: number;
  /** Time to wait for full recovery after the chaos window, in ms. */
  recoveryTimeoutMs?: number;
  /** A Rally task file to run as load during the chaos. */
  rallyTask?: string;
  /** An original cookiemonster config.yaml. */
  config?: string;
  /** Log the kills that would happen without doing them. */
  dryRun: boolean;
  /** Disruptive kills each target must achieve (targets may set their own). */
  minKills?: number;
}

const optionalDuration = (ctx: Pick<ActionContext, 'getInput'>, name: string): number | undefined => {
  const text = ctx.getInput(name).trim();
  return text ? requireDuration(text, `Input '${name}'`) : undefined;
};

export function readInputs(ctx: Pick<ActionContext, 'getInput'>): CookiemonsterInputs {
  const targets = yamlInput(ctx, Inputs.targets);
  if (targets !== undefined && targets !== null && !Array.isArray(targets)) {
    throw new UserError(
      `Input '${Inputs.targets}': expected a YAML list of targets such as [{kind: Deployment, name: keystone-api}], got ${JSON.stringify(targets).slice(0, 80)}`,
    );
  }
  return {
    profile: stringInput(ctx, Inputs.profile),
    kubeconfig: stringInput(ctx, Inputs.kubeconfig),
    namespaces: listInput(ctx, Inputs.namespaces),
    targets: targets ?? undefined,
    durationMs: optionalDuration(ctx, Inputs.duration),
    intervalMs: optionalDuration(ctx, Inputs.interval),
    seed: stringInput(ctx, Inputs.seed),
    slack: integerInput(ctx, Inputs.slack, { min: 0 }),
    maxConcurrentKills: integerInput(ctx, Inputs.maxConcurrentKills, { min: 1 }),
    killMode: stringInput(ctx, Inputs.killMode),
    gracePeriodMs: optionalDuration(ctx, Inputs.gracePeriod),
    recoveryTimeoutMs: optionalDuration(ctx, Inputs.recoveryTimeout),
    rallyTask: stringInput(ctx, Inputs.rallyTask),
    config: stringInput(ctx, Inputs.config),
    dryRun: booleanInput(ctx, Inputs.dryRun, { default: false }),
    minKills: integerInput(ctx, Inputs.minKills, { min: 0 }),
  };
}
