/**
 * Inline SVG charts. Each is an image with a title and a text description; the same numbers are in
 * a table beside it. Series differ by fill pattern as well as colour, and the legend says which is which.
 */
import { esc } from './markup.js';

export interface Segment {
  series: string;
  value: number;
}

export interface Bar {
  /** Axis label (a date). */
  label: string;
  /** Tooltip text for the whole bar. */
  title: string;
  segments: Segment[];
  /** A mark drawn above the bar (e.g. ✖ for a failed night). */
  mark?: string;
}

export interface SeriesStyle {
  name: string;
  /** CSS class giving the colour. */
  className: string;
  /** Pattern id (defined in PATTERNS) or undefined for a solid fill. */
  pattern?: 'hatch' | 'dots';
}

const HEIGHT = 180;
const TOP = 16;
const BOTTOM = 36;
const LEFT = 44;

/** Fill patterns: a failed segment is hatched, a skipped one dotted, so print and colour-blind readers see them apart. */
const patterns = (id: string) => `<defs>
<pattern id="${id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line" stroke-width="3"/></pattern>
<pattern id="${id}-dots" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" class="dots-bg"/><circle cx="2.5" cy="2.5" r="1.2" class="dots-line"/></pattern>
</defs>`;

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function legend(id: string, styles: readonly SeriesStyle[]): string {
  return `<ul class="legend">${styles
    .map(
      (s) =>
        `<li><svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" class="${s.className}"${s.pattern ? ` style="fill:url(#${id}-${s.pattern})"` : ''}/></svg> ${esc(s.name)}</li>`,
    )
    .join('')}</ul>`;
}

/** A stacked bar chart, one bar per night, oldest on the left. `id` must be unique in the page. */
export function stackedBars(
  id: string,
  title: string,
  description: string,
  bars: readonly Bar[],
  styles: readonly SeriesStyle[],
  unit = '',
): string {
  const step = bars.length > 60 ? 8 : 16;
  const width = Math.max(320, LEFT + bars.length * step + 12);
  const max = niceMax(Math.max(0, ...bars.map((b) => b.segments.reduce((s, x) => s + x.value, 0))));
  const plot = HEIGHT - TOP - BOTTOM;
  const y = (v: number) => TOP + plot - (v / max) * plot;
  const ticks = [0, max / 2, max]
    .map(
      (t) =>
        `<line x1="${LEFT - 4}" x2="${width - 8}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="grid"/><text x="${LEFT - 6}" y="${(y(t) + 4).toFixed(1)}" class="tick" text-anchor="end">${num(t)}${esc(unit)}</text>`,
    )
    .join('');
  // At most 8 labels, and never closer than 40px (a label is "11-24").
  const labelEvery = Math.max(1, Math.ceil(bars.length / 8), Math.ceil(40 / step));
  const body = bars
    .map((bar, i) => {
      const x = LEFT + i * step + 1;
      let base = 0;
      const rects = bar.segments
        .map((seg) => {
          if (seg.value <= 0) return '';
          const style = styles.find((s) => s.name === seg.series)!;
          const top = y(base + seg.value);
          const h = y(base) - top;
          base += seg.value;
          return `<rect x="${x}" y="${top.toFixed(1)}" width="${step - 2}" height="${h.toFixed(1)}" class="${style.className}"${style.pattern ? ` style="fill:url(#${id}-${style.pattern})"` : ''}/>`;
        })
        .join('');
      const mark = bar.mark
        ? `<text x="${x + (step - 2) / 2}" y="${(y(base) - 3).toFixed(1)}" class="mark" text-anchor="middle">${esc(bar.mark)}</text>`
        : '';
      const label =
        i % labelEvery === 0
          ? `<text x="${x}" y="${HEIGHT - BOTTOM + 14}" class="tick">${esc(bar.label)}</text>`
          : '';
      return `<g><title>${esc(bar.title)}</title>${rects}${mark}</g>${label}`;
    })
    .join('\n');
  return `<figure class="chart">
<svg width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" role="img" aria-labelledby="${id}-t ${id}-d">
<title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(description)}</desc>
${patterns(id)}${ticks}
${body}
</svg>
<figcaption>${esc(title)} ${legend(id, styles)}</figcaption>
</figure>`;
}
