import type { ActionContext } from '../lib/context.js';
import { HelmCli } from '../lib/helm/index.js';
import { maskKubeconfig } from '../lib/kube/mask.js';
import { loadProfile } from '../lib/profile/load.js';
import { type Dependencies, cleanupHelmRally, runHelmRally } from './engine.js';
import { readInputs } from './inputs.js';
import { kubeNamespaceClient } from './namespace.js';
import { resolveSettings } from './settings.js';
// The inputs action.yml declares: the entry warns about, and taco-ci refuses, any other.
export { Inputs } from './inputs.js';

function dependencies(ctx: ActionContext): Dependencies {
  return {
    helm: (state) =>
      new HelmCli({
        binary: state.helmBinary,
        version: state.helmVersion,
        env: ctx.env,
        cwd: ctx.workspace,
        ...(state.kubeconfig ? { kubeconfig: state.kubeconfig } : {}),
        log: (line) => ctx.info(line),
        onOutput: (text) => ctx.info(text.trimEnd()),
      }),
    namespaces: (state) => kubeNamespaceClient({ kubeconfig: state.kubeconfig, env: ctx.env }),
  };
}

export async function run(ctx: ActionContext): Promise<void> {
  const inputs = readInputs(ctx);
  maskKubeconfig(ctx, inputs.kubeconfig);
  const profile = loadProfile(inputs.profile || undefined, ctx.workspace);
  const settings = resolveSettings(inputs, profile, ctx);
  await runHelmRally(ctx, settings, dependencies(ctx));
}

export async function post(ctx: ActionContext): Promise<void> {
  await cleanupHelmRally(ctx, dependencies(ctx));
}
