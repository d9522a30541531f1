import { parse as parseYaml } from 'yaml';
import type { ActionContext } from './context.js';
import { requireDuration } from './duration.js';
import { UserError } from './errors.js';

/**
 * Typed input readers. Every error names the input and shows the bad value, e.g.
 * `Input 'gate-timeout': expected a duration such as 90, 30s, 10m or 1h30m, got "soon"`.
 */
export interface InputOptions<T> {
  required?: boolean;
  default?: T;
}

type Source = Pick<ActionContext, 'getInput'>;

function raw(ctx: Source, name: string): string {
  return ctx.getInput(name).trim();
}

function label(name: string): string {
  return `Input '${name}'`;
}

function missing(name: string): UserError {
  return new UserError(`${label(name)} is required and was not given`);
}

function read<T>(
  ctx: Source,
  name: string,
  options: InputOptions<T>,
  convert: (text: string) => T,
): T | undefined {
  const text = raw(ctx, name);
  if (text === '') {
    if (options.required) throw missing(name);
    return options.default;
  }
  return convert(text);
}

export function stringInput(
  ctx: Source,
  name: string,
  options: InputOptions<string> & { required: true },
): string;
export function stringInput(
  ctx: Source,
  name: string,
  options: InputOptions<string> & { default: string },
): string;
export function stringInput(ctx: Source, name: string, options?: InputOptions<string>): string | undefined;
export function stringInput(
  ctx: Source,
  name: string,
  options: InputOptions<string> = {},
): string | undefined {
  return read(ctx, name, options, (text) => text);
}

/** One of a fixed set of words. */
export function choiceInput<T extends string>(
  ctx: Source,
  name: string,
  choices: readonly T[],
  options: InputOptions<T> & { default: T },
): T {
  return read(ctx, name, options, (text) => {
    if (!(choices as readonly string[]).includes(text)) {
      throw new UserError(
        `${label(name)}: expected one of ${choices.join(', ')}, got ${JSON.stringify(text)}`,
      );
    }
    return text as T;
  }) as T;
}

const TRUE_WORDS = ['true', 'True', 'TRUE', 'yes', 'on', '1'];
const FALSE_WORDS = ['false', 'False', 'FALSE', 'no', 'off', '0'];

export function booleanInput(
  ctx: Source,
  name: string,
  options: InputOptions<boolean> & { default: boolean },
): boolean;
export function booleanInput(ctx: Source, name: string, options?: InputOptions<boolean>): boolean | undefined;
export function booleanInput(
  ctx: Source,
  name: string,
  options: InputOptions<boolean> = {},
): boolean | undefined {
  return read(ctx, name, options, (text) => {
    if (TRUE_WORDS.includes(text)) return true;
    if (FALSE_WORDS.includes(text)) return false;
    throw new UserError(`${label(name)}: expected true or false, got ${JSON.stringify(text)}`);
  });
}

export interface IntegerOptions extends InputOptions<number> {
  min?: number;
  max?: number;
}

export function integerInput(
  ctx: Source,
  name: string,
  options: IntegerOptions & { default: number },
): number;
export function integerInput(ctx: Source, name: string, options?: IntegerOptions): number | undefined;
export function integerInput(ctx: Source, name: string, options: IntegerOptions = {}): number | undefined {
  return read(ctx, name, options, (text) => {
    if (!/^-?\d+$/.test(text))
      throw new UserError(`${label(name)}: expected an integer, got ${JSON.stringify(text)}`);
    const value = Number(text);
    if (options.min !== undefined && value < options.min) {
      throw new UserError(`${label(name)}: expected an integer ≥ ${options.min}, got ${text}`);
    }
    if (options.max !== undefined && value > options.max) {
      throw new UserError(`${label(name)}: expected an integer ≤ ${options.max}, got ${text}`);
    }
    return value;
  });
}

/** A duration in milliseconds (`90`, `30s`, `10m`, `1h30m`). */
export function durationInput(
  ctx: Source,
  name: string,
  options: InputOptions<number> & { default: number },
): number;
export function durationInput(ctx: Source, name: string, options?: InputOptions<number>): number | undefined;
export function durationInput(
  ctx: Source,
  name: string,
  options: InputOptions<number> = {},
): number | undefined {
  return read(ctx, name, options, (text) => requireDuration(text, label(name)));
}

/**
 * A list: one item per line or comma-separated; blank items and `#` comment lines are dropped.
 * A value that looks like a JSON or YAML flow array (`[a, b]`) is read as one.
 */
export function listInput(ctx: Source, name: string, options: InputOptions<string[]> = {}): string[] {
  return (
    read(ctx, name, options, (text) => {
      if (text.startsWith('[')) {
        const parsed = yamlValue(name, text);
        if (!Array.isArray(parsed))
          throw new UserError(`${label(name)}: expected a list, got ${JSON.stringify(text)}`);
        return parsed.map((item) => String(item));
      }
      return text
        .split(/\r?\n/)
        .filter((line) => !line.trim().startsWith('#'))
        .flatMap((line) => line.split(','))
        .map((item) => item.trim())
        .filter((item) => item !== '');
    }) ?? []
  );
}

export function jsonInput<T = unknown>(
  ctx: Source,
  name: string,
  options: InputOptions<T> = {},
): T | undefined {
  return read(ctx, name, options, (text) => {
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new UserError(
        `${label(name)}: expected JSON (${(err as Error).message}), got ${abbreviate(text)}`,
      );
    }
  });
}

export function yamlInput<T = unknown>(
  ctx: Source,
  name: string,
  options: InputOptions<T> = {},
): T | undefined {
  return read(ctx, name, options, (text) => yamlValue(name, text) as T);
}

function yamlValue(name: string, text: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    throw new UserError(`${label(name)}: expected YAML (${reason}), got ${abbreviate(text)}`);
  }
}

function abbreviate(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}
