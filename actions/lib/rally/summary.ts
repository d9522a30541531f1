import { codeBlock, details, escapeMarkdown, markdownTable, STATUS_ICON } from '../reports/markdown.js';
import { workloadName } from './junit.js';
import { type RallyReport, type RallyWorkload, allWorkloads, groupErrors, reportPassed } from './report.js';

/** Seconds for a table cell: `0.012 s`, `n/a` when Rally had nothing to measure. */
export function formatSeconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  return `${value < 10 ? value.toFixed(3) : value.toFixed(1)} s`;
}

/** `constant 4×2` (times × concurrency), `rps 100 @ 5/s`, or the runner type with its settings. */
export function describeRunner(workload: RallyWorkload): string {
  const { type, config } = workload.runner;
  const show = (value: unknown) =>
    typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  if (type === 'constant' && config.times !== undefined)
    return `constant ${show(config.times)}×${show(config.concurrency ?? 1)}`;
  if (type === 'constant_for_duration')
    return `for ${show(config.duration)} s ×${show(config.concurrency ?? 1)}`;
  if (type === 'rps') return `rps ${show(config.times)} @ ${show(config.rps)}/s`;
  if (type === 'serial' && config.times !== undefined) return `serial ${show(config.times)}`;
  const settings = Object.entries(config).map(([key, value]) => `${key}=${show(value)}`);
  return settings.length ? `${type} ${settings.join(' ')}` : type;
}

/** One row per workload: the table of the job summary. */
export function workloadTable(report: RallyReport): string {
  const rows = allWorkloads(report).map((w) => [
    w.passSla ? STATUS_ICON.passed : STATUS_ICON.failed,
    escapeMarkdown(w.subtaskTitle || '—'),
    `\`${w.scenario}\``,
    describeRunner(w),
    `${w.totalIterations - w.failedIterations}/${w.totalIterations}`,
    formatSeconds(w.durations.mean),
    formatSeconds(w.durations.p90),
    formatSeconds(w.durations.max),
    w.sla.length
      ? w.sla.map((c) => `${c.success ? STATUS_ICON.passed : STATUS_ICON.failed} ${c.criterion}`).join('<br>')
      : '—',
  ]);
  return markdownTable(['', 'Subtask', 'Scenario', 'Runner', 'Passed', 'Mean', 'p90', 'Max', 'SLA'], rows);
}

export interface SummaryOptions {
  /** Heading text (default "Rally"). */
  title?: string;
  /** Where the HTML report was written, mentioned under the table. */
  htmlFile?: string;
  /** Most error groups shown per workload (default 5). */
  maxErrorGroups?: number;
}

/** The job summary for a Rally report: verdict, workload table, failing SLA, errors, atomic actions. */
export function rallySummaryMarkdown(report: RallyReport, options: SummaryOptions = {}): string {
  const passed = reportPassed(report);
  const workloads = allWorkloads(report);
  const parts: string[] = [];
  const tasks = report.tasks.map((t) => `\`${t.uuid}\` (${t.status})`).join(', ');
  parts.push(
    `### ${passed ? STATUS_ICON.passed : STATUS_ICON.failed} ${escapeMarkdown(options.title ?? 'Rally')}: SLA ${passed ? 'passed' : 'failed'}\n`,
  );
  parts.push(
    `${workloads.length} workload${workloads.length === 1 ? '' : 's'} in task ${tasks || '(none)'}` +
      `${report.rallyVersion ? `, Rally ${escapeMarkdown(report.rallyVersion)}` : ''}.\n`,
  );
  for (const task of report.tasks.filter((t) => t.status !== 'finished')) {
    parts.push(`> **Task \`${task.uuid}\` ended as \`${task.status}\`**: its results are incomplete.\n`);
  }
  if (workloads.length) parts.push(workloadTable(report));
  if (options.htmlFile) parts.push(`HTML report: \`${options.htmlFile}\`\n`);

  const failing = workloads.flatMap((w) => w.sla.filter((c) => !c.success).map((c) => ({ w, c })));
  if (failing.length) {
    parts.push('#### Failing SLA criteria\n');
    parts.push(
      failing
        .map(
          ({ w, c }) =>
            `- **${escapeMarkdown(workloadName(w))}** — \`${c.criterion}\`: ${escapeMarkdown(c.detail)}`,
        )
        .join('\n') + '\n',
    );
  }
  for (const w of workloads) {
    const groups = groupErrors(w);
    if (groups.length === 0) continue;
    const shown = groups.slice(0, options.maxErrorGroups ?? 5);
    const body = shown
      .map(
        (g) =>
          `**${g.count}× \`${g.type}\`**: ${escapeMarkdown(g.message)} (first in iteration ${g.firstIteration + 1})\n\n${codeBlock(g.traceback.trim() || '(no traceback)', 'python')}`,
      )
      .join('\n');
    const more =
      groups.length > shown.length ? `\n…and ${groups.length - shown.length} more kinds of error.\n` : '';
    parts.push(
      details(
        `Errors in ${workloadName(w)}: ${w.failedIterations} of ${w.totalIterations} iterations failed`,
        body + more,
      ),
    );
  }
  const withAtomics = workloads.filter((w) => w.atomicActions.length);
  if (withAtomics.length) {
    const body = withAtomics
      .map(
        (w) =>
          `**${escapeMarkdown(workloadName(w))}**\n\n` +
          markdownTable(
            ['Action', 'Count', 'Mean', 'p90', 'Max', 'Success'],
            w.atomicActions.map((a) => [
              `${'&nbsp;&nbsp;'.repeat(a.depth)}${a.depth ? '↳ ' : ''}${escapeMarkdown(a.name)}`,
              a.count,
              formatSeconds(a.mean),
              formatSeconds(a.p90),
              formatSeconds(a.max),
              a.successPercent === null ? 'n/a' : `${a.successPercent.toFixed(1)}%`,
            ]),
          ),
      )
      .join('\n');
    parts.push(details('Atomic actions', body));
  }
  return parts.join('\n');
}

/** A problem worth an annotation on the run (failing SLA, iteration errors, unfinished task). */
export interface RallyFinding {
  level: 'error' | 'warning';
  title: string;
  message: string;
}

/**
 * Findings for annotations: one error per failing SLA criterion, one per kind of iteration error
 * (an error when its workload failed the SLA, else a warning: the SLA tolerated it), one per task
 * that did not finish.
 */
export function rallyFindings(report: RallyReport): RallyFinding[] {
  const findings: RallyFinding[] = [];
  for (const task of report.tasks) {
    if (task.status !== 'finished') {
      findings.push({
        level: 'error',
        title: 'Rally task did not finish',
        message: `Task ${task.uuid} ended as "${task.status}"`,
      });
    }
  }
  for (const w of allWorkloads(report)) {
    for (const c of w.sla.filter((criterion) => !criterion.success)) {
      findings.push({
        level: 'error',
        title: `SLA failed: ${workloadName(w)}`,
        message: `${c.criterion}: ${c.detail}`,
      });
    }
    if (w.iterations.length === 0 && w.passSla) {
      findings.push({
        level: 'error',
        title: `No iterations: ${workloadName(w)}`,
        message: 'The workload ran zero iterations: it tested nothing, so it is not a pass',
      });
    }
    if (!w.passSla && !w.sla.some((c) => !c.success)) {
      findings.push({
        level: 'error',
        title: `SLA failed: ${workloadName(w)}`,
        message: 'Rally marked the workload as failing its SLA',
      });
    }
    for (const g of groupErrors(w)) {
      findings.push({
        level: w.passSla ? 'warning' : 'error',
        title: `${w.scenario}: ${g.count} of ${w.totalIterations} iterations failed`,
        message: `${g.type}: ${g.message}`,
      });
    }
  }
  return findings;
}
