import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allWorkloads,
  groupErrors,
  parseRallyReport,
  percentile,
  RallyReportError,
  rallyFindings,
  rallyReportToJUnit,
  rallySummaryMarkdown,
  reportPassed,
} from '../../actions/lib/rally/index.js';
import { parseJUnitXml } from '../support/junit-xml.js';

const recorded = (name: string) =>
  path.join(import.meta.dirname, '..', 'fixtures', 'recorded', 'rally', name);
const load = (name: string) => JSON.parse(readFileSync(recorded(name), 'utf8')) as Record<string, unknown>;
const parseRecorded = (name: string) => parseRallyReport(load(name), recorded(name));

describe('parseRallyReport on real Rally 3.3 reports', () => {
  it('reads a passing report: iterations, durations, atomic actions, SLA detail', () => {
    const report = parseRecorded('report-passed.json');
    expect(report.formatVersion).toBe('1.2');
    expect(report.rallyVersion).toBe('3.3.0');
    expect(report.tasks).toHaveLength(1);
    const [w] = allWorkloads(report);
    expect(w.scenario).toBe('Dummy.dummy');
    expect(w.args).toEqual({ sleep: 0.01 });
    expect(w.runner).toEqual({ type: 'constant', config: { times: 4, concurrency: 2 } });
    expect(w.iterations).toHaveLength(4);
    expect(w.iterations.every((it) => it.error === undefined && it.timestamp > 1.7e9)).toBe(true);
    // Each iteration slept 0.01 s: the statistics are computed from the recorded durations.
    const durations = w.iterations.map((it) => it.durationSeconds);
    expect(w.durations.max).toBe(Math.max(...durations));
    expect(w.durations.mean).toBeCloseTo(durations.reduce((a, b) => a + b) / 4, 12);
    expect(w.durations.p90).toBeGreaterThanOrEqual(w.durations.median!);
    expect(w.atomicActions.map((a) => [a.name, a.depth, a.count])).toEqual([
      ['foo', 0, 4],
      ['bar', 1, 4],
    ]);
    expect(w.iterations[0].atomicActions[0].children[0].name).toBe('bar');
    expect(w.sla.map((c) => [c.criterion, c.success])).toEqual([
      ['failure_rate', true],
      ['max_seconds_per_iteration', true],
    ]);
    expect(w.sla[0].detail).toMatch(/Failure rate criteria .* - Passed/);
    expect(reportPassed(report)).toBe(true);
    expect(rallyFindings(report)).toEqual([]);
  });

  it('reads a failing report: errors with type, message, traceback; failing criterion', () => {
    const report = parseRecorded('report-sla-failed.json');
    expect(reportPassed(report)).toBe(false);
    const [ok, failing] = allWorkloads(report);
    expect(ok.passSla).toBe(true);
    expect(failing.scenario).toBe('Dummy.dummy_random_fail_in_atomic');
    expect(failing.failedIterations).toBe(3);
    expect(failing.iterations.every((it) => it.error?.type === 'KeyError')).toBe(true);
    expect(failing.iterations[0].error!.message).toBe("'Dummy test exception'");
    expect(failing.iterations[0].error!.traceback).toMatch(/^Traceback \(most recent call last\):/);
    expect(failing.iterations[0].atomicActions.some((a) => a.failed)).toBe(true);
    expect(groupErrors(failing)).toEqual([
      expect.objectContaining({ type: 'KeyError', count: 3, firstIteration: 0 }),
    ]);
    expect(failing.sla).toEqual([
      { criterion: 'failure_rate', success: false, detail: expect.stringContaining('100.00%') },
    ]);
    const findings = rallyFindings(report);
    expect(findings.filter((f) => f.level === 'error').map((f) => f.message)).toEqual([
      expect.stringMatching(/^failure_rate: Failure rate criteria/),
      "KeyError: 'Dummy test exception'",
    ]);
  });

  it('marks tolerated iteration errors as warnings when the SLA still passed', () => {
    const report = parseRecorded('report-two-subtasks-random-failures.json');
    const json = load('report-two-subtasks-random-failures.json') as {
      tasks: { subtasks: { workloads: Record<string, unknown>[] }[] }[];
    };
    // Same run, but an SLA that tolerates failures: Rally would have written pass_sla true.
    const tolerant = structuredClone(json);
    const w = tolerant.tasks[0].subtasks[1].workloads[0];
    w.pass_sla = true;
    w.sla_results = { sla: [{ criterion: 'failure_rate', success: true, detail: 'tolerated' }] };
    tolerant.tasks[0] = { ...tolerant.tasks[0], pass_sla: true } as (typeof tolerant.tasks)[0];
    const parsed = parseRallyReport(tolerant);
    expect(reportPassed(parsed)).toBe(true);
    expect(rallyFindings(parsed).every((f) => f.level === 'warning')).toBe(true);
    expect(allWorkloads(report)[1].failedIterations).toBeGreaterThan(0);
  });

  it('reads a workload that never ran: "n/a" statistics, null start time', () => {
    const report = parseRecorded('report-context-setup-failed.json');
    const [w] = allWorkloads(report);
    expect(w.iterations).toEqual([]);
    expect(w.startTime).toBeNull();
    expect(w.durations).toMatchObject({ count: 0, mean: null, p90: null, max: null, successPercent: null });
    expect(w.sla.find((c) => !c.success)).toMatchObject({
      criterion: 'something_went_wrong',
      detail: 'Unexpected error: Oops...setup is failed',
    });
    expect(reportPassed(report)).toBe(false);
    expect(rallySummaryMarkdown(report)).toContain('n/a');
  });
});

describe('parseRallyReport on other shapes', () => {
  const base = () =>
    load('report-sla-failed.json') as { info: Record<string, unknown>; tasks: Record<string, unknown>[] };

  it('accepts format 1.0 (no env, no contexts_results) and a crashed task', () => {
    const doc = base();
    doc.info.format_version = '1.0';
    for (const task of doc.tasks) {
      delete task.env_name;
      delete task.env_uuid;
      task.status = 'crashed';
      for (const s of task.subtasks as { workloads: Record<string, unknown>[] }[])
        for (const w of s.workloads) delete w.contexts_results;
    }
    const report = parseRallyReport(doc, 'old.json');
    expect(report.tasks[0].envName).toBeUndefined();
    expect(reportPassed(report)).toBe(false);
    expect(rallyFindings(report)[0]).toMatchObject({ title: 'Rally task did not finish' });
    const junit = parseJUnitXml(rallyReportToJUnit(report));
    expect(junit[0].cases.at(-1)).toMatchObject({
      status: 'error',
      message: expect.stringContaining('crashed'),
    });
  });

  it('a finished workload that ran zero iterations does not pass, though Rally passed its SLA', () => {
    const doc = load('report-passed.json') as {
      tasks: { subtasks: { workloads: Record<string, unknown>[] }[] }[];
    };
    for (const w of doc.tasks[0].subtasks[0].workloads) {
      w.data = [];
      w.total_iteration_count = 0;
    }
    const report = parseRallyReport(doc, 'empty.json');
    expect(allWorkloads(report)[0]).toMatchObject({ passSla: true, iterations: [] });
    expect(reportPassed(report)).toBe(false);
    expect(rallyFindings(report)).toContainEqual(
      expect.objectContaining({ level: 'error', title: expect.stringMatching(/^No iterations: /) }),
    );
  });

  it('accepts legacy atomic actions as a {name: seconds} mapping', () => {
    const doc = base();
    const w = (doc.tasks[0].subtasks as { workloads: Record<string, unknown>[] }[])[0].workloads[0];
    delete w.statistics;
    for (const it of w.data as Record<string, unknown>[])
      it.atomic_actions = { 'nova.boot_server': 1.5, 'nova.delete_server': 0.5 };
    const [first] = allWorkloads(parseRallyReport(doc));
    expect(first.atomicActions.map((a) => [a.name, a.mean])).toEqual([
      ['nova.boot_server', 1.5],
      ['nova.delete_server', 0.5],
    ]);
  });

  it('a report of finished tasks without workloads does not pass', () => {
    const doc = base();
    doc.tasks[0].subtasks = [];
    doc.tasks[0].pass_sla = true;
    expect(reportPassed(parseRallyReport(doc))).toBe(false);
  });

  it('names the file and the exact key of a bad value', () => {
    const doc = base();
    (
      doc.tasks[0].subtasks as { workloads: { data: Record<string, unknown>[] }[] }[]
    )[1].workloads[0].data[2].duration = 'slow';
    expect(() => parseRallyReport(doc, 'r.json')).toThrow(
      'r.json: not a valid Rally JSON report: tasks[0].subtasks[1].workloads[0].data[2].duration: expected a number, got "slow"',
    );
    expect(() => parseRallyReport({ info: { format_version: '2.0' }, tasks: [] }, 'x.json')).toThrow(
      /info.format_version: expected a Rally JSON report format 1.x, got "2.0"/,
    );
    expect(() => parseRallyReport({ tasks: [] })).toThrow(/info: expected an object, got nothing/);
    expect(() => parseRallyReport([{ key: {}, result: [] }], 'results.json')).toThrow(
      /old `rally task results` output/,
    );
    expect(() => parseRallyReport('{}')).toThrow(RallyReportError);
  });
});

describe('rallyReportToJUnit', () => {
  it('one case per workload; SLA failures carry the criterion and the tracebacks', () => {
    const suites = parseJUnitXml(rallyReportToJUnit(parseRecorded('report-sla-failed.json')));
    expect(suites).toHaveLength(1);
    expect(suites[0].cases.map((c) => [c.name, c.status])).toEqual([
      ['dummy ok / Dummy.dummy #0', 'passed'],
      ['dummy fails / Dummy.dummy_random_fail_in_atomic #0', 'failed'],
    ]);
    expect(suites[0].cases[1].message).toMatch(/Failure rate criteria/);
    expect(suites[0].cases[1].details).toContain("3× KeyError: 'Dummy test exception'");
    expect(suites[0].cases[1].details).toContain('Traceback (most recent call last)');
  });
});

describe('percentile', () => {
  it('matches Rally: linear interpolation between closest ranks', () => {
    expect(percentile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
    expect(percentile([5], 0.9)).toBe(5);
    expect(percentile([], 0.5)).toBeNull();
  });
  it('stays between min and max and grows with the fraction', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (points, q) => {
          const sorted = [...points].sort((a, b) => a - b);
          const value = percentile(sorted, q)!;
          return (
            value >= sorted[0] - 1e-9 &&
            value <= sorted.at(-1)! + 1e-9 &&
            percentile(sorted, Math.min(1, q + 0.1))! >= value - 1e-9
          );
        },
      ),
    );
  });
});
