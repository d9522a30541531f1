/**
 * Rally crashes, told apart from SLA failures. Real Rally cannot be made to crash on demand, so
 * these runs use the fake `rally` in test/helm-rally/fakes (recorded real reports as its output).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishRallyRun } from '../../actions/helm-rally/publish.js';
import { JobFailure } from '../../actions/lib/errors.js';
import { runRallyTask } from '../../actions/lib/rally/index.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { PASSING_TEMPLATE, rallyTestEnv } from '../support/rally.js';

const fakeRally = path.join(import.meta.dirname, 'fakes', 'rally');
const recorded = (name: string) =>
  path.join(import.meta.dirname, '..', 'fixtures', 'recorded', 'rally', name);
const t = rallyTestEnv('rally-crash-');
afterAll(() => t.cleanup());

function run(env: Record<string, string>) {
  return runRallyTask({
    taskFile: t.taskFile('task.yaml', PASSING_TEMPLATE),
    workDir: t.workDir(),
    rallyBinary: fakeRally,
    env: { ...process.env, ...env },
    html: false,
  });
}

async function verdict(rallyRun: Awaited<ReturnType<typeof run>>) {
  const ctx = terminalContext({ inputs: {}, signal: new AbortController().signal, write: () => undefined });
  const error = await publishRallyRun(ctx, rallyRun, 'Rally').then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  return { error, outputs: ctx.outputs, summary: ctx.summary.join('\n') };
}

describe('Rally crashes are not SLA failures', () => {
  it("an exit code other than 0 and 2 is a crash, with Rally's own words", async () => {
    const rallyRun = await run({
      FAKE_RALLY_EXIT: '1',
      FAKE_RALLY_OUTPUT:
        'Command failed, please check log for more info\nOperationalError: database is locked',
    });
    expect(rallyRun).toMatchObject({ exitCode: 1, crashed: true, slaPassed: false });
    expect(rallyRun.crashReason).toContain('rally task start exited with code 1');
    expect(rallyRun.crashReason).toContain('database is locked');
    const { error, outputs, summary } = await verdict(rallyRun);
    expect(error).toBeInstanceOf(JobFailure);
    expect(error!.message).toMatch(/^Rally crashed \(exit code 1\), not an SLA failure: /);
    expect(outputs['sla-passed']).toBe('false');
    expect(summary).toContain('**Rally crashed** — this is not an SLA verdict.');
  });

  it('exit 0 with a task that ended "crashed" in its report is a crash too', async () => {
    const report = JSON.parse(readFileSync(recorded('report-passed.json'), 'utf8')) as {
      tasks: { status: string }[];
    };
    report.tasks[0].status = 'crashed';
    const file = path.join(t.dir, 'crashed-report.json');
    writeFileSync(file, JSON.stringify(report));
    const rallyRun = await run({ FAKE_RALLY_EXIT: '0', FAKE_RALLY_REPORT: file });
    expect(rallyRun).toMatchObject({ exitCode: 0, crashed: true, slaPassed: false });
    expect(rallyRun.crashReason).toContain('ended as "crashed"');
  });

  it('exit 2 whose report shows every SLA passed is not believed', async () => {
    const rallyRun = await run({ FAKE_RALLY_EXIT: '2', FAKE_RALLY_REPORT: recorded('report-passed.json') });
    expect(rallyRun).toMatchObject({
      crashed: true,
      crashReason: 'rally task start exited with code 2 but the report shows every SLA passed',
    });
  });

  it('exit 2 with a failing report is an SLA failure, not a crash', async () => {
    const rallyRun = await run({
      FAKE_RALLY_EXIT: '2',
      FAKE_RALLY_REPORT: recorded('report-sla-failed.json'),
    });
    expect(rallyRun).toMatchObject({ exitCode: 2, crashed: false, slaPassed: false });
    const { error } = await verdict(rallyRun);
    expect(error!.message).toMatch(/^Rally SLA failed .*: 1 of 2 workloads failed their SLA$/);
  });

  it('a report Rally could not write makes the run a crash', async () => {
    const rallyRun = await run({ FAKE_RALLY_EXIT: '0' });
    expect(rallyRun).toMatchObject({ crashed: true });
    expect(rallyRun.crashReason).toContain('rally task report --json exited with code 1');
  });
});
