import { readFileSync } from 'node:fs';
import { UserError } from '../lib/errors.js';
import { compilePythonRegex } from './python-regex.js';

/** A failure that is expected (tracked in a bug) and does not fail the step. */
export interface KnownFailure {
  pattern: string;
  regex: RegExp;
  bug?: string;
  reason?: string;
  /** Where it was defined: `profiles/dev.yaml tempest.known-failures[2]` or `known.txt:7`. */
  source: string;
}

const URL_OR_BUG = /(https?:\/\/\S+|\b(?:bug|LP)\s*#?\s*\d+\b)/i;

/**
 * Reads a known-failures file: one Python regex per line; `#` starts a comment (at the start of a
 * line, or after whitespace), and a line's comment is its reason — a URL or `bug 123` in it is the bug.
 */
export function parseKnownFailuresFile(text: string, file: string): KnownFailure[] {
  const entries: KnownFailure[] = [];
  // `#` lines right above an entry (no blank line between) belong to it, as stestr lists are written.
  let above: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    const line = raw.trim();
    if (line === '') {
      above = [];
      return;
    }
    if (line.startsWith('#')) {
      above.push(line.replace(/^#\s*/, '').trim());
      return;
    }
    const hash = line.search(/\s#/);
    const pattern = (hash === -1 ? line : line.slice(0, hash)).trim();
    const inline =
      hash === -1
        ? ''
        : line
            .slice(hash)
            .replace(/^\s*#\s*/, '')
            .trim();
    const comment = inline || above.filter(Boolean).join(' ');
    const bug = URL_OR_BUG.exec(inline)?.[1] ?? URL_OR_BUG.exec(above.join(' '))?.[1];
    above = [];
    entries.push({
      pattern,
      regex: compilePythonRegex(pattern, where),
      ...(bug ? { bug } : {}),
      ...(comment ? { reason: comment } : {}),
      source: where,
    });
  });
  return entries;
}

export function readKnownFailuresFile(file: string): KnownFailure[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(
      `Input 'known-failures': cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  return parseKnownFailuresFile(text, file);
}

export interface ProfileKnownFailure {
  regex: string;
  bug?: string;
  reason?: string;
}

export function fromProfile(entries: readonly ProfileKnownFailure[], profileFile: string): KnownFailure[] {
  return entries.map((entry, index) => {
    const where = `${profileFile} tempest.known-failures[${index}]`;
    if (!entry.bug && !entry.reason)
      throw new UserError(
        `${where}: give a bug link or a reason for known failure ${JSON.stringify(entry.regex)}`,
      );
    return {
      pattern: entry.regex,
      regex: compilePythonRegex(entry.regex, where),
      ...(entry.bug ? { bug: entry.bug } : {}),
      ...(entry.reason ? { reason: entry.reason } : {}),
      source: where,
    };
  });
}

export function matchKnown(id: string, known: readonly KnownFailure[]): KnownFailure | undefined {
  return known.find((entry) => entry.regex.test(id));
}
