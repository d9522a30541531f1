import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { JobFailure } from '../lib/errors.js';
import { HelmCli } from '../lib/helm/index.js';
import { createKubeClient } from '../lib/kube/client.js';
import { renderPlan } from '../lib/plan.js';
import { codeBlock, details, escapeMarkdown, markdownTable } from '../lib/reports/markdown.js';
import { formatManifestProblem } from '../lib/armada/index.js';
import { runArmada } from './armada-run.js';
import { ChartPreparer } from './charts.js';
import { KubeCluster, type ClusterOps } from './cluster.js';
import { collectDiagnostics, diagnosticsMarkdown } from './diagnostics.js';
import { HelmEngine } from './helm-engine.js';
import { Outputs, readInputs } from './inputs.js';
import { KUBECONFIG_STATE, removeKubeconfig, writeKubeconfig } from './kubeconfig.js';
import { planJson, planTree, type PlanContext } from './plan-view.js';
import { prepare, type Prepared } from './prepare.js';
import { failures, releasesOutput, type DeploymentReport } from './report.js';
import { unpinnedCharts, verifyRelease, type VerifiedRelease } from './release.js';
import { registryClients } from './release-registry.js';
import { releaseJson, releaseMarkdown } from './release-view.js';
import { loadProfile } from '../lib/profile/load.js';
// The inputs action.yml declares: the entry warns about, and taco-ci refuses, any other.
export { Inputs } from './inputs.js';

const WORK_STATE = 'work-dir';

function plannedReport(prepared: Prepared): DeploymentReport {
  return {
    results: prepared.loaded.model.groups.flatMap((group) =>
      group.charts.map((chart) => ({
        release: chart.release,
        chart: chart.chartName,
        document: chart.document,
        namespace: chart.namespace,
        group: group.name,
        action: 'none' as const,
        status: 'planned',
        outcome: 'planned' as const,
        durationMs: 0,
      })),
    ),
  };
}

function resultsTable(report: DeploymentReport): string {
  return markdownTable(
    ['release', 'namespace', 'group', 'action', 'revision', 'status', 'test', 'time', 'note'],
    report.results.map((r) => [
      r.release,
      r.namespace,
      r.group,
      r.action,
      r.revision ?? '',
      `${r.outcome === 'deployed' ? '✅' : r.outcome === 'skipped' || r.outcome === 'planned' ? '⏭️' : '❌'} ${r.status}`,
      r.test ?? '',
      `${(r.durationMs / 1000).toFixed(1)}s`,
      escapeMarkdown(r.message ?? ''),
    ]),
  );
}

function makeWorkDir(ctx: ActionContext): string {
  const workDir = mkdtempSync(path.join(ctx.tempDir, 'deploy-armada-work-'));
  ctx.saveState(WORK_STATE, workDir);
  return workDir;
}

/** Pulls and verifies the release before anything else: its manifest then stands in for a manifest file. */
async function verifyReleaseInput(
  ctx: ActionContext,
  ref: string,
  profile: ReturnType<typeof loadProfile>,
  workDir: string,
): Promise<VerifiedRelease> {
  const clients = registryClients(ctx, profile, (line) => ctx.debug(line));
  try {
    return await ctx.group(`Verify release ${ref}`, () =>
      verifyRelease({ ref, clients, workDir, log: (line) => ctx.info(line) }),
    );
  } finally {
    clients.close();
  }
}

export async function run(ctx: ActionContext): Promise<void> {
  const inputs = readInputs(ctx);
  const profile = loadProfile(inputs.profile || undefined, ctx.workspace);
  let workDir: string | undefined;
  let release: VerifiedRelease | undefined;
  if (inputs.release) {
    workDir = makeWorkDir(ctx);
    release = await verifyReleaseInput(ctx, inputs.release, profile, workDir);
  }
  const prepared = prepare(
    ctx,
    release
      ? {
          ...inputs,
          manifest: release.manifestFile,
          targetManifest: inputs.targetManifest ?? release.bom.manifest.target,
        }
      : inputs,
    { planning: inputs.dryRun, profile },
  );
  if (release) {
    const unpinned = unpinnedCharts(prepared.loaded.model, release);
    if (unpinned.length)
      throw new JobFailure(
        `Release ${release.ref} (${release.digest}): nothing was deployed, the deployment would use charts the release does not pin:\n${unpinned.map((p) => `- ${p}`).join('\n')}`,
      );
  }
  for (const warning of prepared.loaded.warnings.filter((w) => w.severity === 'warning')) {
    ctx.warning(formatManifestProblem(warning, ctx.workspace), {
      file: warning.file,
      startLine: warning.line,
      startColumn: warning.column,
    });
  }
  for (const missing of prepared.settings.missingSecrets)
    ctx.warning(`dry run without the secret ${missing}: the plan shows a marker in its place`);

  const planContext: PlanContext = {
    loaded: prepared.loaded,
    manifestFile: prepared.manifestFile,
    engine: prepared.engine,
    concurrency: prepared.settings.concurrency,
    timeoutMs: prepared.timeoutMs,
    secrets: prepared.secrets,
    cwd: ctx.workspace,
    release,
  };
  const tree = renderPlan(planTree(planContext));
  ctx.info(tree);
  // With every chart's values the plan runs to tens of KB: a file, and a small output without them.
  const planFile = path.join(ctx.tempDir, 'deploy-armada-plan.json');
  writeFileSync(planFile, `${JSON.stringify(planJson(planContext), null, 2)}\n`, { mode: 0o600 });
  ctx.info(`The plan with each chart's final values: ${planFile}`);
  ctx.setOutput(Outputs.plan, JSON.stringify(planJson(planContext, { values: false })));
  ctx.setOutput(Outputs.planFile, planFile);

  // What was deployed, by digest, for record-nightly: set only once a deployment ran.
  ctx.setOutput(Outputs.release, '');
  if (inputs.dryRun) {
    ctx.setOutput(Outputs.releases, JSON.stringify(releasesOutput(plannedReport(prepared), release)));
    ctx.setOutput(Outputs.diagnostics, '');
    await ctx.appendSummary(
      `## deploy-armada: plan (dry run, nothing deployed)\n\n${release ? releaseMarkdown(release) : ''}${codeBlock(tree)}`,
    );
    return;
  }

  let kubeconfig: string | undefined;
  if (inputs.kubeconfig) {
    const written = writeKubeconfig(ctx.tempDir, inputs.kubeconfig);
    ctx.saveState(KUBECONFIG_STATE, written.dir);
    kubeconfig = written.file;
  }
  workDir ??= makeWorkDir(ctx);
  const deadline = prepared.timeoutMs === undefined ? undefined : Date.now() + prepared.timeoutMs;
  const { settings } = prepared;
  const helm = new HelmCli({
    binary: settings.helmBinary,
    version: settings.helmVersion,
    kubeconfig,
    kubeContext: settings.kubeContext,
    env: ctx.env,
    log: (line) => ctx.debug(line),
    onOutput: (text) => ctx.debug(text.trimEnd()),
  });
  let cluster: ClusterOps | undefined;
  const getCluster = () =>
    (cluster ??= new KubeCluster(
      createKubeClient({ kubeconfig: kubeconfig ?? '', env: ctx.env, context: settings.kubeContext }),
    ));

  let report: DeploymentReport;
  if (prepared.engine === 'helm') {
    const preparer = new ChartPreparer({
      workDir,
      insecureHosts: settings.insecureHosts,
      env: ctx.env,
      signal: ctx.signal,
      log: (line) => ctx.debug(line),
    });
    const engine = new HelmEngine({
      helm,
      cluster: getCluster(),
      prepareChart: (chart) => preparer.prepare(chart),
      valuesDir: path.join(workDir, 'values'),
      concurrency: settings.concurrency,
      deadline,
      signal: ctx.signal,
      log: (line) => ctx.info(line),
    });
    report = await engine.apply(prepared.loaded.model);
  } else {
    report = await runArmada({
      model: prepared.loaded.model,
      rendered: prepared.loaded.renderedForArmada,
      workDir,
      targetManifest: prepared.loaded.model.manifest,
      valuesFiles: prepared.valuesFiles,
      set: inputs.set,
      timeoutS: undefined,
      kubeconfig,
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

  ctx.setOutput(Outputs.releases, JSON.stringify(releasesOutput(report, release)));
  if (release) ctx.setOutput(Outputs.release, JSON.stringify(releaseJson(release)));
  const failed = failures(report);
  let diagnosticsText = '';
  let diagnosticsDir = '';
  if (failed.length && prepared.engine === 'helm') {
    diagnosticsDir = path.join(ctx.tempDir, 'deploy-armada-diagnostics');
    const charts = new Map(prepared.loaded.model.groups.flatMap((g) => g.charts).map((c) => [c.release, c]));
    try {
      const collected = await collectDiagnostics({
        failed,
        charts,
        helm,
        cluster: getCluster(),
        dir: diagnosticsDir,
        logLines: settings.logLines,
      });
      diagnosticsText = diagnosticsMarkdown(collected, diagnosticsDir);
    } catch (err) {
      diagnosticsText = `Diagnostics could not be collected: ${escapeMarkdown((err as Error).message)}\n`;
    }
  }
  ctx.setOutput(Outputs.diagnostics, diagnosticsDir);
  const heading = failed.length
    ? `## deploy-armada: ${failed.length} release(s) failed${report.failedGroup ? ` in group ${report.failedGroup}` : ''}`
    : '## deploy-armada: deployed';
  await ctx.appendSummary(
    `${heading}\n\n${release ? releaseMarkdown(release) : ''}${resultsTable(report)}\n${diagnosticsText}\n${details('Deployment plan', codeBlock(tree))}`,
  );
  if (failed.length) {
    throw new JobFailure(
      `Deployment failed${report.failedGroup ? ` in chart group ${report.failedGroup}` : ''}: ${failed.map((r) => `${r.release} (${r.message ?? r.outcome})`).join('; ')}`,
    );
  }
  const cancelled = report.results.filter((r) => r.outcome === 'cancelled');
  if (cancelled.length)
    throw new JobFailure(`Deployment cancelled: ${cancelled.length} release(s) not deployed`);
}

export async function post(ctx: ActionContext): Promise<void> {
  removeKubeconfig(ctx.getState(KUBECONFIG_STATE));
  const workDir = ctx.getState(WORK_STATE);
  // Values files hold the merged values, passwords included.
  if (workDir && path.basename(workDir).startsWith('deploy-armada-work-'))
    rmSync(workDir, { recursive: true, force: true });
}
