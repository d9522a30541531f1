/** Markdown for job summaries (GitHub-flavoured). */

export function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]<>|#])/g, '\\$1').replace(/\r?\n/g, '<br>');
}

export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const line = (cells: readonly (string | number)[]) =>
    `| ${cells.map((c) => String(c).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

/** A collapsed block; the body is Markdown (leave blank lines around it so GitHub renders it). */
export function details(summary: string, body: string): string {
  return `<details><summary>${escapeHtml(summary)}</summary>\n\n${body}\n\n</details>\n`;
}

export function codeBlock(text: string, lang = ''): string {
  const fence = text.includes('```') ? '````' : '```';
  return `${fence}${lang}\n${text.replace(/\n$/, '')}\n${fence}\n`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const STATUS_ICON = { passed: '✅', failed: '❌', error: '💥', skipped: '⏭️', todo: '📝' } as const;
