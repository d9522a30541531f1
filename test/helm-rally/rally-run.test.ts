/** runRallyTask against the real Rally 3.3 CLI with its Dummy scenarios (no cloud needed). */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  RallyDeploymentError,
  RallyProgress,
  RallyTaskFileError,
  allWorkloads,
  rallyConf,
  runRallyTask,
  taskIdFromOutput,
} from '../../actions/lib/rally/index.js';
import { parseJUnitXml } from '../support/junit-xml.js';
import { PASSING_TEMPLATE, dummyTask, rallyTestEnv } from '../support/rally.js';

const t = rallyTestEnv('rally-run-');
// Rally needs a few seconds of CPU per command; on a busy machine a run takes minutes.
const REAL_RALLY_TIMEOUT = 300_000;
afterAll(() => t.cleanup());

describe('runRallyTask (real Rally)', () => {
  it.concurrent(
    'passes a task template with its arguments, writes JSON, HTML and JUnit',
    async () => {
      const lines: string[] = [];
      const run = await runRallyTask({
        taskFile: t.taskFile('pass.yaml', PASSING_TEMPLATE),
        taskArgs: { sleep: 0.02, times: 3 },
        workDir: t.workDir('pass'),
        log: (line) => lines.push(line),
      });
      expect(run).toMatchObject({ exitCode: 0, slaPassed: true, crashed: false, cancelled: false });
      expect(run.taskId).toMatch(/^[0-9a-f-]{36}$/);
      const [w] = allWorkloads(run.report!);
      // The Jinja arguments reached the task: 3 iterations that each slept 0.02 s.
      expect(w.args).toEqual({ sleep: 0.02 });
      expect(w.iterations).toHaveLength(3);
      expect(w.durations.min).toBeGreaterThanOrEqual(0.02);
      expect(readFileSync(run.htmlFile!, 'utf8')).toContain('<html');
      expect(parseJUnitXml(readFileSync(run.junitFile!, 'utf8'))[0].cases).toHaveLength(1);
      expect(lines.some((line) => line.includes('rally.task.engine'))).toBe(true);
      // Task arguments travel in a file, never on the command line.
      expect(lines.find((line) => line.includes('task start'))).toContain('--task-args-file');
      // Each run has its own Rally home; ~/.rally/globals is never touched (--no-use).
      expect(readFileSync(path.join(run.workDir, 'rally.conf'), 'utf8')).toBe(rallyConf(run.workDir));
    },
    REAL_RALLY_TIMEOUT,
  );

  it.concurrent(
    "refuses an invalid task file with an error naming the file and Rally's reason",
    async () => {
      const file = t.taskFile('typo.yaml', {
        version: 2,
        title: 'x',
        subtasks: [
          {
            title: 'a',
            workloads: [{ scenario: { 'Dummy.dummy': { sleeep: 1 } }, runner: { constant: { times: 1 } } }],
          },
        ],
      });
      const error = await runRallyTask({ taskFile: file, workDir: t.workDir('typo') }).catch(
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(RallyTaskFileError);
      expect((error as Error).message).toContain(`Rally task file ${file} is invalid`);
      expect((error as Error).message).toContain("Unexpected argument(s) found ['sleeep']");
      expect((error as Error).message).not.toContain('Subtask configuration');
    },
    REAL_RALLY_TIMEOUT,
  );

  it.concurrent(
    'refuses broken YAML and a missing template argument',
    async () => {
      const broken = t.taskFile('broken.yaml', 'version: 2\nsubtasks: [\n');
      await expect(runRallyTask({ taskFile: broken, workDir: t.workDir('broken') })).rejects.toThrow(
        new RegExp(`${broken} is invalid .*exit 117`),
      );
      const template = t.taskFile(
        'needs-arg.yaml',
        PASSING_TEMPLATE.replace('{{ sleep | default(0) }}', '{{ sleep }}'),
      );
      await expect(runRallyTask({ taskFile: template, workDir: t.workDir('needs-arg') })).rejects.toThrow(
        /Please specify template task argument: sleep/,
      );
      await expect(
        runRallyTask({ taskFile: path.join(t.dir, 'nope.yaml'), workDir: t.workDir('nope') }),
      ).rejects.toThrow(/Rally task file .*nope.yaml does not exist/);
    },
    REAL_RALLY_TIMEOUT,
  );

  it.concurrent(
    'reports a deployment that does not exist in an existing Rally database',
    async () => {
      const home = t.workDir('existing-db');
      const conf = path.join(home, 'rally.conf');
      writeFileSync(conf, rallyConf(home));
      execFileSync('rally', ['--config-file', conf, 'db', 'create'], { stdio: 'ignore' });
      const error = await runRallyTask({
        taskFile: t.taskFile('pass-2.yaml', PASSING_TEMPLATE),
        workDir: home,
        database: `sqlite:///${path.join(home, 'rally.sqlite')}`,
        deployment: { name: 'nowhere' },
      }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(RallyDeploymentError);
      expect((error as Error).message).toMatch(
        /Rally deployment "nowhere" does not exist: Record for uuid or name is nowhere not found in table envs/,
      );
    },
    REAL_RALLY_TIMEOUT,
  );

  it.concurrent(
    'stops Rally when cancelled and reports the run as cancelled',
    async () => {
      const controller = new AbortController();
      const slow = t.taskFile('slow.yaml', {
        version: 2,
        title: 'slow',
        subtasks: [
          {
            title: 's',
            workloads: [
              {
                scenario: { 'Dummy.dummy': { sleep: 30 } },
                runner: { constant: { times: 1, concurrency: 1 } },
              },
            ],
          },
        ],
      });
      const run = await runRallyTask({
        taskFile: slow,
        workDir: t.workDir('cancel'),
        signal: controller.signal,
        log: (line) => {
          if (line.includes('Starting:  Running task')) controller.abort();
        },
      });
      expect(run).toMatchObject({ cancelled: true, slaPassed: false, crashed: false });
      expect(run.taskId).toMatch(/^[0-9a-f-]{36}$/);
      // Nothing of that Rally is left running.
      const left = execFileSync('ps', ['-eo', 'args'])
        .toString()
        .split('\n')
        .filter((line) => line.includes(slow));
      expect(left).toEqual([]);
      expect(existsSync(path.join(run.workDir, 'report.json'))).toBe(false);
    },
    REAL_RALLY_TIMEOUT,
  );

  it.concurrent(
    "logs the iterations done and failed while Rally runs, from Rally's own iteration lines",
    async () => {
      const lines: string[] = [];
      const run = await runRallyTask({
        taskFile: t.taskFile(
          'progress.yaml',
          dummyTask('progress', [
            { times: 5 },
            { scenario: 'Dummy.dummy_exception', args: {}, times: 3, sla: { failure_rate: { max: 100 } } },
          ]),
        ),
        workDir: t.workDir('progress'),
        log: (line) => lines.push(line),
        // No second line within the hour: the first iteration's line, then the total.
        progressIntervalMs: 3_600_000,
      });
      expect(run).toMatchObject({ exitCode: 0, slaPassed: true });
      const progress = lines.filter((line) => line.startsWith('progress: '));
      expect(progress, lines.join('\n')).toEqual([
        'progress: 1 iteration finished: 1 ok, 0 failed',
        'progress: 8 iterations finished: 5 ok, 3 failed',
      ]);
      const iterations = allWorkloads(run.report!).flatMap((w) => w.iterations);
      expect(iterations.filter((i) => i.error)).toHaveLength(3);
      // Rally's two lines per iteration stay in its log file, out of the job's log.
      expect(lines.filter((line) => line.includes('| ITER: '))).toEqual([]);
      expect(readFileSync(run.logFile, 'utf8').match(/\| ITER: \d+ END: /g)).toHaveLength(8);
    },
    REAL_RALLY_TIMEOUT,
  );
});

describe('RallyProgress', () => {
  const iteration = (n: number, status: string) =>
    `2026-12-06 20:51:35.641 13266 INFO rally.task.runner [-] Task 7c1085dc-1254-4cdc-bef2-e778fb57ca55 | ITER: ${n} ${status}`;

  it('counts finished iterations into a line at most every interval, and the total at the end', () => {
    const out: string[] = [];
    let clock = 0;
    const progress = new RallyProgress((line) => out.push(line), { intervalMs: 1_000, now: () => clock });
    expect(progress.take(iteration(1, 'START'))).toBe(true);
    expect(progress.take(iteration(1, 'END: OK'))).toBe(true);
    clock = 400;
    progress.take(iteration(2, "END: Error KeyError: 'Dummy test exception'"));
    clock = 1_000;
    progress.take(iteration(3, 'END: OK'));
    expect(progress.take('2026-12-06 INFO rally.task.engine [-] Load duration is: 0.027381')).toBe(false);
    progress.finish();
    expect(out).toEqual([
      'progress: 1 iteration finished: 1 ok, 0 failed',
      'progress: 3 iterations finished: 2 ok, 1 failed',
    ]);
    progress.finish();
    expect(out).toHaveLength(2);
  });

  it('says so when no iteration finished', () => {
    const out: string[] = [];
    new RallyProgress((line) => out.push(line)).finish();
    expect(out).toEqual(['progress: 0 iterations finished: 0 ok, 0 failed']);
  });
});

describe('taskIdFromOutput', () => {
  it('reads the task id from the header, with or without tags and colours', () => {
    const id = '39b42fbc-a331-4e40-aaa4-f94627bff9dc';
    expect(taskIdFromOutput(`---\nTask  ${id}: started\n`)).toBe(id);
    expect(taskIdFromOutput(`Task [tags: 'a', 'b'] ${id}: started`)).toBe(id);
    expect(taskIdFromOutput(`\u001b[0mUsing task: ${id}`)).toBe(id);
    expect(taskIdFromOutput('Task config is invalid')).toBeUndefined();
  });
});
