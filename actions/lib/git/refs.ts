import type { Git } from './git.js';

/** An object name: 40 (SHA-1) or 64 (SHA-256) hex digits. */
export const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * Parses `git ls-remote` / `git for-each-ref --format='%(objectname)%09%(refname)'` output into
 * refname → object id. Peeled lines (`refs/tags/v1^{}`) and symbolic HEAD are left out: the
 * value of a ref is the object it names, a tag object for an annotated tag.
 */
export function parseRefList(text: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const tab = line.indexOf('\t');
    const oid = line.slice(0, tab);
    const name = line.slice(tab + 1).trim();
    if (tab < 0 || !OBJECT_ID.test(oid))
      throw new Error(`Unexpected line in a ref listing: ${JSON.stringify(line)}`);
    if (name.endsWith('^{}') || !name.startsWith('refs/')) continue;
    refs.set(name, oid);
  }
  return refs;
}

export interface LsRemoteOptions {
  /** Ask only for refs/heads/ and/or refs/tags/ (protocol v2 filters on the server: less to send). */
  only?: { heads?: boolean; tags?: boolean };
  timeoutMs?: number;
}

/** The refs of a remote, without fetching anything. */
export async function lsRemote(
  git: Git,
  url: string,
  options: LsRemoteOptions = {},
): Promise<Map<string, string>> {
  const args = ['ls-remote', '--refs'];
  if (options.only?.heads) args.push('--heads');
  if (options.only?.tags) args.push('--tags');
  // `--` keeps a URL that starts with '-' from being read as an option.
  args.push('--', url);
  return parseRefList(await git.output(args, { timeoutMs: options.timeoutMs }));
}

/** The refs of a local repository under `prefix` (all when omitted). */
export async function localRefs(git: Git, repo: string, prefix = 'refs/'): Promise<Map<string, string>> {
  return parseRefList(
    await git.output(['for-each-ref', '--format=%(objectname)%09%(refname)', prefix], { cwd: repo }),
  );
}

/** Which of `oids` the repository lacks (one `cat-file --batch-check` for all of them). */
export async function missingObjects(git: Git, repo: string, oids: Iterable<string>): Promise<Set<string>> {
  const unique = [...new Set(oids)];
  if (unique.length === 0) return new Set();
  const out = await git.output(['cat-file', '--batch-check=%(objectname)'], {
    cwd: repo,
    input: `${unique.join('\n')}\n`,
  });
  const missing = new Set<string>();
  for (const line of out.split('\n')) {
    const match = /^(\S+) missing$/.exec(line.trim());
    if (match) missing.add(match[1]);
  }
  return missing;
}

/** True when `ancestor` is reachable from `descendant` (a fast-forward from one to the other). */
export async function isAncestor(
  git: Git,
  repo: string,
  ancestor: string,
  descendant: string,
): Promise<boolean> {
  const result = await git.run(['merge-base', '--is-ancestor', ancestor, descendant], {
    cwd: repo,
    okExitCodes: [1],
  });
  return result.exitCode === 0;
}

/** The type of an object (`commit`, `tag`, `tree`, `blob`). */
export async function objectType(git: Git, repo: string, oid: string): Promise<string> {
  return git.output(['cat-file', '-t', oid], { cwd: repo });
}

/**
 * The commit each object peels to (an annotated tag to its commit), undefined for objects that
 * name no commit (a tag of a tree) — all in one `cat-file --batch-check` call.
 */
export async function peelToCommits(
  git: Git,
  repo: string,
  oids: readonly string[],
): Promise<Map<string, string | undefined>> {
  const unique = [...new Set(oids)];
  const peeled = new Map<string, string | undefined>();
  if (unique.length === 0) return peeled;
  const out = await git.output(['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
    cwd: repo,
    input: unique.map((oid) => `${oid}^{commit}`).join('\n') + '\n',
  });
  const lines = out.split('\n');
  unique.forEach((oid, i) => {
    const match = /^([0-9a-f]+) commit$/.exec(lines[i]?.trim() ?? '');
    peeled.set(oid, match?.[1]);
  });
  return peeled;
}

/** Commits reachable from `tip` but from none of `exclude` (which must exist locally). */
export async function countCommits(
  git: Git,
  repo: string,
  tip: string,
  exclude: readonly string[],
): Promise<number> {
  const input = [tip, ...exclude.map((oid) => `^${oid}`)].join('\n') + '\n';
  return Number.parseInt(await git.output(['rev-list', '--count', '--stdin'], { cwd: repo, input }), 10);
}

/** An object as `cat-file --batch-check` reports it. */
export interface ObjectInfo {
  oid: string;
  type: string;
}

/**
 * Resolves many object names at once (ids, full ref names, `x^{commit}` peels) with a single
 * `cat-file --batch-check`; a name that does not resolve maps to undefined.
 */
export async function describeObjects(
  git: Git,
  repo: string,
  names: Iterable<string>,
): Promise<Map<string, ObjectInfo | undefined>> {
  const unique = [...new Set(names)];
  const info = new Map<string, ObjectInfo | undefined>();
  if (unique.length === 0) return info;
  const out = await git.output(['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
    cwd: repo,
    input: `${unique.join('\n')}\n`,
  });
  const lines = out.split('\n');
  unique.forEach((name, i) => {
    // Unresolvable names come back as `<name> missing` (or `ambiguous`).
    const match = /^([0-9a-f]{40,64}) (commit|tag|tree|blob)$/.exec(lines[i]?.trim() ?? '');
    info.set(name, match ? { oid: match[1], type: match[2] } : undefined);
  });
  return info;
}

/**
 * For each tip (a commit), how many commits it reaches that none of `exclude` reaches — one
 * `rev-list --parents` over the new part of the graph instead of one `rev-list --count` per tip.
 * The counting walks the graph once per 1,024 tips, children before parents, carrying one bit
 * per tip ("reached by tip n"), so a first sync of thousands of refs over a long history stays
 * linear in the size of the graph.
 */
export async function countNewCommits(
  git: Git,
  repo: string,
  tips: readonly string[],
  exclude: readonly string[],
): Promise<Map<string, number>> {
  const uniqueTips = [...new Set(tips)];
  if (uniqueTips.length === 0) return new Map();
  const input = [...uniqueTips, ...[...new Set(exclude)].map((oid) => `^${oid}`)].join('\n') + '\n';
  const out = await git.output(['rev-list', '--parents', '--stdin'], { cwd: repo, input });
  return countReached(parseParents(out), uniqueTips);
}

/**
 * The commit graph as `rev-list --parents` prints it: ids, and parents as row numbers (outside
 * parents dropped). Row r's parents are parentRows[parentStart[r]] up to parentStart[r + 1]: one
 * typed array for the whole graph instead of an array per commit (a first sync has 60,000 of them).
 */
export interface ParentRows {
  index: Map<string, number>;
  parentStart: Uint32Array;
  parentRows: Uint32Array;
}

export function parseParents(out: string): ParentRows {
  const starts = lineStarts(out);
  const rows = starts.length - 1;
  // Every id has the same width (40 or 64): slicing at fixed offsets spares a split per line.
  const idLength = rows > 0 ? lineIdLength(out, starts[0], starts[1]) : 0;
  const index = new Map<string, number>();
  for (let r = 0; r < rows; r++) index.set(out.slice(starts[r], starts[r] + idLength), r);
  const parentStart = new Uint32Array(rows + 1);
  const parentRows = new Uint32Array(Math.max(0, Math.ceil(out.length / (idLength + 1)) - rows));
  let edges = 0;
  for (let r = 0; r < rows; r++) {
    parentStart[r] = edges;
    const end = starts[r + 1] - 1;
    for (let at = starts[r] + idLength + 1; at < end; at += idLength + 1) {
      const row = index.get(out.slice(at, at + idLength));
      if (row !== undefined) parentRows[edges++] = row;
    }
  }
  parentStart[rows] = edges;
  return { index, parentStart, parentRows };
}

/** Where each line starts, then where a line after the last would start (as if it ended in '\n'). */
function lineStarts(text: string): Uint32Array {
  const starts: number[] = [];
  let at = 0;
  while (at < text.length) {
    starts.push(at);
    const newline = text.indexOf('\n', at);
    at = newline < 0 ? text.length + 1 : newline + 1;
  }
  starts.push(at);
  return Uint32Array.from(starts);
}

function lineIdLength(text: string, start: number, next: number): number {
  const space = text.indexOf(' ', start);
  return space >= 0 && space < next ? space - start : next - 1 - start;
}

/** Rows in an order where every commit comes before its parents (Kahn). */
function childrenFirst({ parentStart, parentRows }: ParentRows): Uint32Array {
  const rows = parentStart.length - 1;
  const pending = new Uint32Array(rows);
  for (let e = 0; e < parentStart[rows]; e++) pending[parentRows[e]]++;
  const order = new Uint32Array(rows);
  let filled = 0;
  for (let r = 0; r < rows; r++) if (pending[r] === 0) order[filled++] = r;
  for (let k = 0; k < filled; k++)
    for (let e = parentStart[order[k]]; e < parentStart[order[k] + 1]; e++)
      if (--pending[parentRows[e]] === 0) order[filled++] = parentRows[e];
  return order.subarray(0, filled);
}

/** For each tip, how many rows of the graph it reaches (itself included; 0 when absent). */
export function countReached(graph: ParentRows, tips: readonly string[]): Map<string, number> {
  const { index, parentStart, parentRows } = graph;
  const rows = parentStart.length - 1;
  // rev-list's date order is not a topological order under clock skew.
  const order = childrenFirst(graph);
  const counts = new Map<string, number>();
  const CHUNK = 1024;
  for (let start = 0; start < tips.length; start += CHUNK) {
    const chunk = tips.slice(start, start + CHUNK);
    const width = Math.ceil(chunk.length / 32);
    const bits = new Uint32Array(rows * width);
    chunk.forEach((tip, n) => {
      const row = index.get(tip);
      if (row !== undefined) bits[row * width + (n >> 5)] |= 1 << (n & 31);
    });
    const reached = new Float64Array(chunk.length);
    // Rows with the same tips come in runs (a stretch of linear history): each tip is credited
    // once per run, not once per row.
    const credit = (row: number, times: number) => {
      for (let w = 0, base = row * width; w < width; w++) {
        let v = bits[base + w];
        while (v !== 0) {
          reached[(w << 5) + (31 - Math.clz32(v & -v))] += times;
          v &= v - 1;
        }
      }
    };
    let runRow = -1;
    let runLength = 0;
    for (const row of order) {
      const base = row * width;
      for (let e = parentStart[row]; e < parentStart[row + 1]; e++) {
        const target = parentRows[e] * width;
        for (let w = 0; w < width; w++) bits[target + w] |= bits[base + w];
      }
      if (runRow >= 0 && sameBits(bits, runRow * width, base, width)) {
        runLength++;
        continue;
      }
      if (runRow >= 0) credit(runRow, runLength);
      runRow = row;
      runLength = 1;
    }
    if (runRow >= 0) credit(runRow, runLength);
    chunk.forEach((tip, n) => counts.set(tip, reached[n]));
  }
  return counts;
}

function sameBits(bits: Uint32Array, a: number, b: number, width: number): boolean {
  for (let w = 0; w < width; w++) if (bits[a + w] !== bits[b + w]) return false;
  return true;
}
