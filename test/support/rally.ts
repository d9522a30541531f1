/**
 * Helpers for tests that run the real Rally 3.3 (Debian package, `rally` on PATH): temp Rally
 * homes and task files built from Rally's own Dummy scenarios, which need no cloud.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';

export interface RallyTestEnv {
  dir: string;
  /** A fresh sub-directory for one run's Rally home. */
  workDir(name?: string): string;
  /** Writes a task file into the temp dir and returns its path. */
  taskFile(name: string, content: string | object): string;
  cleanup(): void;
}

export function rallyTestEnv(prefix = 'rally-test-'): RallyTestEnv {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  let runs = 0;
  return {
    dir,
    workDir(name = `run-${++runs}`) {
      const work = path.join(dir, name);
      mkdirSync(work, { recursive: true });
      return work;
    },
    taskFile(name, content) {
      const file = path.join(dir, name);
      writeFileSync(file, typeof content === 'string' ? content : stringify(content));
      return file;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface DummyWorkload {
  scenario?: string;
  args?: Record<string, unknown>;
  times?: number;
  concurrency?: number;
  sla?: Record<string, unknown>;
}

/** A task in format v2 with one subtask per workload. */
export function dummyTask(title: string, workloads: (DummyWorkload & { title?: string })[]): object {
  return {
    version: 2,
    title,
    subtasks: workloads.map((w, i) => ({
      title: w.title ?? `${w.scenario ?? 'Dummy.dummy'} ${i + 1}`,
      workloads: [
        {
          scenario: { [w.scenario ?? 'Dummy.dummy']: w.args ?? { sleep: 0 } },
          runner: { constant: { times: w.times ?? 3, concurrency: w.concurrency ?? 1 } },
          sla: w.sla ?? { failure_rate: { max: 0 } },
        },
      ],
    })),
  };
}

/** Passing: Dummy.dummy with a Jinja argument `sleep` (default 0). */
export const PASSING_TEMPLATE = `---
version: 2
title: taco dummy pass
subtasks:
  - title: dummy sleeps
    workloads:
      - scenario:
          Dummy.dummy:
            sleep: {{ sleep | default(0) }}
        runner:
          constant:
            times: {{ times | default(4) }}
            concurrency: 2
        sla:
          failure_rate: {max: 0}
          max_seconds_per_iteration: 10
`;

/** Always fails its SLA: every iteration raises inside an atomic action. */
export const FAILING_TASK = dummyTask('taco dummy fail', [
  { title: 'dummy ok', scenario: 'Dummy.dummy', args: { sleep: 0 }, times: 2 },
  {
    title: 'dummy fails',
    scenario: 'Dummy.dummy_random_fail_in_atomic',
    args: { exception_probability: 1 },
    times: 3,
  },
]);
