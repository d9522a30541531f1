/**
 * `${{ }}` through GitHub's own expression language (@actions/expressions, the package
 * @actions/workflow-parser uses): contexts go in as plain JSON, values come out as plain JSON.
 */
import { data, Evaluator, Expr, Lexer, Parser } from '@actions/expressions';
import { FunctionCall } from '@actions/expressions/ast';
import { UserError } from '../errors.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The runner's view of the job or step for success()/failure()/cancelled(). */
export interface StatusView {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

export interface ExpressionScope {
  contexts: Record<string, Json>;
  status?: StatusView;
  /** Where the expression comes from, for errors (`jobs.deploy.steps[2].with.release`). */
  where: string;
}

const STATUS_FUNCTIONS = ['success', 'failure', 'cancelled', 'always'];

function toData(value: Json): data.ExpressionData {
  return JSON.parse(JSON.stringify(value), data.reviver) as data.ExpressionData;
}

function toJson(value: data.ExpressionData): Json {
  return JSON.parse(JSON.stringify(value, data.replacer) ?? 'null') as Json;
}

function parse(expression: string, scope: ExpressionScope): Expr {
  try {
    const { tokens } = new Lexer(expression).lex();
    return new Parser(
      tokens,
      Object.keys(scope.contexts),
      STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
    ).parse();
  } catch (err) {
    throw new UserError(`${scope.where}: \${{ ${expression} }}: ${(err as Error).message}`);
  }
}

export function evaluate(expression: string, scope: ExpressionScope): Json {
  const tree = parse(expression, scope);
  const status = scope.status ?? { success: true, failure: false, cancelled: false };
  const fn = (name: string, value: () => boolean) => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(value()),
  });
  const functions = new Map([
    ['success', fn('success', () => status.success)],
    ['failure', fn('failure', () => status.failure)],
    ['cancelled', fn('cancelled', () => status.cancelled)],
    ['always', fn('always', () => true)],
  ]);
  const context = toData(scope.contexts) as data.Dictionary;
  try {
    return toJson(new Evaluator(tree, context, functions).evaluate());
  } catch (err) {
    throw new UserError(`${scope.where}: \${{ ${expression} }}: ${(err as Error).message}`);
  }
}

/** GitHub's string form of a value in `a ${{ x }} b` and in env/with values. */
export function asString(value: Json): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value, null, 2);
  return String(value);
}

/** GitHub's truthiness (an `if:` result). */
export function truthy(value: Json): boolean {
  if (typeof value === 'string') return value !== '';
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  return value !== null && value !== false;
}

const EMBEDDED = /\$\{\{([\s\S]*?)\}\}/g;

/**
 * Evaluates every `${{ }}` in a template value. A value that is exactly one expression keeps its
 * type (`${{ fromJSON(x) }}` gives an array); anything else is a string.
 */
export function interpolate(value: Json, scope: ExpressionScope): Json {
  if (Array.isArray(value)) return value.map((v) => interpolate(v, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, scope)]));
  }
  if (typeof value !== 'string') return value;
  const whole = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/.exec(value);
  if (whole && !whole[1].includes('}}')) return evaluate(whole[1].trim(), scope);
  return value.replace(EMBEDDED, (_, expression: string) => asString(evaluate(expression.trim(), scope)));
}

/** Interpolates to a string (env values, `with:` inputs, names). */
export function interpolateString(value: Json | undefined, scope: ExpressionScope): string {
  return value === undefined ? '' : asString(interpolate(value, scope));
}

/**
 * An `if:` as the runner evaluates it: `${{ }}` optional, and `success() && (…)` around a condition
 * that calls no status function (as @actions/workflow-parser's converter does).
 */
export function evaluateCondition(condition: Json | undefined, scope: ExpressionScope): boolean {
  if (condition === undefined || condition === null || condition === '') {
    return evaluateCondition('success()', scope);
  }
  if (typeof condition === 'boolean') return condition && (scope.status?.success ?? true);
  const text = String(condition).trim();
  const bare = /^\$\{\{([\s\S]*)\}\}$/.exec(text)?.[1].trim() ?? text;
  const expression = callsStatusFunction(parse(bare, scope)) ? bare : `success() && (${bare})`;
  return truthy(evaluate(expression, scope));
}

function callsStatusFunction(tree: Expr | undefined): boolean {
  if (!tree) return false;
  if (tree instanceof FunctionCall && STATUS_FUNCTIONS.includes(tree.functionName.lexeme.toLowerCase())) {
    return true;
  }
  return Object.values(tree).some((child: unknown) =>
    Array.isArray(child)
      ? child.some((c) => isExpr(c) && callsStatusFunction(c))
      : isExpr(child) && callsStatusFunction(child),
  );
}

function isExpr(value: unknown): value is Expr {
  return value instanceof Expr;
}

/** `needs.<job>.outputs.<name>` references in a template value, to check them before anything runs. */
export function neededOutputs(value: Json | undefined): { job: string; output: string }[] {
  const found: { job: string; output: string }[] = [];
  const text = JSON.stringify(value ?? null);
  for (const m of text.matchAll(/needs\.([\w-]+)\.outputs\.([\w-]+)/g))
    found.push({ job: m[1], output: m[2] });
  return found;
}
