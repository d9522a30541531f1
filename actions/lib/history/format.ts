import { textTable } from '../reports/text-table.js';
import type { HistoryEntry } from './entry.js';

export interface FormatOptions {
  format?: 'table' | 'json' | 'markdown';
  /** Only the last `limit` entries. */
  limit?: number;
}

/** The ledger for people (`table`, `markdown`) or programs (`json`: the lines as a JSON array). */
export function formatHistory(entries: readonly HistoryEntry[], options: FormatOptions = {}): string {
  const shown = options.limit ? entries.slice(-options.limit) : entries;
  if (options.format === 'json') return `${JSON.stringify(shown, null, 2)}\n`;
  const header = ['time', 'kind', 'status', 'candidate', 'version', 'images', 'charts', 'run'];
  const rows = shown.map((e) => [
    e.time.replace(/\.\d+Z$/, 'Z'),
    e.kind,
    e.status,
    e.candidate,
    e.version ?? '',
    e.images.map((image) => `${image.name}@${shortDigest(image.digest)}`).join(' '),
    (e.charts ?? []).map((chart) => `${chart.name}:${chart.version}@${shortDigest(chart.digest)}`).join(' '),
    e.runUrl ?? '',
  ]);
  if (options.format === 'markdown') {
    const cell = (text: string) => text.replace(/\|/g, '\\|');
    return (
      [
        `| ${header.join(' | ')} |`,
        `|${header.map(() => ' --- ').join('|')}|`,
        ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
      ].join('\n') + '\n'
    );
  }
  if (rows.length === 0) return '(the ledger is empty)\n';
  return textTable(header, rows);
}

const shortDigest = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);
