/** Edge cases of the aggregates that a ledger from the actions does not produce: old and odd lines. */
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../actions/lib/history/index.js';
import { buildDashboard } from '../../actions/lib/history/html/index.js';
import { stageOf } from '../../actions/lib/history/html/nightlies.js';

const nightly = (extra: Partial<HistoryEntry> & Record<string, unknown>): HistoryEntry => ({
  schema: 1,
  kind: 'nightly',
  time: '2026-11-01T18:00:00.000Z',
  status: 'passed',
  candidate: 'nightly-20261101',
  images: [
    { name: 'keystone', ref: 'r.example/taco/keystone:nightly-20261101', digest: 'sha256:' + 'a'.repeat(64) },
  ],
  ...extra,
});

describe('stage verdicts', () => {
  it('takes recorded stages as they are, and shows unknown for a line that predates them', () => {
    const recorded = nightly({ stages: { deploy: 'passed', tempest: 'skipped', chaos: 'failed' } });
    expect(['deploy', 'tempest', 'chaos'].map((s) => stageOf(recorded, s as 'deploy'))).toEqual([
      'passed',
      'skipped',
      'failed',
    ]);
    const old = nightly({});
    expect(['deploy', 'tempest', 'chaos'].map((s) => stageOf(old, s as 'deploy'))).toEqual([
      'unknown',
      'unknown',
      'unknown',
    ]);
    const odd = nightly({ stages: { deploy: 'green' } as never, tempest: 'lots' as never });
    expect(stageOf(odd, 'deploy')).toBe('unknown');
    expect(stageOf(odd, 'tempest')).toBe('unknown');
  });

  it('never calls a report that tested nothing or killed nothing a pass', () => {
    const empty = nightly({
      tempest: { passed: 0, failed: 0, skipped: 12, failures: [] },
      chaos: { passed: true, kills: 0, workloads: [], reasons: [] },
    });
    expect(stageOf(empty, 'tempest')).toBe('failed');
    expect(stageOf(empty, 'chaos')).toBe('failed');
  });
});

describe('buildDashboard', () => {
  it('explains why a nightly cannot promote (the ledger rule), and keeps lines of other profiles apart', () => {
    const passed = { deploy: 'passed', tempest: 'passed', chaos: 'passed' } as const;
    const d = buildDashboard([
      nightly({ profile: 'dev', stages: { ...passed, chaos: 'skipped' } }),
      nightly({ profile: 'staging', images: [], stages: passed }),
      nightly({ status: 'failed', stages: { deploy: 'failed', tempest: 'skipped', chaos: 'skipped' } }),
      nightly({ profile: 'prod', stages: passed }),
    ]);
    expect(d.profiles.map((p) => [p.profile, p.nightlies[0].promote])).toEqual([
      ['', { can: false, why: 'the run failed; deploy failed; tempest skipped; chaos skipped' }],
      ['dev', { can: false, why: 'chaos skipped' }],
      [
        'prod',
        {
          can: true,
          why: 'passed every stage with every digest recorded: require-nightly accepts these digests',
        },
      ],
      ['staging', { can: false, why: 'it names no image digests' }],
    ]);
    expect(d.summary.passRate.recent).toBeCloseTo(3 / 4);
    expect(d.releases).toEqual([]);
  });
});
