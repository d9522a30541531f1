import { describe, expect, it } from 'vitest';
import { resolveSecret } from '../../actions/lib/secrets.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { inputEnvName, parseAnnotations, parseFileCommands } from '../harness/run-action.js';

function terminal(inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  const printed: string[] = [];
  const ctx = terminalContext({
    inputs,
    env,
    signal: new AbortController().signal,
    write: (t) => printed.push(t),
  });
  return { ctx, printed };
}

describe('terminal context', () => {
  it('reads inputs case-insensitively and collects outputs', () => {
    const { ctx } = terminal({ 'Dry-Run': 'true' });
    expect(ctx.getInput('dry-run')).toBe('true');
    expect(ctx.getInput('missing')).toBe('');
    ctx.setOutput('images', [{ name: 'keystone' }]);
    ctx.setOutput('passed', true);
    expect(ctx.outputs).toEqual({ images: '[{"name":"keystone"}]', passed: 'true' });
  });

  it('never prints a registered secret, in logs, annotations or the summary', async () => {
    const { ctx, printed } = terminal();
    ctx.setSecret('pa55word');
    ctx.info('login with pa55word');
    ctx.warning('bad pa55word', { file: 'x.bats', startLine: 3 });
    await ctx.appendSummary('| pa55word |');
    expect(printed.join('')).toBe('login with ***\nwarning: x.bats:3: bad ***\n');
    expect(ctx.summary).toEqual(['| *** |']);
  });

  it('indents grouped output and times the group', async () => {
    const { ctx, printed } = terminal();
    const value = await ctx.group('build keystone', async () => {
      ctx.info('step');
      return 42;
    });
    expect(value).toBe(42);
    expect(printed[0]).toBe('▶ build keystone\n');
    expect(printed[1]).toBe('  step\n');
    expect(printed[2]).toMatch(/^◀ build keystone \(\d+ms\)\n$/);
  });
});

describe('secrets from profiles', () => {
  it('prefers the input, else the environment variable the profile names, and masks it', () => {
    const { ctx, printed } = terminal({}, { REG_PASS: 'from-env' });
    expect(resolveSecret(ctx, 'registry.password', 'from-input', { env: 'REG_PASS' })).toBe('from-input');
    expect(resolveSecret(ctx, 'registry.password', '', { env: 'REG_PASS' })).toBe('from-env');
    ctx.info('from-input from-env');
    expect(printed.join('')).toBe('*** ***\n');
  });

  it('says which variable is missing', () => {
    const { ctx } = terminal();
    expect(() =>
      resolveSecret(ctx, 'registry.password', undefined, { env: 'REG_PASS' }, { required: true }),
    ).toThrow(
      'registry.password: environment variable REG_PASS is not set (the profile takes this secret from it)',
    );
    expect(resolveSecret(ctx, 'registry.password', undefined, { env: 'REG_PASS' })).toBeUndefined();
  });
});

describe('runner file commands', () => {
  it('maps input names as the runner does', () => {
    expect(inputEnvName('gate-timeout')).toBe('INPUT_GATE-TIMEOUT');
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT');
  });

  it('reads heredoc records and annotations', () => {
    expect(
      parseFileCommands(
        'a<<ghadelimiter_1\nline1\nline2\nghadelimiter_1\nb<<ghadelimiter_2\n\nghadelimiter_2\n',
      ),
    ).toEqual({
      a: 'line1\nline2',
      b: '',
    });
    expect(parseAnnotations('x\n::error file=tests/a.bats,line=7,title=t%3Ax::failed%0Aline 2\n')).toEqual([
      {
        level: 'error',
        message: 'failed\nline 2',
        properties: { file: 'tests/a.bats', line: '7', title: 't:x' },
      },
    ]);
  });
});
