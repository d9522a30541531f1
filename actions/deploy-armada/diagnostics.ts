/**
 * When a release fails: what helm says about it, its pods that are not Ready, recent events and
 * the logs of crash-looping containers — written to an artifact directory (one folder per release,
 * for actions/upload-artifact) and summarised for the job summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HelmClient } from '../lib/helm/index.js';
import { codeBlock, details, escapeMarkdown, markdownTable } from '../lib/reports/markdown.js';
import type { PlannedChart } from '../lib/armada/index.js';
import type { ClusterOps, Diagnosis } from './cluster.js';
import type { ReleaseResult } from './report.js';

export interface ReleaseDiagnosis {
  result: ReleaseResult;
  helmStatus?: string;
  helmDescription?: string;
  history: string[];
  diagnosis: Diagnosis;
  dir: string;
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export async function collectDiagnostics(options: {
  failed: ReleaseResult[];
  charts: Map<string, PlannedChart>;
  helm: HelmClient;
  cluster: ClusterOps;
  dir: string;
  logLines: number;
}): Promise<ReleaseDiagnosis[]> {
  const out: ReleaseDiagnosis[] = [];
  for (const result of options.failed) {
    const chart = options.charts.get(result.release);
    const dir = path.join(options.dir, safeName(`${result.namespace}.${result.release}`));
    mkdirSync(path.join(dir, 'logs'), { recursive: true });
    const errors: string[] = [];
    let helmStatus: string | undefined;
    let helmDescription: string | undefined;
    let history: string[] = [];
    try {
      const status = await options.helm.status(result.release, result.namespace);
      helmStatus = status?.status ?? 'not installed';
      helmDescription = status?.description;
      writeFileSync(path.join(dir, 'helm-status.json'), `${JSON.stringify(status ?? null, null, 2)}\n`);
      history = (await options.helm.history(result.release, result.namespace, 10)).map(
        (h) => `${h.revision}\t${h.updated ?? '-'}\t${h.status}\t${h.chart}\t${h.description}`,
      );
      writeFileSync(
        path.join(dir, 'helm-history.tsv'),
        `REVISION\tUPDATED\tSTATUS\tCHART\tDESCRIPTION\n${history.join('\n')}\n`,
      );
    } catch (err) {
      errors.push(`helm: ${(err as Error).message}`);
    }
    let diagnosis: Diagnosis = { pods: [], events: [], logs: [], errors: [] };
    if (chart) {
      try {
        diagnosis = await options.cluster.diagnose(result.namespace, chart.wait.labels, options.logLines);
      } catch (err) {
        errors.push(`kubernetes: ${(err as Error).message}`);
      }
    }
    diagnosis.errors.push(...errors);
    writeFileSync(
      path.join(dir, 'pods.txt'),
      diagnosis.pods
        .map(
          (p) =>
            `${p.name}\t${p.phase}\t${p.containers.map((c) => `${c.name}: ${c.state}, restarts ${c.restartCount}`).join('; ')}`,
        )
        .join('\n') + '\n',
    );
    writeFileSync(
      path.join(dir, 'events.txt'),
      diagnosis.events.map((e) => `${e.type}\t${e.reason}\t${e.object}\t${e.message}`).join('\n') + '\n',
    );
    for (const log of diagnosis.logs) {
      writeFileSync(
        path.join(dir, 'logs', safeName(`${log.pod}_${log.container}${log.previous ? '.previous' : ''}.log`)),
        log.text,
      );
    }
    if (diagnosis.errors.length)
      writeFileSync(path.join(dir, 'collection-errors.txt'), `${diagnosis.errors.join('\n')}\n`);
    out.push({ result, helmStatus, helmDescription, history, diagnosis, dir });
  }
  return out;
}

export function diagnosticsMarkdown(items: ReleaseDiagnosis[], artifactDir: string): string {
  if (!items.length) return '';
  const parts = [
    `### Diagnostics\n\nCollected in \`${artifactDir}\` (upload it with actions/upload-artifact).\n`,
  ];
  for (const item of items) {
    const { result, diagnosis } = item;
    const lines = [
      `**${escapeMarkdown(result.release)}** (${escapeMarkdown(result.namespace)}): ${escapeMarkdown(result.message ?? result.outcome)}`,
      '',
      `Helm status: ${item.helmStatus ?? 'unknown'}${item.helmDescription ? ` — ${escapeMarkdown(item.helmDescription)}` : ''}`,
      '',
    ];
    if (diagnosis.pods.length) {
      lines.push(
        markdownTable(
          ['pod', 'phase', 'containers'],
          diagnosis.pods.map((p) => [
            p.name,
            p.phase,
            p.containers.map((c) => `${c.name}: ${c.state} (restarts ${c.restartCount})`).join('<br>'),
          ]),
        ),
      );
    } else lines.push('No pod of the release is unready.\n');
    const warnings = diagnosis.events.filter((e) => e.type === 'Warning').slice(-10);
    if (warnings.length)
      lines.push(
        markdownTable(
          ['object', 'reason', 'message'],
          warnings.map((e) => [e.object, e.reason, e.message]),
        ),
      );
    for (const log of diagnosis.logs) {
      lines.push(
        details(
          `${log.pod}/${log.container}${log.previous ? ' (previous run)' : ''}: last lines`,
          codeBlock(log.text.split('\n').slice(-30).join('\n')),
        ),
      );
    }
    if (diagnosis.errors.length)
      lines.push(`Could not collect: ${diagnosis.errors.map(escapeMarkdown).join('; ')}\n`);
    parts.push(lines.join('\n'));
  }
  return parts.join('\n');
}

/**
 * Collects the diagnostics of the failed releases into `dir` and returns their Markdown ('' when
 * nothing failed). A failure to collect is reported in the Markdown, never thrown over the verdict.
 */
export async function diagnoseFailures(options: {
  failed: ReleaseResult[];
  charts: readonly PlannedChart[];
  helm: HelmClient;
  cluster: () => ClusterOps;
  dir: string;
  logLines: number;
}): Promise<string> {
  if (!options.failed.length) return '';
  try {
    const collected = await collectDiagnostics({
      ...options,
      charts: new Map(options.charts.map((c) => [c.release, c])),
      cluster: options.cluster(),
    });
    return diagnosticsMarkdown(collected, options.dir);
  } catch (err) {
    return `Diagnostics could not be collected: ${escapeMarkdown((err as Error).message)}\n`;
  }
}
