/**
 * Writes the dashboard: index.html (summary and trends), the nightly timeline of each profile paged
 * by window, releases.html, and the lineage paged by candidate. Same ledger, same bytes.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HistoryEntry } from '../entry.js';
import { buildDashboard, type DashboardOptions } from './aggregate.js';
import { esc, slug } from './markup.js';
import type { Dashboard } from './model.js';
import { nightlyTable, profileSection } from './nightly-sections.js';
import { type NavItem, page } from './page.js';
import { lineageTable, releaseSection } from './release-sections.js';
import { profileLabel, summarySection } from './summary-section.js';

export interface SiteOptions extends DashboardOptions {
  /** Nightly runs per timeline page (default 100). */
  pageSize?: number;
  /** Candidates per lineage page (default 25). */
  lineagePageSize?: number;
  /** Page title (default "TACO artifact history"). */
  title?: string;
}

export interface SiteResult {
  dir: string;
  /** Written files, relative to dir, sorted. */
  files: string[];
  bytes: number;
  dashboard: Dashboard;
}

/** The files of our own making, so that a rewrite removes pages a smaller ledger no longer has. */
const OWN_PAGE = /^(index|releases|nightlies-[a-z0-9-]+-\d+|lineage-\d+)\.html$/;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out.length ? out : [[]];
}

function pager(prefix: string, current: number, count: number): string {
  if (count <= 1) return '';
  const prev = current > 1 ? `<a href="${prefix}-${current - 1}.html" rel="prev">← newer</a>` : '';
  const next = current < count ? `<a href="${prefix}-${current + 1}.html" rel="next">older →</a>` : '';
  return `<nav class="pager" aria-label="Pages">${prev}<span>Page ${current} of ${count}</span>${next}</nav>`;
}

/** Every page as name → HTML. */
export function renderSite(
  entries: readonly HistoryEntry[],
  options: SiteOptions = {},
): { pages: Map<string, string>; dashboard: Dashboard } {
  const d = buildDashboard(entries, options);
  const title = options.title ?? 'TACO artifact history';
  const pageSize = options.pageSize ?? 100;
  const lineageSize = options.lineagePageSize ?? 25;
  const pages = new Map<string, string>();
  const timelinePrefix = (profile: string) => `nightlies-${slug(profile)}`;
  const nightPage = new Map<number, string>();
  for (const p of d.profiles)
    chunks(p.nightlies, pageSize).forEach((rows, i) =>
      rows.forEach((r) => nightPage.set(r.index, `${timelinePrefix(p.profile)}-${i + 1}.html`)),
    );
  const lineagePages = chunks(d.lineage, lineageSize);
  const nav: NavItem[] = [
    { href: 'index.html', text: 'Summary' },
    ...d.profiles.map((p) => ({
      href: `${timelinePrefix(p.profile)}-1.html`,
      text: `Nightlies: ${profileLabel(p.profile)}`,
    })),
    { href: 'releases.html', text: `Releases (${d.releases.length})` },
    { href: 'lineage-1.html', text: 'Lineage' },
  ];

  const sections = d.profiles.map((p) =>
    profileSection(
      p,
      `profile-${slug(p.profile)}`,
      profileLabel(p.profile),
      `${timelinePrefix(p.profile)}-1.html`,
    ),
  );
  pages.set(
    'index.html',
    page(title, nav, [summarySection(d, (p) => `${timelinePrefix(p)}-1.html`), ...sections].join('\n')),
  );

  for (const p of d.profiles) {
    const parts = chunks(p.nightlies, pageSize);
    parts.forEach((rows, i) => {
      const prefix = timelinePrefix(p.profile);
      const body = `${pager(prefix, i + 1, parts.length)}${nightlyTable(rows, `Nightly runs on ${esc(profileLabel(p.profile))}, newest first (${p.nightlies.length} in all)`)}${pager(prefix, i + 1, parts.length)}`;
      pages.set(
        `${prefix}-${i + 1}.html`,
        page(`${title}: nightlies on ${profileLabel(p.profile)}`, nav, body),
      );
    });
  }

  pages.set(
    'releases.html',
    page(
      `${title}: releases`,
      nav,
      d.releases.length ? d.releases.map(releaseSection).join('\n') : '<p>No release yet.</p>',
    ),
  );

  lineagePages.forEach((rows, i) => {
    const search = `<p><label for="search">Search candidates, images, charts, digests or versions on this page</label><br><input type="search" id="search" autocomplete="off"> <span id="search-count" role="status" aria-live="polite"></span></p>`;
    const body = `${search}${pager('lineage', i + 1, lineagePages.length)}${lineageTable(rows, (index) => `${nightPage.get(index)}#night-${index}`)}${pager('lineage', i + 1, lineagePages.length)}`;
    pages.set(`lineage-${i + 1}.html`, page(`${title}: lineage`, nav, body, { search: true }));
  });
  return { pages, dashboard: d };
}

/** Renders and writes the site into `dir` (created if needed; our older pages there are replaced). */
export async function writeSite(
  entries: readonly HistoryEntry[],
  dir: string,
  options: SiteOptions = {},
): Promise<SiteResult> {
  const { pages, dashboard } = renderSite(entries, options);
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir))
    if (OWN_PAGE.test(name) && !pages.has(name)) await rm(path.join(dir, name));
  let bytes = 0;
  for (const [name, html] of pages) {
    await writeFile(path.join(dir, name), html);
    bytes += Buffer.byteLength(html);
  }
  return { dir, files: [...pages.keys()].sort(), bytes, dashboard };
}
