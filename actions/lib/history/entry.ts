/** One line of the artifact ledger: a nightly run or a promotion, and exactly what it involved. */
export interface HistoryEntry {
  /** Format version of the line. */
  schema: 1;
  /** `promotion`, `nightly`, … (what wrote it). */
  kind: string;
  /** ISO 8601 time the entry was written. */
  time: string;
  /** `complete`, `partial` (a promotion that failed midway), `failed`, … */
  status: string;
  /** The candidate tag or label (`nightly-20261124`). */
  candidate: string;
  /** The release version, for promotions. */
  version?: string;
  images: HistoryImage[];
  /** Source commits the artifacts were built from / the release was tagged at. */
  commits?: HistoryCommit[];
  /** Link to the workflow run that wrote the entry. */
  runUrl?: string;
  /** Anything else the writer wants audited (kept as is). */
  details?: Record<string, unknown>;
}

export interface HistoryImage {
  name: string;
  /** Full reference, `host/repo:tag`. */
  ref: string;
  digest: string;
  /** Where it was promoted from, for promotions. */
  source?: string;
  /** Test results the artifact passed (e.g. kolla-bats' per-image counts), as the producer reported them. */
  tests?: unknown;
}

export interface HistoryCommit {
  repository: string;
  commit: string;
  tag?: string;
}

/** Checks one parsed line; returns what is wrong with it, or undefined. */
export function entryProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object';
  const entry = value as Partial<HistoryEntry>;
  if (entry.schema !== 1) return `expected "schema": 1, got ${JSON.stringify(entry.schema)}`;
  for (const key of ['kind', 'time', 'status', 'candidate'] as const) {
    if (typeof entry[key] !== 'string' || entry[key] === '')
      return `expected "${key}" to be a non-empty string`;
  }
  if (!Array.isArray(entry.images)) return 'expected "images" to be a list';
  for (const [i, image] of entry.images.entries()) {
    if (
      typeof image?.name !== 'string' ||
      typeof image.ref !== 'string' ||
      typeof image.digest !== 'string'
    ) {
      return `images[${i}]: expected {name, ref, digest} strings`;
    }
  }
  return undefined;
}
