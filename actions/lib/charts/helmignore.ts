/**
 * `.helmignore` with Helm's own rules (pkg/ignore), which are not gitignore:
 * - one pattern per line, trimmed; blank lines and `#` comments skipped; `**` is an error;
 * - patterns are Go `filepath.Match` globs: `*` and `?` never cross `/`, `[...]`/`[^...]` classes, `\` escapes;
 * - a trailing `/` only matches directories; a leading `/` or any `/` matches the whole relative
 *   path, otherwise only the base name is matched;
 * - rules are evaluated in order and the first match decides. A `!` rule is Helm's odd negation:
 *   a path it does NOT match is ignored, a path it matches goes on to the next rule.
 * Helm always appends `templates/.?*` (dotfiles under templates/).
 */
import { UserError } from '../errors.js';

interface IgnoreRule {
  raw: string;
  negate: boolean;
  mustDir: boolean;
  /** Match against the base name only. */
  baseName: boolean;
  regex: RegExp;
}

export class HelmIgnore {
  private constructor(private readonly rules: IgnoreRule[]) {}

  /** Parses `.helmignore` text; `file` names it in errors. Helm's default rule is appended. */
  static parse(text: string, file: string): HelmIgnore {
    const rules: IgnoreRule[] = [];
    text.split(/\r?\n/).forEach((line, index) => {
      const rule = parseRule(line, `${file}:${index + 1}`);
      if (rule) rules.push(rule);
    });
    rules.push(parseRule('templates/.?*', 'helm default rule')!);
    return new HelmIgnore(rules);
  }

  static defaults(): HelmIgnore {
    return HelmIgnore.parse('', 'helm defaults');
  }

  /** `path` is relative to the chart root with `/` separators and no trailing slash. */
  ignores(path: string, isDir: boolean): boolean {
    if (path === '' || path === '.' || path === './') return false;
    for (const rule of this.rules) {
      const subject = rule.baseName ? path.slice(path.lastIndexOf('/') + 1) : path;
      if (rule.negate) {
        if (rule.mustDir && !isDir) return true;
        if (!rule.regex.test(subject)) return true;
        continue;
      }
      if (rule.mustDir && !isDir) continue;
      if (rule.regex.test(subject)) return true;
    }
    return false;
  }
}

function parseRule(line: string, where: string): IgnoreRule | undefined {
  let rule = line.trim();
  if (rule === '' || rule.startsWith('#')) return undefined;
  if (rule.includes('**')) {
    throw new UserError(`${where}: ${JSON.stringify(rule)}: Helm does not support double-star (**) patterns`);
  }
  const raw = rule;
  const negate = rule.startsWith('!');
  if (negate) rule = rule.slice(1);
  const mustDir = rule.endsWith('/');
  if (mustDir) rule = rule.slice(0, -1);
  const anchored = rule.startsWith('/');
  if (anchored) rule = rule.slice(1);
  const baseName = !anchored && !rule.includes('/');
  let regex: RegExp;
  try {
    regex = globToRegExp(rule);
  } catch (err) {
    throw new UserError(`${where}: ${JSON.stringify(raw)}: ${(err as Error).message}`);
  }
  return { raw, negate, mustDir, baseName, regex };
}

function escapeChar(ch: string): string {
  return ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function escapeClassChar(ch: string): string {
  return ch.replace(/[\\\]^[-]/g, '\\$&');
}

/** Go's `filepath.Match` pattern syntax (Unix) as an anchored RegExp; throws on a malformed pattern. */
export function globToRegExp(pattern: string): RegExp {
  const chars = Array.from(pattern);
  let out = '';
  let i = 0;
  const escaped = (): string => {
    // Go's getEsc: a class member may not be a bare '-' or ']', and must be followed by more pattern.
    const ch = chars[i];
    if (ch === undefined || ch === '-' || ch === ']') throw new Error('malformed character class');
    i++;
    if (ch === '\\') {
      const next = chars[i++];
      if (next === undefined) throw new Error('malformed character class');
      if (i >= chars.length) throw new Error('unterminated character class');
      return next;
    }
    if (i >= chars.length) throw new Error('unterminated character class');
    return ch;
  };
  while (i < chars.length) {
    const ch = chars[i++]!;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '\\') {
      const next = chars[i++];
      if (next === undefined) throw new Error('pattern ends with a backslash');
      out += escapeChar(next);
    } else if (ch === '[') {
      let negated = false;
      if (chars[i] === '^') {
        negated = true;
        i++;
      }
      const ranges: string[] = [];
      for (;;) {
        if (chars[i] === ']' && ranges.length > 0) {
          i++;
          break;
        }
        const lo = escaped();
        let hi = lo;
        if (chars[i] === '-') {
          i++;
          hi = escaped();
        }
        ranges.push(lo === hi ? escapeClassChar(lo) : `${escapeClassChar(lo)}-${escapeClassChar(hi)}`);
        if (lo > hi) ranges.pop(); // Go accepts an empty range: it just never matches
      }
      out += ranges.length === 0 ? (negated ? '[^]' : '[]') : `[${negated ? '^' : ''}${ranges.join('')}]`;
    } else out += escapeChar(ch);
  }
  return new RegExp(`^${out}$`, 'u');
}
