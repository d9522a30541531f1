import type { ActionContext } from '../lib/context.js';
import { UserError } from '../lib/errors.js';
import { booleanInput, choiceInput, durationInput, listInput, stringInput } from '../lib/inputs.js';
import { maskKubeconfig } from '../lib/kube/mask.js';

/** Input names exactly as in deploy-armada/action.yml. */
export const Inputs = {
  profile: 'profile',
  manifest: 'manifest',
  release: 'release',
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
  release: 'release',
  plan: 'plan',
  planFile: 'plan-file',
  diagnostics: 'diagnostics',
} as const;

export const ENGINES = ['helm', 'armada'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface DeployArmadaInputs {
  /** Profile file or built-in profile name ('' = local). */
  profile: string;
  /** Armada manifest file; '' = the profile's armada.manifest. */
  manifest?: string;
  /** Release artifact `<registry>/taco-release:<tag>` (or `@sha256:…`) to deploy instead of a manifest file. */
  release?: string;
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
  const manifest = stringInput(ctx, Inputs.manifest) || undefined;
  const release = releaseInput(stringInput(ctx, Inputs.release));
  const images = stringInput(ctx, Inputs.images) || undefined;
  if (release && manifest)
    throw new UserError(
      `Inputs '${Inputs.release}' and '${Inputs.manifest}' exclude each other: a release carries its own rendered manifest (got release ${JSON.stringify(release)} and manifest ${JSON.stringify(manifest)})`,
    );
  if (release && images)
    throw new UserError(
      `Inputs '${Inputs.release}' and '${Inputs.images}' exclude each other: a release pins its images by digest in its bill of materials`,
    );
  const kubeconfig = stringInput(ctx, Inputs.kubeconfig);
  // The input is always content (deploy-armada writes it to a file): mask it whatever its shape.
  if (kubeconfig) ctx.setSecret(kubeconfig);
  maskKubeconfig(ctx, kubeconfig);
  return {
    profile: stringInput(ctx, Inputs.profile, { default: '' }),
    manifest,
    release,
    targetManifest: stringInput(ctx, Inputs.targetManifest) || undefined,
    engine: engine ? choiceInput<EngineName>(ctx, Inputs.engine, ENGINES, { default: 'helm' }) : undefined,
    kubeconfig: kubeconfig || undefined,
    images,
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

/**
 * A release reference, or promote-version's `release` output as JSON (`{"ref": …, "digest": …}`),
 * which becomes the reference pinned by its digest.
 */
function releaseInput(text: string | undefined): string | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  if (!value.startsWith('{')) return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new UserError(`Input '${Inputs.release}': not valid JSON (${(err as Error).message})`);
  }
  const { ref, digest } = (parsed ?? {}) as { ref?: unknown; digest?: unknown };
  if (typeof ref !== 'string' || !ref || (digest !== undefined && typeof digest !== 'string'))
    throw new UserError(
      `Input '${Inputs.release}': expected a release reference or {"ref": "<registry>/taco-release:<tag>", "digest": "sha256:…"}, got ${value}`,
    );
  return digest && !ref.includes('@') ? `${ref}@${digest}` : ref;
}
