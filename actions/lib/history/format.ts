import { textTable } from '../reports/text-table.js';
import { STAGES, type HistoryEntry, type Stage } from './entry.js';
import { DEFAULT_REQUIRED_STAGES, promotionBlockers } from './promotable.js';

export interface FormatOptions {
  format?: 'table' | 'json' | 'markdown';
  /** Only the last `limit` entries. */
  limit?: number;
  /** The stages a nightly must have passed to promote (the profile's promote.nightly-stages). */
  requiredStages?: readonly Stage[];
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** Every artifact of the entry by digest: the release artifact, the images, the charts. */
function digests(e: HistoryEntry): string {
  return [
    ...(e.release ? [`release@${short(e.release.digest)}`] : []),
    ...e.images.map((image) => `${image.name}@${short(image.digest)}`),
    ...(e.charts ?? []).map((chart) => `chart:${chart.name}:${chart.version}@${short(chart.digest)}`),
  ].join(' ');
}

/** A nightly's promotability: `yes`, or `no: <why>` under the required stages. */
function promotable(e: HistoryEntry, required: readonly Stage[]): string {
  if (e.kind !== 'nightly') return '';
  const blockers = promotionBlockers(e, required);
  return blockers.length ? `no: ${blockers.join(', ')}` : 'yes';
}

/** The ledger for people (`table`, `markdown`) or programs (`json`: the lines as a JSON array). */
export function formatHistory(entries: readonly HistoryEntry[], options: FormatOptions = {}): string {
  const shown = options.limit ? entries.slice(-options.limit) : entries;
  if (options.format === 'json') return `${JSON.stringify(shown, null, 2)}\n`;
  const required = options.requiredStages ?? DEFAULT_REQUIRED_STAGES;
  const header = ['time', 'kind', 'status', 'candidate', 'version', 'stages', 'digests', 'promotable', 'run'];
  const rows = shown.map((e) => [
    e.time.replace(/\.\d+Z$/, 'Z'),
    e.kind,
    e.status,
    e.candidate,
    e.version ?? '',
    e.stages ? STAGES.map((stage) => `${stage} ${e.stages![stage]}`).join(', ') : '',
    digests(e),
    promotable(e, required),
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
