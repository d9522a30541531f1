import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../actions/lib/duration.js';
import {
  booleanInput,
  choiceInput,
  durationInput,
  integerInput,
  jsonInput,
  listInput,
  stringInput,
  yamlInput,
} from '../../actions/lib/inputs.js';

const ctx = (inputs: Record<string, string>) => ({ getInput: (name: string) => inputs[name] ?? '' });

describe('input readers', () => {
  it('reads strings with defaults and required checks', () => {
    expect(stringInput(ctx({ a: ' x ' }), 'a')).toBe('x');
    expect(stringInput(ctx({}), 'a', { default: 'd' })).toBe('d');
    expect(() => stringInput(ctx({}), 'upstream', { required: true })).toThrow(
      "Input 'upstream' is required and was not given",
    );
  });

  it('reads booleans the way YAML 1.2 core and people write them', () => {
    expect(booleanInput(ctx({ b: 'true' }), 'b')).toBe(true);
    expect(booleanInput(ctx({ b: 'False' }), 'b')).toBe(false);
    expect(booleanInput(ctx({}), 'b', { default: true })).toBe(true);
    expect(() => booleanInput(ctx({ b: 'maybe' }), 'b')).toThrow(
      `Input 'b': expected true or false, got "maybe"`,
    );
  });

  it('reads integers within bounds', () => {
    expect(integerInput(ctx({ n: '4' }), 'n', { min: 1 })).toBe(4);
    expect(() => integerInput(ctx({ n: 'four' }), 'n')).toThrow(`Input 'n': expected an integer, got "four"`);
    expect(() => integerInput(ctx({ n: '0' }), 'n', { min: 1 })).toThrow(
      `Input 'n': expected an integer ≥ 1, got 0`,
    );
  });

  it('reads durations', () => {
    expect(durationInput(ctx({ t: '10m' }), 't')).toBe(600_000);
    expect(durationInput(ctx({ t: '90' }), 't')).toBe(90_000);
    expect(() => durationInput(ctx({ 'gate-timeout': 'soon' }), 'gate-timeout')).toThrow(
      `Input 'gate-timeout': expected a duration such as 90, 30s, 10m or 1h30m, got "soon"`,
    );
  });

  it('reads choices', () => {
    expect(choiceInput(ctx({ e: 'podman' }), 'e', ['docker', 'podman'], { default: 'docker' })).toBe(
      'podman',
    );
    expect(() =>
      choiceInput(ctx({ engine: 'rkt' }), 'engine', ['docker', 'podman'], { default: 'docker' }),
    ).toThrow(`Input 'engine': expected one of docker, podman, got "rkt"`);
  });

  it('reads lists from lines, commas and flow sequences, dropping comments', () => {
    expect(listInput(ctx({ l: 'master\nstable/*, refs/tags/*\n# not this\n\n' }), 'l')).toEqual([
      'master',
      'stable/*',
      'refs/tags/*',
    ]);
    expect(listInput(ctx({ l: '[a, "b c"]' }), 'l')).toEqual(['a', 'b c']);
    expect(listInput(ctx({}), 'l')).toEqual([]);
  });

  it('reads JSON and YAML with the parser reason in the error', () => {
    expect(jsonInput(ctx({ j: '[{"name":"keystone"}]' }), 'j')).toEqual([{ name: 'keystone' }]);
    expect(() => jsonInput(ctx({ images: '{oops' }), 'images')).toThrow(
      /^Input 'images': expected JSON \(.+\), got "\{oops"$/,
    );
    expect(yamlInput(ctx({ y: '- kind: deployment\n  name: keystone' }), 'y')).toEqual([
      { kind: 'deployment', name: 'keystone' },
    ]);
    expect(() => yamlInput(ctx({ targets: 'a: [' }), 'targets')).toThrow(/^Input 'targets': expected YAML/);
  });
});

describe('durations', () => {
  it('parses and formats', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('10 minutes')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
    expect(formatDuration(1500)).toBe('1.50s');
    expect(formatDuration(125_000)).toBe('2m5s');
  });
});
