/** HTML building blocks: escaping, tables with real headers, status that never relies on colour alone. */
import type { StageState } from './model.js';

const SPECIAL = /[&<>"']/;
const ENTITY: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function esc(text: string | number): string {
  const s = String(text);
  // Most text (digests, ids, numbers) has nothing to escape: skip the replace.
  return SPECIAL.test(s) ? s.replace(/[&<>"']/g, (c) => ENTITY[c]) : s;
}

/** A link only for http(s) URLs (anything else is shown as text). */
export function link(url: string | undefined, text: string): string {
  if (!url) return '';
  return /^https?:\/\//i.test(url) ? `<a href="${esc(url)}">${esc(text)}</a>` : esc(url);
}

const SYMBOL: Record<string, string> = {
  passed: '✔',
  complete: '✔',
  failed: '✖',
  partial: '◐',
  skipped: '–',
  unknown: '?',
};

/** A status as symbol and word; the class adds colour for those who see it. */
export function status(value: StageState | string): string {
  const known = value in SYMBOL ? value : 'unknown';
  return `<span class="st st-${known}"><span aria-hidden="true">${SYMBOL[known]}</span> ${esc(value)}</span>`;
}

export interface Column {
  /** Header text. */
  title: string;
  /** `num` right-aligns the column. */
  kind?: 'num' | 'text';
}

/** A table with a caption and column headers; each row's first cell is its row header. */
export function table(
  caption: string,
  columns: readonly Column[],
  rows: readonly string[][],
  rowAttrs?: readonly string[],
): string {
  const head = columns
    .map((c) => `<th scope="col"${c.kind === 'num' ? ' class="num"' : ''}>${esc(c.title)}</th>`)
    .join('');
  const body = rows
    .map((cells, r) => {
      const tds = cells
        .map((cell, i) => {
          const cls = columns[i]?.kind === 'num' ? ' class="num"' : '';
          return i === 0 ? `<th scope="row"${cls}>${cell}</th>` : `<td${cls}>${cell}</td>`;
        })
        .join('');
      return `<tr${rowAttrs?.[r] ? ` ${rowAttrs[r]}` : ''}>${tds}</tr>`;
    })
    .join('\n');
  return `<table><caption>${caption}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** `2026-11-24 18:05Z` — ledger times to the minute. */
export function when(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : iso;
}

export const day = (iso: string) => iso.slice(0, 10);

export const shortDigest = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

export function digestCell(digest: string | undefined): string {
  return digest ? `<code title="${esc(digest)}">${esc(shortDigest(digest))}</code>` : '—';
}

export function seconds(value: number | undefined): string {
  return value === undefined ? '—' : `${value.toFixed(1)} s`;
}

export function percent(value: number | undefined): string {
  return value === undefined ? '—' : `${(value * 100).toFixed(0)}%`;
}

/** A page-local anchor id from any text. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'default'
  );
}
