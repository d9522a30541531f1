import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatManifestProblem } from '../lib/armada/index.js';
import type { ActionContext } from '../lib/context.js';
import { renderPlan } from '../lib/plan.js';
import { loadProfile } from '../lib/profile/load.js';
import { diagnoseFailures } from './diagnostics.js';
import { deploy } from './engines.js';
import { Outputs, readInputs } from './inputs.js';
import { KUBECONFIG_STATE, removeKubeconfig, writeKubeconfig } from './kubeconfig.js';
import { planJson, planTree, type PlanContext } from './plan-view.js';
import { prepare, type Prepared } from './prepare.js';
import { inputsForRelease, requirePinnedCharts, type VerifiedRelease } from './release.js';
import { verifyReleaseInput } from './release-registry.js';
import { releaseJson } from './release-view.js';
import { failures, plannedReport, releasesOutput, requireDeployed } from './report.js';
import { deploymentSummary, planSummary } from './summary.js';
// The inputs action.yml declares: the entry warns about, and taco-ci refuses, any other.
export { Inputs } from './inputs.js';

const WORK_STATE = 'work-dir';

function makeWorkDir(ctx: ActionContext): string {
  const workDir = mkdtempSync(path.join(ctx.tempDir, 'deploy-armada-work-'));
  ctx.saveState(WORK_STATE, workDir);
  return workDir;
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
  const prepared = prepare(ctx, release ? inputsForRelease(inputs, release) : inputs, {
    planning: inputs.dryRun,
    profile,
  });
  if (release) requirePinnedCharts(prepared.loaded.model, release);
  warnAboutManifest(ctx, prepared);
  const tree = publishPlan(ctx, prepared, release);

  // What was deployed, by digest, for record-nightly: set only once a deployment ran.
  ctx.setOutput(Outputs.release, '');
  if (inputs.dryRun) {
    ctx.setOutput(
      Outputs.releases,
      JSON.stringify(releasesOutput(plannedReport(prepared.loaded.model), release)),
    );
    ctx.setOutput(Outputs.diagnostics, '');
    await ctx.appendSummary(planSummary(tree, release));
    return;
  }

  const deployment = await deploy(ctx, inputs, prepared, {
    kubeconfig: inputs.kubeconfig ? saveKubeconfig(ctx, inputs.kubeconfig) : undefined,
    workDir: workDir ?? makeWorkDir(ctx),
  });
  const { report } = deployment;
  ctx.setOutput(Outputs.releases, JSON.stringify(releasesOutput(report, release)));
  if (release) ctx.setOutput(Outputs.release, JSON.stringify(releaseJson(release)));
  const failed = prepared.engine === 'helm' ? failures(report) : [];
  const diagnosticsDir = failed.length ? path.join(ctx.tempDir, 'deploy-armada-diagnostics') : '';
  const diagnostics = await diagnoseFailures({
    failed,
    charts: prepared.loaded.model.groups.flatMap((g) => g.charts),
    helm: deployment.helm,
    cluster: deployment.cluster,
    dir: diagnosticsDir,
    logLines: prepared.settings.logLines,
  });
  ctx.setOutput(Outputs.diagnostics, diagnosticsDir);
  await ctx.appendSummary(deploymentSummary({ report, release, diagnostics, tree }));
  requireDeployed(report);
}

function warnAboutManifest(ctx: ActionContext, prepared: Prepared): void {
  for (const warning of prepared.loaded.warnings.filter((w) => w.severity === 'warning')) {
    ctx.warning(formatManifestProblem(warning, ctx.workspace), {
      file: warning.file,
      startLine: warning.line,
      startColumn: warning.column,
    });
  }
  for (const missing of prepared.settings.missingSecrets)
    ctx.warning(`dry run without the secret ${missing}: the plan shows a marker in its place`);
}

/** Logs the plan, writes it with every chart's values to a file, sets the plan outputs; returns the tree. */
function publishPlan(ctx: ActionContext, prepared: Prepared, release: VerifiedRelease | undefined): string {
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
  return tree;
}

/** The kubeconfig input as a private file, removed by the post step. */
function saveKubeconfig(ctx: ActionContext, kubeconfig: string): string {
  const written = writeKubeconfig(ctx.tempDir, kubeconfig);
  ctx.saveState(KUBECONFIG_STATE, written.dir);
  return written.file;
}

export async function post(ctx: ActionContext): Promise<void> {
  removeKubeconfig(ctx.getState(KUBECONFIG_STATE));
  const workDir = ctx.getState(WORK_STATE);
  // Values files hold the merged values, passwords included.
  if (workDir && path.basename(workDir).startsWith('deploy-armada-work-'))
    rmSync(workDir, { recursive: true, force: true });
}
