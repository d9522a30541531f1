/** The job summary of deploy-armada: the plan of a dry run, or the results table of a deployment. */
import { codeBlock, details, escapeMarkdown, markdownTable } from '../lib/reports/markdown.js';
import type { VerifiedRelease } from './release.js';
import { releaseMarkdown } from './release-view.js';
import { failures, type DeploymentReport, type ReleaseResult } from './report.js';

export function planSummary(tree: string, release: VerifiedRelease | undefined): string {
  return `## deploy-armada: plan (dry run, nothing deployed)\n\n${release ? releaseMarkdown(release) : ''}${codeBlock(tree)}`;
}

export function deploymentSummary(options: {
  report: DeploymentReport;
  release?: VerifiedRelease;
  /** Markdown of the diagnostics of failed releases ('' when none). */
  diagnostics: string;
  tree: string;
}): string {
  const { report, release } = options;
  const failed = failures(report);
  const heading = failed.length
    ? `## deploy-armada: ${failed.length} release(s) failed${report.failedGroup ? ` in group ${report.failedGroup}` : ''}`
    : '## deploy-armada: deployed';
  return `${heading}\n\n${release ? releaseMarkdown(release) : ''}${resultsTable(report)}\n${options.diagnostics}\n${details('Deployment plan', codeBlock(options.tree))}`;
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
      `${outcomeMark(r)} ${r.status}`,
      r.test ?? '',
      `${(r.durationMs / 1000).toFixed(1)}s`,
      escapeMarkdown(r.message ?? ''),
    ]),
  );
}

function outcomeMark(result: ReleaseResult): string {
  if (result.outcome === 'deployed') return '✅';
  return result.outcome === 'skipped' || result.outcome === 'planned' ? '⏭️' : '❌';
}
