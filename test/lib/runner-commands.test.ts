// Our runner commands against @actions/core, which they replace at start (it loads undici): the
// runner must see the same bytes for the same calls.
import * as core from '@actions/core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as ours from '../../actions/lib/runner-commands.js';

const TRICKY = ['plain', 'a%b', 'two\nlines\r\n', 'k: v, w', '', '100%: done,\nnext'];

function stdoutOf(fn: () => void): string {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return written.join('');
}

describe('runner commands', () => {
  let dir: string;
  const saved = { ...process.env };
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'runner-commands-'));
  });
  afterEach(() => {
    process.env = { ...saved };
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes annotations, masks, debug lines and groups as @actions/core does', async () => {
    for (const text of TRICKY) {
      const location = { title: text, file: `dir/${text}.ts`, startLine: 3, endLine: 4, startColumn: 0 };
      const properties = { title: text, file: `dir/${text}.ts`, line: 3, endLine: 4, col: 0 };
      for (const level of ['error', 'warning', 'notice'] as const) {
        expect(stdoutOf(() => ours.issueCommand(level, properties, text))).toBe(
          stdoutOf(() => core[level](text, location)),
        );
        expect(stdoutOf(() => ours.issueCommand(level, {}, text))).toBe(stdoutOf(() => core[level](text)));
      }
      expect(stdoutOf(() => ours.issueCommand('debug', {}, text))).toBe(stdoutOf(() => core.debug(text)));
      expect(stdoutOf(() => ours.setSecret(text))).toBe(stdoutOf(() => core.setSecret(text)));
      expect(stdoutOf(() => ours.info(text))).toBe(stdoutOf(() => core.info(text)));
    }
    const run = (group: typeof ours.group) => {
      const written: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        written.push(String(chunk));
        return true;
      });
      return group('a: b', async () => 7)
        .finally(() => spy.mockRestore())
        .then((value) => ({ value, written }));
    };
    expect(await run(ours.group)).toEqual(await run(core.group));
  });

  it('writes outputs and state to the runner files as @actions/core does, and fails the step', () => {
    const values: ours.CommandValue[] = [...TRICKY, 42, true, { a: [1, 'x'] }, null];
    const files = (which: 'ours' | 'core') => {
      const output = path.join(dir, `${which}-output`);
      const state = path.join(dir, `${which}-state`);
      writeFileSync(output, '');
      writeFileSync(state, '');
      process.env.GITHUB_OUTPUT = output;
      process.env.GITHUB_STATE = state;
      values.forEach((value, i) => {
        if (which === 'ours') {
          ours.setOutput(`out${i}`, value);
          ours.saveState(`state${i}`, value);
        } else {
          core.setOutput(`out${i}`, value);
          core.saveState(`state${i}`, value);
        }
      });
      const uuid = /ghadelimiter_[0-9a-f-]{36}/g;
      return [output, state].map((file) => readFileSync(file, 'utf8').replace(uuid, 'ghadelimiter_X'));
    };
    expect(files('ours')).toEqual(files('core'));

    process.env.STATE_phase = 'post';
    process.env['INPUT_DRY-RUN'] = '  yes ';
    expect(ours.getState('phase')).toBe(core.getState('phase'));
    expect(ours.getInput('dry-run')).toBe(core.getInput('dry-run'));
    expect(ours.getInput('Dry-Run')).toBe(core.getInput('Dry-Run'));

    expect(stdoutOf(() => ours.setFailed('broken: 50%'))).toBe(stdoutOf(() => core.setFailed('broken: 50%')));
    expect(process.exitCode).toBe(1);
  });

  it('appends to the job summary file as core.summary does', async () => {
    const summary = path.join(dir, 'summary');
    writeFileSync(summary, '');
    process.env.GITHUB_STEP_SUMMARY = summary;
    await core.summary.addRaw('| a | b |', true).write();
    ours.appendSummaryFile(summary, '| a | b |');
    const [first, second] = readFileSync(summary, 'utf8').split(/(?<=\n)/);
    expect(second).toBe(first);
  });
});
