import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { formatDuration } from '../lib/duration.js';
import { JobFailure, errorMessage } from '../lib/errors.js';
import { createKubeClient } from '../lib/kube/client.js';
import { loadProfile } from '../lib/profile/load.js';
import { runRallyTask, type RallyRun } from '../lib/rally/run.js';
import { DISRUPTIVE, runChaos } from './chaos.js';
import { Outputs, readInputs } from './inputs.js';
import { buildReport, correlateRally, summaryMarkdown, verdict, type RallySummary } from './report.js';
import { describeTarget, resolveSettings, type ChaosSettings } from './settings.js';
// The inputs action.yml declares: the entry warns about, and taco-ci refuses, any other.
export { Inputs } from './inputs.js';

export async function run(ctx: ActionContext): Promise<void> {
  const inputs = readInputs(ctx);
  const profile = inputs.profile ? loadProfile(inputs.profile, ctx.workspace) : undefined;
  const settings = resolveSettings(inputs, profile, ctx);
  for (const warning of settings.warnings) ctx.warning(warning);
  const client = createKubeClient({ kubeconfig: settings.kubeconfig, env: ctx.env, cwd: ctx.workspace });

  ctx.info(
    `cookiemonster${settings.dryRun ? ' (dry run)' : ''}: ${settings.killMode} pods in ${settings.namespaces.join(', ')} on ${client.server} ` +
      `for ${formatDuration(settings.durationMs)}, every ${formatDuration(settings.intervalMs)} ± ${Math.round(settings.jitter * 100)}%, ` +
      `seed ${settings.seed}${settings.seedGiven ? '' : ' (generated: pass it as the seed input to replay this run)'}`,
  );
  for (const target of settings.targets) ctx.info(`  target ${describeTarget(target, settings.namespaces)}`);

  const workDir = path.join(ctx.tempDir, 'cookiemonster');
  mkdirSync(workDir, { recursive: true });
  const rally = startRally(ctx, settings, workDir);
  const result = await ctx.group('Chaos', () =>
    runChaos({
      client,
      targets: settings.targets,
      namespaces: settings.namespaces,
      durationMs: settings.durationMs,
      intervalMs: settings.intervalMs,
      jitter: settings.jitter,
      seed: settings.seed,
      maxConcurrentKills: settings.maxConcurrentKills,
      killMode: settings.killMode,
      gracePeriodSeconds: settings.gracePeriodSeconds,
      recoveryTimeoutMs: settings.recoveryTimeoutMs,
      dryRun: settings.dryRun,
      signal: ctx.signal,
      log: { info: (m) => ctx.info(m), warning: (m) => ctx.warning(m), debug: (m) => ctx.debug(m) },
    }),
  );
  let rallySummary: RallySummary | undefined;
  if (rally) {
    const rallyRun = await rally;
    rallySummary = correlateRally(rallyRun, result.kills, result.chaosEndedAt);
  }

  const v = verdict(result, rallySummary, settings.minAvailabilityPercent, settings.targets);
  const report = buildReport(result, reportSettings(settings), rallySummary, v);
  const reportFile = path.join(workDir, 'report.json');
  writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
  await ctx.appendSummary(summaryMarkdown(report, result, settings.minAvailabilityPercent));

  const disruptive = result.kills.filter((k) => DISRUPTIVE.includes(k.outcome) || k.outcome === 'dry-run');
  const maxRecovery = Math.max(0, ...result.workloads.map((w) => w.maxRecoveryMs ?? 0));
  ctx.setOutput(Outputs.kills, disruptive.length);
  ctx.setOutput(Outputs.maxRecoverySeconds, (maxRecovery / 1000).toFixed(3));
  ctx.setOutput(Outputs.passed, v.passed);
  ctx.setOutput(Outputs.report, reportFile);
  ctx.info(`Report: ${reportFile}`);
  if (!v.passed)
    throw new JobFailure(`cookiemonster failed:\n${v.reasons.map((r) => `  - ${r}`).join('\n')}`);
}

/** Starts the Rally load next to the chaos; resolves to its run (a failure to start counts as a crash). */
function startRally(
  ctx: ActionContext,
  settings: ChaosSettings,
  workDir: string,
): Promise<RallyRun> | undefined {
  if (!settings.rallyTask) return undefined;
  if (settings.dryRun) {
    ctx.info(`dry run: Rally task ${settings.rallyTask} not started`);
    return undefined;
  }
  const startedAt = new Date().toISOString();
  return runRallyTask({
    taskFile: settings.rallyTask,
    taskArgs: settings.rallyTaskArgs,
    workDir: path.join(workDir, 'rally'),
    ...(settings.rallyDeployment ? { deployment: settings.rallyDeployment } : {}),
    signal: ctx.signal,
    timeoutMs: settings.durationMs + settings.recoveryTimeoutMs + 10 * 60_000,
    log: (line) => ctx.info(`rally │ ${line}`),
    env: { ...ctx.env },
    html: false,
  }).catch((err: unknown): RallyRun => ({
    exitCode: null,
    slaPassed: false,
    crashed: true,
    crashReason: errorMessage(err),
    cancelled: false,
    timedOut: false,
    startedAt,
    finishedAt: new Date().toISOString(),
    workDir: path.join(workDir, 'rally'),
    logFile: path.join(workDir, 'rally', 'rally.log'),
  }));
}

function reportSettings(s: ChaosSettings): Record<string, unknown> {
  return {
    namespaces: s.namespaces,
    targets: s.targets,
    durationMs: s.durationMs,
    intervalMs: s.intervalMs,
    jitter: s.jitter,
    maxConcurrentKills: s.maxConcurrentKills,
    killMode: s.killMode,
    gracePeriodSeconds: s.gracePeriodSeconds,
    recoveryTimeoutMs: s.recoveryTimeoutMs,
    minAvailabilityPercent: s.minAvailabilityPercent,
    rallyTask: s.rallyTask,
    targetSource: s.targetSource,
  };
}
