import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PushedChart } from '../lib/charts/index.js';
import type { ActionContext } from '../lib/context.js';
import { JobFailure } from '../lib/errors.js';
import type { TestRunResult } from '../lib/helm/index.js';
import {
  type RallyReport,
  type RallyRun,
  allWorkloads,
  rallyFindings,
  rallySummaryMarkdown,
  reportPassed,
} from '../lib/rally/index.js';
import { type JUnitCase, toJUnitXml } from '../lib/reports/junit.js';
import { codeBlock, details, escapeMarkdown, markdownTable, STATUS_ICON } from '../lib/reports/markdown.js';
import { Outputs } from './inputs.js';

type Publisher = Pick<ActionContext, 'setOutput' | 'appendSummary' | 'error' | 'warning' | 'info'>;

export interface ReportFiles {
  reportJson?: string;
  reportHtml?: string;
  junit?: string;
}

/** Every output gets a value, also when a step could not produce its file. */
export function setOutputs(ctx: Publisher, slaPassed: boolean, files: ReportFiles): void {
  ctx.setOutput(Outputs.slaPassed, slaPassed ? 'true' : 'false');
  ctx.setOutput(Outputs.reportJson, files.reportJson ?? '');
  ctx.setOutput(Outputs.reportHtml, files.reportHtml ?? '');
  ctx.setOutput(Outputs.junit, files.junit ?? '');
}

function annotate(ctx: Publisher, report: RallyReport): void {
  for (const finding of rallyFindings(report)) {
    if (finding.level === 'error') ctx.error(finding.message, { title: finding.title });
    else ctx.warning(finding.message, { title: finding.title });
  }
}

/**
 * Publishes a Rally report (summary, annotations, outputs) and gives the verdict: returns when
 * every SLA passed, throws JobFailure when one failed.
 */
export async function publishRallyReport(
  ctx: Publisher,
  report: RallyReport,
  files: ReportFiles,
  title: string,
): Promise<void> {
  const passed = reportPassed(report);
  setOutputs(ctx, passed, files);
  await ctx.appendSummary(
    rallySummaryMarkdown(report, { title, ...(files.reportHtml ? { htmlFile: files.reportHtml } : {}) }),
  );
  annotate(ctx, report);
  if (!passed) {
    const workloads = allWorkloads(report);
    const failing = workloads.filter((w) => !w.passSla);
    const unfinished = report.tasks.filter((t) => t.status !== 'finished');
    const reasons = [
      ...(failing.length ? [`${failing.length} of ${workloads.length} workloads failed their SLA`] : []),
      ...unfinished.map((t) => `task ${t.uuid} ended as "${t.status}"`),
      ...(workloads.length === 0 ? ['the report holds no workload'] : []),
    ];
    throw new JobFailure(
      `Rally SLA failed${report.file ? ` (${report.file})` : ''}: ${reasons.join('; ') || 'Rally marked the task as failing its SLA'}`,
    );
  }
  ctx.info(`Rally SLA passed: ${allWorkloads(report).length} workload(s).`);
}

/**
 * The verdict of a real Rally run: an SLA failure is a JobFailure; a crash (any exit code but 0 and
 * 2, a report that contradicts the exit code, an unfinished task) is reported as a crash, not as an
 * SLA failure, with Rally's own words.
 */
export async function publishRallyRun(ctx: Publisher, run: RallyRun, title: string): Promise<void> {
  const files: ReportFiles = { reportJson: run.reportFile, reportHtml: run.htmlFile, junit: run.junitFile };
  if (run.cancelled) {
    setOutputs(ctx, false, files);
    throw new JobFailure(`Rally task ${run.taskId ?? ''} was cancelled`.replace('  ', ' '));
  }
  if (run.crashed) {
    setOutputs(ctx, false, files);
    if (run.report) {
      await ctx.appendSummary(
        rallySummaryMarkdown(run.report, { title, ...(run.htmlFile ? { htmlFile: run.htmlFile } : {}) }),
      );
      annotate(ctx, run.report);
    }
    await ctx.appendSummary(
      `> **Rally crashed** — this is not an SLA verdict.\n\n${codeBlock(run.crashReason ?? '')}\nRally's log: \`${run.logFile}\`\n`,
    );
    throw new JobFailure(
      `Rally crashed (exit code ${run.exitCode ?? 'none'}), not an SLA failure: ${run.crashReason ?? 'no reason given'}`,
    );
  }
  if (!run.report) throw new JobFailure('Rally finished without a report');
  await publishRallyReport(ctx, run.report, files, title);
}

/** JUnit for `helm test`: one case per test hook, the pod logs as output. */
export function helmTestJUnit(result: TestRunResult): string {
  const cases: JUnitCase[] = result.suites.map((suite) => {
    const seconds =
      suite.startedAt && suite.completedAt
        ? (Date.parse(suite.completedAt) - Date.parse(suite.startedAt)) / 1000
        : undefined;
    const failed = suite.phase !== 'Succeeded';
    return {
      name: suite.name,
      classname: `helm-test.${result.release}`,
      ...(seconds !== undefined && Number.isFinite(seconds) ? { timeSeconds: seconds } : {}),
      status: failed ? 'failed' : 'passed',
      ...(failed
        ? {
            message: `test pod ${suite.name}: ${suite.phase}`,
            ...(result.failure ? { details: result.failure } : {}),
          }
        : {}),
      ...(result.logs ? { systemOut: result.logs } : {}),
    };
  });
  return toJUnitXml([{ name: `helm test ${result.release}`, cases }], 'helm-test');
}

export async function publishHelmTest(ctx: Publisher, result: TestRunResult, outDir: string): Promise<void> {
  const junit = path.join(outDir, 'helm-test-junit.xml');
  writeFileSync(junit, helmTestJUnit(result));
  const logs = path.join(outDir, 'helm-test.log');
  writeFileSync(logs, result.logs ?? '');
  setOutputs(ctx, result.passed, { junit });
  const rows = result.suites.map((s) => [
    s.phase === 'Succeeded' ? STATUS_ICON.passed : STATUS_ICON.failed,
    escapeMarkdown(s.name),
    s.phase,
    s.startedAt ?? '',
    s.completedAt ?? '',
  ]);
  await ctx.appendSummary(
    `### ${result.passed ? STATUS_ICON.passed : STATUS_ICON.failed} helm test ${escapeMarkdown(result.release)}: ${result.passed ? 'passed' : 'failed'}\n\n` +
      markdownTable(['', 'Test', 'Phase', 'Started', 'Completed'], rows) +
      (result.logs ? `\n${details('Test pod logs', codeBlock(result.logs))}` : '') +
      `\nLogs: \`${logs}\`\n`,
  );
  for (const s of result.suites.filter((suite) => suite.phase !== 'Succeeded')) {
    ctx.error(`test pod ${s.name} ended as ${s.phase}`, { title: `helm test ${result.release} failed` });
  }
  if (!result.passed)
    throw new JobFailure(
      `helm test ${result.release} failed: ${
        result.suites
          .filter((s) => s.phase !== 'Succeeded')
          .map((s) => s.name)
          .join(', ') ||
        result.failure ||
        'no test passed'
      }`,
    );
}

/** One table for the published chart: where it is and by which digests it can be pinned. */
export async function summarizePublishedChart(ctx: Publisher, pushed: PushedChart): Promise<void> {
  await ctx.appendSummary(
    `### 📦 Chart ${escapeMarkdown(pushed.name)} ${escapeMarkdown(pushed.version)} ${pushed.status === 'unchanged' ? 'already published (unchanged)' : 'published'}\n\n` +
      markdownTable(
        ['Reference', 'Manifest digest', 'Package (.tgz) digest'],
        [[`\`${pushed.ref}\``, `\`${pushed.digest}\``, `\`${pushed.contentDigest}\``]],
      ),
  );
}
