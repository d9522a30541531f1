import { escapeMarkdown, markdownTable } from '../reports/markdown.js';
import { textTable } from '../reports/text-table.js';
import type { BillOfMaterials } from './bom.js';
import { chartSourceVersion, shortDigest, tagOf } from './diff.js';

export interface ReleaseView {
  ref: string;
  digest: string;
  bom: BillOfMaterials;
}

function sections(view: ReleaseView) {
  const { bom } = view;
  return {
    heading: [
      `Release ${bom.release} (candidate ${bom.candidate})`,
      `Artifact ${view.ref}@${view.digest}`,
      `Manifest ${bom.manifest.file}${bom.manifest.target ? ` (target ${bom.manifest.target})` : ''}`,
      ...(bom.nightly
        ? [
            `Nightly ${bom.nightly.status} at ${bom.nightly.time}${bom.nightly.runUrl ? ` ${bom.nightly.runUrl}` : ''}`,
          ]
        : []),
    ],
    artifacts: {
      headers: ['kind', 'name', 'version', 'digest', 'ref', 'commit'],
      rows: [
        ...bom.images.map((i) => ['image', i.name, tagOf(i.ref), i.digest, i.ref, i.commit ?? '']),
        ...bom.charts.map((c) => {
          const from = chartSourceVersion(c);
          return [
            'chart',
            c.name,
            `${c.version}${from ? ` (from ${from})` : ''}`,
            c.digest,
            c.ref,
            c.commit ?? '',
          ];
        }),
      ],
    },
    commits: {
      headers: ['repository', 'commit', 'tag'],
      rows: bom.commits.map((c) => [c.repository, c.commit, c.tag ?? '']),
    },
  };
}

/** The bill of materials for a terminal (`taco-ci release show`). */
export function formatBomText(view: ReleaseView): string {
  const s = sections(view);
  return [
    s.heading.join('\n'),
    '',
    s.artifacts.rows.length ? textTable(s.artifacts.headers, s.artifacts.rows) : '(no images or charts)\n',
    ...(s.commits.rows.length ? [textTable(s.commits.headers, s.commits.rows)] : []),
  ].join('\n');
}

export function formatBomMarkdown(view: ReleaseView): string {
  const s = sections(view);
  const short = s.artifacts.rows.map(([kind, name, version, digest, ref, commit]) => [
    kind,
    escapeMarkdown(name),
    escapeMarkdown(version),
    `\`${shortDigest(digest)}\``,
    `\`${ref}\``,
    commit ? `\`${commit.slice(0, 12)}\`` : '',
  ]);
  return [
    `#### ${escapeMarkdown(s.heading[0])}\n`,
    s.heading
      .slice(1)
      .map((line) => escapeMarkdown(line))
      .join('<br>\n') + '\n',
    markdownTable(s.artifacts.headers, short),
    ...(s.commits.rows.length
      ? [
          markdownTable(
            s.commits.headers,
            s.commits.rows.map((r) => r.map(escapeMarkdown)),
          ),
        ]
      : []),
  ].join('\n');
}
