import type { ActionContext } from '../lib/context.js';
import { UserError } from '../lib/errors.js';
import {
  booleanInput,
  choiceInput,
  durationInput,
  listInput,
  stringInput,
  yamlInput,
} from '../lib/inputs.js';

/** Input names exactly as in helm-rally/action.yml. */
export const Inputs = {
  profile: 'profile',
  mode: 'mode',
  chart: 'chart',
  chartVersion: 'chart-version',
  release: 'release',
  namespace: 'namespace',
  values: 'values',
  imageTags: 'image-tags',
  kubeconfig: 'kubeconfig',
  keep: 'keep',
  task: 'task',
  taskArgs: 'task-args',
  rallyReport: 'rally-report',
  timeout: 'timeout',
  publish: 'publish',
  registry: 'registry',
  candidate: 'candidate',
} as const;

/** Output names exactly as in helm-rally/action.yml. */
export const Outputs = {
  slaPassed: 'sla-passed',
  reportJson: 'report-json',
  reportHtml: 'report-html',
  junit: 'junit',
  release: 'release',
  namespace: 'namespace',
  chart: 'chart',
} as const;

export const MODES = ['rally', 'helm-test', 'report'] as const;
export type Mode = (typeof MODES)[number];

/** The action's inputs as given; empty values fall back to the profile's `rally` section. */
export interface HelmRallyInputs {
  /** Profile file or built-in profile name ('' = local). */
  profile: string;
  /** `rally`: Rally task from the runner; `helm-test`: the chart's own test pod; `report`: read a report. */
  mode: Mode;
  /** Chart under test: a directory, a packaged chart or repo/name; undefined = profile, then no deploy. */
  chart?: string;
  /** Version constraint for a repository chart. */
  chartVersion?: string;
  /** Release name; default: the chart's name. */
  release?: string;
  /** Namespace; default: a fresh per-run namespace that the post step deletes. */
  namespace?: string;
  /** Values files applied after the profile's values (later ones win). */
  values: string[];
  /** Image overrides `{<image key>: <ref>}` written as openstack-helm's `images.tags`. */
  imageTags: Record<string, string>;
  /** kubeconfig path or content; undefined = KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  /** Leave the release and namespace in place after the job. */
  keep?: boolean;
  /** Rally task file (mode rally); undefined = profile. */
  task?: string;
  /** Jinja2 arguments for the task, over the profile's `task-args`. */
  taskArgs: Record<string, unknown>;
  /** An existing Rally JSON report (mode report). */
  rallyReport?: string;
  /** Limit for the Rally task or helm test; undefined = profile, then 30 minutes. */
  timeoutMs?: number;
  /** Push the chart under test to the registry after a pass (a run deploying no chart has none). */
  publish: boolean;
  /** Registry `host[:port][/namespace]` for the chart; undefined = the profile's registry.url. */
  registry?: string;
  /** Candidate label (a semver pre-release); undefined = c.<UTC yyyymmdd>.<run number>. */
  candidate?: string;
}

function mapping(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(`Input '${name}': expected a YAML or JSON mapping, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

export function readInputs(ctx: Pick<ActionContext, 'getInput'>): HelmRallyInputs {
  const imageTags = mapping(Inputs.imageTags, yamlInput(ctx, Inputs.imageTags));
  for (const [key, ref] of Object.entries(imageTags)) {
    if (typeof ref !== 'string' || ref === '') {
      throw new UserError(
        `Input '${Inputs.imageTags}': ${key}: expected an image reference string, got ${JSON.stringify(ref)}`,
      );
    }
  }
  return {
    profile: stringInput(ctx, Inputs.profile, { default: '' }),
    mode: choiceInput(ctx, Inputs.mode, MODES, { default: 'rally' }),
    chart: stringInput(ctx, Inputs.chart),
    chartVersion: stringInput(ctx, Inputs.chartVersion),
    release: stringInput(ctx, Inputs.release),
    namespace: stringInput(ctx, Inputs.namespace),
    values: listInput(ctx, Inputs.values),
    imageTags: imageTags as Record<string, string>,
    kubeconfig: stringInput(ctx, Inputs.kubeconfig),
    keep: booleanInput(ctx, Inputs.keep),
    task: stringInput(ctx, Inputs.task),
    taskArgs: mapping(Inputs.taskArgs, yamlInput(ctx, Inputs.taskArgs)),
    rallyReport: stringInput(ctx, Inputs.rallyReport),
    timeoutMs: durationInput(ctx, Inputs.timeout),
    publish: booleanInput(ctx, Inputs.publish, { default: true }),
    registry: stringInput(ctx, Inputs.registry),
    candidate: stringInput(ctx, Inputs.candidate),
  };
}
