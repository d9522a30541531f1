/** The compact nightly summaries, from a real Subunit stream and a report made by cookiemonster's code. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readChaosSummary, readTempestSummary } from '../../actions/lib/history/run-summaries.js';
import { readNightlyReports } from '../../actions/promote-version/nightly-reports.js';
import { promoteRun } from '../promote-version/support/world.js';
import { chaosReport, TEST_PREFIX, tempestStream, writeTempestModule } from './support/nightly-reports.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'run-summaries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readTempestSummary', () => {
  it('keeps the counts, the failing ids and the duration, and no traceback', async () => {
    const module = writeTempestModule(path.join(dir, 'py'));
    const stream = tempestStream(module, path.join(dir, 'night.subunit'), [
      'test_resize_server',
      'test_issue_token',
    ]);
    const summary = await readTempestSummary(stream);
    expect(summary).toMatchObject({
      passed: 2,
      failed: 2,
      skipped: 1,
      failures: [`${TEST_PREFIX}ServersTest.test_resize_server`, `${TEST_PREFIX}TokensTest.test_issue_token`],
    });
    expect(summary.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(summary)).not.toMatch(/Traceback|failed tonight/);
  });

  it('refuses a file that is not a Subunit stream', async () => {
    const file = path.join(dir, 'junit.xml');
    writeFileSync(file, '<testsuites/>\n');
    await expect(readTempestSummary(file)).rejects.toThrow(/not a Subunit v2 stream/);
  });
});

describe('readChaosSummary', () => {
  it('keeps kills and max/mean recovery per workload, and the verdict', async () => {
    const file = chaosReport(path.join(dir, 'report.json'), Date.UTC(2026, 0, 1), [
      { workload: 'Deployment openstack/keystone-api', recoveries: [2000, 4000] },
      { workload: 'StatefulSet openstack/mariadb-server', recoveries: [undefined] },
    ]);
    const summary = await readChaosSummary(file);
    expect(summary).toEqual({
      passed: false,
      kills: 3,
      workloads: [
        {
          workload: 'Deployment openstack/keystone-api',
          kills: 2,
          maxRecoverySeconds: 4,
          meanRecoverySeconds: 3,
          recovered: true,
          availabilityPercent: 97.5,
        },
        {
          workload: 'StatefulSet openstack/mariadb-server',
          kills: 1,
          recovered: false,
          availabilityPercent: 60,
        },
      ],
      reasons: [expect.stringContaining('mariadb-server did not recover')],
    });
  });

  it('refuses JSON that is not a cookiemonster report, naming the file', async () => {
    const file = path.join(dir, 'other.json');
    writeFileSync(file, '{"tasks": []}');
    await expect(readChaosSummary(file)).rejects.toThrow(`${file}: not a cookiemonster report`);
  });
});

describe('record-nightly and history-site inputs', () => {
  it('leaves out a report that is not there (the stage did not run), with a warning naming the input', async () => {
    const warnings: string[] = [];
    const chaos = chaosReport(path.join(dir, 'present.json'), Date.UTC(2026, 0, 2), [
      { workload: 'Deployment openstack/glance-api', recoveries: [1500] },
    ]);
    const reports = await readNightlyReports(
      { tempestResults: path.join(dir, 'absent.subunit'), chaosReport: chaos },
      (line) => warnings.push(line),
    );
    expect(reports.tempest).toBeUndefined();
    expect(reports.chaos).toMatchObject({ passed: true, kills: 1 });
    expect(warnings).toEqual([
      `Input 'tempest-results': ${path.join(dir, 'absent.subunit')} does not exist; recorded without it`,
    ]);
  });

  it('mode history-site without a ledger is a usage error, and needs no registry', async () => {
    const run = await promoteRun({ mode: 'history-site' });
    expect(run.error?.name).toBe('UserError');
    expect(run.error?.message).toBe(
      "Mode history-site reads the artifact ledger, but none is configured: set input 'history' or promote.history in the profile",
    );
  });
});
