/**
 * The local workflow runner's semantics on small workflows written for the purpose: jobs in needs
 * order and GitHub's skip/failure rules, matrix expansion, expressions, file commands, the
 * artifact layout, a node24 action's inputs, and the checks GitHub does not make.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandMatrix } from '../../actions/lib/workflow/matrix.js';
import { runWorkflow } from '../../actions/lib/workflow/runner.js';
import { nodeBinary } from '../harness/run-action.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function run(
  yaml: string,
  options: { inputs?: Record<string, string>; secrets?: Record<string, string>; repo?: string } = {},
) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workflow-runner-'));
  dirs.push(dir);
  const file = path.join(dir, 'wf.yml');
  writeFileSync(file, yaml);
  const lines: string[] = [];
  const result = await runWorkflow({
    workflowFile: file,
    inputs: options.inputs ?? {},
    secrets: options.secrets ?? {},
    actionsRoot: path.resolve(import.meta.dirname, '..', '..'),
    callerRepo: options.repo,
    workDir: path.join(dir, 'work'),
    node: nodeBinary('24'),
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
    log: (line) => lines.push(line),
  });
  return { ...result, log: lines.join('\n') };
}

const header = `name: t
on:
  workflow_call:
    inputs:
      count: { type: number, default: 2 }
      flag: { type: boolean, default: false }
      word: { type: string, default: hello }
    secrets:
      TOKEN: { required: false }
`;

describe('jobs', () => {
  it('run in needs order; a failed need skips its dependents unless their if says otherwise', async () => {
    const r = await run(`${header}
jobs:
  last:
    needs: [fails]
    if: always() && needs.fails.result == 'failure'
    runs-on: x
    steps: [{ run: 'echo "last saw \${{ needs.fails.result }}"' }]
  first:
    runs-on: x
    steps: [{ run: echo first }]
  fails:
    needs: first
    runs-on: x
    steps: [{ run: 'exit 3' }, { if: failure(), run: echo cleanup }, { run: echo never }]
  skipped:
    needs: fails
    runs-on: x
    steps: [{ run: echo never }]
  after-skipped:
    needs: skipped
    if: failure()
    runs-on: x
    steps: [{ run: 'echo failure seen through a skipped job' }]
  off:
    if: inputs.flag
    runs-on: x
    steps: [{ run: echo never }]
`);
    expect(Object.fromEntries(Object.entries(r.jobs).map(([id, j]) => [id, j.result]))).toEqual({
      first: 'success',
      fails: 'failure',
      last: 'success',
      skipped: 'skipped',
      'after-skipped': 'success',
      off: 'skipped',
    });
    expect(r.log).toContain('last saw failure');
    expect(r.log).toContain('cleanup');
    expect(r.log).not.toContain('never');
    expect(r.log.indexOf('] first')).toBeLessThan(r.log.indexOf('] last saw'));
    expect(r.result).toBe('failure');
  });

  it('skips a job whose need failed without evaluating its matrix; a bad matrix fails only that job', async () => {
    const r = await run(`${header}
jobs:
  list:
    runs-on: x
    outputs:
      items: \${{ steps.l.outputs.items }}
    steps:
      - run: exit 1
      - id: l
        run: echo "items=[1]" >> "$GITHUB_OUTPUT"
  each:
    needs: list
    runs-on: x
    strategy:
      matrix:
        i: \${{ fromJSON(needs.list.outputs.items) }}
    steps: [{ run: echo never }]
  anyway:
    needs: list
    if: always()
    runs-on: x
    strategy:
      matrix:
        i: \${{ fromJSON(needs.list.outputs.items) }}
    steps: [{ run: echo never }]
  report:
    needs: [each, anyway]
    if: always()
    runs-on: x
    steps: [{ run: 'echo "report sees \${{ needs.each.result }} and \${{ needs.anyway.result }}"' }]
`);
    expect(Object.fromEntries(Object.entries(r.jobs).map(([id, j]) => [id, j.result]))).toEqual({
      list: 'failure',
      each: 'skipped',
      anyway: 'failure',
      report: 'success',
    });
    expect(r.log).toContain(
      '[anyway] ::error::jobs.anyway.strategy: ${{ fromJSON(needs.list.outputs.items) }}',
    );
    expect(r.log).toContain('report sees skipped and failure');
    expect(r.log).not.toContain('never');
  });

  it('passes outputs through needs, the matrix and the workflow outputs, and refuses an output nobody produced', async () => {
    const r = await run(`${header}
    outputs:
      all: { value: '\${{ jobs.each.outputs.last }}' }
jobs:
  list:
    runs-on: x
    outputs:
      items: \${{ steps.l.outputs.items }}
    steps:
      - id: l
        run: echo "items=$(jq -cn --argjson n \${{ inputs.count }} '[range($n)]')" >> "$GITHUB_OUTPUT"
  each:
    needs: list
    runs-on: x
    strategy:
      matrix:
        i: \${{ fromJSON(needs.list.outputs.items) }}
        include: [{ i: 1, extra: '-x' }]
    outputs:
      last: \${{ steps.s.outputs.v }}
    steps:
      - id: s
        run: echo "v=\${{ matrix.i }}\${{ matrix.extra }} of \${{ strategy.job-total }}" >> "$GITHUB_OUTPUT"
  forgets:
    runs-on: x
    outputs:
      value: \${{ steps.s.outputs.value }}
    steps:
      - id: s
        run: echo "valeu=typo" >> "$GITHUB_OUTPUT"
`);
    expect(r.jobs.each.runs.map((c) => c.outputs.last)).toEqual(['0 of 2', '1-x of 2']);
    expect(r.outputs.all).toBe('1-x of 2');
    expect(r.jobs.forgets.result).toBe('failure');
    expect(r.log).toContain(
      'job forgets: output value reads steps.s.outputs.value, which step s did not set',
    );
  });

  it('refuses a needs output the needed job does not declare, before anything runs', async () => {
    await expect(
      run(`${header}
jobs:
  a: { runs-on: x, outputs: { one: '\${{ steps.s.outputs.one }}' }, steps: [{ id: s, run: 'echo one=1 >> "$GITHUB_OUTPUT"' }] }
  b: { needs: a, runs-on: x, steps: [{ run: 'echo \${{ needs.a.outputs.two }}' }] }
`),
    ).rejects.toThrow(/job b reads needs\.a\.outputs\.two, which job a does not declare/);
  });

  it('refuses an undeclared input or secret and a value of the wrong type', async () => {
    const wf = `${header}\njobs:\n  a: { runs-on: x, steps: [{ run: 'true' }] }\n`;
    await expect(run(wf, { inputs: { cuont: '3' } })).rejects.toThrow(
      /no input cuont \(workflow_call declares: count, flag, word\)/,
    );
    await expect(run(wf, { inputs: { flag: 'yes' } })).rejects.toThrow(/input flag is a boolean, got "yes"/);
    await expect(run(wf, { secrets: { OTHER: 'x' } })).rejects.toThrow(/no secret OTHER/);
  });
});

describe('steps', () => {
  it('honour GITHUB_ENV, GITHUB_PATH, step env, continue-on-error and mask the secrets', async () => {
    const r = await run(
      `${header}
env:
  TOP: top-\${{ inputs.word }}
jobs:
  a:
    runs-on: x
    env: { JOB: job }
    steps:
      - run: |
          echo "EXPORTED=from-env-file" >> "$GITHUB_ENV"
          mkdir -p bin && printf '#!/bin/sh\\necho tool-on-path\\n' > bin/tool && chmod +x bin/tool
          echo "$PWD/bin" >> "$GITHUB_PATH"
      - id: soft
        continue-on-error: true
        run: exit 4
      - env: { STEP: step }
        run: |
          echo "$TOP $JOB $STEP $EXPORTED \${{ env.EXPORTED }} \${{ steps.soft.outcome }}/\${{ steps.soft.conclusion }}"
          tool
          echo "token \${{ secrets.TOKEN }}"
`,
      { secrets: { TOKEN: 'hunter2-secret' } },
    );
    expect(r.jobs.a.result).toBe('success');
    expect(r.log).toContain('top-hello job step from-env-file from-env-file failure/success');
    expect(r.log).toContain('tool-on-path');
    expect(r.log).toContain('token ***');
    expect(r.log).not.toContain('hunter2-secret');
  });

  it('run a local node action with INPUT_* and its defaults, and fail on an input it does not declare', async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), 'workflow-runner-repo-'));
    dirs.push(repo);
    mkdirSync(path.join(repo, 'act'));
    writeFileSync(
      path.join(repo, 'act', 'action.yml'),
      "name: a\ninputs:\n  greeting: { default: 'hi' }\n  who: { required: true }\nruns: { using: node24, main: main.mjs }\n",
    );
    writeFileSync(
      path.join(repo, 'act', 'main.mjs'),
      "import fs from 'node:fs';\nfs.appendFileSync(process.env.GITHUB_OUTPUT, `said=${process.env.INPUT_GREETING} ${process.env.INPUT_WHO}\\n`);\n",
    );
    const r = await run(
      `${header}
jobs:
  a:
    runs-on: x
    steps:
      - uses: actions/checkout@v5
      - id: ok
        uses: ./act
        with: { who: world }
      - run: 'echo "\${{ steps.ok.outputs.said }}"'
      - uses: ./act
        with: { who: world, greting: typo }
`,
      { repo },
    );
    expect(r.log).toContain('hi world');
    expect(r.jobs.a.result).toBe('failure');
    expect(r.log).toMatch(/act\/action\.yml declares no input greting \(it has: greeting, who\)/);
  });
});

describe('artifacts', () => {
  it('keep one folder per artifact; a pattern download gives a subfolder each, merge-multiple flattens', async () => {
    const r = await run(`${header}
jobs:
  up:
    runs-on: x
    strategy: { matrix: { n: [1, 2] } }
    steps:
      - run: mkdir -p out/deep && echo \${{ matrix.n }} > out/deep/n.txt && echo x > out/.hidden && echo s > single.txt
      - uses: actions/upload-artifact@v5
        with: { name: 'part-\${{ matrix.n }}', path: out/ }
      - uses: actions/upload-artifact@v5
        with: { name: 'single-\${{ matrix.n }}', path: single.txt }
  down:
    needs: up
    runs-on: x
    steps:
      - uses: actions/download-artifact@v6
        with: { pattern: 'part-*', path: each }
      - uses: actions/download-artifact@v6
        with: { pattern: 'single-*', path: merged, merge-multiple: true }
      - uses: actions/download-artifact@v6
        with: { name: part-2, path: one }
      - run: find each merged one -type f | sort
`);
    expect(r.jobs.down.result).toBe('success');
    expect(readdirSync(r.artifactsDir).sort()).toEqual(['part-1', 'part-2', 'single-1', 'single-2']);
    const found = r.log
      .split('\n')
      .filter((l) => /\] (each|merged|one)\//.test(l))
      .map((l) => l.replace(/^\[[^\]]*\] /, ''));
    expect(found).toEqual([
      'each/part-1/deep/n.txt',
      'each/part-2/deep/n.txt',
      'merged/single.txt',
      'one/deep/n.txt',
    ]);
  });
});

describe('matrix', () => {
  it('expands include and exclude as GitHub documents', () => {
    expect(
      expandMatrix(
        {
          fruit: ['apple', 'pear'],
          animal: ['cat', 'dog'],
          include: [
            { color: 'green' },
            { color: 'pink', animal: 'cat' },
            { fruit: 'apple', shape: 'circle' },
            { fruit: 'banana' },
            { fruit: 'banana', animal: 'cat' },
          ],
          exclude: [{ fruit: 'pear', animal: 'dog' }],
        },
        'w',
      ),
    ).toEqual([
      { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
      { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
      { fruit: 'pear', animal: 'cat', color: 'pink' },
      { fruit: 'banana' },
      { fruit: 'banana', animal: 'cat' },
    ]);
  });
});
