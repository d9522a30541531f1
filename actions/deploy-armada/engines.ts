/**
 * Wires the chosen engine to the cluster and runs the deployment: helm (HelmEngine over the helm
 * CLI and the Kubernetes API) or the armada CLI. Returns the report and the clients it made, for
 * the diagnostics of a failed release.
 */
import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { HelmCli } from '../lib/helm/index.js';
import { createKubeClient } from '../lib/kube/client.js';
import { runArmada } from './armada-run.js';
import { ChartPreparer } from './charts.js';
import { KubeCluster, type ClusterOps } from './cluster.js';
import { HelmEngine } from './helm-engine.js';
import type { DeployArmadaInputs } from './inputs.js';
import type { Prepared } from './prepare.js';
import type { DeploymentReport } from './report.js';

export type EngineContext = Pick<ActionContext, 'env' | 'signal' | 'info' | 'debug'>;

export interface Deployment {
  report: DeploymentReport;
  helm: HelmCli;
  /** The cluster client (made on first use: the armada engine needs it only for diagnostics). */
  cluster(): ClusterOps;
}

export interface DeployOptions {
  /** A kubeconfig file, or undefined for the environment's. */
  kubeconfig?: string;
  /** A private directory for values files, pulled charts and Armada's rendered manifest. */
  workDir: string;
}

export async function deploy(
  ctx: EngineContext,
  inputs: Pick<DeployArmadaInputs, 'set'>,
  prepared: Prepared,
  options: DeployOptions,
): Promise<Deployment> {
  const { settings } = prepared;
  const helm = new HelmCli({
    binary: settings.helmBinary,
    version: settings.helmVersion,
    kubeconfig: options.kubeconfig,
    kubeContext: settings.kubeContext,
    env: ctx.env,
    log: (line) => ctx.debug(line),
    onOutput: (text) => ctx.debug(text.trimEnd()),
  });
  let cluster: ClusterOps | undefined;
  const getCluster = () =>
    (cluster ??= new KubeCluster(
      createKubeClient({ kubeconfig: options.kubeconfig ?? '', env: ctx.env, context: settings.kubeContext }),
    ));
  const report =
    prepared.engine === 'helm'
      ? await applyWithHelm(ctx, prepared, helm, getCluster(), options.workDir)
      : await applyWithArmada(ctx, inputs, prepared, options);
  return { report, helm, cluster: getCluster };
}

function applyWithHelm(
  ctx: EngineContext,
  prepared: Prepared,
  helm: HelmCli,
  cluster: ClusterOps,
  workDir: string,
): Promise<DeploymentReport> {
  const { settings } = prepared;
  const preparer = new ChartPreparer({
    workDir,
    insecureHosts: settings.insecureHosts,
    env: ctx.env,
    signal: ctx.signal,
    log: (line) => ctx.debug(line),
  });
  const engine = new HelmEngine({
    helm,
    cluster,
    prepareChart: (chart) => preparer.prepare(chart),
    valuesDir: path.join(workDir, 'values'),
    concurrency: settings.concurrency,
    deadline: prepared.timeoutMs === undefined ? undefined : Date.now() + prepared.timeoutMs,
    signal: ctx.signal,
    log: (line) => ctx.info(line),
  });
  return engine.apply(prepared.loaded.model);
}

function applyWithArmada(
  ctx: EngineContext,
  inputs: Pick<DeployArmadaInputs, 'set'>,
  prepared: Prepared,
  options: DeployOptions,
): Promise<DeploymentReport> {
  const { settings } = prepared;
  return runArmada({
    model: prepared.loaded.model,
    rendered: prepared.loaded.renderedForArmada,
    workDir: options.workDir,
    targetManifest: prepared.loaded.model.manifest,
    valuesFiles: prepared.valuesFiles,
    set: inputs.set,
    kubeconfig: options.kubeconfig,
    binary: settings.armadaBinary,
    image: settings.armadaImage,
    containerEngine: settings.containerEngine,
    env: ctx.env,
    timeoutMs: prepared.timeoutMs,
    signal: ctx.signal,
    secrets: prepared.secrets,
    log: (line) => ctx.info(line),
  });
}
