import { UserError } from '../lib/errors.js';

/**
 * Compiles a Python `re` pattern (as stestr and tempest take them) into a JavaScript RegExp with the
 * same meaning for what test filters use: leading inline flags `(?i)`/`(?s)`/`(?m)`, named groups
 * `(?P<name>…)` / `(?P=name)`, and `\A` / `\Z`. Matching is `re.search`: anywhere in the id.
 * `where` names the pattern's origin in errors (`known-failures.txt:3`).
 */
export function compilePythonRegex(source: string, where: string): RegExp {
  let pattern = source;
  let flags = '';
  const inline = /^\(\?([aiLmsux]+)\)/.exec(pattern);
  if (inline) {
    for (const flag of inline[1]) {
      if (flag === 'i' || flag === 'm' || flag === 's') flags += flags.includes(flag) ? '' : flag;
      else if (flag === 'x')
        throw new UserError(
          `${where}: verbose regexes (?x) are not supported, got ${JSON.stringify(source)}`,
        );
    }
    pattern = pattern.slice(inline[0].length);
  }
  pattern = pattern
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])((?:\\\\)*)\\A/g, '$1$2^')
    .replace(/(^|[^\\])((?:\\\\)*)\\Z/g, '$1$2$');
  try {
    return new RegExp(pattern, flags);
  } catch (err) {
    throw new UserError(
      `${where}: not a valid regular expression ${JSON.stringify(source)} (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`,
    );
  }
}
