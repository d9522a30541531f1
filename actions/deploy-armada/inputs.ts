import type { ActionContext } from '../lib/context.js';
import { booleanInput, choiceInput, durationInput, listInput, stringInput } from '../lib/inputs.js';

/** Input names exactly as in deploy-armada/action.yml. */
export const Inputs = {
  profile: 'profile',
  manifest: 'manifest',
  targetManifest: 'target-manifest',
  engine: 'engine',
  kubeconfig: 'kubeconfig',
  images: 'images',
  values: 'values',
  set: 'set',
  timeout: 'timeout',
  dryRun: 'dry-run',
} as const;

/** Output names exactly as in deploy-armada/action.yml. */
export const Outputs = {
  releases: 'releases',
  plan: 'plan',
  diagnostics: 'diagnostics',
} as const;

export const ENGINES = ['helm', 'armada'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface DeployArmadaInputs {
  /** Profile file or built-in profile name ('' = local). */
  profile: string;
  /** Armada manifest file; '' = the profile's armada.manifest. */
  manifest?: string;
  /** metadata.name of the armada/Manifest/v1 to deploy; '' = the profile's, else the only one. */
  targetManifest?: string;
  /** helm (Helm 3 natively) or armada (the Armada CLI); undefined = profile, then helm. */
  engine?: EngineName;
  /** Kubeconfig content (a secret); '' = KUBECONFIG / ~/.kube/config of the runner. */
  kubeconfig?: string;
  /** kolla-bats' `images` output: built image references mapped into charts' images.tags. */
  images?: string;
  /** Files of Armada documents deep-merged into the manifest's documents of the same name. */
  values: string[];
  /** Armada overrides `<chart|chart_group|manifest>:<name>:<dotted.path>=<value>`; win over values. */
  set: string[];
  /** Deadline for the whole deployment in ms; undefined = profile's armada.timeout, else none. */
  timeoutMs?: number;
  /** Plan only: print what would be deployed and change nothing. */
  dryRun: boolean;
}

export function readInputs(ctx: ActionContext): DeployArmadaInputs {
  const engine = stringInput(ctx, Inputs.engine);
  const kubeconfig = stringInput(ctx, Inputs.kubeconfig);
  if (kubeconfig) ctx.setSecret(kubeconfig);
  return {
    profile: stringInput(ctx, Inputs.profile, { default: '' }),
    manifest: stringInput(ctx, Inputs.manifest) || undefined,
    targetManifest: stringInput(ctx, Inputs.targetManifest) || undefined,
    engine: engine ? choiceInput<EngineName>(ctx, Inputs.engine, ENGINES, { default: 'helm' }) : undefined,
    kubeconfig: kubeconfig || undefined,
    images: stringInput(ctx, Inputs.images) || undefined,
    values: listInput(ctx, Inputs.values),
    // One override per line: a value may itself contain commas (Armada's list syntax).
    set: ctx
      .getInput(Inputs.set)
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
    timeoutMs: durationInput(ctx, Inputs.timeout),
    dryRun: booleanInput(ctx, Inputs.dryRun, { default: false }),
  };
}
