import { type JUnitCase, type JUnitSuite, toJUnitXml } from '../reports/junit.js';
import { type RallyReport, type RallyTask, type RallyWorkload, groupErrors } from './report.js';

/**
 * JUnit for a Rally report: one suite per task, one case per workload. A workload fails when its
 * SLA failed (the message lists the failing criteria, the body the iteration errors); a task that
 * did not finish adds an `error` case, so a crashed run never reads as green.
 */
export function rallyReportToJUnitSuites(report: RallyReport): JUnitSuite[] {
  return report.tasks.map((task) => ({
    name: task.title ? `rally: ${task.title}` : `rally task ${task.uuid}`,
    ...(task.createdAt ? { timestamp: task.createdAt } : {}),
    properties: {
      'rally.task': task.uuid,
      'rally.status': task.status,
      ...(task.envName ? { 'rally.env': task.envName } : {}),
      ...(report.rallyVersion ? { 'rally.version': report.rallyVersion } : {}),
    },
    cases: [...task.subtasks.flatMap((s) => s.workloads.map(workloadCase)), ...statusCases(task)],
  }));
}

export function rallyReportToJUnit(report: RallyReport): string {
  return toJUnitXml(rallyReportToJUnitSuites(report), 'rally');
}

export function workloadName(workload: RallyWorkload): string {
  const where =
    workload.subtaskTitle && workload.subtaskTitle !== workload.scenario ? `${workload.subtaskTitle} / ` : '';
  return `${where}${workload.scenario} #${workload.position}`;
}

function workloadCase(workload: RallyWorkload): JUnitCase {
  const failing = workload.sla.filter((c) => !c.success);
  const errors = groupErrors(workload);
  const errorText = errors
    .map((e) =>
      `${e.count}× ${e.type}: ${e.message} (first in iteration ${e.firstIteration + 1})\n${e.traceback}`.trimEnd(),
    )
    .join('\n\n');
  const base: Omit<JUnitCase, 'status'> = {
    name: workloadName(workload),
    classname: workload.scenario.split('.')[0] || 'rally',
    timeSeconds: workload.fullDurationSeconds,
  };
  const slaLines = workload.sla
    .map((c) => `${c.success ? 'PASS' : 'FAIL'} ${c.criterion}: ${c.detail}`)
    .join('\n');
  if (!workload.passSla) {
    return {
      ...base,
      status: 'failed',
      message: failing.length ? failing.map((c) => c.detail || c.criterion).join('; ') : 'SLA failed',
      details: [slaLines, errorText].filter(Boolean).join('\n\n'),
    };
  }
  return {
    ...base,
    status: 'passed',
    ...(slaLines || errorText ? { systemOut: [slaLines, errorText].filter(Boolean).join('\n\n') } : {}),
  };
}

function statusCases(task: RallyTask): JUnitCase[] {
  if (task.status === 'finished') return [];
  return [
    {
      name: `task ${task.uuid} status`,
      classname: 'rally',
      status: 'error',
      message: `Rally task ended as "${task.status}", not "finished"`,
    },
  ];
}
