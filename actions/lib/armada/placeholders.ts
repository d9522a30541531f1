/**
 * Manifest placeholders, filled the way sites fill them today so that the same manifests carry
 * over: `${NAME}` as envsubst does (OpenStack-Helm's render scripts) and bare tokens such as
 * `TACO_MON_HOST` as TACO's sed scripts do. Replacement is textual, line by line, before YAML is
 * parsed — exactly like envsubst, so `CRUSH_TUNABLES=null` still yields a YAML null — and a
 * replacement may not contain a line break (lines, and therefore every located error, stay put).
 *
 * Some `${...}` belong to the charts themselves (fluentd's `${tag}`, fluent-bit's `${HOSTNAME}`):
 * list them as `keep` and they pass through untouched. Anything else left over is reported by name
 * and line instead of being deployed.
 */
import type { ManifestProblem } from './problems.js';

export interface PlaceholderSettings {
  /** `${NAME}` → value. */
  variables: Record<string, string>;
  /** Bare tokens (whole words) → value. */
  tokens: Record<string, string>;
  /** `${NAME}` references that belong to the charts and are left as they are. */
  keep: string[];
  /** Further lookup for `${NAME}` not in `variables` (the environment, when the profile allows it). */
  fallback?: (name: string) => string | undefined;
  /** Bare words that are placeholders when left over (default `TACO_[A-Z0-9_]+`). */
  tokenPattern?: string;
}

export interface Substitution {
  text: string;
  /** Names that were replaced, with where (for the plan and for debugging). */
  used: Map<string, number[]>;
  problems: ManifestProblem[];
}

const VARIABLE = /\$\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
export const DEFAULT_TOKEN_PATTERN = 'TACO_[A-Z0-9_]+';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function substitutePlaceholders(
  text: string,
  file: string,
  settings: PlaceholderSettings,
): Substitution {
  const problems: ManifestProblem[] = [];
  const used = new Map<string, number[]>();
  const note = (name: string, line: number) => used.set(name, [...(used.get(name) ?? []), line]);
  for (const [name, value] of [...Object.entries(settings.variables), ...Object.entries(settings.tokens)]) {
    if (/[\r\n]/.test(value)) {
      problems.push({
        severity: 'error',
        file,
        line: 1,
        column: 1,
        document: '',
        keyPath: '',
        message: `placeholder ${name}: its value contains a line break; put multi-line values in a values override file instead`,
      });
    }
  }
  if (problems.length) return { text, used, problems };

  const keep = new Set(settings.keep);
  const tokenNames = Object.keys(settings.tokens).sort((a, b) => b.length - a.length);
  const tokenRegex = tokenNames.length
    ? new RegExp(`\\b(${tokenNames.map(escapeRegExp).join('|')})\\b`, 'g')
    : undefined;
  const leftover = new RegExp(`\\b(${settings.tokenPattern ?? DEFAULT_TOKEN_PATTERN})\\b`, 'g');

  const lines = text.split('\n');
  const out = lines.map((line, i) => {
    const lineNo = i + 1;
    if (/^\s*#/.test(line)) return line; // comments are not deployed
    let result = line.replace(
      VARIABLE,
      (match, escaped: string | undefined, name: string | undefined, offset: number) => {
        if (escaped) return `\${${escaped}}`;
        const variable = name!;
        if (keep.has(variable)) return match;
        const value = settings.variables[variable] ?? settings.fallback?.(variable);
        if (value === undefined) {
          problems.push({
            severity: 'error',
            file,
            line: lineNo,
            column: offset + 1,
            document: '',
            keyPath: '',
            message: `placeholder \${${variable}} is not resolved: set armada.variables.${variable} in the profile${settings.fallback ? ' or the environment variable' : ''}, or list it in armada.keep if the chart itself expands it`,
          });
          return match;
        }
        note(variable, lineNo);
        return value;
      },
    );
    if (tokenRegex) {
      result = result.replace(tokenRegex, (name: string) => {
        note(name, lineNo);
        return settings.tokens[name];
      });
    }
    for (const match of result.matchAll(leftover)) {
      problems.push({
        severity: 'error',
        file,
        line: lineNo,
        column: (match.index ?? 0) + 1,
        document: '',
        keyPath: '',
        message: `placeholder ${match[1]} is not resolved: set armada.tokens.${match[1]} in the profile`,
      });
    }
    return result;
  });
  return { text: out.join('\n'), used, problems };
}
