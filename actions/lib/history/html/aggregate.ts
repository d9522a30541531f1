/** From ledger entries to every aggregate the pages show: computed here once, never in the browser. */
import type { HistoryEntry } from '../entry.js';
import { chaosPoints } from './chaos-trends.js';
import { lineageRows } from './lineage.js';
import type { Dashboard, NightlyRow, ProfileView, SummaryView } from './model.js';
import { nightlyRow, profileOf } from './nightlies.js';
import { PROMOTION_KIND, releaseViews } from './releases.js';
import { flakyTests, newFailures, tempestNights, tempestPoints } from './tempest-trends.js';

export interface DashboardOptions {
  /** Nights in the trend window (charts, flaky tests, new failures). Default 30. */
  window?: number;
}

export const DEFAULT_WINDOW = 30;

/** Versions each candidate was released as, in ledger order. */
function releasedAs(entries: readonly HistoryEntry[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const e of entries)
    if (e.kind === PROMOTION_KIND && e.status === 'complete' && e.version) {
      const list = map.get(e.candidate) ?? [];
      if (!list.includes(e.version)) list.push(e.version);
      map.set(e.candidate, list);
    }
  return map;
}

function profileView(
  profile: string,
  nights: { index: number; entry: HistoryEntry }[],
  rows: NightlyRow[],
  window: number,
): ProfileView {
  const withTempest = tempestNights(nights).slice(-window);
  const { failures, lastPassing } = newFailures(withTempest);
  return {
    profile,
    nightlies: rows.slice().reverse(),
    tempest: tempestPoints(withTempest),
    flaky: flakyTests(withTempest),
    newFailures: failures,
    ...(lastPassing ? { lastPassing } : {}),
    chaos: chaosPoints(nights).slice(-window),
  };
}

function passRate(rows: readonly NightlyRow[]): number | undefined {
  return rows.length ? rows.filter((r) => r.status === 'passed').length / rows.length : undefined;
}

export function buildDashboard(entries: readonly HistoryEntry[], options: DashboardOptions = {}): Dashboard {
  const window = options.window ?? DEFAULT_WINDOW;
  const released = releasedAs(entries);
  const byProfile = new Map<
    string,
    { nights: { index: number; entry: HistoryEntry }[]; rows: NightlyRow[] }
  >();
  const allRows: NightlyRow[] = [];
  entries.forEach((entry, index) => {
    if (entry.kind === PROMOTION_KIND) return;
    const profile = profileOf(entry);
    const group = byProfile.get(profile) ?? { nights: [], rows: [] };
    byProfile.set(profile, group);
    const row = nightlyRow(entry, index, released.get(entry.candidate) ?? []);
    group.nights.push({ index, entry });
    group.rows.push(row);
    allRows.push(row);
  });
  const profiles = [...byProfile.keys()]
    .sort()
    .map((p) => profileView(p, byProfile.get(p)!.nights, byProfile.get(p)!.rows, window));
  const releases = releaseViews(entries);
  const summary: SummaryView = {
    lastNightly: profiles.filter((p) => p.nightlies.length).map((p) => p.nightlies[0]),
    ...(releases.length ? { lastRelease: releases[0] } : {}),
    passRate: {
      recent: passRate(allRows.slice(-window)),
      previous: passRate(allRows.slice(-2 * window, -window)),
      nights: window,
    },
    ...(entries.length ? { asOf: entries[entries.length - 1].time } : {}),
    entries: entries.length,
  };
  return { summary, profiles, releases, lineage: lineageRows(entries), window };
}
