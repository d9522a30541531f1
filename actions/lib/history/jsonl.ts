import { UserError } from '../errors.js';
import { entryProblem, type HistoryEntry } from './entry.js';

/** Parses ledger text; a bad line is an error naming the source and the line number. */
export function parseHistory(text: string, source: string): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new UserError(`${source}:${i + 1}: not a JSON line (${(err as Error).message})`);
    }
    const problem = entryProblem(value);
    if (problem) throw new UserError(`${source}:${i + 1}: not a history entry: ${problem}`);
    entries.push(value as HistoryEntry);
  });
  return entries;
}

/** One entry as one line (keys in a stable order, no newlines inside). */
export function serializeEntry(entry: HistoryEntry): string {
  const problem = entryProblem(entry);
  if (problem) throw new Error(`Refusing to write a malformed history entry: ${problem}`);
  return `${JSON.stringify(entry)}\n`;
}

/** Text to append to `existing` so that the new line starts on a line of its own. */
export function appendText(existing: string, entry: HistoryEntry): string {
  return `${existing !== '' && !existing.endsWith('\n') ? '\n' : ''}${serializeEntry(entry)}`;
}
