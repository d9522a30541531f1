import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeFailure,
  formatCommand,
  ProcessError,
  runChecked,
  runProcess,
  tail,
} from '../../actions/lib/process.js';
import { redact } from '../../actions/lib/redact.js';

/** Running, as opposed to gone or a zombie waiting for a reaper. */
function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
}

describe('runProcess', () => {
  it('captures output and the exit code', async () => {
    const result = await runProcess('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(result).toMatchObject({
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
      timedOut: false,
      cancelled: false,
    });
  });

  it('passes input on stdin', async () => {
    const result = await runProcess('cat', [], { input: 'hello' });
    expect(result.stdout).toBe('hello');
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const result = await runProcess('sh', ['-c', 'sleep 30 & echo $!; wait'], {
      timeoutMs: 300,
      killGraceMs: 200,
    });
    expect(result.timedOut).toBe(true);
    const grandchild = Number(result.stdout.trim());
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(grandchild)).toBe(false);
  });

  it('stops on cancellation', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const result = await runProcess('sleep', ['30'], { signal: controller.signal, killGraceMs: 200 });
    expect(result.cancelled).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('SIGTERM');
  });

  it('does not start when already cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runProcess('sh', ['-c', 'echo started'], { signal: controller.signal });
    expect(result).toMatchObject({ cancelled: true, stdout: '' });
  });

  it('keeps secrets out of the logged command line and the streamed output', async () => {
    const logged: string[] = [];
    const streamed: string[] = [];
    const result = await runProcess('sh', ['-c', 'echo token=s3cr3t-value', 'arg', 's3cr3t-value'], {
      secrets: ['s3cr3t-value'],
      log: (line) => logged.push(line),
      onStdout: (text) => streamed.push(text),
    });
    expect(logged.join('')).not.toContain('s3cr3t-value');
    expect(result.command).toContain('***');
    expect(streamed.join('')).toBe('token=***\n');
  });

  it('says clearly when a command does not exist', async () => {
    await expect(runProcess('definitely-not-a-command-xyz', [])).rejects.toThrow(
      'Command not found: definitely-not-a-command-xyz',
    );
  });

  it('runChecked throws with the tail of the output', async () => {
    const error = await runChecked('sh', ['-c', 'for i in 1 2 3 4 5; do echo line$i; done; exit 2']).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ProcessError);
    expect(error.message).toBe(
      "`sh -c 'for i in 1 2 3 4 5; do echo line$i; done; exit 2'` exited with code 2:\nline1\nline2\nline3\nline4\nline5",
    );
    expect(describeFailure(error.result, [], 2)).toMatch(/line4\nline5$/);
  });
});

describe('helpers', () => {
  it('quotes command lines for copy and paste', () => {
    expect(formatCommand('git', ['commit', '-m', "it's done"])).toBe(`git commit -m 'it'\\''s done'`);
  });
  it('redacts base64 forms too (auth headers)', () => {
    const header = `Authorization: Basic ${Buffer.from('tok123').toString('base64')}`;
    expect(redact(`x tok123 ${header}`, ['tok123'])).toBe('x *** Authorization: Basic ***');
  });
  it('tails text', () => {
    expect(tail('a\nb\nc\n\n', 2)).toBe('b\nc');
  });
});

describe('ProcessError', () => {
  it('names the program it ran as the failed service, also when its path has a space', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'process error '));
    const tool = path.join(dir, 'my tool');
    writeFileSync(tool, '#!/bin/sh\nexit 4\n', { mode: 0o755 });
    try {
      const err = await runChecked(tool, ['--flag']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProcessError);
      expect((err as ProcessError).service).toBe('my tool');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
