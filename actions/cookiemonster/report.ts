import type { RallyRun } from '../lib/rally/run.js';
import { details, escapeMarkdown, markdownTable } from '../lib/reports/markdown.js';
import { DISRUPTIVE, type ChaosResult, type KillRecord } from './chaos.js';
import type { TargetSpec } from './targets.js';

/** A failed Rally iteration and the kills whose disruption window overlapped it. */
export interface FailedIteration {
  workload: string;
  index: number;
  /** Epoch ms. */
  startedAt: number;
  finishedAt: number;
  error: string;
  /** Ids of kills that were unrecovered while the iteration ran. */
  overlappingKills: number[];
}

export interface RallySummary {
  taskId?: string;
  slaPassed: boolean;
  crashed: boolean;
  crashReason?: string;
  cancelled: boolean;
  iterations: number;
  failedIterations: FailedIteration[];
  sla: { workload: string; criterion: string; success: boolean; detail: string }[];
}

export interface Verdict {
  passed: boolean;
  reasons: string[];
}

/** The JSON artifact: everything needed to replay (seed) and audit (timeline) the run. */
export interface ChaosReport {
  version: 1;
  seed: string;
  dryRun: boolean;
  cancelled: boolean;
  startedAt: string;
  chaosEndedAt: string;
  finishedAt: string;
  settings: Record<string, unknown>;
  verdict: Verdict;
  workloads: ChaosResult['workloads'];
  timeline: TimelineEvent[];
  kills: KillRecord[];
  skips: ChaosResult['skips'];
  rally?: RallySummary;
  watchReconnects: number;
}

export interface TimelineEvent {
  at: string;
  event:
    | 'chaos-start'
    | 'kill'
    | 'kill-failed'
    | 'refused'
    | 'recovered'
    | 'not-recovered'
    | 'chaos-end'
    | 'rally-iteration-failed';
  workload?: string;
  pod?: string;
  killId?: number;
  detail?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Failed iterations of a Rally run, each with the kills that were not yet recovered meanwhile. */
export function correlateRally(run: RallyRun, kills: KillRecord[], chaosEnd: number): RallySummary {
  const failed: FailedIteration[] = [];
  let iterations = 0;
  const sla: RallySummary['sla'] = [];
  for (const task of run.report?.tasks ?? []) {
    for (const subtask of task.subtasks) {
      for (const workload of subtask.workloads) {
        const name = `${workload.subtaskTitle} / ${workload.scenario}`;
        iterations += workload.iterations.length;
        for (const criterion of workload.sla) sla.push({ workload: name, ...criterion });
        for (const it of workload.iterations) {
          if (!it.error) continue;
          const startedAt = Math.round(it.timestamp * 1000);
          const finishedAt = startedAt + Math.round(it.durationSeconds * 1000);
          const overlapping = kills.filter(
            (k) =>
              DISRUPTIVE.includes(k.outcome) &&
              k.at <= finishedAt &&
              (k.recoveredAt ?? chaosEnd) >= startedAt,
          );
          failed.push({
            workload: name,
            index: it.index,
            startedAt,
            finishedAt,
            error: `${it.error.type}: ${it.error.message}`,
            overlappingKills: overlapping.map((k) => k.id),
          });
        }
      }
    }
  }
  return {
    taskId: run.taskId,
    slaPassed: run.slaPassed,
    crashed: run.crashed,
    crashReason: run.crashReason,
    cancelled: run.cancelled,
    iterations,
    failedIterations: failed,
    sla,
  };
}

export function verdict(
  result: ChaosResult,
  rally: RallySummary | undefined,
  minAvailabilityPercent: number,
  targets: readonly TargetSpec[] = [],
): Verdict {
  const reasons: string[] = [];
  if (result.cancelled) reasons.push('the run was cancelled');
  if (!result.dryRun) reasons.push(...disruptionShortfalls(result, targets));
  for (const w of result.workloads) {
    if (!w.recovered)
      reasons.push(`${w.workload} did not recover: ${w.finalReady} of ${w.desired} Ready at the end`);
    if (!result.dryRun && w.availabilityPercent < minAvailabilityPercent) {
      reasons.push(
        `${w.workload} availability ${w.availabilityPercent.toFixed(1)}% is below ${minAvailabilityPercent}%`,
      );
    }
  }
  if (rally) {
    if (rally.crashed) reasons.push(`Rally did not complete: ${rally.crashReason ?? 'crashed'}`);
    else if (!rally.slaPassed && !rally.cancelled)
      reasons.push(
        `Rally SLA failed (${rally.failedIterations.length} of ${rally.iterations} iterations failed)`,
      );
  }
  return { passed: reasons.length === 0, reasons };
}

/**
 * Green means tested: each target needs its disruptive kills (min-kills), a target that matched no
 * workload is an error unless optional, and a run that disrupted nothing at all never passes.
 */
function disruptionShortfalls(result: ChaosResult, targets: readonly TargetSpec[]): string[] {
  const reasons: string[] = [];
  for (const target of targets) {
    const mine = result.kills.filter((k) => k.target === target.source);
    const disrupted = mine.filter((k) => DISRUPTIVE.includes(k.outcome)).length;
    if (!result.matchedTargets.includes(target.source)) {
      if (!target.optional)
        reasons.push(
          `${target.source}: ${matchDescription(target)} matched no workload (mark the target optional: true if that is expected)`,
        );
      continue;
    }
    if (disrupted >= target.minKills) continue;
    const why = [
      ...countedDetails(
        mine.filter((k) => k.outcome === 'refused' || k.outcome === 'failed'),
        (k) => `${k.outcome}: ${k.detail ?? k.pod}`,
      ),
      ...countedDetails(
        result.skips.filter((s) => s.target === target.source),
        (s) => `skipped: ${s.reason}`,
      ),
    ];
    reasons.push(
      `${target.source}: ${disrupted} disruptive kill(s), ${target.minKills} required${why.length ? ` (${why.join('; ')})` : ''}`,
    );
  }
  const total = result.kills.filter((k) => DISRUPTIVE.includes(k.outcome)).length;
  if (total === 0 && reasons.length === 0) reasons.push('no pod was disrupted: the run tested nothing');
  return reasons;
}

function matchDescription(t: TargetSpec): string {
  const what = t.name
    ? `${t.kind} ${t.name}`
    : t.selector
      ? `${t.kind}s matching ${t.selector}`
      : `any ${t.kind}`;
  return t.namespace ? `${what} in ${t.namespace}` : what;
}

/** "2× refused: PDB ..." per distinct text, most frequent first, at most three. */
function countedDetails<T>(items: T[], text: (item: T) => string): string[] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(text(item), (counts.get(text(item)) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([t, n]) => (n > 1 ? `${n}× ${t}` : t));
}

export function buildReport(
  result: ChaosResult,
  settings: Record<string, unknown>,
  rally: RallySummary | undefined,
  v: Verdict,
): ChaosReport {
  const timeline: TimelineEvent[] = [{ at: iso(result.startedAt), event: 'chaos-start' }];
  for (const k of result.kills) {
    timeline.push({
      at: iso(k.at),
      event: k.outcome === 'refused' ? 'refused' : k.outcome === 'failed' ? 'kill-failed' : 'kill',
      workload: k.workload,
      pod: k.pod,
      killId: k.id,
      detail:
        k.outcome === 'refused' || k.outcome === 'error' || k.outcome === 'failed'
          ? k.detail
          : k.outcome === 'dry-run'
            ? 'dry run'
            : undefined,
    });
    if (k.recoveredAt !== undefined)
      timeline.push({
        at: iso(k.recoveredAt),
        event: 'recovered',
        workload: k.workload,
        pod: k.pod,
        killId: k.id,
        detail: `${(k.recoveryMs! / 1000).toFixed(2)}s`,
      });
    else if (result.unrecoveredKills.includes(k.id))
      timeline.push({
        at: iso(result.finishedAt),
        event: 'not-recovered',
        workload: k.workload,
        pod: k.pod,
        killId: k.id,
      });
  }
  for (const f of rally?.failedIterations ?? []) {
    timeline.push({
      at: iso(f.startedAt),
      event: 'rally-iteration-failed',
      workload: f.workload,
      detail: `iteration ${f.index}: ${f.error}`,
    });
  }
  timeline.push({ at: iso(result.chaosEndedAt), event: 'chaos-end' });
  timeline.sort((a, b) => a.at.localeCompare(b.at));
  return {
    version: 1,
    seed: result.seed,
    dryRun: result.dryRun,
    cancelled: result.cancelled,
    startedAt: iso(result.startedAt),
    chaosEndedAt: iso(result.chaosEndedAt),
    finishedAt: iso(result.finishedAt),
    settings,
    verdict: v,
    workloads: result.workloads,
    timeline,
    kills: result.kills,
    skips: result.skips,
    rally,
    watchReconnects: result.watchReconnects,
  };
}

/** Mermaid's gantt parser splits on `:` and `;` and treats `#` specially: keep labels plain. */
const ganttLabel = (text: string) => text.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();

/** A Mermaid gantt chart: one section per workload, a bar from each kill to its recovery. */
export function ganttChart(result: ChaosResult, rally?: RallySummary): string {
  const lines = [
    'gantt',
    `    title Pod kills and recoveries (seed ${ganttLabel(result.seed)})`,
    '    dateFormat x',
    '    axisFormat %H:%M:%S',
  ];
  const byWorkload = new Map<string, KillRecord[]>();
  for (const k of result.kills) byWorkload.set(k.workload, [...(byWorkload.get(k.workload) ?? []), k]);
  for (const [workload, kills] of byWorkload) {
    lines.push(`    section ${ganttLabel(workload)}`);
    for (const k of kills) {
      let end: number;
      let tag: string;
      let label: string;
      if (k.outcome === 'refused') {
        end = k.at + 1;
        tag = 'milestone, ';
        label = `${k.pod} refused by PDB`;
      } else if (k.outcome === 'failed') {
        end = k.at + 1;
        tag = 'milestone, ';
        label = `${k.pod} kill failed`;
      } else if (k.outcome === 'dry-run') {
        end = k.at + 1;
        tag = 'milestone, ';
        label = `${k.pod} (dry run)`;
      } else if (k.recoveredAt !== undefined) {
        end = Math.max(k.recoveredAt, k.at + 1);
        tag = 'done, ';
        label = `${k.pod} ${(k.recoveryMs! / 1000).toFixed(1)}s`;
      } else {
        end = Math.max(result.finishedAt, k.at + 1);
        tag = 'crit, ';
        label = `${k.pod} not recovered`;
      }
      lines.push(`    ${ganttLabel(label)} :${tag}k${k.id}, ${k.at}, ${end}`);
    }
  }
  if (rally?.failedIterations.length) {
    lines.push('    section Rally failures');
    rally.failedIterations.forEach((f, i) =>
      lines.push(
        `    ${ganttLabel(`iteration ${f.index}`)} :crit, r${i}, ${f.startedAt}, ${Math.max(f.finishedAt, f.startedAt + 1)}`,
      ),
    );
  }
  return lines.join('\n');
}

const seconds = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)}s`);

export function summaryMarkdown(
  report: ChaosReport,
  result: ChaosResult,
  minAvailabilityPercent: number,
): string {
  return [
    ...summaryHeader(report, result),
    workloadTable(report, result, minAvailabilityPercent),
    ...(report.rally ? rallySection(report.rally) : []),
    ...(result.kills.length ? killsSection(report, result) : []),
  ].join('\n');
}

/** The verdict, the counts of kills, refusals and skips, and the reasons of a failure. */
function summaryHeader(report: ChaosReport, result: ChaosResult): string[] {
  const v = report.verdict;
  const title = report.dryRun ? 'dry run' : v.passed ? 'passed' : 'FAILED';
  const kills = result.kills.filter((k) => DISRUPTIVE.includes(k.outcome) || k.outcome === 'dry-run').length;
  const refused = result.kills.filter((k) => k.outcome === 'refused').length;
  return [
    `## ${v.passed ? '✅' : '❌'} cookiemonster: ${title}\n`,
    `Seed \`${report.seed}\` · ${result.ticks} tick(s) · ${kills} ${report.dryRun ? 'planned ' : ''}kill(s)` +
      ` · ${refused} refused by PodDisruptionBudgets · ${result.skips.length} skipped by the guard or cap` +
      (result.watchReconnects ? ` · ${result.watchReconnects} watch reconnect(s)` : '') +
      '\n',
    ...v.reasons.map((reason) => `- ❌ ${escapeMarkdown(reason)}`),
    ...(v.reasons.length ? [''] : []),
  ];
}

function workloadTable(report: ChaosReport, result: ChaosResult, minAvailabilityPercent: number): string {
  return markdownTable(
    ['Workload', 'Kills', 'Refused', 'Mean recovery', 'Max recovery', 'Availability', 'Min Ready', 'Final'],
    result.workloads.map((w) => [
      escapeMarkdown(w.workload),
      w.kills,
      w.refused,
      seconds(w.meanRecoveryMs),
      seconds(w.maxRecoveryMs),
      report.dryRun
        ? '–'
        : `${w.availabilityPercent.toFixed(1)}%${w.availabilityPercent < minAvailabilityPercent ? ' ❌' : ''}`,
      `${w.minReady}/${w.desired}`,
      `${w.recovered ? '✅' : '❌'} ${w.finalReady}/${w.desired}`,
    ]),
  );
}

/** The Rally load's SLA and its failed iterations with the kills they overlap. */
function rallySection(r: RallySummary): string[] {
  const out = [
    `### Rally load: ${r.crashed ? '💥 did not complete' : r.slaPassed ? '✅ SLA passed' : r.cancelled ? '⏹ cancelled' : '❌ SLA failed'}\n`,
  ];
  if (r.sla.length)
    out.push(
      markdownTable(
        ['Workload', 'Criterion', 'Result', 'Detail'],
        r.sla.map((s) => [
          escapeMarkdown(s.workload),
          s.criterion,
          s.success ? '✅' : '❌',
          escapeMarkdown(s.detail),
        ]),
      ),
    );
  if (!r.failedIterations.length) return out;
  const during = r.failedIterations.filter((f) => f.overlappingKills.length).length;
  out.push(
    `${r.failedIterations.length} of ${r.iterations} iterations failed; ${during} of them while a killed pod had not recovered.\n`,
    details(
      'Failed iterations and the kills they overlap',
      markdownTable(
        ['Iteration', 'Started', 'Error', 'During kills'],
        r.failedIterations.map((f) => [
          `${escapeMarkdown(f.workload)} #${f.index}`,
          new Date(f.startedAt).toISOString(),
          escapeMarkdown(f.error.slice(0, 200)),
          f.overlappingKills.map((id) => `#${id}`).join(', ') || '–',
        ]),
      ),
    ),
  );
  return out;
}

/** The timeline as a Mermaid Gantt chart, and every kill folded in a table. */
function killsSection(report: ChaosReport, result: ChaosResult): string[] {
  return [
    '### Timeline\n',
    '```mermaid',
    ganttChart(result, report.rally),
    '```\n',
    details(
      'Kills',
      markdownTable(
        ['#', 'Tick', 'Workload', 'Pod', 'Mode', 'Outcome', 'Ready before', 'Recovery'],
        result.kills.map((k) => [
          k.id,
          k.tick,
          escapeMarkdown(k.workload),
          escapeMarkdown(k.pod),
          k.mode,
          k.outcome + (k.detail ? `: ${escapeMarkdown(k.detail)}` : ''),
          `${k.availableBefore}/${k.desired} (floor ${k.floor})`,
          seconds(k.recoveryMs),
        ]),
      ),
    ),
  ];
}
