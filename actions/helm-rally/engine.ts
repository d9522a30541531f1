import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { JobFailure, UserError, errorMessage, isJobFailure, isUserError } from '../lib/errors.js';
import type { HelmClient } from '../lib/helm/index.js';
import { isInlineKubeconfig } from '../lib/kube/kubeconfig-source.js';
import { maskKubeconfig } from '../lib/kube/mask.js';
import { parseRallyReport, RallyReportError, rallyReportToJUnit, runRallyTask } from '../lib/rally/index.js';
import { RegistryClient } from '../lib/registry/client.js';
import {
  type PreparedChart,
  checkChartTag,
  chartOutput,
  prepareChart,
  publishChart,
} from './chart-publish.js';
import { type DeployedState, cleanupDeployment, deployChart, deployedState } from './deploy.js';
import { Outputs } from './inputs.js';
import type { NamespaceClient } from './namespace.js';
import {
  publishHelmTest,
  publishRallyReport,
  publishRallyRun,
  setOutputs,
  summarizePublishedChart,
} from './publish.js';
import type { HelmRallySettings } from './settings.js';

export const STATE_DEPLOYED = 'deployed';

/** The outside world the engine drives; main.ts builds the real ones, tests pass fakes. */
export interface Dependencies {
  helm(state: { helmBinary: string; helmVersion?: string; kubeconfig?: string }): HelmClient;
  namespaces(state: { kubeconfig?: string }): NamespaceClient;
}

/** A directory for this run's reports under the temp dir (kept: the caller uploads them). */
function resultsDir(ctx: Pick<ActionContext, 'tempDir'>): string {
  const dir = path.join(
    ctx.tempDir,
    `helm-rally-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`,
  );
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A kubeconfig given as content is written to a private file: helm only takes files. */
function kubeconfigFile(
  ctx: Pick<ActionContext, 'setSecret' | 'workspace'>,
  kubeconfig: string | undefined,
  dir: string,
): { file?: string; own: boolean } {
  if (!kubeconfig) return { own: false };
  if (isInlineKubeconfig(kubeconfig)) {
    maskKubeconfig(ctx, kubeconfig);
    const file = path.join(dir, 'kubeconfig');
    writeFileSync(file, kubeconfig, { mode: 0o600 });
    return { file, own: true };
  }
  return { file: path.resolve(ctx.workspace, kubeconfig), own: false };
}

export async function runHelmRally(
  ctx: ActionContext,
  settings: HelmRallySettings,
  deps: Dependencies,
): Promise<void> {
  try {
    await runStages(ctx, settings, deps);
  } catch (err) {
    // A step stopped by the cancel is not a bug: say so plainly (the post step still cleans up).
    if (ctx.signal.aborted && !isUserError(err) && !isJobFailure(err)) {
      throw new JobFailure(`Cancelled: ${errorMessage(err)}`);
    }
    throw err;
  }
}

function registryClient(ctx: ActionContext, settings: HelmRallySettings): RegistryClient | undefined {
  const publish = settings.publish;
  if (!publish) return undefined;
  return new RegistryClient({
    host: publish.location.host,
    insecure: publish.insecure,
    ...(publish.credentials ? { credentials: publish.credentials } : {}),
    tokenRealms: publish.tokenRealms,
    setSecret: (value) => ctx.setSecret(value),
    signal: ctx.signal,
    log: (line) => ctx.info(line),
    env: ctx.env,
  });
}

async function runStages(ctx: ActionContext, settings: HelmRallySettings, deps: Dependencies): Promise<void> {
  const dir = resultsDir(ctx);
  // Every output has a value even when a step below fails; later calls overwrite these.
  setOutputs(ctx, false, {});
  ctx.setOutput(Outputs.release, '');
  ctx.setOutput(Outputs.namespace, '');
  ctx.setOutput(Outputs.chart, '');
  const client = registryClient(ctx, settings);
  try {
    await proveAndPublish(ctx, settings, deps, dir, client);
  } finally {
    client?.close();
  }
}

/**
 * Packages the chart under test with its candidate version and checks the registry before anything
 * is deployed; the deploy then installs that package.
 */
async function preparePublish(
  ctx: ActionContext,
  settings: HelmRallySettings,
  client: RegistryClient,
  dir: string,
): Promise<PreparedChart> {
  const publish = settings.publish!;
  return ctx.group(`Package ${publish.source.path} as candidate ${publish.candidate}`, async () => {
    const prepared = await prepareChart(publish, dir);
    const check = await checkChartTag(client, publish, prepared);
    ctx.info(
      `Chart ${prepared.pkg.name} ${prepared.baseVersion} packaged as ${prepared.pkg.version} (${prepared.pkg.digest}); ` +
        (check.status === 'unchanged'
          ? `${check.ref} already holds this package.`
          : `on a pass it goes to ${check.ref}.`),
    );
    return prepared;
  });
}

/** After a pass only: a cancel in between publishes nothing. */
async function publishPassed(
  ctx: ActionContext,
  settings: HelmRallySettings,
  client: RegistryClient,
  prepared: PreparedChart,
): Promise<void> {
  if (ctx.signal.aborted) throw new JobFailure('Cancelled after the pass: the chart was not published');
  const pushed = await ctx.group(`Publish chart ${prepared.pkg.name} ${prepared.pkg.version}`, () =>
    publishChart(client, settings.publish!, prepared),
  );
  ctx.setOutput(Outputs.chart, JSON.stringify(chartOutput(pushed)));
  ctx.info(
    `Chart ${pushed.ref}@${pushed.digest} ${pushed.status === 'unchanged' ? 'was already published (unchanged)' : 'published'}.`,
  );
  await summarizePublishedChart(ctx, pushed);
}

/** The report the caller named (mode report): a malformed one is the caller's mistake. */
function parseUserReport(json: unknown, file: string) {
  try {
    return parseRallyReport(json, file);
  } catch (err) {
    if (err instanceof RallyReportError) throw new UserError(`Input 'rally-report': ${err.message}`);
    throw err;
  }
}

async function proveAndPublish(
  ctx: ActionContext,
  settings: HelmRallySettings,
  deps: Dependencies,
  dir: string,
  client: RegistryClient | undefined,
): Promise<void> {
  if (settings.mode === 'report') {
    const file = settings.rallyReport!;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UserError(`Input 'rally-report': ${file} is not JSON: ${(err as Error).message}`);
    }
    const report = parseUserReport(json, file);
    const junit = path.join(dir, 'junit.xml');
    writeFileSync(junit, rallyReportToJUnit(report));
    await publishRallyReport(ctx, report, { reportJson: file, junit }, `Rally report ${path.basename(file)}`);
    return;
  }

  const prepared = client ? await preparePublish(ctx, settings, client, dir) : undefined;

  if (settings.deploy) {
    const deploy = prepared ? { ...settings.deploy, chart: prepared.file } : settings.deploy;
    const kube = kubeconfigFile(ctx, deploy.kubeconfig, dir);
    const state = deployedState(deploy, kube.file, kube.own);
    // Saved before helm starts: a cancelled install still leaves something to clean up.
    ctx.saveState(STATE_DEPLOYED, JSON.stringify(state));
    ctx.setOutput(Outputs.release, deploy.release);
    ctx.setOutput(Outputs.namespace, deploy.namespace);
    const helm = deps.helm(state);
    const detail = await ctx.group(`Deploy ${deploy.chart} as ${deploy.release} in ${deploy.namespace}`, () =>
      deployChart(helm, deploy, { tempDir: dir, signal: ctx.signal, description: 'helm-rally unit stage' }),
    );
    ctx.info(
      `Release ${detail.name} revision ${detail.revision}: ${detail.status}${detail.chartVersion ? ` (chart ${detail.chartName} ${detail.chartVersion})` : ''}`,
    );

    if (settings.mode === 'helm-test') {
      const result = await ctx.group(`helm test ${deploy.release}`, () =>
        helm.test(
          deploy.release,
          deploy.namespace,
          { timeoutMs: settings.timeoutMs, logs: true },
          { signal: ctx.signal },
        ),
      );
      if (result.logs) ctx.info(result.logs);
      await publishHelmTest(ctx, result, dir);
      if (client && prepared) await publishPassed(ctx, settings, client, prepared);
      return;
    }
  }

  const run = await ctx.group(`rally task start ${path.basename(settings.taskFile!)}`, () =>
    runRallyTask({
      taskFile: settings.taskFile!,
      taskArgs: settings.taskArgs,
      workDir: path.join(dir, 'rally'),
      deployment: settings.deployment,
      signal: ctx.signal,
      timeoutMs: settings.timeoutMs,
      log: (line) => ctx.info(line),
      env: { ...ctx.env },
    }),
  );
  await publishRallyRun(ctx, run, `Rally ${path.basename(settings.taskFile!)}`);
  if (client && prepared) await publishPassed(ctx, settings, client, prepared);
}

/** The post step: undo the deployment unless asked to keep it. Never throws for a missing state. */
export async function cleanupHelmRally(ctx: ActionContext, deps: Dependencies): Promise<void> {
  const saved = ctx.getState(STATE_DEPLOYED);
  if (!saved) return;
  const state = JSON.parse(saved) as DeployedState;
  try {
    if (state.keep) {
      ctx.notice(
        `Keeping release ${state.release} in namespace ${state.namespace} (keep: true): remove it yourself.`,
      );
      return;
    }
    // Cleanup must run even when the job was cancelled: it gets its own time, not the job's signal.
    const result = await ctx.group(`Clean up ${state.release} in ${state.namespace}`, () =>
      cleanupDeployment(deps.helm(state), deps.namespaces(state), state),
    );
    ctx.info(
      `Release ${state.release}: ${result.uninstalled === 'absent' ? 'was not installed' : result.uninstalled}; namespace ${state.namespace}: ${result.namespace}.`,
    );
    for (const problem of result.problems) ctx.warning(problem, { title: 'helm-rally cleanup' });
  } finally {
    if (state.ownKubeconfigFile) rmSync(state.ownKubeconfigFile, { force: true });
  }
}
