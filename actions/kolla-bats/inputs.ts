import type { ActionContext } from '../lib/context.js';
import { booleanInput, listInput, stringInput } from '../lib/inputs.js';

/** Input names exactly as in kolla-bats/action.yml. */
export const Inputs = {
  profile: 'profile',
  mode: 'mode',
  context: 'context',
  images: 'images',
  tests: 'tests',
  engine: 'engine',
  registry: 'registry',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  tag: 'tag',
  push: 'push',
  dryRun: 'dry-run',
} as const;

/** Output names exactly as in kolla-bats/action.yml. */
export const Outputs = {
  images: 'images',
  planned: 'planned',
  junit: 'junit',
  passed: 'passed',
} as const;

/** The action's inputs as given; empty values fall back to the profile's `kolla` section. */
export interface KollaBatsInputs {
  /** Profile file or built-in profile name ('' = local). */
  profile: string;
  /** `kolla` (drive kolla-build) or `dockerfile` (one folder per image); undefined = profile. */
  mode?: string;
  /** The wrapper repository (kolla) or the folder of image folders (dockerfile). */
  context?: string;
  /** Image names (dockerfile) or kolla-build regexes (kolla); empty = profile's, then all. */
  images: string[];
  /** Bats suites: a directory of `<image>.bats`, or a glob where `{image}` stands for the image name. */
  tests?: string;
  /** `docker` or `podman`. */
  engine?: string;
  /** Where candidates are pushed: host[:port][/namespace]. */
  registry?: string;
  registryUsername?: string;
  registryPassword?: string;
  /** Candidate tag; default `<branch>-<short sha>-<run number>`. */
  tag?: string;
  /** Push images that passed; undefined = profile, then true. */
  push?: boolean;
  /** Validate and show what would be built, without building, testing or pushing. */
  dryRun: boolean;
}

export function readInputs(ctx: Pick<ActionContext, 'getInput'>): KollaBatsInputs {
  return {
    profile: stringInput(ctx, Inputs.profile, { default: '' }),
    mode: stringInput(ctx, Inputs.mode),
    context: stringInput(ctx, Inputs.context),
    images: listInput(ctx, Inputs.images),
    tests: stringInput(ctx, Inputs.tests),
    engine: stringInput(ctx, Inputs.engine),
    registry: stringInput(ctx, Inputs.registry),
    registryUsername: stringInput(ctx, Inputs.registryUsername),
    registryPassword: stringInput(ctx, Inputs.registryPassword),
    tag: stringInput(ctx, Inputs.tag),
    push: booleanInput(ctx, Inputs.push),
    dryRun: booleanInput(ctx, Inputs.dryRun, { default: false }),
  };
}
