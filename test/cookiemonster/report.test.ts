import { describe, expect, it } from 'vitest';
import type { ChaosResult, KillRecord } from '../../actions/cookiemonster/chaos.js';
import {
  buildReport,
  correlateRally,
  ganttChart,
  summaryMarkdown,
  verdict,
} from '../../actions/cookiemonster/report.js';
import type { RallyRun } from '../../actions/lib/rally/run.js';

const t0 = Date.UTC(2026, 10, 25, 3, 0, 0);
const kill = (
  id: number,
  pod: string,
  outcome: KillRecord['outcome'],
  at: number,
  recoveredAt?: number,
): KillRecord => ({
  id,
  tick: id - 1,
  target: 'targets[0]',
  workload: 'StatefulSet openstack/mariadb-server',
  namespace: 'openstack',
  pod,
  podUid: `uid-${id}`,
  mode: 'evict',
  outcome,
  at,
  desired: 3,
  availableBefore: 3,
  floor: 2,
  ...(recoveredAt ? { recoveredAt, recoveryMs: recoveredAt - at } : {}),
});

const result: ChaosResult = {
  seed: 'nightly:7',
  dryRun: false,
  cancelled: false,
  startedAt: t0,
  chaosEndedAt: t0 + 60_000,
  finishedAt: t0 + 90_000,
  ticks: 3,
  kills: [
    kill(1, 'mariadb-server-0', 'killed', t0 + 1000, t0 + 13_500),
    kill(2, 'mariadb-server-1', 'refused', t0 + 20_000),
    kill(3, 'mariadb-server-2', 'killed', t0 + 40_000),
  ],
  skips: [],
  workloads: [
    {
      workload: 'StatefulSet openstack/mariadb-server',
      kind: 'StatefulSet',
      namespace: 'openstack',
      name: 'mariadb-server',
      desired: 3,
      kills: 2,
      refused: 1,
      meanRecoveryMs: 12_500,
      maxRecoveryMs: 12_500,
      availabilityPercent: 80,
      minReady: 2,
      recovered: false,
      finalReady: 2,
    },
  ],
  unrecoveredKills: [3],
  watchReconnects: 1,
  matchedTargets: ['targets[0]'],
};

/** A Rally run with one failed iteration during kill 1 and one long after every recovery but kill 3's. */
const rally = {
  exitCode: 2,
  taskId: 'task-1',
  slaPassed: false,
  crashed: false,
  cancelled: false,
  timedOut: false,
  report: {
    tasks: [
      {
        subtasks: [
          {
            workloads: [
              {
                subtaskTitle: 'load',
                scenario: 'Dummy.dummy_random_fail_in_atomic',
                sla: [
                  {
                    criterion: 'failure_rate',
                    success: false,
                    detail: 'Failure rate criteria 0.00% <= 50.00% <= 0.00% - Failed',
                  },
                ],
                iterations: [
                  {
                    index: 0,
                    timestamp: (t0 + 2000) / 1000,
                    durationSeconds: 1,
                    error: { type: 'RandomError', message: 'boom', traceback: '' },
                  },
                  { index: 1, timestamp: (t0 + 30_000) / 1000, durationSeconds: 1 },
                  {
                    index: 2,
                    timestamp: (t0 + 50_000) / 1000,
                    durationSeconds: 1,
                    error: { type: 'RandomError', message: 'boom', traceback: '' },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
} as unknown as RallyRun;

describe('report', () => {
  it('correlates failed Rally iterations with the kills unrecovered at the time', () => {
    const summary = correlateRally(rally, result.kills, result.chaosEndedAt);
    expect(summary.iterations).toBe(3);
    expect(summary.failedIterations.map((f) => [f.index, f.overlappingKills])).toEqual([
      [0, [1]],
      [2, [3]],
    ]);
    const v = verdict(result, summary, 90);
    expect(v.reasons).toEqual([
      'StatefulSet openstack/mariadb-server did not recover: 2 of 3 Ready at the end',
      'StatefulSet openstack/mariadb-server availability 80.0% is below 90%',
      'Rally SLA failed (2 of 3 iterations failed)',
    ]);
  });

  it('draws a Mermaid gantt: a bar to each recovery, a milestone per refusal, a critical bar for what never recovered', () => {
    const chart = ganttChart(result, correlateRally(rally, result.kills, result.chaosEndedAt));
    expect(chart.split('\n')).toEqual([
      'gantt',
      '    title Pod kills and recoveries (seed nightly 7)',
      '    dateFormat x',
      '    axisFormat %H:%M:%S',
      '    section StatefulSet openstack/mariadb-server',
      `    mariadb-server-0 12.5s :done, k1, ${t0 + 1000}, ${t0 + 13_500}`,
      `    mariadb-server-1 refused by PDB :milestone, k2, ${t0 + 20_000}, ${t0 + 20_001}`,
      `    mariadb-server-2 not recovered :crit, k3, ${t0 + 40_000}, ${t0 + 90_000}`,
      '    section Rally failures',
      `    iteration 0 :crit, r0, ${t0 + 2000}, ${t0 + 3000}`,
      `    iteration 2 :crit, r1, ${t0 + 50_000}, ${t0 + 51_000}`,
    ]);
  });

  it('orders the JSON timeline and summarises per workload', () => {
    const summary = correlateRally(rally, result.kills, result.chaosEndedAt);
    const report = buildReport(result, { killMode: 'evict' }, summary, verdict(result, summary, 50));
    expect(report.timeline.map((e) => `${e.event}${e.killId ? ` #${e.killId}` : ''}`)).toEqual([
      'chaos-start',
      'kill #1',
      'rally-iteration-failed',
      'recovered #1',
      'refused #2',
      'kill #3',
      'rally-iteration-failed',
      'chaos-end',
      'not-recovered #3',
    ]);
    const markdown = summaryMarkdown(report, result, 50);
    expect(markdown).toContain('## ❌ cookiemonster: FAILED');
    expect(markdown).toContain(
      '| StatefulSet openstack/mariadb-server | 2 | 1 | 12.50s | 12.50s | 80.0% | 2/3 | ❌ 2/3 |',
    );
    expect(markdown).toContain('2 of 3 iterations failed; 2 of them while a killed pod had not recovered.');
  });
});
