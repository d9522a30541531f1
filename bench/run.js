#!/usr/bin/env node
// Runs the benchmarks in bench/ one after another (they compete for the same cores otherwise):
// `npm run bench` for all, `npm run bench -- tempest` for one. Each prints its own report, then this
// script prints one table of the rows of issue 18, each with its peer and goal, and which goals are met.
//
// The protocol between a benchmark and this script: a benchmark prints, on stdout, one line per
// measured row:
//
//   BENCH-ROW {"id":"promote","ours":1.49,"peer":3.3,"unit":"s","peerName":"skopeo copy per image","better":"lower"}
//
// Fields (JSON on the rest of the line):
//   id        which row: one of ROWS below (their goals live here, in one place), or any other id
//             (shown without a goal, e.g. `cold-start:<bundle>`)
//   ours      our measurement (a number), or `missing` instead: why it could not be measured
//   peer      the peer's measurement in the same run (same unit), or `peerMissing`: why not; leave
//             both out for a row without a peer (a memory figure, a ratio of two of our own runs)
//   unit      's', 'ms', 'MB', '×' …
//   peerName  what the peer is (`skopeo copy per image`)
//   better    'lower' (times, memory: ratio = peer / ours) or 'higher' (ratio = ours / peer)
//   load      optional: the 1-minute load average when it was measured
// Anything else a benchmark prints is passed through unchanged.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The rows of issue 18 and their goals. `metric` is what the goal is about: the ratio to the peer
 * (how many times better ours is) or our own figure.
 */
const ROWS = [
  {
    id: 'promote',
    title: 'promote 50 images × 3 layers (bundle, Node 24)',
    goal: { metric: 'ratio', atLeast: 8 },
  },
  {
    id: 'promote-flat',
    title: 'promote: time with 8× bigger layers / time',
    goal: { metric: 'ours', atMost: 1.1 },
  },
  {
    id: 'tempest-64mb',
    title: 'tempest: 64 MB, 20k-test stream to JUnit + summary',
    goal: { metric: 'ratio', atLeast: 12 },
  },
  { id: 'tempest-rss-64mb', title: 'tempest: peak RSS at 64 MB', goal: { metric: 'ours', atMost: 100 } },
  {
    id: 'tempest-rss-2x',
    title: 'tempest: peak RSS at 128 MB / at 64 MB',
    goal: { metric: 'ours', atMost: 1.2 },
  },
  {
    id: 'mirror-first',
    title: 'mirror-sync: first sync, 60k commits / 500 refs',
    goal: { metric: 'ratio', atLeast: 1 },
  },
  { id: 'mirror-no-change', title: 'mirror-sync: no-change sync', goal: { metric: 'ratio', atLeast: 35 } },
  {
    id: 'mirror-10-new',
    title: 'mirror-sync: sync after 10 new commits',
    goal: { metric: 'ratio', atLeast: 15 },
  },
];
const COLD_START_GOAL = 'none: issue 18 asks to measure it';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here).filter((f) => f.endsWith('.bench.ts'));
const wanted = process.argv.slice(2);
const benches = available
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();
if (benches.length === 0) {
  console.error(`No benchmark matches ${wanted.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}

/** Runs one benchmark, passing its output through, and resolves with its rows and exit code. */
function runBench(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, file)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const rows = [];
    let pending = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        if (!line.startsWith('BENCH-ROW ')) continue;
        try {
          rows.push({ ...JSON.parse(line.slice('BENCH-ROW '.length)), bench: file });
        } catch (err) {
          console.error(`${file}: unreadable BENCH-ROW line (${err.message}): ${line}`);
        }
      }
    });
    child.on('close', (code) => resolve({ rows, code }));
  });
}

function ratioOf(row) {
  if (typeof row.ours !== 'number' || typeof row.peer !== 'number' || row.ours === 0 || row.peer === 0)
    return undefined;
  return row.better === 'higher' ? row.ours / row.peer : row.peer / row.ours;
}

function goalText(goal) {
  const bound = goal.atLeast !== undefined ? `≥ ${goal.atLeast}` : `≤ ${goal.atMost}`;
  return goal.metric === 'ratio' ? `${bound}×` : bound;
}

/** true / false, or undefined when the figure the goal is about was not measured. */
function goalMet(goal, row) {
  const value = goal.metric === 'ratio' ? ratioOf(row) : row.ours;
  if (typeof value !== 'number') return undefined;
  return goal.atLeast !== undefined ? value >= goal.atLeast : value <= goal.atMost;
}

const fmt = (value, unit) =>
  typeof value === 'number' ? `${Number(value.toPrecision(4))} ${unit ?? ''}`.trim() : '';

function tableLine(title, row, goal) {
  const ratio = row ? ratioOf(row) : undefined;
  const ours = !row
    ? 'NOT REPORTED by any benchmark'
    : row.missing
      ? `missing: ${row.missing}`
      : fmt(row.ours, row.unit);
  const peer = !row
    ? ''
    : row.peerMissing
      ? `missing: ${row.peerMissing}`
      : row.peer !== undefined
        ? `${fmt(row.peer, row.unit)} (${row.peerName ?? 'peer'})`
        : '—';
  const met = typeof goal === 'string' || !row ? undefined : goalMet(goal, row);
  const verdict =
    typeof goal === 'string' ? '—' : met === true ? 'met' : met === false ? 'NOT met' : 'not measured';
  return `| ${title} | ${ours} | ${peer} | ${ratio !== undefined ? `${ratio.toFixed(2)}×` : '—'} | ${
    typeof goal === 'string' ? goal : goalText(goal)
  } | ${verdict} |`;
}

const loadBefore = os.loadavg()[0];
let failed = 0;
const rows = [];
for (const bench of benches) {
  console.log(`\n### ${bench}`);
  const result = await runBench(bench);
  if (result.code !== 0) failed++;
  rows.push(...result.rows);
}

const byId = new Map(rows.map((row) => [row.id, row]));
const lines = ['| row | ours | peer (same run) | ratio | goal | goal met |', '|---|---|---|---|---|---|'];
const checked = [];
for (const spec of ROWS) {
  const row = byId.get(spec.id);
  lines.push(tableLine(spec.title, row, spec.goal));
  checked.push(row ? goalMet(spec.goal, row) : undefined);
}
for (const row of rows.filter((r) => !ROWS.some((spec) => spec.id === r.id))) {
  const title = row.id.startsWith('cold-start:')
    ? `cold start ${row.id.slice('cold-start:'.length)} (to first log line)`
    : row.id;
  lines.push(tableLine(title, row, row.id.startsWith('cold-start:') ? COLD_START_GOAL : '—'));
}
console.log(
  `\n## Issue 18 summary (load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after, ${os.cpus().length} cores)\n`,
);
console.log(lines.join('\n'));
const met = checked.filter((m) => m === true).length;
const notMeasured = checked.filter((m) => m === undefined).length;
console.log(
  `\nGoals met: ${met} of ${ROWS.length}${notMeasured ? ` (${notMeasured} not measured in this run)` : ''}.${
    failed ? ` ${failed} benchmark(s) failed.` : ''
  }`,
);
process.exit(failed ? 1 : 0);
