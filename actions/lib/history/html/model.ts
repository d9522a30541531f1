/** The dashboard's aggregates: computed once by the generator, rendered as static pages. */
import type { ChaosWorkloadSummary, HistoryChart, HistoryImage, StageVerdict } from '../entry.js';
import type { ReleaseDiff } from '../../release/diff.js';

/** A stage's verdict; `unknown` when the entry predates per-stage verdicts and has no report. */
export type StageState = StageVerdict | 'unknown';

export const STAGES = ['deploy', 'tempest', 'chaos'] as const;
export type StageName = (typeof STAGES)[number];

export interface NightlyRow {
  /** Index of the entry in the ledger (stable id for anchors). */
  index: number;
  time: string;
  profile: string;
  candidate: string;
  status: string;
  stages: Record<StageName, StageState>;
  release?: { ref: string; digest: string };
  runUrl?: string;
  promote: { can: boolean; why: string };
  tempest?: { passed: number; failed: number; skipped: number; durationSeconds?: number };
  chaos?: { passed: boolean; kills: number; maxRecoverySeconds?: number; meanRecoverySeconds?: number };
  images: number;
  charts: number;
}

export interface TempestPoint {
  index: number;
  time: string;
  candidate: string;
  passed: number;
  failed: number;
  skipped: number;
  runUrl?: string;
}

export interface FlakyTest {
  id: string;
  failedNights: number;
  observedNights: number;
  /** failedNights / observedNights, 0..1 */
  failRate: number;
  lastFailed: string;
}

export interface NewFailure {
  id: string;
  /** The first night after the last passing one on which it failed. */
  since: string;
  nights: number;
  runUrl?: string;
}

export interface ChaosPoint {
  index: number;
  time: string;
  candidate: string;
  passed: boolean;
  kills: number;
  maxRecoverySeconds?: number;
  meanRecoverySeconds?: number;
  workloads: ChaosWorkloadSummary[];
}

export interface ProfileView {
  profile: string;
  /** Every nightly of the profile, newest first. */
  nightlies: NightlyRow[];
  /** The trend window: the last `window` nights with a Tempest summary, oldest first. */
  tempest: TempestPoint[];
  flaky: FlakyTest[];
  newFailures: NewFailure[];
  /** The night the new failures are counted from (undefined: no night passed Tempest in the window). */
  lastPassing?: string;
  chaos: ChaosPoint[];
}

export interface ReleaseView {
  version: string;
  time: string;
  candidate: string;
  status: string;
  release?: { ref: string; digest: string };
  runUrl?: string;
  images: HistoryImage[];
  charts: HistoryChart[];
  /** Against the previous release (undefined for the first). */
  diff?: ReleaseDiff;
}

export interface LineageRow {
  candidate: string;
  /** First time the candidate appears. */
  first: string;
  nightlies: { index: number; time: string; status: string; profile: string; runUrl?: string }[];
  releases: string[];
  /** `name@digest` of every image and chart the candidate's entries name. */
  artifacts: { kind: 'image' | 'chart'; name: string; digest: string; ref: string }[];
}

export interface SummaryView {
  lastNightly: NightlyRow[];
  lastRelease?: ReleaseView;
  /** Pass rate of the last `trendNights` nightlies and of the ones before them (0..1, undefined if none). */
  passRate: { recent?: number; previous?: number; nights: number };
  /** Up to date as of the newest entry. */
  asOf?: string;
  entries: number;
}

export interface Dashboard {
  summary: SummaryView;
  profiles: ProfileView[];
  /** Newest first. */
  releases: ReleaseView[];
  /** Newest candidate first. */
  lineage: LineageRow[];
  window: number;
}
