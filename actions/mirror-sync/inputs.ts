import type { ActionContext } from '../lib/context.js';
import { booleanInput, durationInput, listInput, stringInput } from '../lib/inputs.js';
import { UserError } from '../lib/errors.js';
import { basicCredential } from '../lib/git/auth.js';

/** Input names, exactly as in mirror-sync/action.yml. */
export const Inputs = {
  upstream: 'upstream',
  mirror: 'mirror',
  profile: 'profile',
  name: 'name',
  refs: 'refs',
  excludeRefs: 'exclude-refs',
  gate: 'gate',
  gateTimeout: 'gate-timeout',
  gateEnv: 'gate-env',
  gated: 'gated',
  gateUser: 'gate-user',
  gateImage: 'gate-image',
  gateEngine: 'gate-engine',
  gateNetwork: 'gate-network',
  allowForce: 'allow-force',
  prune: 'prune',
  failFast: 'fail-fast',
  upstreamToken: 'upstream-token',
  mirrorToken: 'mirror-token',
  sshKey: 'ssh-key',
  cacheDir: 'cache-dir',
  dryRun: 'dry-run',
  list: 'list',
} as const;

/** Output names, exactly as in mirror-sync/action.yml. */
export const Outputs = {
  changed: 'changed',
  updatedRefs: 'updated-refs',
  report: 'report',
  mirrors: 'mirrors',
} as const;

/**
 * The inputs as given. Unset ones are undefined so that a profile entry can fill them in; the
 * built-in defaults are applied after that (config.ts).
 */
export interface MirrorSyncInputs {
  /** Upstream repository URL; overrides the profile entry's. */
  upstream?: string;
  /** Mirror repository URL; overrides the profile entry's. */
  mirror?: string;
  /** Profile file or built-in profile name whose `mirrors.repos.<name>` entry supplies the settings. */
  profile?: string;
  /** The repository's name: its key in the profile's `mirrors.repos`, and the name in reports and caches. */
  name?: string;
  /** Ref patterns to mirror (`master`, `stable/*`, `refs/tags/**`). */
  refs?: string[];
  /** Ref patterns never mirrored. */
  excludeRefs?: string[];
  /** Shell command that must pass on each changed commit before it is pushed. */
  gate?: string;
  /** Time limit of one gate run, in milliseconds. */
  gateTimeoutMs?: number;
  /** Report file of a gate job's dry run: push only the values its gate passed, run no gate here. */
  gated?: string;
  /** Names of job environment variables the gate gets besides PATH, LANG, LC_ALL and TZ. */
  gateEnv?: string[];
  /** The unprivileged user the gate runs as when the action runs as root (default nobody). */
  gateUser?: string;
  /** Run the gate in a container of this image instead. */
  gateImage?: string;
  /** podman or docker (default: podman when installed). */
  gateEngine?: string;
  /** The gate container's network (default none). */
  gateNetwork?: string;
  /** `true`/`false`, or the ref patterns that may be force-updated. */
  allowForce?: boolean | string[];
  /** Delete mirror refs that vanished upstream (only refs this action created). */
  prune?: boolean;
  /** Stop at the first failed gate and push nothing. */
  failFast?: boolean;
  /** HTTPS token for the upstream (sent as a header, never in the URL). */
  upstreamToken?: string;
  /** HTTPS token for the mirror. */
  mirrorToken?: string;
  /** SSH private key for ssh:// and scp-style URLs. */
  sshKey?: string;
  /** Directory of the persistent bare caches. */
  cacheDir?: string;
  /** Do everything (fetch, gates, report) except pushing. */
  dryRun: boolean;
  /** Only list the profile's mirror names (output `mirrors`, for a workflow's matrix); sync nothing. */
  list: boolean;
}

const BOOLEAN_WORDS = /^(true|false|yes|no|on|off|1|0)$/i;

export function readInputs(ctx: Pick<ActionContext, 'getInput' | 'setSecret'>): MirrorSyncInputs {
  // Mask secrets before anything (including an error message) could print them.
  const upstreamToken = stringInput(ctx, Inputs.upstreamToken);
  const mirrorToken = stringInput(ctx, Inputs.mirrorToken);
  const sshKey = stringInput(ctx, Inputs.sshKey);
  for (const secret of [upstreamToken, mirrorToken, sshKey]) if (secret) ctx.setSecret(secret);
  // The Basic credential git and the ls-refs request send is derived from a token: masked too.
  for (const token of [upstreamToken, mirrorToken]) if (token) ctx.setSecret(basicCredential(token));

  const list = (name: string) => {
    const items = listInput(ctx, name);
    return items.length > 0 ? items : undefined;
  };
  const allowForceText = stringInput(ctx, Inputs.allowForce);
  let allowForce: boolean | string[] | undefined;
  if (allowForceText !== undefined) {
    allowForce = BOOLEAN_WORDS.test(allowForceText)
      ? booleanInput(ctx, Inputs.allowForce)
      : list(Inputs.allowForce);
  }
  const inputs: MirrorSyncInputs = {
    upstream: stringInput(ctx, Inputs.upstream),
    mirror: stringInput(ctx, Inputs.mirror),
    profile: stringInput(ctx, Inputs.profile),
    name: stringInput(ctx, Inputs.name),
    refs: list(Inputs.refs),
    excludeRefs: list(Inputs.excludeRefs),
    gate: stringInput(ctx, Inputs.gate),
    gateTimeoutMs: durationInput(ctx, Inputs.gateTimeout),
    gateEnv: list(Inputs.gateEnv),
    gated: stringInput(ctx, Inputs.gated),
    gateUser: stringInput(ctx, Inputs.gateUser),
    gateImage: stringInput(ctx, Inputs.gateImage),
    gateEngine: stringInput(ctx, Inputs.gateEngine),
    gateNetwork: stringInput(ctx, Inputs.gateNetwork),
    allowForce,
    prune: booleanInput(ctx, Inputs.prune),
    failFast: booleanInput(ctx, Inputs.failFast),
    upstreamToken,
    mirrorToken,
    sshKey,
    cacheDir: stringInput(ctx, Inputs.cacheDir),
    dryRun: booleanInput(ctx, Inputs.dryRun, { default: false }),
    list: booleanInput(ctx, Inputs.list, { default: false }),
  };
  if (inputs.gateEngine !== undefined && !['podman', 'docker'].includes(inputs.gateEngine))
    throw new UserError(
      `Input '${Inputs.gateEngine}': expected podman or docker, got ${JSON.stringify(inputs.gateEngine)}`,
    );
  if (inputs.gateTimeoutMs !== undefined && inputs.gateTimeoutMs <= 0) {
    throw new UserError(
      `Input '${Inputs.gateTimeout}': expected a positive duration, got ${JSON.stringify(ctx.getInput(Inputs.gateTimeout))}`,
    );
  }
  return inputs;
}
